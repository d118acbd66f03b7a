package mastodon

import (
	"time"

	"github.com/boothgiveaway/giveaway/internal/retry"
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

// backoff keeps one schedule per kind of failure, made on first use; the zero value is ready.
type backoff struct{ kinds [4]retry.BackOff }

func (b *backoff) reset() { *b = backoff{} }

// next records one failure and returns how long to wait before the next attempt; at least
// floor, when the server said how long (Retry-After), capped by the kind's ceiling.
func (b *backoff) next(f failure, floor time.Duration) time.Duration {
	if b.kinds[f] == nil {
		b.kinds = [4]retry.BackOff{
			failNetwork: retry.Exponential(networkFirst, networkMax),
			failHTTP:    retry.Exponential(httpFirst, httpMax),
			failAuth:    retry.Exponential(authFirst, authMax),
			failRate:    retry.Exponential(rateFirst, rateMax),
		}
	}
	d := b.kinds[f].NextBackOff()
	if f == failRate {
		d = max(d, min(floor, rateMax))
	}
	return d
}
