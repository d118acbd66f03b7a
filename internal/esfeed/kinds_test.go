package esfeed

import (
	"github.com/boothgiveaway/giveaway/internal/testkit"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	// An INSERT INTO outbox up to the end of its statement or of its CTE.
	outboxInsert = regexp.MustCompile(`(?is)INSERT INTO outbox\s*\(kind[^)]*\)(.*?)(?:;|\n\)|\z)`)
	kindLiteral  = regexp.MustCompile(`(?i)(?:SELECT|VALUES\s*\()\s*'(\w+)'`)
	kindCheck    = regexp.MustCompile(`(?is)CREATE TABLE outbox\s*\([^;]*?kind\s+text\s+NOT NULL\s+CHECK\s*\(kind IN \(([^)]*)\)\)`)
)

// TestOutboxKindsAreTheOnesTheSQLWrites: every kind the SQL (queries and migrations) writes to
// the outbox is one the feeder knows, every known kind is written somewhere, and the table's
// CHECK admits exactly those, so a new kind cannot reach the outbox and be sent as nothing.
func TestOutboxKindsAreTheOnesTheSQLWrites(t *testing.T) {
	written := map[string][]string{}
	var checks [][]string
	testkit.SQLFiles(t, func(path, text string) {
		for _, ins := range outboxInsert.FindAllStringSubmatch(text, -1) {
			found := kindLiteral.FindAllStringSubmatch(ins[1], -1)
			if len(found) == 0 {
				// Copies kinds from other rows (retry-dead, backfill): nothing new to check.
				continue
			}
			for _, m := range found {
				written[m[1]] = append(written[m[1]], path)
			}
		}
		for _, m := range kindCheck.FindAllStringSubmatch(text, -1) {
			var kinds []string
			for _, k := range strings.Split(m[1], ",") {
				kinds = append(kinds, strings.Trim(strings.TrimSpace(k), "'"))
			}
			checks = append(checks, kinds)
		}
	})
	for k, files := range written {
		if !slices.Contains(Kinds, k) {
			t.Errorf("%v write outbox kind %q, which is not in esfeed.Kinds", files, k)
		}
	}
	for _, k := range Kinds {
		if len(written[k]) == 0 {
			t.Errorf("no SQL writes outbox kind %q (esfeed.Kinds)", k)
		}
	}
	if len(checks) == 0 {
		t.Fatal("found no CHECK on outbox.kind in the migrations")
	}
	for _, c := range checks {
		if !slices.Equal(slices.Sorted(slices.Values(c)), slices.Sorted(slices.Values(Kinds))) {
			t.Errorf("the outbox table's CHECK admits %q, esfeed.Kinds is %q", c, Kinds)
		}
	}
}
