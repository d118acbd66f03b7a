package tweet

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The giveaway's example campaign.
var campaignTags = []string{"PyConAPAC", "Elastic"}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestParsePosts(t *testing.T) {
	const alice = "1523456789012345678"
	aliceSince := utc("2022-05-09T10:11:12Z")
	const minsu = "719012345678901248"
	minsuSince := utc("2016-04-10T03:04:05Z")

	tests := []struct {
		file       string
		want       Post   // Network, Raw and Text are filled in or checked by the loop
		textSuffix string // the end of the expected Text (long texts stay in the fixture)
		eligible   bool   // own post with both campaign tags
	}{
		{
			file: "v2_stream.json",
			want: Post{ID: "1764123456789012345", VersionID: "1764123456789012345", AuthorID: alice, Handle: "alice_codes",
				AuthorCreatedAt: aliceSince, CreatedAt: utc("2024-03-03T01:23:45Z"), Lang: "en",
				Hashtags: []string{"PyConAPAC", "Elastic"}, RetweetCount: 3},
			textSuffix: "#PyConAPAC! #Elastic 🎉 https://t.co/AbCdEf1234",
			eligible:   true,
		},
		{
			file: "v2_note_tweet.json", // long post: text and tags come from note_tweet, not the cut text
			want: Post{ID: "1764200000000000001", VersionID: "1764200000000000001", AuthorID: alice, Handle: "alice_codes",
				AuthorCreatedAt: aliceSince, CreatedAt: utc("2024-03-03T05:00:00Z"), Lang: "en",
				Hashtags: []string{"PyConAPAC", "Elastic", "파이콘"}},
			textSuffix: "파이콘 최고! #PyConAPAC #Elastic #파이콘",
			eligible:   true,
		},
		{
			file: "v2_note_post.json", // second vocabulary, no entities: tags extracted from the note
			want: Post{ID: "1764300000000000002", VersionID: "1764300000000000002", AuthorID: alice, Handle: "alice_codes",
				AuthorCreatedAt: aliceSince, CreatedAt: utc("2024-03-03T06:00:00Z"), Lang: "en",
				Hashtags: []string{"ＰｙＣｏｎＡＰＡＣ", "Elastic"}, ReplyTo: "1764200000000000001", RetweetCount: 1},
			textSuffix: "Still worth it. ＃ＰｙＣｏｎＡＰＡＣ #Elastic",
			eligible:   true,
		},
		{
			file: "v2_retweet.json",
			want: Post{ID: "1764400000000000003", VersionID: "1764400000000000003", AuthorID: alice, Handle: "alice_codes",
				AuthorCreatedAt: aliceSince, CreatedAt: utc("2024-03-03T07:00:00Z"), Lang: "en",
				Hashtags: []string{"PyConAPAC", "Elastic"}, Retweet: true, RetweetOf: "1764000000000000099",
				RetweetOfHandle: "pyconapac", RetweetCount: 42},
			textSuffix: "RT @pyconapac: Find the @elastic booth in Hall B! #PyConAPAC #Elastic",
		},
		{
			file: "v2_quote_own_tags.json",
			want: Post{ID: "1764500000000000004", VersionID: "1764500000000000004", AuthorID: alice, Handle: "alice_codes",
				AuthorCreatedAt: aliceSince, CreatedAt: utc("2024-03-03T08:00:00Z"), Lang: "en",
				Hashtags: []string{"PyConAPAC", "Elastic"}, QuoteOf: "1764000000000000099"},
			textSuffix: "Heading there now! #PyConAPAC #Elastic https://t.co/QuOtE12345",
			eligible:   true,
		},
		{
			file: "v2_quote_tags_in_quoted.json", // the quoted post's tags (in includes.tweets) are not the quoter's
			want: Post{ID: "1764600000000000005", VersionID: "1764600000000000005", AuthorID: alice, Handle: "alice_codes",
				AuthorCreatedAt: aliceSince, CreatedAt: utc("2024-03-03T08:30:00Z"), Lang: "en",
				QuoteOf: "1764000000000000099"},
			textSuffix: "This! 👇 https://t.co/QuOtE67890",
		},
		{
			file: "v2_edited.json", // an edit is the same entry, keyed by the first version
			want: Post{ID: "1764700000000000006", VersionID: "1764700000000000777", AuthorID: alice, Handle: "alice_codes",
				AuthorCreatedAt: aliceSince, CreatedAt: utc("2024-03-03T09:05:00Z"), Lang: "en",
				Hashtags: []string{"PyConAPAC", "Elastic"}},
			textSuffix: "Edited to add the tags I forgot: #PyConAPAC #Elastic",
			eligible:   true,
		},
		{
			file: "v2_bare.json", // no "data" wrapper; the handle comes from the embedded author
			want: Post{ID: "1764800000000000008", VersionID: "1764800000000000008", AuthorID: alice, Handle: "alice_codes",
				AuthorCreatedAt: aliceSince, CreatedAt: utc("2024-03-03T10:00:00Z"),
				Hashtags: []string{"PyConAPAC", "Elastic"}},
			textSuffix: "Bare v2 object from an exporter #PyConAPAC #Elastic",
			eligible:   true,
		},
		{
			file: "v1_status.json", // as Logstash stores it with full_tweet => true
			want: Post{ID: "764312345678901248", VersionID: "764312345678901248", AuthorID: minsu, Handle: "minsu_dev",
				AuthorCreatedAt: minsuSince, CreatedAt: utc("2016-08-13T03:12:45Z"), Lang: "ko",
				Hashtags: []string{"PyConAPAC", "Elastic", "파이콘"}, RetweetCount: 5},
			textSuffix: "엘라스틱 부스에서 경품 받았어요! #PyConAPAC #Elastic #파이콘 https://t.co/xYz12AbCdE",
			eligible:   true,
		},
		{
			file: "v1_extended.json", // truncated: text and tags come from extended_tweet
			want: Post{ID: "764320000000000001", VersionID: "764320000000000001", AuthorID: minsu, Handle: "minsu_dev",
				AuthorCreatedAt: minsuSince, CreatedAt: utc("2016-08-13T04:00:00Z"), Lang: "en",
				Hashtags: []string{"스마트스터디", "PyConAPAC", "Elastic"}},
			textSuffix: "See you tomorrow! #PyConAPAC #Elastic",
			eligible:   true,
		},
		{
			file: "v1_retweet.json", // entities carry the tags, but a plain retweet is not an own post
			want: Post{ID: "764330000000000002", VersionID: "764330000000000002", AuthorID: minsu, Handle: "minsu_dev",
				AuthorCreatedAt: minsuSince, CreatedAt: utc("2016-08-13T05:00:00Z"), Lang: "en",
				Hashtags: []string{"PyConAPAC", "Elastic"}, Retweet: true, RetweetOf: "764300000000000000",
				RetweetOfHandle: "pyconapac", RetweetCount: 12, RetweetOfCount: 12},
			textSuffix: "RT @pyconapac: Visit the Elastic booth for a prize! #PyConAPAC #Elastic",
		},
		{
			file: "v1_retweeted_flag.json", // "retweeted": true is about the stream's account, not this status
			want: Post{ID: "764340000000000003", VersionID: "764340000000000003", AuthorID: minsu, Handle: "minsu_dev",
				AuthorCreatedAt: minsuSince, CreatedAt: utc("2016-08-13T05:30:00Z"), Lang: "en",
				Hashtags: []string{"PyConAPAC", "Elastic"}, RetweetCount: 1},
			textSuffix: "happened to retweet. #PyConAPAC #Elastic",
			eligible:   true,
		},
		{
			file: "v1_quote.json", // only its own #Elastic counts, not the quoted status's tags
			want: Post{ID: "764350000000000004", VersionID: "764350000000000004", AuthorID: minsu, Handle: "minsu_dev",
				AuthorCreatedAt: minsuSince, CreatedAt: utc("2016-08-13T06:00:00Z"), Lang: "en",
				Hashtags: []string{"Elastic"}, QuoteOf: "764300000000000000", ReplyTo: "764300000000000000"},
			textSuffix: "Only one of the tags is mine #Elastic https://t.co/qUoTe0001",
		},
		{
			file: "logstash_reduced.json", // full_tweet => false: id from the source URL
			want: Post{ID: "764360000000000005", VersionID: "764360000000000005", Handle: "minsu_dev",
				CreatedAt: utc("2016-08-13T07:15:30Z"), Hashtags: []string{"PyConAPAC", "Elastic"}},
			textSuffix: "부스 이벤트 참여합니다 #PyConAPAC #Elastic",
			eligible:   true,
		},
		{
			file: "logstash_reduced_rt.json", // only the "RT @" prefix tells it is a retweet
			want: Post{ID: "764370000000000006", VersionID: "764370000000000006", Handle: "minsu_dev",
				CreatedAt: utc("2016-08-13T07:20:00Z"), Hashtags: []string{"PyConAPAC", "Elastic"},
				Retweet: true, RetweetOfHandle: "pyconapac"},
			textSuffix: "RT @pyconapac: Visit the Elastic booth for a prize! #PyConAPAC #Elastic",
		},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".json"), func(t *testing.T) {
			line := readFixture(t, tt.file)
			item, err := Parse(line)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if item.Delete != nil || item.Post == nil {
				t.Fatalf("Parse = %+v, want a post", item)
			}
			got := *item.Post
			if !bytes.Equal(got.Raw, line) {
				t.Errorf("Raw is not a copy of the line")
			}
			if !strings.HasSuffix(got.Text, tt.textSuffix) {
				t.Errorf("Text = %q, want suffix %q", got.Text, tt.textSuffix)
			}
			want := tt.want
			want.Network, want.Text, want.Raw = "twitter", got.Text, got.Raw
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse mismatch\n got %+v\nwant %+v", got, want)
			}
			eligible := got.IsOwnPost() && HasAll(got.NormalizedHashtags(), campaignTags)
			if eligible != tt.eligible {
				t.Errorf("eligible = %v, want %v (own %v, tags %q)", eligible, tt.eligible, got.IsOwnPost(), got.Hashtags)
			}
		})
	}
}

func TestParseRawIsACopy(t *testing.T) {
	line := readFixture(t, "v2_stream.json")
	item, err := Parse(line)
	if err != nil {
		t.Fatal(err)
	}
	line[0] = 'X' // a stream reader reuses its buffer
	if item.Post.Raw[0] != '{' {
		t.Error("Raw shares memory with the input line")
	}
}

func TestParseDeletes(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"v1.1 stream", string(readFixture(t, "delete_v1.json")), "764312345678901248"},
		{"flat", string(readFixture(t, "delete_flat.json")), "1764123456789012345"},
		{"numeric id only keeps precision", `{"delete":{"status":{"id":1764123456789012345}}}`, "1764123456789012345"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			item, err := Parse([]byte(tt.line))
			if err != nil {
				t.Fatal(err)
			}
			want := &Delete{Network: "twitter", ID: tt.want}
			if item.Post != nil || !reflect.DeepEqual(item.Delete, want) {
				t.Errorf("Parse = %+v (delete %+v), want delete %+v", item, item.Delete, want)
			}
		})
	}
}

// Ids pass 2^53; read through float64 they would come back wrong.
func TestParseLargeIDsSurvive(t *testing.T) {
	const id = "1764123456789012345"
	tests := []struct{ name, line string }{
		{"v1.1 numeric id only", `{"id":1764123456789012345,"text":"#Elastic","created_at":"Sun Mar 03 01:23:45 +0000 2024","user":{"id":1523456789012345678,"screen_name":"alice"}}`},
		{"v1.1 id_str preferred over a mangled id", `{"id":1764123456789012300,"id_str":"1764123456789012345","text":"x","created_at":"2024-03-03T01:23:45Z","user":{"screen_name":"alice"}}`},
		{"v2", `{"data":{"id":"1764123456789012345","text":"x","author_id":"1","created_at":"2024-03-03T01:23:45Z"},"includes":{"users":[{"id":"1","username":"alice"}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			item, err := Parse([]byte(tt.line))
			if err != nil {
				t.Fatal(err)
			}
			if item.Post.ID != id {
				t.Errorf("ID = %q, want %q", item.Post.ID, id)
			}
		})
	}
	item, err := Parse([]byte(tests[0].line))
	if err == nil && item.Post.AuthorID != "1523456789012345678" {
		t.Errorf("AuthorID = %q", item.Post.AuthorID)
	}
}

func TestParseVariants(t *testing.T) {
	// v1.1 extended mode (REST, tweet_mode=extended): full_text and no text.
	item, err := Parse([]byte(`{"id_str":"1","full_text":"Long enough #PyConAPAC #Elastic","created_at":"Sat Aug 13 03:12:45 +0000 2016","user":{"screen_name":"@minsu"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if p := item.Post; p.Text != "Long enough #PyConAPAC #Elastic" || p.Handle != "minsu" || !HasAll(p.Hashtags, campaignTags) {
		t.Errorf("extended mode: %+v", p)
	}

	// v1.1 without created_at falls back to timestamp_ms; RFC 3339 created_at is accepted.
	item, err = Parse([]byte(`{"id_str":"2","text":"x","timestamp_ms":"1471057965000","user":{"screen_name":"minsu"}}`))
	if err != nil || !item.Post.CreatedAt.Equal(utc("2016-08-13T03:12:45Z")) {
		t.Errorf("timestamp_ms fallback: %+v, %v", item.Post, err)
	}
	item, err = Parse([]byte(`{"id_str":"3","text":"x","created_at":"2016-08-13T12:12:45+09:00","user":{"screen_name":"minsu"}}`))
	if err != nil || item.Post.CreatedAt != utc("2016-08-13T03:12:45Z") || item.Post.CreatedAt.Location() != time.UTC {
		t.Errorf("RFC 3339 created_at: %+v, %v", item.Post, err)
	}

	// v1.1 edit history keys the entry by its first version, like v2.
	item, err = Parse([]byte(`{"id_str":"5","text":"x","created_at":"2016-08-13T03:12:45Z","user":{"screen_name":"minsu"},"edit_history":{"initial_tweet_id":"4","edit_tweet_ids":["4","5"]}}`))
	if err != nil || item.Post.ID != "4" || item.Post.VersionID != "5" {
		t.Errorf("v1.1 edit history: %+v, %v", item.Post, err)
	}

	// v2 entities without a hashtags key: X found none, ours finds none either, from the text.
	item, err = Parse([]byte(`{"data":{"id":"6","text":"no tags here","author_id":"1","created_at":"2024-03-03T01:23:45Z","entities":{"urls":[]}},"includes":{"users":[{"id":"1","username":"alice"}]}}`))
	if err != nil || item.Post.Hashtags != nil {
		t.Errorf("v2 without hashtags: %+v, %v", item.Post, err)
	}

	// A v2 retweet whose original is not in includes: the handle comes from "RT @".
	item, err = Parse([]byte(`{"data":{"id":"7","text":"RT @pyconapac: hi","author_id":"1","created_at":"2024-03-03T01:23:45Z","referenced_tweets":[{"type":"retweeted","id":"8"}]},"includes":{"users":[{"id":"1","username":"alice"}]}}`))
	if err != nil || item.Post.RetweetOf != "8" || item.Post.RetweetOfHandle != "pyconapac" || item.Post.IsOwnPost() {
		t.Errorf("v2 retweet without includes.tweets: %+v, %v", item.Post, err)
	}

	// A v2 line that carries errors next to data (e.g. a deleted quoted post) is still a post.
	item, err = Parse([]byte(`{"data":{"id":"9","text":"#Elastic","author_id":"1","created_at":"2024-03-03T01:23:45Z"},"includes":{"users":[{"id":"1","username":"alice"}]},"errors":[{"title":"Not Found Error"}]}`))
	if err != nil || item.Post.ID != "9" {
		t.Errorf("v2 with partial errors: %+v, %v", item.Post, err)
	}

	// Logstash documents may come with a https x.com source URL and a numeric in-reply-to.
	item, err = Parse([]byte(`{"@timestamp":"2024-03-03T01:23:45.123Z","message":"hi #Elastic","user":"alice","source":"https://x.com/alice/status/10?s=20","in-reply-to":9}`))
	if err != nil || item.Post.ID != "10" || item.Post.ReplyTo != "9" || !reflect.DeepEqual(item.Post.Hashtags, []string{"Elastic"}) {
		t.Errorf("Logstash variant: %+v, %v", item.Post, err)
	}

	// Surrounding whitespace (a CRLF-terminated NDJSON line) is fine.
	if _, err := Parse([]byte("  " + string(readFixture(t, "v2_stream.json")) + "\r\n")); err != nil {
		t.Errorf("line with whitespace: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		stream bool // want ErrStreamError as well
	}{
		{"garbage", "not json at all", false},
		{"empty line", "", false},
		{"keep-alive", "\r\n", false},
		{"truncated", `{"data":{"id":"1"`, false},
		{"empty object", `{}`, false},
		{"null", `null`, false},
		{"array", `[{"id_str":"1"}]`, false},
		{"two objects", `{"delete":{"id_str":"1"}}{"delete":{"id_str":"2"}}`, false},
		{"v2 operational disconnect", string(readFixture(t, "v2_disconnect.json")), true},
		{"v2 problem object", `{"title":"ConnectionException","detail":"This stream is currently at the maximum allowed connection limit.","connection_issue":"TooManyConnections","type":"https://api.twitter.com/2/problems/streaming-connection"}`, true},
		{"v1.1 disconnect", `{"disconnect":{"code":7,"stream_name":"x","reason":"admin logout"}}`, true},
		{"v1.1 limit notice", `{"limit":{"track":12,"timestamp_ms":"1471057965000"}}`, false},
		{"v2 data is an array", `{"data":[{"id":"1","text":"x"}]}`, false},
		{"v2 missing author handle", `{"data":{"id":"1","text":"x","author_id":"2","created_at":"2024-03-03T01:23:45Z"}}`, false},
		{"v2 bare without username", `{"id":"1","text":"x","author_id":"2","created_at":"2024-03-03T01:23:45Z"}`, false},
		{"v2 missing created_at", `{"data":{"id":"1","text":"x","author_id":"2"},"includes":{"users":[{"id":"2","username":"a"}]}}`, false},
		{"v2 missing id", `{"data":{"text":"x","author_id":"2","created_at":"2024-03-03T01:23:45Z"},"includes":{"users":[{"id":"2","username":"a"}]}}`, false},
		{"v1.1 missing id", `{"text":"x","created_at":"Sat Aug 13 03:12:45 +0000 2016","user":{"screen_name":"a"}}`, false},
		{"v1.1 float id", `{"id":1.764123456789012e18,"text":"x","created_at":"Sat Aug 13 03:12:45 +0000 2016","user":{"screen_name":"a"}}`, false},
		{"v1.1 missing user", `{"id_str":"1","text":"x","created_at":"Sat Aug 13 03:12:45 +0000 2016"}`, false},
		{"v1.1 empty screen_name", `{"id_str":"1","text":"x","created_at":"Sat Aug 13 03:12:45 +0000 2016","user":{"screen_name":""}}`, false},
		{"v1.1 missing created_at", `{"id_str":"1","text":"x","user":{"screen_name":"a"}}`, false},
		{"v1.1 invalid created_at", `{"id_str":"1","text":"x","created_at":"yesterday","user":{"screen_name":"a"}}`, false},
		{"v1.1 text of the wrong type", `{"id_str":"1","text":7,"created_at":"Sat Aug 13 03:12:45 +0000 2016","user":{"screen_name":"a"}}`, false},
		{"Logstash source without status id", `{"@timestamp":"2016-08-13T07:15:30.000Z","message":"x","user":"a","source":"http://twitter.com/a"}`, false},
		{"Logstash missing timestamp", `{"message":"x","user":"a","source":"http://twitter.com/a/status/1"}`, false},
		{"delete without id", `{"delete":{"status":{"user_id_str":"1"}}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			item, err := Parse([]byte(tt.line))
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", item)
			}
			t.Log(err)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if errors.Is(err, ErrStreamError) != tt.stream {
				t.Errorf("error %v: errors.Is(ErrStreamError) = %v, want %v", err, !tt.stream, tt.stream)
			}
			if item.Post != nil || item.Delete != nil {
				t.Errorf("an error came with an item: %+v", item)
			}
		})
	}
}

func TestParseStreamErrorMessage(t *testing.T) {
	_, err := Parse(readFixture(t, "v2_disconnect.json"))
	if err == nil || !strings.Contains(err.Error(), "operational-disconnect (UpstreamOperationalDisconnect)") {
		t.Errorf("error %v should name the disconnect", err)
	}
}

// A retweet or quote carries its original's counts (v1.1 embeds the status, v2 includes it):
// they are how the original's counts reach us. An edited original is named by its first version.
func TestEmbeddedCounts(t *testing.T) {
	for _, c := range []struct {
		name, line              string
		of                      string
		retweetOf, quoteOfCount int64
	}{
		{"v1 retweet of an edited post", `{"id_str":"20","created_at":"Sat Aug 13 05:00:00 +0000 2016","text":"RT @a: x",
			"user":{"screen_name":"b"},"retweeted_status":{"id_str":"12","edit_history":{"initial_tweet_id":"10"},
			"retweet_count":"7","user":{"screen_name":"a"}}}`, "10", 7, 0},
		{"v1 quote", `{"id_str":"21","created_at":"Sat Aug 13 05:00:00 +0000 2016","text":"yes",
			"user":{"screen_name":"b"},"quoted_status_id_str":"10","quoted_status":{"id_str":"10","quote_count":3}}`, "10", 0, 3},
		{"v2 retweet", `{"data":{"id":"22","text":"RT @a: x","author_id":"2","created_at":"2024-03-03T07:00:00Z",
			"referenced_tweets":[{"type":"retweeted","id":"12"}]},"includes":{"users":[{"id":"2","username":"b"}],
			"tweets":[{"id":"12","edit_history_tweet_ids":["10","12"],"public_metrics":{"retweet_count":9,"quote_count":1}}]}}`, "10", 9, 0},
		{"v2 quote", `{"data":{"id":"23","text":"yes","author_id":"2","created_at":"2024-03-03T07:00:00Z",
			"referenced_tweets":[{"type":"quoted","id":"10"}]},"includes":{"users":[{"id":"2","username":"b"}],
			"tweets":[{"id":"10","public_metrics":{"retweet_count":9,"quote_count":4}}]}}`, "10", 0, 4},
	} {
		it, err := Parse([]byte(c.line))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		p := it.Post
		of := p.RetweetOf + p.QuoteOf
		if of != c.of || p.RetweetOfCount != c.retweetOf || p.QuoteOfCount != c.quoteOfCount {
			t.Errorf("%s: of %q retweets %d quotes %d, want %q %d %d", c.name, of, p.RetweetOfCount,
				p.QuoteOfCount, c.of, c.retweetOf, c.quoteOfCount)
		}
	}
}
