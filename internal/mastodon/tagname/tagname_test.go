package tagname

import "testing"

// The first cases are the examples of Mastodon's own normalizer spec
// (spec/lib/hashtag_normalizer_spec.rb); the rest are what a booth meets.
func TestNameIsMastodons(t *testing.T) {
	for in, want := range map[string]string{
		"Ｓｙｎｔｈｗａｖｅ":    "synthwave",
		"ｼｰｻｲﾄﾞﾗｲﾅｰ":   "シーサイドライナー",
		"BLÅHAJ":       "blahaj",
		"#foo":         "foo",
		"a·b":          "a·b",
		"PyConEspaña":  "pyconespana",
		"#PyConEspaña": "pyconespana",
		"PyConEspana":  "pyconespana",
		"ＰｙＣｏｎＥｓｐａñａ":  "pyconespana",
		"PyConAPAC":    "pyconapac",
		"＃ＥＬＡＳＴＩＣ":     "elastic",
		"스마트스터디":       "스마트스터디",
		"파이콘한국2026":    "파이콘한국2026",
		"Straße":       "straße", // lower case, not case folding: Mastodon keeps ß
		"Ærø":          "æro",    // Æ is not in Mastodon's folding table, ø is
		"Ünïcödé":      "unicode",
		"déjà_vu":      "deja_vu",
		"ありがとう":        "ありがとう",
		"a-b":          "ab",
		"":             "",
	} {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}
