package esdoc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

func sampleTweet() *Tweet {
	return &Tweet{
		Network: "twitter", ID: "1186275104237256704", AuthorID: "783214", Handle: "PyConKR",
		CreatedAt: time.Date(2016, 8, 13, 1, 2, 3, 0, time.UTC), Text: "파이콘 APAC <3 & \"Elastic\" #PyConAPAC\n\t\u2028",
		Lang: "ko", Hashtags: []string{"PyConAPAC", "Elastic"}, HashtagsNorm: []string{"pyconapac", "elastic"},
		RetweetCount: 3, RetweetOfCount: -1, ReplyTo: "1186275104237256000",
	}
}

func campaign() *Campaign {
	return &Campaign{Slug: "pyconapac2016", RequiredHashtags: []string{"pyconapac", "elastic"},
		StartsAt: time.Date(2016, 8, 13, 0, 0, 0, 0, time.UTC), EndsAt: time.Date(2016, 8, 16, 0, 0, 0, 0, time.UTC),
		TweetsIndex: "twitter-pyconapac2016"}
}

func TestBuildTweetKeepsV11Names(t *testing.T) {
	tw := sampleTweet()
	doc := BuildTweet(tw, campaign(), &Claim{ID: 7, Code: "ABC234"})
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(Marshal(doc)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	get := func(path string) any {
		var v any = m
		for _, p := range strings.Split(path, ".") {
			v = v.(map[string]any)[p]
		}
		return v
	}
	for path, want := range map[string]any{
		"@timestamp": "2016-08-13T01:02:03Z", "id_str": "1186275104237256704",
		"created_at": "Sat Aug 13 01:02:03 +0000 2016", "user.screen_name": "PyConKR", "user.id_str": "783214",
		"lang": "ko", "in_reply_to_status_id_str": "1186275104237256000", "eligible": true, "matched": true,
		"matched_claim": "ABC234", "matched_claim_id": "7", "campaign": "pyconapac2016", "hidden": false,
		"network": "twitter", "is_retweet": false, "retweet_count": json.Number("3"),
	} {
		if got := get(path); got != want {
			t.Errorf("%s = %#v, want %#v", path, got, want)
		}
	}
	if h := get("entities.hashtags").([]any); len(h) != 2 || h[0].(map[string]any)["text"] != "PyConAPAC" {
		t.Errorf("entities.hashtags = %v", h)
	}

	rt := sampleTweet()
	rt.RetweetOf, rt.RetweetOfHandle, rt.RetweetOfCount = "99", "elastic", 12
	d := BuildTweet(rt, campaign(), nil)
	if d.Eligible || !d.IsRetweet || d.RetweetedStatus.IDStr != "99" || *d.RetweetedStatus.RetweetCount != 12 ||
		d.RetweetedStatus.User.ScreenName != "elastic" {
		t.Errorf("retweet doc %+v", d)
	}
	late := sampleTweet()
	late.CreatedAt = campaign().EndsAt
	if BuildTweet(late, campaign(), nil).Eligible {
		t.Error("a tweet at the window's end is eligible")
	}
	one := sampleTweet()
	one.HashtagsNorm = []string{"pyconapac"}
	if BuildTweet(one, campaign(), nil).Eligible || !campaign().Matches(one) {
		t.Error("a tweet with one of two tags: eligible, or not in the index")
	}
}

// The hand-written encoder writes exactly what encoding/json writes.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "한", "\"", "\\", "<", ">", "&", "\n", "\x01", "\u2028", "\u2029", "\xff", "😀", " ", "é"}
	str := func() string {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	for i := range 2000 {
		tw := &Tweet{Network: "twitter", ID: str(), AuthorID: str(), Handle: str(), Text: str(), Lang: str(),
			CreatedAt: time.Unix(int64(r.Uint32()), 0), RetweetCount: r.Int64N(1000) - 1, RetweetOfCount: -1,
			QuoteOf: str(), ReplyTo: str()}
		for range r.IntN(3) {
			tw.Hashtags = append(tw.Hashtags, str())
			tw.HashtagsNorm = append(tw.HashtagsNorm, str())
		}
		if i%3 == 0 {
			tw.RetweetOf, tw.RetweetOfHandle, tw.RetweetOfCount = str(), str(), r.Int64N(5)-1
		}
		var claim *Claim
		if i%5 == 0 {
			claim = &Claim{ID: r.Int64(), Code: str()}
		}
		d := BuildTweet(tw, campaign(), claim)
		want, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("doc %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// Every field the builders write is in the mapping (dynamic is false: an unmapped field would
// be stored but neither searchable nor aggregatable).
func TestDocumentsFitMappings(t *testing.T) {
	tw := sampleTweet()
	tw.RetweetOf, tw.RetweetOfHandle, tw.RetweetOfCount, tw.QuoteOf = "1", "x", 2, "3"
	check := func(name string, doc []byte, mapping map[string]any) {
		fields := Fields(mapping)
		paths, err := DocFields(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			if _, ok := fields[p]; !ok {
				t.Errorf("%s: field %s is not mapped", name, p)
			}
		}
	}
	check("tweet", Marshal(BuildTweet(tw, campaign(), &Claim{ID: 1, Code: "X"})), TweetMapping(""))
	check("event", Marshal(BuildEvent(&Event{AuditID: 1, At: time.Now(), Action: "given", Actor: "a", Campaign: "c",
		ClaimID: 2, ClaimCode: "C", Network: "twitter", Handle: "h", TweetID: "1", Prize: "p", PrizeName: "P",
		Staff: "s", VerifiedBy: "code"})), EventMapping())
	for _, f := range []string{"id_str", "user.id_str", "retweeted_status.id_str", "in_reply_to_status_id_str",
		"quoted_status_id_str", "matched_claim_id"} {
		if typ := Fields(TweetMapping(""))[f]; typ != "keyword" {
			t.Errorf("%s is %q: ids exceed 2^53 and must be keywords", f, typ)
		}
	}
	for _, tpl := range Templates("nori") {
		b, err := json.Marshal(tpl.Body)
		if err != nil || !bytes.Contains(b, []byte(`"version":2`)) {
			t.Fatalf("template %s: %s %v", tpl.Name, b, err)
		}
		if tpl.Name == "giveaway-tweets" && !bytes.Contains(b, []byte(`"analyzer":"nori"`)) {
			t.Errorf("analyzer not applied: %s", b)
		}
	}
}

var kqlField = regexp.MustCompile(`([A-Za-z0-9_.@]+)\s*:`)

// Every field the Kibana saved objects use exists in the mapping of the data view's indexes,
// with a type that can do what the panel asks of it.
func TestKibanaSavedObjectsUseMappedFields(t *testing.T) {
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
	templates := Templates("")
	mappingOf := func(title string) map[string]string {
		for _, tpl := range templates {
			for _, p := range tpl.Patterns {
				if p == title {
					return Fields(tpl.Body["template"].(map[string]any)["mappings"].(map[string]any))
				}
			}
		}
		t.Fatalf("data view %q matches no index template", title)
		return nil
	}
	aggregatable := map[string]bool{"keyword": true, "long": true, "date": true, "boolean": true}
	panels, dashboards := 0, 0
	for _, o := range order {
		switch o.Type {
		case "index-pattern":
			if typ := mappingOf(o.Attributes.Title)[o.Attributes.TimeFieldName]; typ != "date" {
				t.Errorf("%s: time field %q is %q", o.ID, o.Attributes.TimeFieldName, typ)
			}
		case "visualization":
			if len(o.References) != 1 {
				t.Fatalf("%s: references %v", o.ID, o.References)
			}
			view, ok := byID["index-pattern:"+o.References[0].ID]
			if !ok {
				t.Fatalf("%s: data view %s not in the file", o.ID, o.References[0].ID)
			}
			fields := mappingOf(view.Attributes.Title)
			var vs struct {
				Aggs []struct {
					Type   string
					Params map[string]any
				}
			}
			if err := json.Unmarshal([]byte(o.Attributes.VisState), &vs); err != nil {
				t.Fatalf("%s: visState: %v", o.ID, err)
			}
			for _, a := range vs.Aggs {
				field, _ := a.Params["field"].(string)
				if field == "" {
					continue
				}
				typ, ok := fields[field]
				if !ok {
					t.Errorf("%s: %s aggregation on unmapped field %s", o.ID, a.Type, field)
				} else if !aggregatable[typ] {
					t.Errorf("%s: %s aggregation on %s field %s", o.ID, a.Type, typ, field)
				}
			}
			var ss struct {
				Query struct{ Query string }
			}
			if err := json.Unmarshal([]byte(o.Attributes.Meta.SearchSourceJSON), &ss); err != nil {
				t.Fatalf("%s: searchSourceJSON: %v", o.ID, err)
			}
			for _, m := range kqlField.FindAllStringSubmatch(ss.Query.Query, -1) {
				if _, ok := fields[m[1]]; !ok {
					t.Errorf("%s: query uses unmapped field %s", o.ID, m[1])
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
	if panels != 5 || dashboards != 1 {
		t.Fatalf("%d panels, %d dashboards", panels, dashboards)
	}
}
