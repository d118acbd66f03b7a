package notify_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/boothgiveaway/giveaway/internal/notify"
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
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".sql") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, re := range []*regexp.Regexp{pgNotify, notifyCmd} {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				sent[m[1]] = append(sent[m[1]], path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
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
