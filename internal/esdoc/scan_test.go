package esdoc

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// scanObject reads an object exactly as json.Unmarshal into map[string]json.RawMessage does:
// the same members with the same encoded values, and nil for whatever encoding/json refuses.
func FuzzScanObject(f *testing.F) {
	for _, name := range []string{"testdata/logstash_full_tweet.json", "testdata/logstash_full_retweet.json",
		"testdata/v2_same_status.json", "../tweet/testdata/logstash_reduced.json", "../tweet/testdata/v2_retweet.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{`{}`, ` { } `, `{"a":1,"a":2}`, `{"a\u0062":[1,{"c":null}],"\ud800":"x"}`,
		"{\"\xff\":1}", `{"a":-0.5e+3}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":-}`,
		`{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"\x01\"}", `{"a":tru}`, `{"a":1,}`, `{"a" 1}`, `{"a":1}x`,
		`[1]`, `"s"`, `{"a":[1,]}`, `{"a":{"b":1,}}`, `{"a":[}`, ``, `{`, `{"a":"\/\b\f\n\r\t\"\\"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var want map[string]json.RawMessage
		err := json.Unmarshal(raw, &want)
		got := scanObject(raw)
		if err != nil || want == nil {
			if got != nil {
				t.Fatalf("%q: encoding/json says %v, scanObject read %v", raw, err, got)
			}
			return
		}
		if got == nil {
			t.Fatalf("%q: scanObject refused what encoding/json reads", raw)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d members, want %d", raw, len(got), len(want))
		}
		for k, v := range want {
			if !bytes.Equal(got.raw(k), v) {
				t.Fatalf("%q: member %q is %s, want %s", raw, k, got.raw(k), v)
			}
		}
	})
}

// The service's fields are written by hand; they read exactly as encoding/json writes them.
func TestGiveawayEncodesAsEncodingJSON(t *testing.T) {
	for _, g := range []Giveaway{
		{},
		{Campaign: "c1", Network: "twitter", HashtagsNormalized: []string{}, Eligible: true},
		{Campaign: "<b>&\"", Network: "bluesky", HashtagsNormalized: []string{"pyconapac", "스마트스터디", "a\u2028\x01\xff"},
			IsRetweet: true, Matched: true, MatchedClaim: "ABC234", MatchedClaimID: "12", Proof: "code", Hidden: true},
	} {
		want, err := json.Marshal(g)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.appendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("%+v:\n got %s\nwant %s", g, got, want)
		}
	}
}
