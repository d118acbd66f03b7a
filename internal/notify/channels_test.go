package notify_test

import (
	"regexp"
	"slices"
	"testing"

	"github.com/boothgiveaway/giveaway/internal/notify"
	"github.com/boothgiveaway/giveaway/internal/testkit"
)

// The SQL that notifies spells the channel out; these find every spelling.
var (
	pgNotify  = regexp.MustCompile(`(?i)pg_notify\(\s*'([^']*)'`)
	notifyCmd = regexp.MustCompile(`(?m)^\s*NOTIFY\s+"?(\w+)`)
)

// TestChannelsAreTheOnesTheSQLSends: every channel the SQL (migrations and queries) notifies on
// is a constant here, and every constant is notified on somewhere, so a renamed channel cannot
// leave a listener waiting on a name nobody sends.
func TestChannelsAreTheOnesTheSQLSends(t *testing.T) {
	sent := map[string][]string{}
	testkit.SQLFiles(t, func(path, text string) {
		for _, re := range []*regexp.Regexp{pgNotify, notifyCmd} {
			for _, m := range re.FindAllStringSubmatch(text, -1) {
				sent[m[1]] = append(sent[m[1]], path)
			}
		}
	})
	for ch, files := range sent {
		if !slices.Contains(notify.Channels, ch) {
			t.Errorf("%v notify on %q, which is not in notify.Channels", files, ch)
		}
	}
	for _, ch := range notify.Channels {
		if len(sent[ch]) == 0 {
			t.Errorf("no SQL notifies on %q (notify.Channels)", ch)
		}
	}
}
