package xstream

import (
	"time"

	"github.com/boothgiveaway/giveaway/internal/retry"
)

// The reconnect schedule X documents for its streaming endpoints. Each kind of failure keeps its
// own count, so a 429 after a run of 503s still starts at a minute; a healthy connection resets all.
const (
	networkStep = 250 * time.Millisecond // linear: 250 ms, 500 ms, 750 ms, ...
	networkMax  = 16 * time.Second
	httpFirst   = 5 * time.Second // exponential: 5 s, 10 s, 20 s, ...
	httpMax     = 320 * time.Second
	rateFirst   = time.Minute // exponential: 1 min, 2 min, 4 min, ...
	// X names no ceiling for 429s; its rate-limit windows are 15 minutes, so waiting longer
	// than one window gains nothing.
	rateMax = 15 * time.Minute
)

type failure int

const (
	failNetwork failure = iota // TCP/TLS errors, drops, stalls
	failHTTP                   // any HTTP error status but 429
	failRate                   // 429, including TooManyConnections
)

type backoff struct {
	network, http, rate retry.BackOff // one schedule per kind, made on first use
	// quickDrop: a short connection that delivered posts was already followed by an immediate
	// reconnect, so the next short one waits like a network error.
	quickDrop bool
}

func (b *backoff) reset() { *b = backoff{} }

// next records one failure and returns how long to wait before the next attempt.
func (b *backoff) next(f failure) time.Duration {
	if b.network == nil {
		b.network = retry.Linear(networkStep, networkMax)
		b.http = retry.Exponential(httpFirst, httpMax)
		b.rate = retry.Exponential(rateFirst, rateMax)
	}
	switch f {
	case failHTTP:
		return b.http.NextBackOff()
	case failRate:
		return b.rate.NextBackOff()
	default:
		return b.network.NextBackOff()
	}
}
