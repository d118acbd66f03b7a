package bluesky

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/boothgiveaway/giveaway/internal/store"
)

const (
	// invalidHandle is what atproto shows for an account whose handle no longer verifies.
	invalidHandle   = "handle.invalid"
	profilesPerCall = 25 // app.bsky.actor.getProfiles takes at most 25 actors
	// handleTTL: a cached handle older than this is asked again (a stale one still beats waiting
	// when the AppView is down). Identity events keep the cache current in between (see
	// handles.recheck for those that name no handle).
	handleTTL = 24 * time.Hour
	// unknownTTL: how long a DID the AppView does not know (yet) is not asked about again.
	unknownTTL = 10 * time.Minute
	userAgent  = "boothgiveaway (+https://github.com/boothgiveaway/giveaway)"
)

// handles turns DIDs into handles: from memory, then PostgreSQL (so a restart does not ask again
// for every author), then the AppView. Only the processor goroutine uses it.
type handles struct {
	c     *Client
	known map[string]cachedHandle
	// recheck: DIDs whose identity event named no handle. The AppView may answer the old handle
	// for a while after such an event, so the answer is asked again a few times before it is
	// trusted for handleTTL. In memory only: a restart trusts the saved row.
	recheck map[string]*recheck
}

type recheck struct {
	at   time.Time     // ask again from then on
	wait time.Duration // until the next time after that
	left int
}

// identityRechecks is how many times a handle is asked again after an identity event.
const identityRechecks = 3

type cachedHandle struct {
	handle string // "" when the DID has no valid handle
	at     time.Time
	// unknown: the AppView did not know the DID; kept briefly, and never in the database, since
	// a new account may simply not be indexed yet.
	unknown bool
}

func (c cachedHandle) fresh(now time.Time) bool {
	if c.unknown {
		return now.Sub(c.at) < unknownTTL
	}
	return now.Sub(c.at) < handleTTL
}

func newHandles(c *Client) *handles {
	return &handles{c: c, known: map[string]cachedHandle{}, recheck: map[string]*recheck{}}
}

// resolve returns a handle for each DID ("" for none). An error means the AppView or the
// database failed and the caller should try again later.
func (h *handles) resolve(ctx context.Context, dids []string) (map[string]string, error) {
	now := h.c.cfg.Now()
	out := make(map[string]string, len(dids))
	var miss, ask []string
	for _, d := range dids {
		if r := h.recheck[d]; r != nil && !now.Before(r.at) {
			ask = append(ask, d) // neither memory nor the saved row: they may hold the old handle
			continue
		}
		if c, ok := h.known[d]; ok && c.fresh(now) {
			out[d] = c.handle
		} else {
			miss = append(miss, d)
		}
	}
	if len(miss)+len(ask) == 0 {
		return out, nil
	}
	stale := map[string]string{}
	for _, d := range ask {
		if c, ok := h.known[d]; ok {
			stale[d] = c.handle
		}
	}
	if len(miss) > 0 {
		rows, err := store.New(h.c.pool).BlueskyHandles(ctx, miss)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			hd := validHandle(r.Handle)
			if now.Sub(r.ResolvedAt) < handleTTL {
				h.known[r.Did] = cachedHandle{handle: hd, at: r.ResolvedAt}
				out[r.Did] = hd
			} else {
				stale[r.Did] = hd
			}
		}
		for _, d := range miss {
			if _, ok := out[d]; !ok {
				ask = append(ask, d)
			}
		}
	}
	if len(ask) == 0 {
		return out, nil
	}
	for _, d := range ask {
		if r := h.recheck[d]; r != nil && !now.Before(r.at) {
			if r.left--; r.left <= 0 {
				delete(h.recheck, d)
			} else {
				r.at, r.wait = now.Add(r.wait), 2*r.wait
			}
		}
	}
	got, err := h.fetch(ctx, ask)
	if err != nil {
		h.c.m.appViewErrors.Inc()
		for _, d := range ask {
			s, ok := stale[d]
			if !ok {
				return nil, err
			}
			out[d] = s
		}
		h.c.log.Warn("AppView failed; using cached handles older than a day", "err", err)
		return out, nil
	}
	q := store.New(h.c.pool)
	for _, d := range ask {
		hd, ok := got[d]
		if !ok {
			h.known[d] = cachedHandle{at: now, unknown: true}
			out[d] = ""
			continue
		}
		if err := q.SaveBlueskyHandle(ctx, store.SaveBlueskyHandleParams{Did: d, Handle: storedHandle(hd)}); err != nil {
			return nil, err
		}
		h.known[d] = cachedHandle{handle: validHandle(hd), at: now}
		out[d] = validHandle(hd)
	}
	return out, nil
}

// apply takes identity events into the cache, for DIDs already in it: the firehose carries every
// account's, and only the few whose posts we keep are worth a row. A DID whose event names no
// handle is asked about again.
func (h *handles) apply(ctx context.Context, ids map[string]string) error {
	if len(ids) == 0 {
		return nil
	}
	var dids []string
	for d := range ids {
		dids = append(dids, d)
	}
	rows, err := store.New(h.c.pool).BlueskyHandles(ctx, dids)
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(rows))
	for _, r := range rows {
		known[r.Did] = true
	}
	q := store.New(h.c.pool)
	now := h.c.cfg.Now()
	var again []string
	for d, hd := range ids {
		if _, inMemory := h.known[d]; !inMemory && !known[d] {
			continue
		}
		if hd == "" {
			delete(h.known, d)
			if known[d] {
				again = append(again, d)
			}
			wait := h.c.cfg.IdentityRecheck
			h.recheck[d] = &recheck{at: now.Add(wait), wait: 2 * wait, left: identityRechecks}
			continue
		}
		delete(h.recheck, d) // the event itself names the handle
		if err := q.SaveBlueskyHandle(ctx, store.SaveBlueskyHandleParams{Did: d, Handle: storedHandle(hd)}); err != nil {
			return err
		}
		h.known[d] = cachedHandle{handle: validHandle(hd), at: now}
		h.c.log.Debug("handle changed", "did", d, "handle", hd)
	}
	if len(again) > 0 {
		// Best effort: when the AppView is down, the stale row serves until handleTTL.
		got, err := h.fetch(ctx, again)
		if err != nil {
			h.c.m.appViewErrors.Inc()
			h.c.log.Warn("AppView failed after an identity event; keeping the cached handle", "err", err)
			return nil
		}
		for d, hd := range got {
			if err := q.SaveBlueskyHandle(ctx, store.SaveBlueskyHandleParams{Did: d, Handle: storedHandle(hd)}); err != nil {
				return err
			}
			h.known[d] = cachedHandle{handle: validHandle(hd), at: now}
		}
	}
	return nil
}

// fetch asks the AppView for the handles of dids; DIDs it does not know are missing from the
// answer, an invalid handle comes back as invalidHandle.
func (h *handles) fetch(ctx context.Context, dids []string) (map[string]string, error) {
	out := make(map[string]string, len(dids))
	for len(dids) > 0 {
		n := min(len(dids), profilesPerCall)
		if err := h.fetchChunk(ctx, dids[:n], out); err != nil {
			return nil, err
		}
		dids = dids[n:]
	}
	return out, nil
}

func (h *handles) fetchChunk(ctx context.Context, dids []string, out map[string]string) error {
	u := h.c.cfg.AppViewURL + "/xrpc/app.bsky.actor.getProfiles?" + url.Values{"actors": dids}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := h.c.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("bluesky AppView: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("bluesky AppView: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusBadRequest && len(dids) > 1:
		// One DID the AppView refuses fails the whole call; ask one by one so the others resolve.
		for _, d := range dids {
			if err := h.fetchChunk(ctx, []string{d}, out); err != nil {
				return err
			}
		}
		return nil
	case resp.StatusCode == http.StatusBadRequest:
		h.c.log.Warn("AppView refused a DID; its posts keep the DID as handle", "did", dids[0],
			"answer", string(truncate(body, 200)))
		return nil
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("bluesky AppView: HTTP %d: %s", resp.StatusCode, truncate(body, 200))
	}
	var ans struct {
		Profiles []struct {
			Did    string `json:"did"`
			Handle string `json:"handle"`
		} `json:"profiles"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return fmt.Errorf("bluesky AppView: unreadable getProfiles answer: %w", err)
	}
	for _, p := range ans.Profiles {
		if p.Did != "" {
			out[p.Did] = strings.ToLower(strings.TrimSpace(p.Handle))
		}
	}
	return nil
}

// validHandle maps atproto's marker for a broken handle to "" (the post keeps its DID).
func validHandle(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if h == invalidHandle || h == "" {
		return ""
	}
	return h
}

// storedHandle is the row's form: the column is NOT NULL, so "no valid handle" is kept as
// atproto writes it.
func storedHandle(h string) string {
	if v := validHandle(h); v != "" {
		return v
	}
	return invalidHandle
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
