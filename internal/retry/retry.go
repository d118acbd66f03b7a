// Package retry is the service's one backoff policy: how long to wait after a failure before
// trying again. Schedules are github.com/cenkalti/backoff's BackOff: exponential (exact, for the
// rules a server documents, or with jitter, for our own reconnects) and linear (X's rule for
// network errors). A schedule counts failures until Reset, which a healthy connection calls.
package retry

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// BackOff is a schedule: NextBackOff records one failure and returns the wait before the next
// try; Reset starts over. Not safe for concurrent use.
type BackOff = backoff.BackOff

// Exponential waits first, then twice as long each time up to ceiling, without jitter.
func Exponential(first, ceiling time.Duration) BackOff {
	b := &backoff.ExponentialBackOff{InitialInterval: min(first, ceiling), Multiplier: 2, MaxInterval: ceiling}
	b.Reset()
	return b
}

// Jittered is Exponential with each wait drawn between half and all of its step, so instances
// that failed together do not all come back at the same instant.
func Jittered(first, ceiling time.Duration) BackOff {
	return jittered{Exponential(first, ceiling)}
}

type jittered struct{ BackOff }

func (j jittered) NextBackOff() time.Duration { return jitter(j.BackOff.NextBackOff()) }

// Linear waits step, 2·step, 3·step, ... up to ceiling.
func Linear(step, ceiling time.Duration) BackOff { return &linear{step: step, ceiling: ceiling} }

type linear struct{ step, ceiling, last time.Duration }

func (l *linear) NextBackOff() time.Duration {
	l.last = min(l.last+l.step, l.ceiling)
	return l.last
}

func (l *linear) Reset() { l.last = 0 }

// Attempt is the wait before try n+1 (n from 1) of a Jittered(first, ceiling) schedule, for
// callers that count their tries themselves (the Elasticsearch client's transport).
func Attempt(first, ceiling time.Duration, n int) time.Duration {
	b := Exponential(first, ceiling)
	d := b.NextBackOff()
	for i := 1; i < n && d < ceiling; i++ {
		d = b.NextBackOff()
	}
	return jitter(d)
}

// jitter is a random duration between half and all of d.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// Sleep waits d, or until ctx ends (then it returns ctx's error).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
