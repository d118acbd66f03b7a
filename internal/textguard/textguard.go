// Package textguard keeps text that people read on someone else's screen honest: names and
// handles that cannot reorder themselves (bidi controls), hide (zero-width and control
// characters) or smear over their neighbours (stacks of combining marks), and text PostgreSQL
// would refuse (NUL, invalid UTF-8) caught as the client's mistake rather than a server error.
package textguard

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/text/unicode/norm"

	"github.com/boothgiveaway/giveaway/internal/apperr"
)

// maxMarks is the longest run of combining marks one letter may carry: Vietnamese, Thai and
// Devanagari need two or three; more is a "zalgo" smear over the neighbouring text.
const maxMarks = 3

// Name checks a name or handle people will see: it removes zero-width characters (a pasted
// handle often carries one), refuses direction overrides, other control and format characters
// and stacks of combining marks, and returns the text in NFC. field names the input in the
// error: invalid_<field>.
func Name(field, s string) (string, error) {
	bad := func(why string) error {
		return apperr.New(apperr.Invalid, "invalid_"+field, "%s %s", field, why).With("field", field)
	}
	if !utf8.ValidString(s) {
		return "", bad("is not valid UTF-8")
	}
	orig := s
	s = strings.Map(func(r rune) rune {
		if zeroWidth(r) {
			return -1
		}
		return r
	}, s)
	s = norm.NFC.String(s)
	marks := 0
	for i, r := range s {
		switch {
		case bidi(r):
			return "", bad("holds a character that changes the text's direction")
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.In(r, unicode.Zl, unicode.Zp):
			return "", bad("holds an invisible or control character")
		case unicode.In(r, unicode.Mn, unicode.Me):
			marks++
			if i == 0 || marks > maxMarks {
				return "", bad("holds a pile of combining marks")
			}
		default:
			marks = 0
		}
	}
	if strings.TrimSpace(s) == "" && orig != "" {
		return "", bad("holds nothing visible")
	}
	return s, nil
}

// bidi lists the characters that reorder text: embeddings and overrides, isolates, and the
// marks.
func bidi(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

// zeroWidth lists the invisible characters that are removed rather than refused.
func zeroWidth(r rune) bool {
	return (r >= 0x200B && r <= 0x200D) || r == 0x2060 || r == 0xFEFF
}

// BadText says whether s holds what PostgreSQL cannot store in text: a NUL or invalid UTF-8.
func BadText(s string) bool {
	return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s)
}

// ErrInvalidInput is the answer to text that holds a NUL or is not UTF-8.
func ErrInvalidInput() *apperr.Error {
	return apperr.New(apperr.Invalid, "invalid_input", "the request holds a NUL character or text that is not UTF-8")
}

// FromDB turns PostgreSQL's refusal of a NUL or an invalid byte sequence (a \u0000 escape in a
// JSON string reaches the database as a NUL) into invalid_input; other errors are returned as
// they are.
func FromDB(err error) error {
	var pg *pgconn.PgError
	// 22021 character_not_in_repertoire (NUL, bad UTF-8), 22P05 untranslatable_character (jsonb \u0000).
	if errors.As(err, &pg) && (pg.Code == "22021" || pg.Code == "22P05") {
		return ErrInvalidInput()
	}
	return err
}
