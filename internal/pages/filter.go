package pages

import (
	_ "embed"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

//go:embed blocklist.txt
var defaultBlocklist string

// filter is the automatic wall's moderation: a blocklist and a test for posts that are nothing
// but hashtags, mentions and links.
type filter struct {
	words   map[string]bool // whole-word entries (Latin script)
	phrases []string        // entries matched anywhere (Hangul and other scripts without spaces)
}

func newFilter(list string) *filter {
	f := &filter{words: map[string]bool{}}
	for _, line := range strings.Split(list, "\n") {
		w := fold(line)
		if w == "" || strings.HasPrefix(w, "#") {
			continue
		}
		if isASCII(w) {
			f.words[w] = true
		} else {
			f.phrases = append(f.phrases, w)
		}
	}
	return f
}

func fold(s string) string { return strings.ToLower(strings.TrimSpace(norm.NFKC.String(s))) }

func isASCII(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII {
			return false
		}
	}
	return true
}

// allowed reports whether an automatic wall may show the text.
func (f *filter) allowed(text string) bool {
	t := fold(text)
	for _, p := range f.phrases {
		if strings.Contains(t, p) {
			return false
		}
	}
	content := false
	for _, field := range strings.Fields(t) {
		switch {
		case strings.HasPrefix(field, "#"), strings.HasPrefix(field, "@"),
			strings.HasPrefix(field, "http://"), strings.HasPrefix(field, "https://"):
			// tags, mentions and links say nothing by themselves; hashtags can still be rude
			if f.hasWord(strings.TrimLeft(field, "#@")) {
				return false
			}
			continue
		}
		if f.hasWord(field) {
			return false
		}
		if strings.IndexFunc(field, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0 {
			content = true
		}
	}
	return content
}

// hasWord looks for a blocked word among the letter runs of a field ("shit!!" and "oh,shit").
func (f *filter) hasWord(field string) bool {
	for _, w := range strings.FieldsFunc(field, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }) {
		if f.words[w] {
			return true
		}
	}
	return false
}
