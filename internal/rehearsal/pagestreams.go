package rehearsal

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/boothgiveaway/giveaway/internal/ssecrowd"
)

// pageStreams is every open claim page's event stream, held by a crowd process of the
// rehearsal's own (internal/ssecrowd, this binary run again): thousands of streams are a
// descriptor each, which the rehearsal's process, holding the doubles and the tablets, should not
// spend. Each attendee's phone holds its page open from its claim to the end of the day; with
// Config.Streams above the attendees, the same pages are open on more phones on mobile data, each an
// address of its own, spread over both instances.
type pageStreams struct {
	once  sync.Once
	crowd *ssecrowd.Crowd
	mu    sync.Mutex
	lives []*live     // stream id → what it saw
	owner []int       // stream id → attendee
	insts [][2]string // stream id → the instances of its URLs
	peak  int         // most streams open at once
	err   error       // the crowd's first trouble: the proof fails with it
}

// follow opens attendee's claim page's streams and returns the attendee's own phone's. It runs
// under d.mu (claim records the claim and its page together).
func (d *day) follow(ctx context.Context, attendee int, token string) *live {
	ps := &d.pages
	ps.once.Do(func() { d.startStreams(ctx) })
	var own *live
	path := "/claims/" + token + "/events"
	for k := range d.streamsFor(attendee) {
		l := &live{seen: map[string]time.Time{}, via: map[string]ssecrowd.Event{}}
		ps.mu.Lock()
		id := len(ps.lives)
		ps.lives, ps.owner = append(ps.lives, l), append(ps.owner, attendee)
		ps.insts = append(ps.insts, [2]string{d.inst(attendee + k).name, d.inst(attendee + k + 1).name})
		ps.mu.Unlock()
		phone := venueNAT // the attendee's own phone, on the venue Wi-Fi with the whole crowd
		if k > 0 {
			phone = mobileAddr(1<<22 + id) // another phone, on mobile data: apart from the attendees' own
		}
		// A phone whose instance goes away reconnects after the stream's retry, to the other.
		if ps.crowd != nil {
			if err := ps.crowd.Open(id, d.minute()/4, phone, d.inst(attendee+k).base()+path, d.inst(attendee+k+1).base()+path); err != nil {
				ps.fail(fmt.Errorf("the crowd process refused stream %d: %w", id, err))
			}
		}
		if k == 0 {
			own = l
		}
	}
	return own
}

// streamsFor is how many phones hold attendee's page open: Config.Streams over the attendees,
// at least one each.
func (d *day) streamsFor(attendee int) int {
	a := max(d.cfg.Attendees, 1)
	n := d.cfg.Streams / a
	if attendee < d.cfg.Streams%a {
		n++
	}
	return max(n, 1)
}

func (d *day) startStreams(ctx context.Context) {
	ps := &d.pages
	crowd, err := ssecrowd.Start(ctx, func(ev ssecrowd.Event) {
		var st struct{ Status string }
		if ev.Name != "status" || json.Unmarshal([]byte(ev.Data), &st) != nil || st.Status == "" {
			return
		}
		ps.mu.Lock()
		l := ps.lives[ev.Stream]
		ps.mu.Unlock()
		l.mu.Lock()
		l.last = st.Status
		if _, ok := l.seen[st.Status]; !ok {
			l.seen[st.Status] = ev.At
			l.via[st.Status] = ev
		}
		l.mu.Unlock()
	})
	if err != nil {
		ps.fail(fmt.Errorf("the claim pages' crowd process: %w", err))
		return
	}
	ps.crowd = crowd
	context.AfterFunc(ctx, crowd.Close)
	go func() {
		for ctx.Err() == nil {
			n := crowd.Up()
			ps.mu.Lock()
			ps.peak = max(ps.peak, n)
			ps.mu.Unlock()
			time.Sleep(250 * time.Millisecond)
		}
	}()
}

func (ps *pageStreams) fail(err error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.err == nil {
		ps.err = err
	}
}

// proveStreams: every claim-page stream, on every phone, ends showing its claim's status in the
// database; figures say how many were open at once and how soon each change reached them, and
// what share of them within a second.
func (d *day) proveStreams(ctx context.Context, add func(string, bool, string, ...any), fig func(string, any)) {
	ps := &d.pages
	states := map[int64]claimState{}
	read := func() error {
		rows, err := d.pool.Query(ctx, proofs["claim_states"], slug)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var s claimState
			if err := rows.Scan(&id, &s.status, &s.by, &s.verified, &s.givenAt); err != nil {
				return err
			}
			states[id] = s
		}
		return rows.Err()
	}
	if err := read(); err != nil {
		add("claim_page_streams", false, "reading claims: %v", err)
		return
	}
	d.mu.Lock()
	claimOf := map[int]int64{}
	for i, c := range d.claims {
		claimOf[i] = c.ID
	}
	d.mu.Unlock()
	ps.mu.Lock()
	lives, owner, insts, peak, crowdErr := ps.lives, ps.owner, ps.insts, ps.peak, ps.err
	ps.mu.Unlock()
	behind := func() (n int, example string) {
		for id, l := range lives {
			if st := states[claimOf[owner[id]]].status; l.status() != st {
				n++
				example = fmt.Sprintf("(stream %d of %s shows %q, database %q)", id, handle(owner[id]), l.status(), st)
			}
		}
		return n, example
	}
	settle(ctx, 30*time.Second, func() bool { n, _ := behind(); return n == 0 })
	n, example := behind()
	var toVerified, toGiven []latency
	var lates []late
	within := [2]int{}
	quietMax := 0.0                   // the slowest change outside the faults' windows: the proof's margin
	windowMax := map[string]float64{} // and inside each window
	for id, l := range lives {
		claim := claimOf[owner[id]]
		s := states[claim]
		l.mu.Lock()
		for _, c := range []struct {
			status string
			at     *time.Time
			to     *[]latency
		}{{"verified", s.verified, &toVerified}, {"given", s.givenAt, &toGiven}} {
			seen, ok := l.seen[c.status]
			if !ok || c.at == nil || seen.Before(*c.at) {
				continue
			}
			*c.to = append(*c.to, latency{seen, ms(seen.Sub(*c.at))})
			w, excused := d.inFaultWindow(*c.at)
			if !excused {
				quietMax = max(quietMax, ms(seen.Sub(*c.at)))
			}
			if w != "" {
				windowMax[w] = max(windowMax[w], ms(seen.Sub(*c.at)))
			}
			if seen.Sub(*c.at) > lateAfter {
				ev := l.via[c.status]
				lates = append(lates, late{stream: id, claim: claim, instance: insts[id][ev.URL%2], status: c.status,
					changed: *c.at, arrived: seen, opened: ev.Opened})
			}
		}
		l.mu.Unlock()
	}
	for _, l := range append(toVerified, toGiven...) {
		if within[1]++; l.ms <= 1000 {
			within[0]++
		}
	}
	why := ""
	if crowdErr != nil {
		why = "; " + crowdErr.Error()
	}
	add("claim_page_streams", n == 0 && len(lives) > 0 && crowdErr == nil,
		"%d claim-page streams from a crowd process (%d at most open at once); %d not showing the database's status %s%s",
		len(lives), peak, n, example, why)
	v, vn := p99(toVerified, [2]time.Time{})
	g, gn := p99(toGiven, [2]time.Time{})
	fig("rehearsal_streams", len(lives))
	fig("rehearsal_streams_peak_open", peak)
	fig("rehearsal_stream_verified_p99_ms", fmt.Sprintf("%.1f", v))
	fig("rehearsal_stream_verified_seen", vn)
	fig("rehearsal_stream_given_p99_ms", fmt.Sprintf("%.1f", g))
	fig("rehearsal_stream_given_seen", gn)
	if within[1] > 0 {
		fig("rehearsal_stream_changes_within_1s_pct", fmt.Sprintf("%.1f", 100*float64(within[0])/float64(within[1])))
	}
	// Within a second, but for the faults: a change made outside every fault's window reaches
	// every stream showing its claim within lateAfter; those inside must still arrive (above).
	outside, lateExample := d.reportLate(lates, fig)
	fig("rehearsal_stream_outside_fault_windows_max_ms", fmt.Sprintf("%.1f", quietMax))
	for _, w := range d.faultWindows {
		fig("rehearsal_stream_window_"+strings.ToLower(strings.ReplaceAll(w.what, " ", "_"))+"_max_ms", fmt.Sprintf("%.1f", windowMax[w.what]))
	}
	add("claim_page_changes_within_1s", outside == 0 && within[1] > 0,
		"%d changes reached their streams; %d over %v late, %d of them outside the faults' windows %s",
		within[1], len(lates), lateAfter, outside, lateExample)
}
