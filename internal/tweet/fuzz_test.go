package tweet

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixtureLines returns every testdata/*.json fixture, the fuzzers' seed corpus.
func fixtureLines(f testing.TB) [][]byte {
	f.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	var lines [][]byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		lines = append(lines, b)
	}
	return lines
}

func FuzzParse(f *testing.F) {
	for _, line := range fixtureLines(f) {
		f.Add(line)
	}
	for _, s := range []string{"", "{}", "null", "[]", `{"errors":[{"title":"operational-disconnect"}]}`,
		`{"delete":{"id_str":"1"}}`, `{"id":1e400,"user":{}}`, `{"data":{"id":"1","author_id":"1"},"includes":{"users":[{"id":"1","username":"a"}]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		item, err := Parse(line)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			if item.Post != nil || item.Delete != nil {
				t.Fatalf("error %v came with an item", err)
			}
			return
		}
		if (item.Post == nil) == (item.Delete == nil) {
			t.Fatalf("want exactly one of Post and Delete: %+v", item)
		}
		if d := item.Delete; d != nil {
			if d.Network != "twitter" || !validID(d.ID) {
				t.Fatalf("bad delete %+v", d)
			}
			return
		}
		p := item.Post
		if p.Network != "twitter" || !validID(p.ID) || !validID(p.VersionID) || p.Handle == "" {
			t.Fatalf("post without network, ids or handle: %+v", p)
		}
		if p.CreatedAt.IsZero() || p.CreatedAt.Location() != time.UTC {
			t.Fatalf("CreatedAt %v is not a UTC time", p.CreatedAt)
		}
		if !bytes.Equal(p.Raw, line) {
			t.Fatal("Raw differs from the line")
		}
		if p.RetweetOf != "" && p.IsOwnPost() {
			t.Fatal("a retweet counts as an own post")
		}
		seen := map[string]bool{}
		for _, h := range p.Hashtags {
			n := Normalize(h)
			if n == "" || seen[n] {
				t.Fatalf("empty or repeated hashtag %q in %q", h, p.Hashtags)
			}
			seen[n] = true
		}
		if !HasAll(p.Hashtags, p.NormalizedHashtags()) {
			t.Fatalf("a post lacks its own normalized hashtags %q", p.Hashtags)
		}
	})
}

func FuzzExtractHashtags(f *testing.F) {
	for _, s := range []string{
		"#PyConAPAC #Elastic", "＃ＰｙＣｏｎＡＰＡＣ", "#스마트스터디", "#パイコン", "#PyCon한국", "#123", "#a123",
		"https://x.com/#frag", "foo#bar", "#tag.", "#tag#other", "🎉#PyConAPAC🎉 #Elastic❤️", "#Elastic #Elastic",
		"#️⃣", "❤️#tag", "&#tag", "#il·lusió", "#ab\xffcd", "ß #ǅ #ﬀ #ᾈ",
	} {
		f.Add(s)
	}
	for _, line := range fixtureLines(f) {
		f.Add(string(line))
	}
	f.Fuzz(func(t *testing.T, text string) {
		if n := Normalize(text); Normalize(n) != n {
			t.Fatalf("Normalize not idempotent on the text: %q -> %q -> %q", text, n, Normalize(n))
		}
		seen := map[string]bool{}
		for _, tag := range ExtractHashtags(text) {
			if tag == "" {
				t.Fatal("empty hashtag")
			}
			if !strings.Contains(text, tag) {
				t.Fatalf("hashtag %q is not in the text", tag)
			}
			if !strings.ContainsFunc(tag, isHashtagAlpha) {
				t.Fatalf("hashtag %q has no letter or mark (all digits?)", tag)
			}
			if strings.ContainsFunc(tag, func(r rune) bool { return !isHashtagChar(r) }) {
				t.Fatalf("hashtag %q holds a character hashtags cannot", tag)
			}
			n := Normalize(tag)
			if Normalize(n) != n {
				t.Fatalf("Normalize not idempotent: %q -> %q -> %q", tag, n, Normalize(n))
			}
			if seen[n] {
				t.Fatalf("hashtag %q repeated", tag)
			}
			seen[n] = true
		}
	})
}
