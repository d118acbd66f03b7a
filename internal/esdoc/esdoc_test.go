package esdoc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/tweet"
)

func sampleTweet() *Tweet {
	return &Tweet{
		Network: "twitter", ID: "1186275104237256704", AuthorID: "783214", Handle: "PyConKR",
		CreatedAt: time.Date(2016, 8, 13, 1, 2, 3, 0, time.UTC), Text: "파이콘 APAC <3 & \"Elastic\" #PyConAPAC\n\t\u2028",
		Lang: "ko", Hashtags: []string{"PyConAPAC", "Elastic"}, HashtagsNorm: []string{"pyconapac", "elastic"},
		RetweetCount: 3, RetweetOfCount: -1, ReplyTo: "1186275104237256000", Raw: json.RawMessage("null"),
	}
}

func campaign() *Campaign {
	return &Campaign{Slug: "pyconapac2016", RequiredHashtags: []string{"pyconapac", "elastic"},
		StartsAt: time.Date(2016, 8, 13, 0, 0, 0, 0, time.UTC), EndsAt: time.Date(2016, 8, 16, 0, 0, 0, 0, time.UTC),
		TweetsIndex: "twitter-pyconapac2016"}
}

// decode reads a document keeping numbers exact (ids pass 2^53).
func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m
}

func get(m map[string]any, path string) any {
	var v any = m
	for _, p := range strings.Split(path, ".") {
		o, _ := v.(map[string]any)
		v = o[p]
	}
	return v
}

// flatten lists a document's leaves by path (array elements by index), nulls left out.
func flatten(prefix string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flatten(p, e, out)
		}
	case []any:
		for i, e := range x {
			flatten(fmt.Sprintf("%s.%d", prefix, i), e, out)
		}
	case nil:
	default:
		b, _ := json.Marshal(x)
		out[prefix] = string(b)
	}
}

// fromLine is what the feeder reads for a post that arrived as line: the row ingest stored
// (through the one parser) and the raw JSON kept with it.
func fromLine(t *testing.T, line []byte) *Tweet {
	t.Helper()
	it, err := tweet.Parse(line)
	if err != nil || it.Post == nil {
		t.Fatalf("parse: %v", err)
	}
	p := it.Post
	rtCount := int64(-1)
	if p.RetweetOf != "" {
		rtCount = p.RetweetOfCount
	}
	return &Tweet{Network: p.Network, ID: p.ID, AuthorID: p.AuthorID, Handle: p.Handle, CreatedAt: p.CreatedAt,
		Text: p.Text, Lang: p.Lang, Hashtags: p.Hashtags, HashtagsNorm: p.NormalizedHashtags(),
		RetweetOf: p.RetweetOf, RetweetOfHandle: p.RetweetOfHandle, RetweetOfCount: rtCount, QuoteOf: p.QuoteOf,
		ReplyTo: p.ReplyTo, RetweetCount: p.RetweetCount, QuoteCount: p.QuoteCount, Raw: p.Raw}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(b)
}

// withoutLogstashFields is the status as the v1.1 stream sent it: the Logstash document less the
// two fields the Logstash event adds.
func withoutLogstashFields(t *testing.T, doc []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "@timestamp")
	delete(m, "@version")
	b, _ := json.Marshal(m)
	return b
}

// testdata/logstash_full_tweet.json and logstash_full_retweet.json are written by hand in the shape
// Logstash's twitter input stores with full_tweet => true (lib/logstash/inputs/twitter.rb: the
// stream's v1.1 status as the twitter gem parsed it, tweet.to_hash, plus the event's @timestamp
// from created_at and @version "1"), with the fields a 2016 v1.1 stream status carried.
// testdata/v2_same_status.json is the first of them as the X API v2 filtered stream sends it.
func TestDocumentMatchesLogstashFullTweet(t *testing.T) {
	for _, file := range []string{"logstash_full_tweet.json", "logstash_full_retweet.json"} {
		logstash := readFile(t, "testdata/"+file)
		want := map[string]string{}
		flatten("", decode(t, logstash), want)
		for name, line := range map[string][]byte{
			"v1.1 stream":                     withoutLogstashFields(t, logstash),
			"Logstash file (giveaway import)": logstash,
		} {
			got := map[string]string{}
			flatten("", decode(t, BuildTweet(fromLine(t, line), campaign(), nil)), got)
			for path, w := range want {
				if g, ok := got[path]; !ok || g != w {
					t.Errorf("%s from %s: %s = %s, Logstash wrote %s", file, name, path, g, w)
				}
			}
		}
	}

	// The same status from the v2 stream: every field both documents carry has Logstash's value,
	// and the fields a dashboard reads are there.
	want := map[string]string{}
	flatten("", decode(t, readFile(t, "testdata/logstash_full_tweet.json")), want)
	got := map[string]string{}
	doc := decode(t, BuildTweet(fromLine(t, readFile(t, "testdata/v2_same_status.json")), campaign(), nil))
	flatten("", doc, got)
	shared := 0
	for path, g := range got {
		if w, ok := want[path]; ok {
			shared++
			if g != w {
				t.Errorf("v2: %s = %s, Logstash wrote %s", path, g, w)
			}
		}
	}
	for _, path := range []string{"@timestamp", "@version", "id", "id_str", "text", "created_at", "timestamp_ms",
		"source", "lang", "retweet_count", "favorite_count", "user.id", "user.id_str", "user.name",
		"user.screen_name", "user.followers_count", "user.friends_count", "user.statuses_count", "user.created_at",
		"entities.hashtags.0.text", "entities.user_mentions.0.screen_name", "entities.urls.0.expanded_url",
		"place.full_name", "place.country_code", "place.bounding_box.coordinates.0.2.1", "coordinates.coordinates.0"} {
		if _, ok := got[path]; !ok || got[path] != want[path] {
			t.Errorf("v2: %s = %s, want %s", path, got[path], want[path])
		}
	}
	if get(doc, "conversation_id") != "764687362014060544" || get(doc, "public_metrics.impression_count") != json.Number("812") {
		t.Errorf("v2 fields without a v1.1 name not kept: %v %v", get(doc, "conversation_id"), get(doc, "public_metrics"))
	}
	if shared < 40 {
		t.Errorf("only %d fields shared with Logstash's document", shared)
	}
}

// Documents from every shape a post arrives in carry the whole full_tweet field set.
func TestFullTweetFieldSet(t *testing.T) {
	logstash := readFile(t, "testdata/logstash_full_tweet.json")
	inputs := map[string][]byte{
		"v1.1":                     withoutLogstashFields(t, logstash),
		"v1.1 retweet":             withoutLogstashFields(t, readFile(t, "testdata/logstash_full_retweet.json")),
		"Logstash full_tweet":      logstash,
		"Logstash reduced":         readFile(t, "../tweet/testdata/logstash_reduced.json"),
		"v2":                       readFile(t, "testdata/v2_same_status.json"),
		"v2 stream":                readFile(t, "../tweet/testdata/v2_stream.json"),
		"v2 retweet":               readFile(t, "../tweet/testdata/v2_retweet.json"),
		"v2 long post":             readFile(t, "../tweet/testdata/v2_note_tweet.json"),
		"v1.1 extended":            readFile(t, "../tweet/testdata/v1_extended.json"),
		"v1.1 quote":               readFile(t, "../tweet/testdata/v1_quote.json"),
		"Logstash reduced retweet": readFile(t, "../tweet/testdata/logstash_reduced_rt.json"),
	}
	for name, line := range inputs {
		tw := fromLine(t, line)
		doc := decode(t, BuildTweet(tw, campaign(), nil))
		for _, f := range FullTweetFields {
			if _, ok := doc[f]; !ok {
				t.Errorf("%s: no %s", name, f)
			}
		}
		user, _ := doc["user"].(map[string]any)
		for _, f := range FullUserFields {
			if _, ok := user[f]; !ok {
				t.Errorf("%s: no user.%s", name, f)
			}
		}
		if user["screen_name"] != tw.Handle || doc["id_str"] == nil || doc["text"] == "" {
			t.Errorf("%s: user %v id_str %v text %v", name, user["screen_name"], doc["id_str"], doc["text"])
		}
		for _, f := range []string{"hashtags", "user_mentions", "urls", "symbols"} {
			if _, ok := get(doc, "entities."+f).([]any); !ok {
				t.Errorf("%s: entities.%s = %v", name, f, get(doc, "entities."+f))
			}
		}
		// A truncated v1.1 status keeps its entities as sent (those of the cut text), as Logstash
		// does; the full ones are in extended_tweet.entities.
		if tags := get(doc, "entities.hashtags").([]any); len(tags) != len(tw.Hashtags) && doc["extended_tweet"] == nil {
			t.Errorf("%s: hashtags %v, want %v", name, tags, tw.Hashtags)
		}
		if get(doc, "@version") != "1" || get(doc, "@timestamp") != tw.CreatedAt.Format(LogstashTimeLayout) {
			t.Errorf("%s: @version %v @timestamp %v", name, doc["@version"], doc["@timestamp"])
		}
		if tw.RetweetOf != "" && get(doc, "retweeted_status.id_str") != tw.RetweetOf {
			t.Errorf("%s: retweeted_status %v", name, doc["retweeted_status"])
		}
		if g, _ := doc[ServiceField].(map[string]any); g == nil || g["campaign"] != "pyconapac2016" {
			t.Errorf("%s: %s = %v", name, ServiceField, doc[ServiceField])
		}
	}
}

// The service's own fields sit under giveaway: eligibility, the matched claim and its proof.
func TestServiceFields(t *testing.T) {
	doc := decode(t, BuildTweet(sampleTweet(), campaign(), &Claim{ID: 7, Code: "ABC234", VerifiedBy: "code"}))
	for path, want := range map[string]any{
		"@timestamp": "2016-08-13T01:02:03.000Z", "id_str": "1186275104237256704", "id": json.Number("1186275104237256704"),
		"created_at": "Sat Aug 13 01:02:03 +0000 2016", "user.screen_name": "PyConKR", "user.id_str": "783214",
		"lang": "ko", "in_reply_to_status_id_str": "1186275104237256000", "retweet_count": json.Number("3"),
		"text":              "파이콘 APAC <3 & \"Elastic\" #PyConAPAC\n\t\u2028",
		"giveaway.eligible": true, "giveaway.matched": true, "giveaway.matched_claim": "ABC234",
		"giveaway.matched_claim_id": "7", "giveaway.proof": "code", "giveaway.campaign": "pyconapac2016",
		"giveaway.hidden": false, "giveaway.network": "twitter", "giveaway.is_retweet": false,
	} {
		if got := get(doc, path); got != want {
			t.Errorf("%s = %#v, want %#v", path, got, want)
		}
	}
	for _, k := range []string{"eligible", "matched_claim", "hashtags_normalized", "hidden", "network"} {
		if _, ok := doc[k]; ok {
			t.Errorf("service field %s at the top level, where a Logstash document's fields are", k)
		}
	}

	rt := sampleTweet()
	rt.RetweetOf, rt.RetweetOfHandle, rt.RetweetOfCount = "99", "elastic", 12
	d := decode(t, BuildTweet(rt, campaign(), nil))
	if get(d, "giveaway.eligible") != false || get(d, "giveaway.is_retweet") != true ||
		get(d, "retweeted_status.id_str") != "99" || get(d, "retweeted_status.retweet_count") != json.Number("12") ||
		get(d, "retweeted_status.user.screen_name") != "elastic" {
		t.Errorf("retweet doc %v", d)
	}
	late := sampleTweet()
	late.CreatedAt = campaign().EndsAt
	if campaign().Eligible(late) {
		t.Error("a tweet at the window's end is eligible")
	}
	one := sampleTweet()
	one.HashtagsNorm = []string{"pyconapac"}
	if campaign().Eligible(one) || !campaign().Matches(one) {
		t.Error("a tweet with one of two tags: eligible, or not in the index")
	}
	// A purged post (no raw JSON, no author or text) leaves nothing of them in its document.
	gone := sampleTweet()
	gone.Handle, gone.Text, gone.AuthorID = "", "", ""
	if b := BuildTweet(gone, campaign(), nil); bytes.Contains(b, []byte("PyConKR")) || bytes.Contains(b, []byte("783214")) {
		t.Errorf("purged post's document %s", b)
	}
}

// The hand-written string encoder writes exactly what encoding/json writes.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "한", "\"", "\\", "<", ">", "&", "\n", "\x01", "\u2028", "\u2029", "\xff", "😀", " ", "é"}
	for range 5000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		want, _ := json.Marshal(b.String())
		if got := appendString(nil, b.String()); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s want %s", b.String(), got, want)
		}
	}
}

// compatible says whether a JSON value of kind can be indexed into a field of type typ.
func compatible(kind, typ string) bool {
	switch typ {
	case "long":
		return kind == "number"
	case "text", "keyword", "date":
		return kind == "string"
	case "boolean":
		return kind == "bool"
	}
	return true
}

func kinds(prefix string, v any, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			kinds(p, e, out)
		}
	case []any:
		for _, e := range x {
			kinds(prefix, e, out)
		}
	case string:
		out[prefix] = "string"
	case json.Number:
		out[prefix] = "number"
	case bool:
		out[prefix] = "bool"
	}
}

// Every field a document carries that the mapping names has a type it can be indexed as (a
// mismatch would dead-letter the document), and the events documents too.
func TestDocumentsFitMappings(t *testing.T) {
	fields := Fields(TweetMapping(""))
	for _, line := range [][]byte{readFile(t, "testdata/logstash_full_tweet.json"),
		readFile(t, "testdata/logstash_full_retweet.json"), readFile(t, "testdata/v2_same_status.json"),
		readFile(t, "../tweet/testdata/logstash_reduced.json")} {
		got := map[string]string{}
		kinds("", decode(t, BuildTweet(fromLine(t, line), campaign(), &Claim{ID: 1, Code: "X"})), got)
		for path, kind := range got {
			if typ, ok := fields[path]; ok && !compatible(kind, typ) {
				t.Errorf("%s is a %s, mapped as %s", path, kind, typ)
			}
		}
	}
	ev := map[string]string{}
	kinds("", decode(t, Marshal(BuildEvent(&Event{AuditID: 1, At: time.Now(), Action: "given", Actor: "a",
		Campaign: "c", ClaimID: 2, ClaimCode: "C", Network: "twitter", Handle: "h", TweetID: "1", Prize: "p",
		PrizeName: "P", Staff: "s", VerifiedBy: "code", StockLeft: 4}))), ev)
	evFields := Fields(EventMapping())
	for path := range ev {
		if _, ok := evFields[path]; !ok {
			t.Errorf("event field %s is not mapped", path)
		}
	}
	for _, f := range []string{"id", "user.id", "retweeted_status.id", "retweet_count", "retweeted_status.retweet_count"} {
		if typ := fields[f]; typ != "long" {
			t.Errorf("%s is %q, want long (as Logstash's dynamic mapping has it)", f, typ)
		}
	}
	for _, f := range []string{"id_str", "user.screen_name", "entities.hashtags.text", "retweeted_status.id_str"} {
		if fields[f] != "text" || fields[f+".keyword"] != "keyword" {
			t.Errorf("%s is %q with .keyword %q, want text with a keyword subfield", f, fields[f], fields[f+".keyword"])
		}
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if fields["giveaway.eligible"] != "boolean" || fields["giveaway.matched_claim"] != "keyword" {
		t.Errorf("service fields: %v", keys)
	}
}

// The templates claim no index this service does not write: a Logstash pipeline's indexes (its
// default names and the twitter-* names the 2016 booth used) and Kibana's keep their own mappings.
func TestTemplatesClaimOnlyOurIndexes(t *testing.T) {
	foreign := []string{"twitter-2016.08.14", "twitter-pyconapac2016", "logstash-2016.08.14", "twitter",
		".kibana_8.19.0", "giveaway-tweets", "events-2016"}
	for _, tpl := range Templates("") {
		for _, p := range tpl.Patterns {
			if !strings.HasPrefix(p, "giveaway-") {
				t.Errorf("template %s pattern %q is not under this service's giveaway- prefix", tpl.Name, p)
			}
			for _, name := range foreign {
				if ok, _ := path.Match(p, name); ok {
					t.Errorf("template %s pattern %q claims %s", tpl.Name, p, name)
				}
			}
		}
	}
	if ok, _ := path.Match(Templates("")[0].Patterns[0], EventsIndex("pyconapac2016")); !ok {
		t.Error("the events template does not cover the events indexes")
	}
}

// logstashMapping is the mapping an index fed by Logstash has for documents like docs: its
// template (and Elasticsearch's default dynamic mapping) makes every string text with a .keyword
// subfield and every integer a long; @timestamp is a date and @version a keyword.
func logstashMapping(t *testing.T, docs ...[]byte) map[string]string {
	out := map[string]string{"@timestamp": "date", "@version": "keyword"}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, e)
			}
		case []any:
			for _, e := range x {
				walk(prefix, e)
			}
		case string:
			if _, ok := out[prefix]; !ok {
				out[prefix], out[prefix+".keyword"] = "text", "keyword"
			}
		case json.Number:
			if strings.ContainsAny(string(x), ".eE") {
				out[prefix] = "float"
			} else {
				out[prefix] = "long"
			}
		case bool:
			out[prefix] = "boolean"
		}
	}
	for _, d := range docs {
		walk("", decode(t, d))
	}
	return out
}

var kqlField = regexp.MustCompile(`([A-Za-z0-9_.@]+)\s*:`)

// Every field the Kibana saved objects use exists, with a type that can do what the panel asks
// of it, in every mapping its data view may meet: the tweets panels in both an index Logstash fed
// with full_tweet documents and the service's own, the giveaway panels in the events index.
func TestKibanaSavedObjectsReadEitherProducer(t *testing.T) {
	f, err := os.Open("../../deploy/kibana/dashboard.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type object struct {
		ID         string `json:"id"`
		Type       string `json:"type"`
		Attributes struct {
			Title         string `json:"title"`
			TimeFieldName string `json:"timeFieldName"`
			VisState      string `json:"visState"`
			PanelsJSON    string `json:"panelsJSON"`
			Meta          struct {
				SearchSourceJSON string `json:"searchSourceJSON"`
			} `json:"kibanaSavedObjectMeta"`
		} `json:"attributes"`
		References []struct {
			ID, Name, Type string
		} `json:"references"`
	}
	byID := map[string]object{}
	var order []object
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var o object
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("bad line: %v", err)
		}
		byID[o.Type+":"+o.ID] = o
		order = append(order, o)
	}
	logstash := logstashMapping(t, readFile(t, "testdata/logstash_full_tweet.json"),
		readFile(t, "testdata/logstash_full_retweet.json"))
	mappings := map[string]map[string]map[string]string{
		"twitter-*":         {"Logstash full_tweet": logstash, "giveaway": Fields(TweetMapping(""))},
		"giveaway-events-*": {"giveaway events": Fields(EventMapping())},
	}
	aggregatable := map[string]bool{"keyword": true, "long": true, "date": true, "boolean": true}
	panels, dashboards := 0, 0
	for _, o := range order {
		switch o.Type {
		case "index-pattern":
			ms, ok := mappings[o.Attributes.Title]
			if !ok {
				t.Fatalf("data view %q: no known mapping", o.Attributes.Title)
			}
			for name, m := range ms {
				if typ := m[o.Attributes.TimeFieldName]; typ != "date" {
					t.Errorf("%s in %s: time field %q is %q", o.ID, name, o.Attributes.TimeFieldName, typ)
				}
			}
		case "visualization":
			if len(o.References) != 1 {
				t.Fatalf("%s: references %v", o.ID, o.References)
			}
			view, ok := byID["index-pattern:"+o.References[0].ID]
			if !ok {
				t.Fatalf("%s: data view %s not in the file", o.ID, o.References[0].ID)
			}
			var vs struct {
				Aggs []struct {
					Type   string
					Params map[string]any
				}
			}
			if err := json.Unmarshal([]byte(o.Attributes.VisState), &vs); err != nil {
				t.Fatalf("%s: visState: %v", o.ID, err)
			}
			var ss struct {
				Query struct{ Query string }
			}
			if err := json.Unmarshal([]byte(o.Attributes.Meta.SearchSourceJSON), &ss); err != nil {
				t.Fatalf("%s: searchSourceJSON: %v", o.ID, err)
			}
			for name, fields := range mappings[view.Attributes.Title] {
				for _, a := range vs.Aggs {
					for _, param := range []string{"field", "sortField"} {
						field, _ := a.Params[param].(string)
						if field == "" {
							continue
						}
						typ, ok := fields[field]
						if !ok {
							t.Errorf("%s: %s aggregation on %s, not in %s", o.ID, a.Type, field, name)
						} else if !aggregatable[typ] {
							t.Errorf("%s: %s aggregation on %s, a %s field in %s", o.ID, a.Type, field, typ, name)
						}
					}
				}
				for _, m := range kqlField.FindAllStringSubmatch(ss.Query.Query, -1) {
					if _, ok := fields[m[1]]; !ok {
						t.Errorf("%s: query uses %s, not in %s", o.ID, m[1], name)
					}
				}
			}
			panels++
		case "dashboard":
			dashboards++
			for _, r := range o.References {
				if _, ok := byID[r.Type+":"+r.ID]; !ok {
					t.Errorf("dashboard references %s:%s, not in the file", r.Type, r.ID)
				}
			}
			var ps []map[string]any
			if err := json.Unmarshal([]byte(o.Attributes.PanelsJSON), &ps); err != nil || len(ps) != len(o.References) {
				t.Errorf("panelsJSON %d panels for %d references: %v", len(ps), len(o.References), err)
			}
		}
	}
	if panels != 8 || dashboards != 1 {
		t.Fatalf("%d panels, %d dashboards", panels, dashboards)
	}
	// The check can fail: the service's own fields are in no Logstash document.
	if _, ok := logstash["giveaway.hidden"]; ok {
		t.Fatal("the Logstash-style mapping has service fields")
	}
}

func BenchmarkBuildTweet(b *testing.B) {
	line, _ := os.ReadFile("testdata/logstash_full_retweet.json")
	it, _ := tweet.Parse(line)
	p := it.Post
	tw := &Tweet{Network: "twitter", ID: p.ID, Handle: p.Handle, CreatedAt: p.CreatedAt, Text: p.Text,
		Hashtags: p.Hashtags, HashtagsNorm: p.NormalizedHashtags(), RetweetOf: p.RetweetOf, RetweetOfCount: 3, Raw: p.Raw}
	for b.Loop() {
		BuildTweet(tw, campaign(), nil)
	}
}

// Whatever a post's raw JSON holds (ingest keeps it as sent), its document is valid JSON with the
// full field set and the service's fields, and building it never panics.
func FuzzBuildTweet(f *testing.F) {
	for _, name := range []string{"testdata/logstash_full_tweet.json", "testdata/logstash_full_retweet.json",
		"testdata/v2_same_status.json", "../tweet/testdata/logstash_reduced.json", "../tweet/testdata/v2_retweet.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"data":{"id":"1","entities":{"hashtags":"x"},"referenced_tweets":[{"type":"retweeted","id":"2"}]},"includes":{"tweets":[7,{"id":"2","geo":5}]}}`))
	f.Add([]byte(`{"id_str":"1","user":{"screen_name":5},"entities":[],"retweeted_status":"x","retweet_count":"9"}`))
	f.Add([]byte(`{"message":5,"user":"a","hashtags":{},"urls":[1],"in-reply-to":{"a":1}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		tw := sampleTweet()
		tw.Raw, tw.RetweetOf, tw.RetweetOfCount = raw, "2", 3
		b := BuildTweet(tw, campaign(), &Claim{ID: 1, Code: "ABC234"})
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("invalid document %s: %v", b, err)
		}
		for _, k := range append(FullTweetFields, ServiceField) {
			if _, ok := doc[k]; !ok {
				t.Fatalf("no %s in %s", k, b)
			}
		}
	})
}

// A stored row whose raw JSON is gone (purged, or the feed bench's rows): the document from
// PostgreSQL's fields alone.
func BenchmarkBuildTweetFromRow(b *testing.B) {
	tw := &Tweet{Network: "twitter", ID: "760000000000000001", AuthorID: "1", Handle: "attendee1",
		CreatedAt: time.Date(2016, 8, 13, 1, 0, 0, 0, time.UTC), Text: "부스에서 #PyConAPAC #Elastic #스마트스터디 1",
		Lang: "ko", Hashtags: []string{"PyConAPAC", "Elastic", "스마트스터디"},
		HashtagsNorm: []string{"pyconapac", "elastic", "스마트스터디"}, RetweetOfCount: -1, RetweetCount: 1,
		Raw: json.RawMessage("null")}
	for b.Loop() {
		BuildTweet(tw, campaign(), nil)
	}
}

// A post with nothing to overlay is encoded straight from its row (plain.go); it must be the very
// bytes the general build (maps, overlay, sorted encoding) writes, for every shape of row.
func TestPlainDocumentMatchesTheGeneralBuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 1))
	pick := func(vs ...string) string { return vs[rng.IntN(len(vs))] }
	seoul, _ := time.LoadLocation("Asia/Seoul")
	n := 0
	for i := range 3000 {
		tw := &Tweet{
			Network:         pick("twitter", "", "mastodon", "bluesky"),
			ID:              pick("1186275104237256704", "007", "0", "https://example.social/@a/1", "12345678901234567890", ""),
			AuthorID:        pick("", "783214", "did:plc:abc", "0"),
			Handle:          pick("PyConKR", "", "a<b>&\"c\"@example.social", "스마트스터디"),
			CreatedAt:       time.Date(2016, 8, 13, 1, 2, 3, rng.IntN(1e9), pick2(rng, time.UTC, seoul)),
			Text:            pick("파이콘 APAC <3 & \"Elastic\" #PyConAPAC\n\t\u2028", "", "bad \xff utf8 \x01", "plain"),
			Lang:            pick("", "ko", "en"),
			RetweetOf:       pick("", "", "1186275104237256000", "x1"),
			RetweetOfHandle: pick("", "kimjmin", "<script>"),
			RetweetOfCount:  int64(rng.IntN(4) - 1),
			QuoteOf:         pick("", "", "1186275104237256001", "q&1"),
			ReplyTo:         pick("", "1186275104237256002", "r<1>"),
			RetweetCount:    int64(rng.IntN(20)),
			QuoteCount:      int64(rng.IntN(3)),
			Raw:             json.RawMessage(pick("", "null", " null", "[1]", `"x"`)),
		}
		if rng.IntN(2) == 0 {
			tw.Hashtags = []string{pick("PyConAPAC", "엘라스틱", "a\"b"), pick("Elastic", "<x>")}
			tw.HashtagsNorm = []string{"pyconapac", "elastic"}
		}
		if i%7 == 0 {
			tw.Raw = json.RawMessage(`{"id_str":"1","text":"overlaid"}`) // not plain: the general build
			if tw.Network == "" || tw.Network == "twitter" {
				if plain(tw) {
					t.Fatalf("a v1.1 raw status counted as plain: %+v", tw)
				}
				continue
			}
		}
		if !plain(tw) {
			t.Fatalf("not plain: %+v", tw)
		}
		var claim *Claim
		if rng.IntN(3) == 0 {
			claim = &Claim{ID: int64(rng.IntN(1000)), Code: pick("ABC234", "<&>"), VerifiedBy: pick("", "code")}
		}
		hidden := rng.IntN(2) == 0
		c := campaign()
		general := fullStatus(tw)
		g := ServiceFields(tw, c, claim)
		g.Hidden = hidden
		general[ServiceField] = json.RawMessage(g.appendJSON(nil))
		want := general.encode()
		got := NewDocument(tw).For(c, claim, hidden)
		if !bytes.Equal(got, want) {
			t.Fatalf("row %+v\nplain:   %s\ngeneral: %s", tw, got, want)
		}
		n++
	}
	if n < 2000 {
		t.Fatalf("only %d plain rows compared", n)
	}
}

func pick2(rng *rand.Rand, a, b *time.Location) *time.Location {
	if rng.IntN(2) == 0 {
		return a
	}
	return b
}
