package rehearsal

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/boothgiveaway/giveaway/internal/devdb"
)

// faultSchedule plays the faults at fixed moments of the day: Elasticsearch down, then
// throttling; one instance SIGKILLed and restarted; PostgreSQL restarted mid-day.
func (d *day) faultSchedule(end time.Time) {
	total := time.Until(end)
	start := time.Now()
	// at waits for the fault's moment; false when the day was interrupted first.
	at := func(frac float64) bool {
		select {
		case <-time.After(time.Until(start.Add(time.Duration(frac * float64(total))))):
			return true
		case <-d.ctx.Done():
			return false
		}
	}

	if !at(0.15) {
		return
	}
	d.fault("elasticsearch down (503)")
	esFrom := time.Now()
	d.es.SetDown(http.StatusServiceUnavailable)
	if !at(0.25) {
		return
	}
	d.fault("elasticsearch throttling (429)")
	d.es.SetDown(http.StatusTooManyRequests)
	if !at(0.35) {
		return
	}
	d.fault("elasticsearch back")
	d.es.SetDown(0)
	back := time.Now()
	d.faultWindow("elasticsearch", esFrom, back, false)
	d.recovered("es_backlog", back, func() bool { return d.countAt(back) == 0 })

	// SIGKILL the instance reading the X stream, so the other must take over.
	if !at(0.45) {
		return
	}
	victim := d.reader()
	in := d.instances[victim]
	d.fault("instance " + in.name + " (the X stream's reader) SIGKILLed")
	from := time.Now()
	in.kill()
	other := d.instances[1-victim]
	// Recovered once an instance reads the stream again: the other taking over, or the victim,
	// restarted, taking it back first.
	killed := in // in names the SIGTERM's victim later
	d.recovered("stream_takeover", from, func() bool { return d.readsX(other) || d.readsX(killed) })
	// Lines the killed reader had read but not stored yet: the ingest batches up to a second.
	d.mu.Lock()
	d.killed = append(d.killed, [2]time.Time{from.Add(-2 * time.Second), time.Now().Add(time.Second)})
	d.mu.Unlock()
	time.Sleep(d.minute())
	if err := in.start(); err != nil {
		d.expect("instance "+in.name+" restarts after SIGKILL: "+err.Error(), false)
	} else {
		d.fault("instance " + in.name + " restarted")
	}
	d.faultWindow("SIGKILL", from, time.Now(), true)

	if !at(0.55) {
		return
	}
	d.fault("organiser restocks 3 T-shirts in the console")
	// Either instance may be restarting: the browser resubmits the form to the other.
	d.restock(3, "a box found in the van")
	d.fault("organiser changes the lead's PIN in the console")
	d.changePIN()

	if !at(0.65) {
		return
	}
	d.fault("PostgreSQL restart -m fast")
	from = time.Now()
	err := devdb.Restart(context.Background(), d.clusterDir)
	d.expect("PostgreSQL restarts", err == nil)
	// Answers in flight when the server went away may carry a 5xx a moment after it is back.
	d.mu.Lock()
	d.pgWindows = append(d.pgWindows, [2]time.Time{from, time.Now().Add(5 * time.Second)})
	d.mu.Unlock()
	d.fault("PostgreSQL back")
	pgFrom := from
	d.recovered("postgres_restart", from, func() bool {
		for _, in := range d.instances {
			if d.c.do("GET", in.base()+"/api/v1/campaigns/"+slug, nil).Status != 200 {
				return false
			}
		}
		d.faultWindow("PostgreSQL restart", pgFrom, time.Now(), true)
		return true
	})

	// SIGTERM finishes what is in flight: no 5xx is allowed for it.
	if !at(0.85) {
		return
	}
	in = d.instances[d.reader()]
	d.fault("instance " + in.name + " (the X stream's reader) SIGTERM")
	from = time.Now()
	in.stop()
	if err := in.start(); err != nil {
		d.expect("instance "+in.name+" restarts after SIGTERM: "+err.Error(), false)
	} else {
		d.fault("instance " + in.name + " restarted")
	}
	d.faultWindow("SIGTERM", from, time.Now(), true)
}

// readsX says whether the instance's metrics say it is the one reading the X stream.
func (d *day) readsX(in *instance) bool {
	a := d.c.do("GET", in.base()+"/metrics", nil)
	return strings.Contains(string(a.Body), `giveaway_source_leader{source="x_stream"} 1`)
}

// reader is the instance reading the X stream (b when neither says so).
func (d *day) reader() int {
	for i, in := range d.instances {
		if d.readsX(in) {
			return i
		}
	}
	d.logf("rehearsal: neither instance says it reads the X stream")
	return 1
}

func (d *day) fault(what string) {
	d.logf("rehearsal: fault: %s", what)
	d.mu.Lock()
	d.faults = append(d.faults, time.Now().Format("15:04:05")+" "+what)
	d.mu.Unlock()
}

// recovered records, in the background, how long after a fault's start ok first held (up to two
// minutes); the proofs wait for it, and a fault never recovered from misses its goal.
func (d *day) recovered(what string, from time.Time, ok func() bool) {
	d.recovering.Add(1)
	d.mu.Lock()
	d.awaited = append(d.awaited, what)
	d.mu.Unlock()
	go func() {
		defer d.recovering.Done()
		if settle(d.ctx, 2*time.Minute, ok) {
			d.mu.Lock()
			d.recovery = append(d.recovery, recovery{what, time.Since(from).Seconds()})
			d.mu.Unlock()
		}
	}()
}

func (d *day) countAt(t time.Time) int64 {
	var n int64
	if err := d.pool.QueryRow(context.Background(), proofs["outbox_pending_before"], t).Scan(&n); err != nil {
		return -1
	}
	return n
}
