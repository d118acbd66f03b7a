package mastodon

import (
	"time"

	"github.com/boothgiveaway/giveaway/internal/pull"
)

// Mastodon documents no reconnect schedule, so this one is polite: exponential per kind of
// failure, each kind with its own count, all reset by a healthy connection.
const (
	networkFirst = time.Second // drops, stalls, TCP/TLS errors, a failing database: 1 s, 2 s, 4 s, ...
	networkMax   = time.Minute
	httpFirst    = 5 * time.Second // 5xx and other refusals
	httpMax      = 5 * time.Minute
	// A bad token or a missing scope needs the operator; trying often only fills the log.
	authFirst = 30 * time.Second
	authMax   = 10 * time.Minute
	rateFirst = time.Minute // 429: Mastodon's API limits reset every 5 minutes
	rateMax   = 15 * time.Minute
)

type failure int

const (
	failNetwork failure = iota
	failHTTP
	failAuth
	failRate
)

type backoff struct{ n [4]int }

func (b *backoff) reset() { *b = backoff{} }

// next records one failure and returns how long to wait before the next attempt; at least
// floor, when the server said how long (Retry-After), capped by the kind's ceiling.
func (b *backoff) next(f failure, floor time.Duration) time.Duration {
	b.n[f]++
	var d time.Duration
	switch f {
	case failHTTP:
		d = pull.Exponential(httpFirst, httpMax, b.n[f])
	case failAuth:
		d = pull.Exponential(authFirst, authMax, b.n[f])
	case failRate:
		d = max(pull.Exponential(rateFirst, rateMax, b.n[f]), min(floor, rateMax))
	default:
		d = pull.Exponential(networkFirst, networkMax, b.n[f])
	}
	return d
}
