package rehearsal

import (
	"testing"
	"time"
)

// Each late change is put down to what held it back, from when the rehearsal's own listener heard
// it and when the stream's connection opened.
func TestLateCauses(t *testing.T) {
	t0 := time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	n := &notices{first: map[string]time.Time{
		noticeKey(1, "verified"): at(100),  // heard at once
		noticeKey(2, "given"):    at(1500), // its transaction held it 1.5 s before committing
		noticeKey(4, "verified"): at(50),
	}}
	for _, c := range []struct {
		l    late
		want string
	}{
		{late{claim: 1, status: "verified", changed: at(0), arrived: at(2000), opened: at(1800)}, "reconnect"},
		{late{claim: 2, status: "given", changed: at(0), arrived: at(1600), opened: at(-60000)}, "commit"},
		{late{claim: 3, status: "verified", changed: at(0), arrived: at(1200), opened: at(-60000)}, "unheard"},
		{late{claim: 3, status: "verified", changed: at(0), arrived: at(3000), opened: at(2500)}, "reconnect"},
		{late{claim: 4, status: "verified", changed: at(0), arrived: at(1100), opened: at(-60000)}, "delivery"},
	} {
		n.cause(&c.l)
		if c.l.cause != c.want {
			t.Errorf("claim %d's %s (opened %v, arrived %v): cause %q, want %q", c.l.claim, c.l.status,
				c.l.opened.Sub(t0), c.l.arrived.Sub(t0), c.l.cause, c.want)
		}
	}
}
