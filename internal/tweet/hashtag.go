package tweet

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ExtractHashtags finds hashtags in text the way Twitter's twitter-text does (validHashtag,
// hashtagBoundary, endHashtagMatch), for sources that did not extract them already. It returns
// them as written, without '#', in first-occurrence order, without repeats (compared after
// Normalize).
//
// The rules, in twitter-text's terms:
//   - a hashtag starts with '#' or '＃' that is at the start of the text, after U+FE0E/U+FE0F,
//     or after a character that is neither a hashtag character nor '&' ("foo#bar" is not one);
//   - it is a run of letters, marks, decimal digits, '_' and a few joiners (isHashtagChar) with
//     at least one letter or mark ("#123" and "#_" are not hashtags);
//   - it does not begin with U+FE0F or U+20E3 (the '#️⃣' keycap emoji);
//   - it is dropped whole when a '#', '＃' or "://" follows it ("#tag#other", "#http://…");
//   - it is dropped when it is part of a URL ("https://x.com/#frag", "example.com/#frag").
func ExtractHashtags(text string) []string {
	var tags []string
	seen := map[string]bool{}
	prev := rune(-1) // the rune before i; -1 at the start of the text
	tagEnd := -1     // where the last matched tag ended
	url := newURLRun(0)
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		// twitter-text's regex consumes a matched tag, so a '#' right after one never gets a
		// boundary, even when the tag ends in U+FE0F.
		if isHashSign(r) && i != tagEnd && hashtagBoundary(prev) {
			start := i + size
			end, ok := scanHashtag(text, start)
			if ok {
				tagEnd = end
				if !endsBadly(text[end:]) && !url.inURL() {
					tag := text[start:end]
					if n := Normalize(tag); !seen[n] {
						seen[n] = true
						tags = append(tags, tag)
					}
				}
			}
		}
		url.step(text, i, r, size)
		prev = r
		i += size
	}
	return tags
}

// scanHashtag reads the run of hashtag characters from start. ok is false when the run is
// empty, starts with a keycap/emoji selector, or holds no letter or mark.
func scanHashtag(text string, start int) (end int, ok bool) {
	if r, _ := utf8.DecodeRuneInString(text[start:]); r == 0xFE0F || r == 0x20E3 {
		return start, false
	}
	end = start
	for end < len(text) {
		r, size := utf8.DecodeRuneInString(text[end:])
		if !isHashtagChar(r) {
			break
		}
		if isHashtagAlpha(r) {
			ok = true
		}
		end += size
	}
	return end, ok
}

func isHashSign(r rune) bool { return r == '#' || r == '＃' }

func hashtagBoundary(prev rune) bool {
	return prev < 0 || prev == 0xFE0E || prev == 0xFE0F || (prev != '&' && !isHashtagChar(prev))
}

// endsBadly is twitter-text's endHashtagMatch: what follows the tag makes it not one.
func endsBadly(rest string) bool {
	r, _ := utf8.DecodeRuneInString(rest)
	return isHashSign(r) || strings.HasPrefix(rest, "://")
}

// isHashtagAlpha: a hashtag needs at least one of these (twitter-text's hashtagAlpha).
func isHashtagAlpha(r rune) bool { return unicode.IsLetter(r) || unicode.IsMark(r) }

// isHashtagChar is twitter-text's hashtagAlphaNumeric: letters, marks, decimal digits and the
// hashtagSpecialChars, which keep words in several scripts together (ZWNJ/ZWJ for Persian and
// Sinhala, geresh/gershayim and maqaf for Hebrew, the wave dash and middle dots for Japanese,
// the tsheg for Tibetan, the Catalan middle dot).
func isHashtagChar(r rune) bool {
	if isHashtagAlpha(r) || unicode.Is(unicode.Nd, r) {
		return true
	}
	switch r {
	case '_', '\u200c', '\u200d', '\ua67e', '\u05be', '\u05f3', '\u05f4', '\uff5e', '\u301c',
		'\u309b', '\u309c', '\u30a0', '\u30fb', '\u3003', '\u0f0b', '\u0f0c', '\u00b7':
		return true
	}
	return false
}

// urlRun follows the URL-like run of characters the scan is in, so that a '#' can be checked
// for being inside a URL (twitter-text drops hashtags that overlap a URL entity) in constant
// time. Rather than carry twitter-text's full URL grammar and TLD list, a run is a URL when it
// holds a scheme ("https://x.com/#frag") or when the part before its first '/' ends in
// something domain-like ("example.com/#frag", also glued to CJK text as twitter-text allows).
type urlRun struct {
	start  int  // byte offset where the run began
	scheme bool // the run holds "://"
	slash  bool // the run has had a '/'
	domain bool // what came before that first '/' looks like a domain
}

func newURLRun(start int) urlRun { return urlRun{start: start} }

// step takes in the rune r at byte offset i.
func (u *urlRun) step(text string, i int, r rune, size int) {
	switch {
	case notURLChar(r):
		*u = newURLRun(i + size)
	case r == '/':
		if strings.HasSuffix(text[u.start:i], ":/") {
			u.scheme = true
		}
		if !u.slash {
			u.slash = true
			u.domain = looksLikeDomain(text[u.start:i])
		}
	}
}

// inURL reports whether the position the scan is at lies inside a URL.
func (u *urlRun) inURL() bool { return u.scheme || u.domain }

// notURLChar: URLs stop at spaces and at non-ASCII characters other than letters, digits and
// marks (emoji, CJK punctuation), so "https://a.com🎉#tag" keeps its hashtag.
func notURLChar(r rune) bool {
	if r < utf8.RuneSelf {
		return r <= ' ' || r == 0x7f
	}
	return !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r))
}

// looksLikeDomain checks the ASCII tail of host (twitter-text also finds URLs glued to CJK
// text) for name.tld with a TLD of two or more letters.
func looksLikeDomain(host string) bool {
	start := len(host)
	for start > 0 {
		c := host[start-1]
		if !(c == '.' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			break
		}
		start--
	}
	host = strings.Trim(host[start:], ".")
	dot := strings.LastIndexByte(host, '.')
	if dot <= 0 {
		return false
	}
	tld := host[dot+1:]
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if c := tld[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
