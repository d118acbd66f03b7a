package tweet

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// folder is safe for concurrent use (cases.Fold is stateless).
var folder = cases.Fold()

// Normalize is the form hashtags are compared in: NFKC (full-width "ＥＬＡＳＴＩＣ" becomes
// "ELASTIC"), then Unicode case folding, with leading '#'/'＃' and surrounding spaces removed.
// Korean, Japanese and other caseless scripts pass through unchanged.
//
// Normalize is idempotent, so callers may normalize twice without harm. Folding can undo NFKC
// for a few characters, so the two are repeated until nothing changes (in practice once or
// twice); invalid UTF-8 becomes U+FFFD up front so every pass sees the same text.
func Normalize(tag string) string {
	if isASCII(tag) {
		// NFKC leaves ASCII as it is and folding only lowers A-Z, so one pass is the answer.
		// Most tags are ASCII, and the full path cost most of a post's hashtag handling.
		s := strings.ToLower(tag)
		s = strings.TrimLeftFunc(s, func(r rune) bool { return r == '#' || unicode.IsSpace(r) })
		return strings.TrimRightFunc(s, unicode.IsSpace)
	}
	return normalizeFull(tag)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// normalizeFull is Normalize for any text.
func normalizeFull(tag string) string {
	s := strings.ToValidUTF8(tag, "\uFFFD")
	for range 4 {
		next := norm.NFKC.String(foldCherokee(folder.String(norm.NFKC.String(s)))) // NFKC also turns '＃' into '#'
		next = strings.TrimLeftFunc(next, func(r rune) bool { return r == '#' || unicode.IsSpace(r) })
		next = strings.TrimRightFunc(next, unicode.IsSpace)
		if next == s {
			break
		}
		s = next
	}
	return s
}

// foldCherokee repairs golang/go#46101: x/text's Fold turns Cherokee capitals into small
// letters and small letters into capitals, so folding twice flips a tag back. Unicode folds
// Cherokee to the capitals (they were encoded first), so small letters are mapped to those.
func foldCherokee(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 0xAB70 && r <= 0xABBF || r >= 0x13F8 && r <= 0x13FD {
			return unicode.ToUpper(r)
		}
		return r
	}, s)
}

// NormalizedHashtags returns the post's own hashtags in normalized form, without repeats, in
// the order they first appear.
func (p *Post) NormalizedHashtags() []string {
	return normalizeAll(p.Hashtags)
}

// IsOwnPost reports whether the post is the author's own words: anything but a plain retweet.
// A quote counts, with only its own hashtags, because Hashtags never holds the quoted post's.
func (p *Post) IsOwnPost() bool {
	return !p.Retweet && p.RetweetOf == ""
}

// HasAll reports whether have contains every tag in required, comparing both in normalized
// form. Required tags that normalize to nothing are ignored; with nothing required it is true
// (a campaign without required hashtags is a configuration question for the caller).
func HasAll(have []string, required []string) bool {
	set := make(map[string]bool, len(have))
	for _, h := range have {
		set[Normalize(h)] = true
	}
	for _, r := range required {
		if n := Normalize(r); n != "" && !set[n] {
			return false
		}
	}
	return true
}

func normalizeAll(tags []string) []string {
	var out []string
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		n := Normalize(t)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, n)
	}
	return out
}
