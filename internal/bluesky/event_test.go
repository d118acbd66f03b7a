package bluesky

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/bluesky/blueskytest"
)

const did = "did:plc:eygmaihciaxprqvxpfvl6flk"

func wantsPyCon(norm []string) bool {
	return slices.Contains(norm, "pyconapac") && slices.Contains(norm, "elastic")
}

func message(t *testing.T, e blueskytest.Event) []byte {
	t.Helper()
	if e.TimeUS == 0 {
		e.TimeUS = 1725911162329308
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var seenAt = time.UnixMicro(1725911162329308).UTC()

func TestPostHashtags(t *testing.T) {
	t.Parallel()
	korean := "오늘 부스에서 #PyConAPAC 하고 #Elastic 스티커 받음"
	broken := blueskytest.TagFacets(korean, "PyConAPAC")
	broken[0].Index.ByteStart++ // now starts inside nothing sensible: "PyConAPAC" without '#'
	cut := blueskytest.TagFacets(korean, "Elastic")
	cut[0].Index.ByteStart, cut[0].Index.ByteEnd = 1, 4 // cuts the first Hangul syllable
	cut[0].Features[0].Tag = "elastic"
	lowered := blueskytest.TagFacets(korean, "PyConAPAC", "Elastic")
	for i := range lowered {
		lowered[i].Features[0].Tag = strings.ToLower(lowered[i].Features[0].Tag)
	}
	tests := []struct {
		name string
		post blueskytest.Post
		want []string
	}{
		// Rune offsets would land elsewhere in this text: the facets are UTF-8 byte offsets.
		{"facets after Korean text", blueskytest.Post{Text: korean, Facets: blueskytest.TagFacets(korean, "PyConAPAC", "Elastic")},
			[]string{"PyConAPAC", "Elastic"}},
		{"facet value lower-cased by the app, text keeps the spelling", blueskytest.Post{Text: "#PyConAPAC",
			Facets: []blueskytest.Facet{{Index: blueskytest.ByteSlice{ByteStart: 0, ByteEnd: 10},
				Features: []blueskytest.Feature{{Type: "app.bsky.richtext.facet#tag", Tag: "pyconapac"}}}}},
			[]string{"PyConAPAC"}},
		{"written form found by byte offsets after Hangul", blueskytest.Post{Text: korean, Facets: lowered},
			[]string{"PyConAPAC", "Elastic"}},
		{"offsets off: the facet's tag counts", blueskytest.Post{Text: korean, Facets: append(broken, cut...)},
			[]string{"PyConAPAC", "elastic"}},
		{"tags array only", blueskytest.Post{Text: "부스 최고", Tags: []string{"PyConAPAC", "#Elastic"}},
			[]string{"PyConAPAC", "Elastic"}},
		{"facets then tags, repeats dropped after folding", blueskytest.Post{Text: "hi #PyConAPAC",
			Facets: blueskytest.TagFacets("hi #PyConAPAC", "PyConAPAC"), Tags: []string{"pyconapac", "ＥＬＡＳＴＩＣ"}},
			[]string{"PyConAPAC", "ＥＬＡＳＴＩＣ"}},
		{"no facets, no tags: the text", blueskytest.Post{Text: "부스 #PyConAPAC ＃ＥＬＡＳＴＩＣ https://x.com/#frag"},
			[]string{"PyConAPAC", "ＥＬＡＳＴＩＣ"}},
		{"link and mention facets are not hashtags", blueskytest.Post{Text: "see https://elastic.co #PyConAPAC",
			Facets: []blueskytest.Facet{{Index: blueskytest.ByteSlice{ByteStart: 4, ByteEnd: 22},
				Features: []blueskytest.Feature{{Type: "app.bsky.richtext.facet#link", URI: "https://elastic.co"}}}}},
			[]string{"PyConAPAC"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r postRecord
			b, _ := json.Marshal(tt.post)
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			if got := postHashtags(&r); !slices.Equal(got, tt.want) {
				t.Errorf("hashtags = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParsePost(t *testing.T) {
	t.Parallel()
	text := "답글 #PyConAPAC #Elastic"
	parent := "at://did:plc:parent/app.bsky.feed.post/3l3parent"
	quoted := "at://did:plc:quoted/app.bsky.feed.post/3l3quoted"
	p := blueskytest.Post{Text: text, Facets: blueskytest.TagFacets(text, "PyConAPAC", "Elastic"), Langs: []string{"ko", "en"},
		CreatedAt: "2024-09-09T19:46:02.102Z", Reply: &blueskytest.Reply{Parent: blueskytest.StrongRef{URI: parent}},
		Embed: blueskytest.QuoteEmbed(quoted)}
	msg := message(t, blueskytest.Create(did, "3l3qo2vutsw2b", p))
	ev, err := parseEvent(msg, wantsPyCon, seenAt)
	if err != nil {
		t.Fatal(err)
	}
	got := ev.post
	if got == nil {
		t.Fatal("post with both tags not kept")
	}
	if got.ID != "at://"+did+"/app.bsky.feed.post/3l3qo2vutsw2b" || got.Network != "bluesky" || got.AuthorID != did {
		t.Errorf("id %q network %q author %q", got.ID, got.Network, got.AuthorID)
	}
	if got.VersionID != "00001725911162329308" {
		t.Errorf("version id %q, want time_us at 20 digits", got.VersionID)
	}
	if want := time.Date(2024, 9, 9, 19, 46, 2, 102e6, time.UTC); !got.CreatedAt.Equal(want) {
		t.Errorf("created %v, want %v", got.CreatedAt, want)
	}
	if got.Lang != "ko" || got.ReplyTo != parent || got.QuoteOf != quoted || got.Text != text {
		t.Errorf("lang %q reply %q quote %q text %q", got.Lang, got.ReplyTo, got.QuoteOf, got.Text)
	}
	if !got.IsOwnPost() || string(got.Raw) != string(msg) {
		t.Errorf("own post %v, raw %s", got.IsOwnPost(), got.Raw)
	}

	// recordWithMedia wraps the quoted record once more.
	p.Embed = json.RawMessage(`{"$type":"app.bsky.embed.recordWithMedia","record":{"$type":"app.bsky.embed.record",` +
		`"record":{"uri":"` + quoted + `","cid":"bafy"}},"media":{"$type":"app.bsky.embed.images","images":[]}}`)
	ev, err = parseEvent(message(t, blueskytest.Create(did, "3l3qo2vutsw2c", p)), wantsPyCon, seenAt)
	if err != nil || ev.post == nil || ev.post.QuoteOf != quoted {
		t.Errorf("recordWithMedia: err %v, post %+v", err, ev.post)
	}
}

func TestParseCreatedAt(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		createdAt string
		want      time.Time
	}{
		{"2024-09-09T19:46:02.102Z", time.Date(2024, 9, 9, 19, 46, 2, 102e6, time.UTC)},
		{"2024-09-10T04:46:02+09:00", time.Date(2024, 9, 9, 19, 46, 2, 0, time.UTC)},
		{"yesterday", seenAt},
		{"2030-01-01T00:00:00Z", seenAt}, // a clock far ahead
		{"2020-01-01T00:00:00Z", seenAt}, // backdated, e.g. an imported archive
	} {
		if got := createdAt(tt.createdAt, seenAt.UnixMicro()); !got.Equal(tt.want) {
			t.Errorf("createdAt(%q) = %v, want %v", tt.createdAt, got, tt.want)
		}
	}
}

func TestParseOtherEvents(t *testing.T) {
	t.Parallel()
	lacking := blueskytest.Post{Text: "only #PyConAPAC", Facets: blueskytest.TagFacets("only #PyConAPAC", "PyConAPAC")}
	tests := []struct {
		name  string
		msg   []byte
		check func(event) bool
	}{
		{"post lacking a tag", message(t, blueskytest.Create(did, "a", lacking)),
			func(e event) bool { return e.post == nil && e.update == nil && e.timeUS > 0 }},
		{"edit lacking a tag", message(t, blueskytest.Update(did, "a", lacking)),
			func(e event) bool {
				return e.post == nil && e.update != nil && e.update.ID == blueskytest.PostURI(did, "a")
			}},
		{"delete", message(t, blueskytest.Delete(did, "a")),
			func(e event) bool { return e.deleteID == blueskytest.PostURI(did, "a") }},
		{"identity", message(t, blueskytest.IdentityEvent(did, "Jisu.bsky.social")),
			func(e event) bool { return e.identity != nil && *e.identity == identity{did, "jisu.bsky.social"} }},
		{"account", message(t, blueskytest.AccountEvent(did, false)),
			func(e event) bool { return e.kind == "account" && e.timeUS > 0 && e.post == nil }},
		{"like", message(t, blueskytest.Like(did, "b", blueskytest.PostURI(did, "a"))),
			func(e event) bool { return e.kind == "commit" && e.post == nil && e.deleteID == "" }},
	}
	for _, tt := range tests {
		ev, err := parseEvent(tt.msg, wantsPyCon, seenAt)
		if err != nil || !tt.check(ev) {
			t.Errorf("%s: err %v, event %+v", tt.name, err, ev)
		}
	}
}

func TestParseBad(t *testing.T) {
	t.Parallel()
	future := seenAt.Add(48 * time.Hour).UnixMicro()
	for _, msg := range []string{
		`not json`,
		`{"kind":"commit","did":"` + did + `"}`,
		`{"kind":"commit","did":"` + did + `","time_us":1725911162329308}`,
		`{"kind":"commit","did":"not-a-did","time_us":1725911162329308,"commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"a","record":{}}}`,
		`{"kind":"commit","did":"` + did + `","time_us":1725911162329308,"commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"a","record":{"text":5}}}`,
		`{"kind":"commit","did":"` + did + `","time_us":1725911162329308,"commit":{"operation":"merge","collection":"app.bsky.feed.post","rkey":"a"}}`,
		`{"kind":"commit","did":"` + did + `","time_us":` + strconv.FormatInt(future, 10) + `,"commit":{"operation":"delete","collection":"app.bsky.feed.post","rkey":"a"}}`,
	} {
		ev, err := parseEvent([]byte(msg), wantsPyCon, seenAt)
		if err == nil || ev.post != nil || ev.deleteID != "" {
			t.Errorf("%s: err %v, event %+v", msg, err, ev)
		}
	}
}

func TestVersionIDsOrderAsTheDatabaseDoes(t *testing.T) {
	t.Parallel()
	// id_newer compares (length, text): equal widths make that numeric.
	a, b := versionID(999_999_999_999_999), versionID(1_000_000_000_000_000)
	if len(a) != len(b) || !(b > a) {
		t.Errorf("%q should order after %q", b, a)
	}
}

func TestConfigEnabled(t *testing.T) {
	t.Parallel()
	if on, err := (Config{}).Enabled(); on || err != nil {
		t.Errorf("unset: enabled %v, err %v", on, err)
	}
	cfg := Config{JetstreamURL: "wss://jetstream2.us-east.bsky.network/subscribe"}
	if on, err := cfg.Enabled(); !on || err != nil {
		t.Errorf("wss: %v %v", on, err)
	}
	if full, _ := cfg.withDefaults(); full.AppViewURL != DefaultAppViewURL || full.CursorRewind != 5*time.Second ||
		full.BatchSize != 200 || full.BatchWait != 500*time.Millisecond || full.StallTimeout != 30*time.Second ||
		full.RefreshInterval != time.Minute {
		t.Errorf("defaults: %+v", full)
	}
	for _, bad := range []Config{
		{JetstreamURL: "https://jetstream2.us-east.bsky.network/subscribe"},
		{JetstreamURL: "wss://jetstream2.us-east.bsky.network/subscribe?wantedCollections=x"},
		{JetstreamURL: "wss:///subscribe"},
		{JetstreamURL: "wss://j.example/subscribe", AppViewURL: "ftp://appview"},
	} {
		if on, err := bad.Enabled(); on || err == nil {
			t.Errorf("%v: enabled %v, err %v", bad, on, err)
		}
	}
}
