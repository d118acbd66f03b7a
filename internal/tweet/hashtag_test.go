package tweet

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestExtractHashtags(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"two tags", "Visiting the booth #PyConAPAC #Elastic", []string{"PyConAPAC", "Elastic"}},
		{"full-width sign and letters", "＃ＰｙＣｏｎＡＰＡＣ に来ました", []string{"ＰｙＣｏｎＡＰＡＣ"}},
		{"Korean", "오늘 #스마트스터디 부스", []string{"스마트스터디"}},
		{"Japanese", "#パイコン 楽しい", []string{"パイコン"}},
		{"mixed scripts", "#PyCon한국 2016", []string{"PyCon한국"}},
		{"all digits is not a tag", "On the #123 bus", nil},
		{"letter then digits", "#a123", []string{"a123"}},
		{"digits then letters", "#1hashtag", []string{"1hashtag"}},
		{"no letter at all", "#_ #1_2 #122 #〃", nil},
		{"URL fragment with scheme", "see https://x.com/#frag", nil},
		{"URL fragment without scheme", "see example.com/#frag and twitter.com/#hashtag", nil},
		{"URL glued to CJK text", "日本語twitter.com/#tag", nil},
		{"slash that is not a URL", "either/#tag", []string{"tag"}},
		{"URL ends at emoji", "https://a.com🎉#tag", []string{"tag"}},
		{"URL ends at space", "https://a.com/ #tag", []string{"tag"}},
		{"hash sign followed by URL", "#http://twitter.com #https://twitter.com", nil},
		{"hash inside a word", "foo#bar", nil},
		{"hash after CJK letter", "日本語ハッシュタグ#日本語ハッシュタグ", nil},
		{"after an ampersand", "&#tag", nil},
		{"trailing punctuation excluded", "#tag. #other!", []string{"tag", "other"}},
		{"Japanese full stop", "#日本語ハッシュタグ。", []string{"日本語ハッシュタグ"}},
		{"tag followed by hash drops both", "#tag#other", nil},
		{"followed by full-width hash", "#tag＃other", nil},
		{"double hash", "##tag", []string{"tag"}},
		{"followed by scheme separator", "#http://twitter.com", nil},
		{"emoji next to tags", "🎉#PyConAPAC🎉 #Elastic❤️ #파이콘👍", []string{"PyConAPAC", "Elastic", "파이콘"}},
		{"after emoji presentation selector", "❤️#Elastic", []string{"Elastic"}},
		{"keycap is not a tag", "#️⃣ #\u20e3abc", nil},
		{"repeat kept once", "#Elastic and #Elastic again", []string{"Elastic"}},
		{"repeat after normalization", "#Elastic #ELASTIC ＃ｅｌａｓｔｉｃ", []string{"Elastic"}},
		{"brackets and quotes", "(#one) [#two] ’#three’", []string{"one", "two", "three"}},
		{"after punctuation", ":#a ;#b ,#c .#d !#e ?#f", []string{"a", "b", "c", "d", "e", "f"}},
		{"newlines", "#one\ntext\n#two\n", []string{"one", "two"}},
		{"underscore inside", "#Py_Con_2016", []string{"Py_Con_2016"}},
		{"Persian with ZWNJ", "#میخواهم", []string{"میخواهم"}},
		{"Hebrew with gershayim", "#מ״כ", []string{"מ״כ"}},
		{"Catalan middle dot", "#il·lusió", []string{"il·lusió"}},
		{"Hindi digits only is not a tag", "#महात्मा_१२३४ #१२३४", []string{"महात्मा_१२३४"}},
		{"wave dash", "#メ〜テレ", []string{"メ〜テレ"}},
		{"astral letter", "#\U00020021", []string{"\U00020021"}},
		{"hyphen ends tag", "#pycon-apac", []string{"pycon"}},
		{"lone hash signs", "# ＃ #", nil},
		{"empty", "", nil},
		{"invalid UTF-8 stops a tag", "#ab\xffcd", []string{"ab"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExtractHashtags(tt.text); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ExtractHashtags(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Elastic", "elastic"},
		{"#Elastic", "elastic"},
		{"ELASTIC", "elastic"},
		{"＃ＥＬＡＳＴＩＣ", "elastic"},
		{"ＰｙＣｏｎＡＰＡＣ", "pyconapac"},
		{"스마트스터디", "스마트스터디"},
		{"パイコン", "パイコン"},
		{"ﾊﾟｲｺﾝ", "パイコン"}, // half-width katakana composes under NFKC
		{"PyCon한국", "pycon한국"},
		{"Straße", "strasse"},
		{"ꮭᏸ", "Ꮭ\u13f0"}, // Cherokee folds to capitals (golang/go#46101 flips them)
		{"Ꮭ\u13f0", "Ꮭ\u13f0"},
		{"  #elastic ", "elastic"},
		{"# #elastic", "elastic"},
		{"", ""},
		{"#", ""},
	}
	for _, tt := range tests {
		got := Normalize(tt.in)
		if got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if again := Normalize(got); again != got {
			t.Errorf("Normalize not idempotent on %q: %q then %q", tt.in, got, again)
		}
	}
}

func TestHasAll(t *testing.T) {
	required := []string{"PyConAPAC", "#Elastic"}
	tests := []struct {
		name     string
		have     []string
		required []string
		want     bool
	}{
		{"exact", []string{"PyConAPAC", "Elastic"}, required, true},
		{"case and width differ", []string{"pyconapac", "ＥＬＡＳＴＩＣ"}, required, true},
		{"extra tags are fine", []string{"파이콘", "Elastic", "PyConAPAC"}, required, true},
		{"one missing", []string{"PyConAPAC"}, required, false},
		{"none", nil, required, false},
		{"nothing required", nil, nil, true},
		{"empty required tag ignored", []string{"Elastic"}, []string{"#", "elastic"}, true},
		{"Korean", []string{"스마트스터디"}, []string{"#스마트스터디"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HasAll(tt.have, tt.required); got != tt.want {
				t.Errorf("HasAll(%q, %q) = %v, want %v", tt.have, tt.required, got, tt.want)
			}
		})
	}
}

func TestPostNormalizedHashtags(t *testing.T) {
	p := &Post{Hashtags: []string{"PyConAPAC", "ＰｙＣｏｎＡＰＡＣ", "Elastic", "파이콘"}}
	want := []string{"pyconapac", "elastic", "파이콘"}
	if got := p.NormalizedHashtags(); !reflect.DeepEqual(got, want) {
		t.Errorf("NormalizedHashtags() = %q, want %q", got, want)
	}
}

func TestIsOwnPost(t *testing.T) {
	tests := []struct {
		name string
		p    Post
		want bool
	}{
		{"original", Post{}, true},
		{"quote", Post{QuoteOf: "1"}, true},
		{"reply", Post{ReplyTo: "1"}, true},
		{"retweet with id", Post{Retweet: true, RetweetOf: "1"}, false},
		{"retweet id only", Post{RetweetOf: "1"}, false},
		{"retweet without id", Post{Retweet: true, RetweetOfHandle: "x"}, false},
	}
	for _, tt := range tests {
		if got := tt.p.IsOwnPost(); got != tt.want {
			t.Errorf("%s: IsOwnPost() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// A long line of URL-looking hashtags must not take quadratic time (ingest accepts big lines).
func TestExtractHashtagsLinear(t *testing.T) {
	text := "https://example.com" + strings.Repeat("/#a", 200_000)
	start := time.Now()
	if got := ExtractHashtags(text); got != nil {
		t.Errorf("got %d tags inside a URL", len(got))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if got := ExtractHashtags(strings.Repeat("a/#b ", 200_000)); !reflect.DeepEqual(got, []string{"b"}) {
		t.Errorf("got %q", got)
	}
}
