package pages_test

import (
	"context"
	"strings"
	"testing"

	"github.com/boothgiveaway/giveaway/internal/notify"
)

// A lost LISTEN connection: notices sent while it is made again are gone for good, so every
// open page is told to read its state again (a reset event), and live updates flow again after.
func TestOpenPagesResyncAfterTheListenConnectionIsLost(t *testing.T) {
	en := newEnv(t)
	s := en.stream("/c/"+slug+"/wall/events", "")
	var killed bool
	if err := en.Pool.QueryRow(context.Background(), `
		SELECT coalesce(bool_and(pg_terminate_backend(pid)), false) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = $1`, notify.ApplicationName).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminating the LISTEN session: %v %v", killed, err)
	}
	if ev := s.next(t, "reset"); ev.ID == "" {
		t.Error("reset carries no id")
	}
	id := en.tweet("yuna", "back on the wall #PyConAPAC #Elastic")
	if ev := s.next(t, "post"); !strings.Contains(ev.Data, id) {
		t.Errorf("post event after the reconnect: %s", ev.Data)
	}
}
