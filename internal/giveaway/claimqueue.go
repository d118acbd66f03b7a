package giveaway

import (
	"context"
	"encoding/hex"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/boothgiveaway/giveaway/internal/store"
)

// Claims that arrive while others are being written go to PostgreSQL together, as one statement
// in one transaction: a claim is four inserts, and most of what each costs alone (executor
// start-up, triggers' set-up, commit, a round trip) is paid once per batch. Nothing waits for a
// batch to fill: a request goes at once when a batch slot is free, and queues only while
// claimBatchesInFlight batches are already running, so a quiet booth sees no added latency.
const (
	claimBatchMax        = 64
	claimBatchesInFlight = 4
	claimBatchTimeout    = 10 * time.Second
)

// claimRequest is one attendee's claim on its way to the database.
type claimRequest struct {
	campaignID                  int64
	network, handleNorm, handle string
	postURL                     string // "" for none
	code                        string
	tokenHash                   []byte
	matchPosts                  bool
	person                      string // the matching lock's key; "" when no source verifies the network
	heldHash                    []byte // the hash of the token the device sent; nil for none
	clientAddr                  string // set for claims capped per address (see DefaultPendingPerAddress)
	deviceHash                  []byte // the claiming device (see MaxPendingPerDevice), with clientAddr
	done                        chan claimResult
}

type claimResult struct {
	// nil: closed, code taken or claimed concurrently; the caller finds out. A row that is not
	// Owned is a refusal (someone else's claim, or Capped) and carries nothing of any claim.
	row *store.CreateClaimsRow
	err error
	// alone is set when the request's batch failed: it is tried again by itself, so one request's
	// problem never becomes the others'.
	alone bool
}

// claimQueue coalesces concurrent claims into batches.
type claimQueue struct {
	db store.Batcher
	// perAddress bounds the pending other-network claims of one address (0: no bound).
	perAddress int
	now        func() time.Time
	sizes      prometheus.Histogram

	mu      sync.Mutex
	pending []*claimRequest
	running int
}

// submit writes r together with whatever other claims are waiting.
func (q *claimQueue) submit(ctx context.Context, r *claimRequest) claimResult {
	r.done = make(chan claimResult, 1)
	q.mu.Lock()
	q.pending = append(q.pending, r)
	if q.running < claimBatchesInFlight {
		q.running++
		go q.drain()
	}
	q.mu.Unlock()
	var res claimResult
	select {
	case res = <-r.done:
	case <-ctx.Done():
		// The batch may still write the claim, which this device then never learns: its owner gets a
		// new link at the booth (Reissue).
		return claimResult{err: ctx.Err()}
	}
	if res.alone {
		return q.alone(ctx, r)
	}
	return res
}

// alone writes r by itself, now.
func (q *claimQueue) alone(ctx context.Context, r *claimRequest) claimResult {
	rows, err := q.write(ctx, []*claimRequest{r})
	if err != nil {
		return claimResult{err: err}
	}
	return claimResult{row: rows[0]}
}

// drain runs batches until the queue is empty.
func (q *claimQueue) drain() {
	for {
		q.mu.Lock()
		batch := q.take()
		if len(batch) == 0 {
			q.running--
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()
		q.sizes.Observe(float64(len(batch)))
		ctx, cancel := context.WithTimeout(context.Background(), claimBatchTimeout)
		rows, err := q.write(ctx, batch)
		cancel()
		for i, r := range batch {
			switch {
			case err != nil && len(batch) > 1:
				r.done <- claimResult{alone: true}
			case err != nil:
				r.done <- claimResult{err: err}
			default:
				r.done <- claimResult{row: rows[i]}
			}
		}
	}
}

// take removes up to claimBatchMax waiting requests from the queue, at most one per person (the
// statement pairs inserted claims with requests by person) and one per capped address and device
// (the caps are counted before the batch inserts); the others wait for the next batch. Called with mu held.
func (q *claimQueue) take() []*claimRequest {
	var batch []*claimRequest
	seen := map[string]bool{}
	rest := q.pending[:0]
	for _, r := range q.pending {
		key := strconv.FormatInt(r.campaignID, 10) + "/" + r.network + "/" + r.handleNorm
		addr, dev := r.addrKey(), r.deviceKey()
		if len(batch) < claimBatchMax && !seen[key] && (addr == "" || !seen[addr]) && (dev == "" || !seen[dev]) {
			seen[key] = true
			if addr != "" {
				seen[addr] = true
			}
			if dev != "" {
				seen[dev] = true
			}
			batch = append(batch, r)
		} else {
			rest = append(rest, r)
		}
	}
	clear(q.pending[len(rest):])
	q.pending = rest
	return batch
}

// write runs one CreateClaims statement for the batch, under the matching locks of its people, and
// returns each request's row (nil when it got none).
func (q *claimQueue) write(ctx context.Context, batch []*claimRequest) ([]*store.CreateClaimsRow, error) {
	p := store.CreateClaimsParams{Now: q.now(), MaxPending: int32(q.perAddress), MaxPendingDevice: MaxPendingPerDevice}
	var people []string
	for i, r := range batch {
		p.Idx = append(p.Idx, int32(i))
		p.CampaignID = append(p.CampaignID, r.campaignID)
		p.Network = append(p.Network, r.network)
		p.HandleNorm = append(p.HandleNorm, r.handleNorm)
		p.Handle = append(p.Handle, r.handle)
		p.PostUrl = append(p.PostUrl, r.postURL)
		p.Code = append(p.Code, r.code)
		p.TokenHash = append(p.TokenHash, r.tokenHash)
		p.MatchPosts = append(p.MatchPosts, r.matchPosts)
		p.HeldHash = append(p.HeldHash, r.heldHash)
		p.ClientAddr = append(p.ClientAddr, r.clientAddr)
		p.DeviceHash = append(p.DeviceHash, r.deviceHash)
		if r.person != "" {
			people = append(people, r.person)
		}
		if k := r.addrKey(); k != "" {
			people = append(people, k)
		}
		if k := r.deviceKey(); k != "" {
			people = append(people, k)
		}
	}
	rows, err := store.CreateClaimsLocked(ctx, q.db, people, p)
	if err != nil {
		return nil, err
	}
	out := make([]*store.CreateClaimsRow, len(batch))
	for i := range rows {
		if idx := int(rows[i].Idx); idx >= 0 && idx < len(out) {
			out[idx] = &rows[i]
		}
	}
	return out, nil
}

// addrKey is the advisory lock that serialises the capped claims of one address in one campaign,
// so simultaneous requests cannot all count the same pending claims. "addr:" is no network, so the
// key never meets a person's matching lock (LockPeople takes both kinds in one sorted order).
func (r *claimRequest) addrKey() string {
	if r.clientAddr == "" {
		return ""
	}
	return "addr:" + strconv.FormatInt(r.campaignID, 10) + ":" + r.clientAddr
}

// deviceKey is the advisory lock that serialises the capped claims of one device in one campaign
// ("dev:" is no network either).
func (r *claimRequest) deviceKey() string {
	if r.deviceHash == nil {
		return ""
	}
	return "dev:" + strconv.FormatInt(r.campaignID, 10) + ":" + hex.EncodeToString(r.deviceHash)
}
