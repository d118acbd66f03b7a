// Package tagname names a hashtag the way Mastodon does (4.0 and later), so that the reader,
// the campaign's tags and the protocol double agree with the real server on which posts carry a
// tag. Mastodon's HashtagNormalizer (app/lib/hashtag_normalizer.rb) and its streaming server's
// normalizeHashtag (streaming/index.js) both apply, in order: NFKC (full-width Latin and
// half-width kana become their usual forms), lower case, ASCII folding of the accented Latin
// letters in its ASCIIFolding table (app/lib/ascii_folding.rb: BLÅHAJ becomes blahaj, España
// becomes espana), then removal of every character that cannot be in a tag. Korean, Japanese
// and other scripts without accents in that table pass through.
package tagname

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Name is tag (with or without its leading '#') as Mastodon names it in a status's tags[] and
// its hashtag streams; "" when nothing of it can be a tag.
func Name(tag string) string {
	s := norm.NFKC.String(strings.ToValidUTF8(tag, ""))
	// Ruby's and JavaScript's lower case of the dotted capital I is "i" and a combining dot
	// above (Unicode's full mapping); Go's is a plain "i".
	s = strings.ToLower(strings.ReplaceAll(s, "\u0130", "i\u0307"))
	return strings.Map(func(r rune) rune {
		if a, ok := fold[r]; ok {
			return a
		}
		if valid(r) {
			return r
		}
		return -1
	}, s)
}

// valid is Mastodon's tag alphabet: POSIX alnum as Ruby's regexp engine reads it for Unicode
// (letters, marks, decimal digits), Thai tone marks, and the separators "_", "·", "・" and the
// zero-width non-joiner.
func valid(r rune) bool {
	switch {
	case unicode.IsLetter(r), unicode.IsMark(r), unicode.Is(unicode.Nd, r):
		return true
	case r >= 0x0E47 && r <= 0x0E4E:
		return true
	}
	return r == '_' || r == '\u00B7' || r == '\u30FB' || r == '\u200C'
}

// fold is Mastodon's ASCII folding: Latin-1 and Latin Extended-A letters to a base letter.
// Only the lower-case side matters here, as folding follows lower-casing; the capitals are
// listed too so the table reads as Mastodon's does.
var fold = func() map[rune]rune {
	const (
		from = "ÀÁÂÃÄÅàáâãäåĀāĂăĄąÇçĆćĈĉĊċČčÐðĎďĐđÈÉÊËèéêëĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦħÌÍÎÏìíîïĨĩĪīĬĭĮįİıĴĵĶķĸĹĺĻļĽľĿŀŁłÑñŃńŅņŇňŉŊŋÒÓÔÕÖØòóôõöøŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšſŢţŤťŦŧÙÚÛÜùúûüŨũŪūŬŭŮůŰűŲųŴŵÝýÿŶŷŸŹźŻżŽž"
		to   = "AAAAAAaaaaaaAaAaAaCcCcCcCcCcDdDdDdEEEEeeeeEeEeEeEeEeGgGgGgGgHhHhIIIIiiiiIiIiIiIiIiJjKkkLlLlLlLlLlNnNnNnNnnNnOOOOOOooooooOoOoOoRrRrRrSsSsSsSssTtTtTtUUUUuuuuUuUuUuUuUuUuWwYyyYyYZzZzZz"
	)
	f, t := []rune(from), []rune(to)
	if len(f) != len(t) {
		panic("tagname: folding table out of step")
	}
	m := make(map[rune]rune, len(f))
	for i, r := range f {
		m[r] = t[i]
	}
	return m
}()
