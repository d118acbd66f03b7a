package textguard_test

import (
	"testing"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/textguard"
)

func TestNameRefusesSpoofingCharacters(t *testing.T) {
	for _, s := range []string{
		"carol\u202Ev_lorac",                  // right-to-left override
		"\u2067carol",                         // right-to-left isolate
		"carol\u200Fv",                        // right-to-left mark
		"ali\u061Cce",                         // Arabic letter mark
		"carol\x00v",                          // NUL
		"carol\x1bv",                          // escape
		"carol\u2028v",                        // line separator
		"c\u0301\u0302\u0303\u0304\u0305arol", // a combining-mark soup
		"\u0301carol",                         // a mark with nothing to sit on
		"carol\xffv",                          // not UTF-8
		"\u200B\u200B",                        // nothing visible left
	} {
		_, err := textguard.Name("handle", s)
		e, ok := apperr.As(err)
		if !ok || e.Kind != apperr.Invalid || e.Code != "invalid_handle" || e.Details["field"] != "handle" {
			t.Errorf("Name(%q) = %v, want invalid_handle", s, err)
		}
	}
}

func TestNameRemovesZeroWidthAndKeepsRealNames(t *testing.T) {
	for in, want := range map[string]string{
		"carol\u200B_v":   "carol_v",
		"\uFEFFPark Jisu": "Park Jisu",
		"jo\u2060sé":      "josé",
		"e\u0301lodie":    "élodie", // composed
		"박지수":             "박지수",
		"Nguyễn Thị Hồng": "Nguyễn Thị Hồng",
		"กิ่งแก้ว":        "กิ่งแก้ว",
		"हुँ":             "हुँ",
		"Zoë ❤️":          "Zoë ❤️",
	} {
		got, err := textguard.Name("name", in)
		if err != nil || got != want {
			t.Errorf("Name(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestBadUTF8OrNUL(t *testing.T) {
	for s, want := range map[string]bool{"ok": false, "a\x00b": true, "a\xc3": true, "한글": false} {
		if got := textguard.BadText(s); got != want {
			t.Errorf("BadText(%q) = %v", s, got)
		}
	}
}
