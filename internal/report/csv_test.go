package report_test

import (
	"testing"

	"github.com/boothgiveaway/giveaway/internal/report"
)

// A spreadsheet skips what it cannot see and reads full-width signs as ASCII ones, so the guard
// must too.
func TestCSVGuardSeesThroughInvisibleAndFullWidthCharacters(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"\u200b=1+1", "\ufeff=1+1", " =1+1", "\u00a0@SUM(A1)", "\u2060\u200d-2+3",
		"＝HYPERLINK(\"http://x\",\"y\")", "＋1+1", "－1", "＠SUM(A1)", "\ufe66cmd", "\u3000=1", "\u200b\tx"} {
		if got := report.SpreadsheetSafe(s); got != "'"+s {
			t.Errorf("SpreadsheetSafe(%q) = %q, want it quoted", s, got)
		}
	}
	for _, s := range []string{"alice", "\u200balice", "파이콘", "１+1", " 1", "Ａlice"} {
		if got := report.SpreadsheetSafe(s); got != s {
			t.Errorf("SpreadsheetSafe(%q) = %q, want it as is", s, got)
		}
	}
}
