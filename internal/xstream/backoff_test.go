package xstream

import (
	"testing"
	"time"
)

func TestBackoffSchedule(t *testing.T) {
	s := time.Second
	tests := []struct {
		kind failure
		want []time.Duration
	}{
		{failNetwork, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond, s}},
		{failHTTP, []time.Duration{5 * s, 10 * s, 20 * s, 40 * s, 80 * s, 160 * s, 320 * s, 320 * s}},
		{failRate, []time.Duration{60 * s, 120 * s, 240 * s, 480 * s, 900 * s, 900 * s}},
	}
	for _, tt := range tests {
		var b backoff
		for i, want := range tt.want {
			if got := b.next(tt.kind); got != want {
				t.Errorf("kind %d attempt %d: got %v, want %v", tt.kind, i+1, got, want)
			}
		}
	}
	var b backoff
	for range 100 {
		b.next(failNetwork)
	}
	if got := b.next(failNetwork); got != 16*s {
		t.Errorf("network backoff ceiling: got %v, want 16s", got)
	}
	// Kinds count separately; a healthy connection resets them all.
	b.next(failHTTP)
	if got := b.next(failRate); got != time.Minute {
		t.Errorf("first 429 after an HTTP error: got %v, want 1m", got)
	}
	b.reset()
	if got := b.next(failNetwork); got != 250*time.Millisecond {
		t.Errorf("after reset: got %v, want 250ms", got)
	}
}

// X's keep-alives come every 20 s, at times marginally late: the default stall timeout leaves
// a margin, and a timeout without one is refused at boot.
func TestStallTimeoutHasAMarginOverTheKeepAlive(t *testing.T) {
	cfg, err := Config{BearerToken: "t"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.StallTimeout != 60*time.Second {
		t.Errorf("default stall timeout %v, want 60s (three keep-alive intervals)", cfg.StallTimeout)
	}
	for d, ok := range map[time.Duration]bool{20 * time.Second: false, 5 * time.Second: false, 30 * time.Second: true, 0: true} {
		if _, err := (Config{StallTimeout: d}).Enabled(); (err == nil) != ok {
			t.Errorf("stall timeout %v: err %v, want accepted=%v", d, err, ok)
		}
	}
}
