package tweet

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"unicode/utf8"
)

// sameAsByShape fails when the one-pass Parse and the shape-by-shape decode (what Parse did for
// every line before) disagree on a line: the item, whether it is refused, and whether it is a
// stream error.
func sameAsByShape(t *testing.T, line []byte) {
	t.Helper()
	got, gotErr := Parse(line)
	if !utf8.Valid(line) || hasNUL(line) {
		if gotErr == nil {
			t.Fatalf("%q: accepted", line)
		}
		return // refused before either decode
	}
	want, wantErr := parseByShape(line)
	if (gotErr == nil) != (wantErr == nil) || errors.Is(gotErr, ErrStreamError) != errors.Is(wantErr, ErrStreamError) {
		t.Fatalf("%s\none pass: %v\nby shape: %v", line, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s\none pass: %+v %+v\nby shape: %+v %+v", line, got.Post, got.Delete, want.Post, want.Delete)
	}
}

// variations returns the line with each top-level key dropped, given other values, repeated
// with another value after it, and spelled in capitals: the edits that tell the one-pass decode
// (one struct for every shape) from the shape-by-shape one.
func variations(line []byte) [][]byte {
	var top map[string]json.RawMessage
	if json.Unmarshal(line, &top) != nil {
		return nil
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	values := []string{`null`, `""`, `"x"`, `0`, `12345`, `1.5`, `true`, `{}`, `[]`, `["x"]`, `{"text":"t"}`,
		`{"screen_name":"a","id_str":"7"}`, `[{"text":"a"},"b",null]`, `"Tue Mar 01 00:00:00 +0000 2011"`}
	encode := func(m map[string]json.RawMessage, extra string) []byte {
		b, _ := json.Marshal(m)
		if extra != "" {
			b = append(b[:len(b)-1], ","+extra+"}"...)
		}
		return b
	}
	var out [][]byte
	for _, k := range keys {
		m := maps(top)
		delete(m, k)
		out = append(out, encode(m, ""))
		kj, _ := json.Marshal(k)
		for _, v := range values {
			m := maps(top)
			m[k] = json.RawMessage(v)
			out = append(out, encode(m, ""))
			out = append(out, encode(top, string(kj)+":"+v))                                                                                                                    // repeated, the new value last
			out = append(out, encode(map[string]json.RawMessage{k: json.RawMessage(v)}, string(bytes.TrimSuffix(bytes.TrimPrefix(encode(top, ""), []byte("{")), []byte("}"))))) // the new value first
		}
		m = maps(top)
		m[string(bytes.ToUpper([]byte(k)))] = m[k]
		delete(m, k)
		out = append(out, encode(m, ""))
	}
	return out
}

func maps(m map[string]json.RawMessage) map[string]json.RawMessage {
	c := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func TestOnePassMatchesByShape(t *testing.T) {
	rnd := rand.New(rand.NewPCG(16, 16))
	n := 0
	for _, line := range fixtureLines(t) {
		sameAsByShape(t, line)
		for _, v := range variations(line) {
			sameAsByShape(t, v)
			n++
			// and, for one in twenty, a second edit on top of the first, for pairs of keys
			if rnd.IntN(20) > 0 {
				continue
			}
			if more := variations(v); len(more) > 0 {
				sameAsByShape(t, more[rnd.IntN(len(more))])
				n++
			}
		}
	}
	if n < 1000 {
		t.Fatalf("only %d variations", n)
	}
}

func FuzzOnePassMatchesByShape(f *testing.F) {
	for _, line := range fixtureLines(f) {
		f.Add(line)
	}
	f.Add([]byte(`{"id_str":"1","user":"a","user":{"screen_name":"b"},"created_at":"Tue Mar 01 00:00:00 +0000 2011"}`))
	f.Add([]byte(`{"data":{"id":"1","text":"#a"},"data":{"id":"2"},"includes":{"users":[]}}`))
	f.Fuzz(func(t *testing.T, line []byte) { sameAsByShape(t, line) })
}

// oldHashtagEntity is how hashtag entities were read before UnmarshalJSON scanned the bytes
// itself: a nested json.Unmarshal into a struct.
func oldHashtagEntity(b []byte) (hashtagEntity, error) {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '"' {
		var s string
		err := json.Unmarshal(t, &s)
		return hashtagEntity(s), err
	}
	var o struct {
		Text string `json:"text"`
		Tag  string `json:"tag"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return "", err
	}
	if o.Tag != "" {
		return hashtagEntity(o.Tag), nil
	}
	return hashtagEntity(o.Text), nil
}

func TestHashtagEntityMatchesStructDecode(t *testing.T) {
	for _, s := range []string{
		`"PyConAPAC"`, `"#Elastic"`, `"\u0023tag"`, `null`, `{}`, `{"text":"a"}`, `{"tag":"b"}`, `{"text":"a","tag":"b"}`,
		`{"text":"a","tag":""}`, `{"TEXT":"a"}`, `{"Tag":"b","text":"a"}`, `{"t\u0065xt":"esc"}`, `{"text":"a","text":"c"}`,
		`{"text":"a","text":null}`, `{"text":null}`, `{"text":5}`, `{"tag":true}`, `{"text":["a"]}`, `{"text":{"x":1}}`,
		`{"indices":[0,10],"text":"파이콘"}`, `{ "indices" : [ 0 , 10 ] , "text" : "a\"b" , "x":{"y":["}"]} }`,
		`{"text":"a\\","tag":"q\u00e9"}`, `5`, `true`, `[]`, `["a"]`, `{"x":"}","text":"ok"}`, `{"x":-1.5e3,"text":"n"}`,
	} {
		want, wantErr := oldHashtagEntity([]byte(s))
		var got hashtagEntity
		gotErr := json.Unmarshal([]byte(s), &got)
		if (gotErr == nil) != (wantErr == nil) || got != want && wantErr == nil {
			t.Errorf("%s: got %q, %v; want %q, %v", s, got, gotErr, want, wantErr)
		}
	}
}

func FuzzHashtagEntity(f *testing.F) {
	f.Add(`{"indices":[0,10],"text":"PyConAPAC"}`)
	f.Add(`"tag"`)
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) || !utf8.ValidString(s) { // Parse refuses invalid UTF-8 first
			return
		}
		want, wantErr := oldHashtagEntity([]byte(s))
		var got hashtagEntity
		gotErr := json.Unmarshal([]byte(s), &got)
		if (gotErr == nil) != (wantErr == nil) || got != want && wantErr == nil {
			t.Fatalf("%s: got %q, %v; want %q, %v", s, got, gotErr, want, wantErr)
		}
	})
}

// BenchmarkParse compares the one-pass decode with the shape-by-shape one on each fixture
// (speed is judged here and in `make bench`, never asserted).
func BenchmarkParse(b *testing.B) {
	for _, name := range []string{"v1_status", "v1_extended", "v2_stream", "logstash_reduced"} {
		line, err := os.ReadFile(filepath.Join("testdata", name+".json"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/one_pass", func(b *testing.B) {
			for b.Loop() {
				Parse(line)
			}
		})
		b.Run(name+"/by_shape", func(b *testing.B) {
			for b.Loop() {
				parseByShape(line)
			}
		})
	}
}

// plainUser is v1User without its UnmarshalJSON: how encoding/json read it before.
type plainUser struct {
	ID         flexID `json:"id"`
	IDStr      string `json:"id_str"`
	ScreenName string `json:"screen_name"`
	CreatedAt  string `json:"created_at"`
}

func sameUser(t *testing.T, s string) {
	t.Helper()
	var want plainUser
	wantErr := json.Unmarshal([]byte(s), &want)
	var got v1User
	gotErr := json.Unmarshal([]byte(s), &got)
	if (gotErr == nil) != (wantErr == nil) || wantErr == nil && plainUser(got) != want {
		t.Fatalf("%s: got %+v, %v; want %+v, %v", s, got, gotErr, want, wantErr)
	}
}

func TestV1UserMatchesStructDecode(t *testing.T) {
	for _, s := range []string{
		`{}`, `null`, `{"id":1,"id_str":"1","screen_name":"kimjmin","created_at":"Tue Mar 01 00:00:00 +0000 2011"}`,
		`{"ID":"2","Screen_Name":"a","screen_name":"b"}`, `{"screen_name":null}`, `{"screen_name":5}`,
		`{"id":true}`, `{"id":{"a":1}}`, `{"id":null,"id_str":null}`, `{"entities":{"url":{"urls":[{"x":"]}"}]}},"screen_name":"c"}`,
		`{"screen_name":"d\u00e9\"x"}`, `"kimjmin"`, `5`, `[]`, `{"followers_count":-1.5e3,"screen_name":"e"}`,
	} {
		sameUser(t, s)
	}
}

func FuzzV1User(f *testing.F) {
	f.Add(`{"id":1,"id_str":"1","screen_name":"kimjmin","created_at":"Tue Mar 01 00:00:00 +0000 2011"}`)
	f.Fuzz(func(t *testing.T, s string) {
		if json.Valid([]byte(s)) && utf8.ValidString(s) {
			sameUser(t, s)
		}
	})
}

// TestNormalizeASCIIMatchesFull: the ASCII shortcut in Normalize gives what the full NFKC and
// folding path gives, over every printable and control character and random tags of them.
func TestNormalizeASCIIMatchesFull(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 7))
	cases := []string{"", "#", "##PyConAPAC", " #Elastic ", "＃", "\t#a\v", "#_", "A#B", "# #x", "\x00#K", "\x85"}
	for c := 0; c < 128; c++ {
		cases = append(cases, string(rune(c)), "#"+string(rune(c))+"Tag"+string(rune(c)))
	}
	for range 20000 {
		b := make([]byte, rnd.IntN(12))
		for i := range b {
			b[i] = byte(rnd.IntN(128))
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		if !isASCII(s) {
			continue
		}
		if got, want := Normalize(s), normalizeFull(s); got != want {
			t.Fatalf("Normalize(%q) = %q, the full path gives %q", s, got, want)
		}
	}
}
