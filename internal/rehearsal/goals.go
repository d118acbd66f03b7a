package rehearsal

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Goals are the resource bounds the day must keep; missing one fails the rehearsal as a broken
// invariant does (proof resource_goals). Zero leaves a bound unchecked.
type Goals struct {
	ClaimP99 time.Duration // p99 of a claim over the day, as the crowd saw it
	GiveP99  time.Duration // p99 of a give over the day, as the tablets saw it
	PageP99  time.Duration // p99 from a claim's change in the database to its open page showing it
	Recovery time.Duration // from Elasticsearch's return and PostgreSQL's restart to the service whole again
	Takeover time.Duration // from the X stream reader's SIGKILL to an instance reading it again
	RSSMB    int           // each instance's peak resident memory
}

// proveGoals checks the figures against the goals (printed next to each figure, as *_max_*).
func (d *day) proveGoals(add func(string, bool, string, ...any)) {
	g := d.cfg.Goals
	var missed, kept []string
	check := func(what, flag string, got, limit float64, unit string) {
		if limit <= 0 {
			return
		}
		if got > limit {
			missed = append(missed, fmt.Sprintf("%s %.1f %s > %.0f %s (--%s)", what, got, unit, limit, unit, flag))
		} else {
			kept = append(kept, fmt.Sprintf("%s %.1f ≤ %.0f %s", what, got, limit, unit))
		}
	}

	d.c.mu.Lock()
	claim, _ := p99(d.c.lat["claim"], [2]time.Time{})
	give, _ := p99(d.c.lat["give"], [2]time.Time{})
	d.c.mu.Unlock()
	check("claim p99", "max-p99-claim", claim, ms(g.ClaimP99), "ms")
	check("give p99", "max-p99-give", give, ms(g.GiveP99), "ms")
	check("page verified p99", "max-p99-page", d.pageP99[0], ms(g.PageP99), "ms")
	check("page given p99", "max-p99-page", d.pageP99[1], ms(g.PageP99), "ms")

	d.mu.Lock()
	for _, what := range d.awaited {
		i := slices.IndexFunc(d.recovery, func(r recovery) bool { return r.what == what })
		limit, flag := g.recoveryGoal(what), "max-recovery"
		if what == "stream_takeover" {
			flag = "max-takeover"
		}
		if i < 0 {
			if limit > 0 {
				missed = append(missed, fmt.Sprintf("%s: not whole again within two minutes (--%s)", what, flag))
			}
			continue
		}
		check(what, flag, d.recovery[i].s, limit.Seconds(), "s")
	}
	peak := d.peak
	d.mu.Unlock()
	for i, in := range d.instances {
		check("instance "+in.name+" peak RSS", "max-rss-mb", float64(peak[i].rssKB)/1024, float64(g.RSSMB), "MB")
	}

	for _, m := range missed {
		d.logf("rehearsal: GOAL MISSED %s", m)
	}
	add("resource_goals", len(missed) == 0, "%d missed: %s; kept: %s", len(missed), strings.Join(missed, "; "), strings.Join(kept, "; "))
}

// recoveryGoal is the goal of a recovery measured (stream_takeover has its own).
func (g Goals) recoveryGoal(what string) time.Duration {
	if what == "stream_takeover" {
		return g.Takeover
	}
	return g.Recovery
}

func ms(t time.Duration) float64 { return float64(t) / float64(time.Millisecond) }
