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
