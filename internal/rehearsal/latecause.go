package rehearsal

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/boothgiveaway/giveaway/internal/notify"
)

// A change that reaches a claim page's stream more than lateAfter after the database made it is
// late; lateCauses says why, from what the rehearsal saw itself: its own LISTEN on the claims'
// notice channel (when the change was committed and announced), the connection the stream's
// event came on, and the day's faults.
const lateAfter = time.Second

// notices is the first notice of each claim's change on the channel the instances listen on, as
// a listener of the rehearsal's own heard it: the commit's moment, near enough.
type notices struct {
	mu    sync.Mutex
	first map[string]time.Time // "claim:action" → heard
	gaps  [][2]time.Time       // the listener's own connection was down: notices lost
}

func noticeKey(claim int64, action string) string { return fmt.Sprint(claim, ":", action) }

// listen hears the claims' notices until ctx ends, listening again after PostgreSQL restarts.
func (d *day) listen(ctx context.Context) {
	n := &d.notices
	for ctx.Err() == nil {
		err := d.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		n.mu.Lock()
		n.gaps = append(n.gaps, [2]time.Time{time.Now(), {}})
		n.mu.Unlock()
		d.logf("rehearsal: the notices' listener: %v; listening again", err)
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// listening ends the listener's latest gap, if one is open.
func (n *notices) listening() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if k := len(n.gaps) - 1; k >= 0 && n.gaps[k][1].IsZero() {
		n.gaps[k][1] = time.Now()
	}
}

func (d *day) listenOnce(ctx context.Context) error {
	c, err := d.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := c.Hijack() // a listening connection never goes back to the pool
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+notify.Events); err != nil {
		return err
	}
	d.notices.listening()
	for {
		nt, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		at := time.Now()
		var ev struct {
			ClaimID *int64 `json:"claim_id"`
			Action  string `json:"action"`
		}
		if json.Unmarshal([]byte(nt.Payload), &ev) != nil || ev.ClaimID == nil {
			continue
		}
		k := noticeKey(*ev.ClaimID, ev.Action)
		d.notices.mu.Lock()
		if _, ok := d.notices.first[k]; !ok {
			d.notices.first[k] = at
		}
		d.notices.mu.Unlock()
	}
}

// faultWindow is a span of the day a fault disturbs the streams: from the fault until the
// service answers again, plus the streams' reconnect interval.
type faultWindow struct {
	what     string
	from, to time.Time
	// excuses: a change late inside is counted apart. Elasticsearch's outage does not: the pages
	// never wait on it, so the proof holds through it (its figure shows how near).
	excuses bool
}

// late is one change that reached one stream late, and what the rehearsal knows of it.
type late struct {
	stream   int
	claim    int64
	instance string
	status   string
	changed  time.Time // the database's verified_at or given_at: the transaction's start
	noticed  time.Time // zero: the rehearsal's listener did not hear it
	arrived  time.Time
	opened   time.Time // the connection the status came on
	cause    string
	fault    string // the window it fell in, or ""
}

// lateCauses sorts each late change into a cause:
//   - reconnect: the stream was not connected when the change was announced; the status came
//     as the first of a new connection (after the instance died or the stream dropped);
//   - commit: the change's transaction committed (and announced) over a second after it began,
//     so the page could not know sooner;
//   - unheard: no notice of it reached the rehearsal's listener either (lost with PostgreSQL);
//   - delivery: announced in time to a connected stream, written late by the instance.
func (n *notices) cause(l *late) {
	n.mu.Lock()
	l.noticed = n.first[l.key()]
	n.mu.Unlock()
	switch {
	case !l.noticed.IsZero() && l.opened.After(l.noticed) || l.noticed.IsZero() && l.opened.After(l.changed):
		l.cause = "reconnect"
	case l.noticed.IsZero():
		l.cause = "unheard"
	case l.noticed.Sub(l.changed) > lateAfter:
		l.cause = "commit"
	default:
		l.cause = "delivery"
	}
}

func (l *late) key() string { return noticeKey(l.claim, l.status) }

// reportLate prints the late changes' causes as figures, and the first few in full on the log;
// it answers how many fell outside every fault's window, with the first of them.
func (d *day) reportLate(lates []late, fig func(string, any)) (outside int, example string) {
	start := d.dayStart
	byCause := map[string]int{}
	byFault := map[string]int{}
	inWindows := 0
	sort.Slice(lates, func(i, j int) bool { return lates[i].changed.Before(lates[j].changed) })
	for i := range lates {
		l := &lates[i]
		d.notices.cause(l)
		var excused bool
		l.fault, excused = d.inFaultWindow(l.changed)
		if l.fault != "" {
			byFault[l.fault]++
		}
		byCause[l.cause]++
		switch {
		case excused:
			inWindows++
		case example == "":
			example = fmt.Sprintf("(%s of claim %d at +%.1fs reached stream %d on instance %s %.0f ms after; cause %s)",
				l.status, l.claim, l.changed.Sub(start).Seconds(), l.stream, l.instance, ms(l.arrived.Sub(l.changed)), l.cause)
		}
	}
	fig("rehearsal_stream_late", len(lates))
	fig("rehearsal_stream_late_in_fault_windows", inWindows)
	fig("rehearsal_stream_late_outside_fault_windows", len(lates)-inWindows)
	for _, c := range []string{"reconnect", "commit", "unheard", "delivery"} {
		fig("rehearsal_stream_late_cause_"+c, byCause[c])
	}
	for _, w := range d.faultWindows {
		d.logf("rehearsal: fault window %s: +%.1fs to +%.1fs of the day, %d late changes in it (excused: %v)", w.what, w.from.Sub(start).Seconds(), w.to.Sub(start).Seconds(), byFault[w.what], w.excuses)
	}
	for i, l := range lates {
		if i == 40 {
			d.logf("rehearsal: late: ... %d more", len(lates)-i)
			break
		}
		notice := "never heard"
		if !l.noticed.IsZero() {
			notice = fmt.Sprintf("heard +%.0fms, stream +%.0fms after the notice", ms(l.noticed.Sub(l.changed)), ms(l.arrived.Sub(l.noticed)))
		}
		d.logf("rehearsal: late: %s of claim %d at +%.1fs on stream %d (instance %s, connection opened %+.0fms from the change): %.0fms late; %s; cause %s; window %q",
			l.status, l.claim, l.changed.Sub(start).Seconds(), l.stream, l.instance, ms(l.opened.Sub(l.changed)), ms(l.arrived.Sub(l.changed)), notice, l.cause, l.fault)
	}
	var gaps []string
	d.notices.mu.Lock()
	for _, g := range d.notices.gaps {
		gaps = append(gaps, fmt.Sprintf("+%.1fs..+%.1fs", g[0].Sub(start).Seconds(), g[1].Sub(start).Seconds()))
	}
	d.notices.mu.Unlock()
	if len(gaps) > 0 {
		d.logf("rehearsal: the notices' listener was down %s", strings.Join(gaps, ", "))
	}
	return len(lates) - inWindows, example
}

// inFaultWindow names the fault window t falls in ("" for none), and whether it excuses.
func (d *day) inFaultWindow(t time.Time) (string, bool) {
	for _, w := range d.faultWindows {
		if !t.Before(w.from) && !t.After(w.to) {
			return w.what, w.excuses
		}
	}
	return "", false
}

// faultWindow records a fault's window once the fault is over: from its start until the service
// answers again (to), plus a stream's reconnect interval. A change made within lateAfter before the
// fault had not had its second yet when the fault struck, so the window opens that much earlier.
func (d *day) faultWindow(what string, from, to time.Time, excuses bool) {
	d.mu.Lock()
	d.faultWindows = append(d.faultWindows, faultWindow{what, from.Add(-lateAfter), to.Add(d.minute() / 4), excuses})
	d.mu.Unlock()
}
