package httpapi_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/boothgiveaway/giveaway/internal/app"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/httpapi"
)

func behindProxy(c *app.Config) {
	c.TrustedProxies = []string{"127.0.0.1/32", "::1/128"}
}

func (e *env) otherClaim(addr, handle string, headers ...string) reply {
	e.t.Helper()
	h := map[string]string{"X-Forwarded-For": addr}
	for i := 0; i+1 < len(headers); i += 2 {
		h[headers[i]] = headers[i+1]
	}
	return e.call(req{method: "POST", path: claimPath("pycon"), headers: h, body: map[string]any{
		"network": "instagram", "handle": handle, "post_url": "https://www.instagram.com/p/" + handle + "/"}})
}

// Nobody can fill the staff approval queue: one phone (the holder of its claim token) has at most
// 3 pending other-network claims in a campaign. Other phones at the same address, their own claims
// again, X claims and staff are not held back.
func TestOnePhoneCannotFillTheApprovalQueue(t *testing.T) {
	e := newEnv(t, behindProxy)
	e.campaign("pycon", campaignOpts{})
	staff := e.staff("Janis")
	const addr = "203.0.113.7"
	var first reply
	held := "" // the token the phone's claim cookie holds: its latest claim's
	for i := range giveaway.MaxPendingPerDevice {
		r := e.otherClaim(addr, fmt.Sprintf("filler%d", i), httpapi.ClaimTokenHeader, held)
		if r.Status != http.StatusCreated {
			t.Fatalf("claim %d: %d %s", i, r.Status, r.Raw)
		}
		if i == 0 {
			first = r
		}
		held = r.Body["token"].(string)
	}
	r := e.otherClaim(addr, "filler9", httpapi.ClaimTokenHeader, held)
	if r.Status != http.StatusTooManyRequests || r.code() != "too_many_pending" {
		t.Fatalf("4th pending claim from the phone: %d %s", r.Status, r.Raw)
	}
	if ra := r.Header.Get("Retry-After"); ra != "" {
		t.Errorf("Retry-After %q: waiting does not help, staff deciding does", ra)
	}
	// Any token of the phone's is the phone: its first one too.
	if r := e.otherClaim(addr, "filler8", httpapi.ClaimTokenHeader, first.Body["token"].(string)); r.code() != "too_many_pending" {
		t.Errorf("the phone with its first token: %d %s", r.Status, r.Raw)
	}
	if r := e.otherClaim(addr, "neighbour"); r.Status != http.StatusCreated {
		t.Errorf("another phone at the same address: %d %s", r.Status, r.Raw)
	}
	if r := e.call(req{method: "POST", path: claimPath("pycon"), body: map[string]any{"handle": "xperson"},
		headers: map[string]string{"X-Forwarded-For": addr, httpapi.ClaimTokenHeader: held}}); r.Status != http.StatusCreated {
		t.Errorf("an X claim from the phone: %d %s", r.Status, r.Raw)
	}
	if r := e.otherClaim(addr, "filler0", httpapi.ClaimTokenHeader, first.Body["token"].(string)); r.Status != http.StatusOK {
		t.Errorf("the first filler claiming again: %d %s", r.Status, r.Raw)
	}
	if r := e.otherClaim(addr, "filler1"); r.code() != "already_claimed" {
		t.Errorf("a stranger naming a filler: %d %s", r.Status, r.Raw)
	}
	e.must(http.StatusCreated, req{method: "POST", path: "/api/v1/campaigns/pycon/manual-claims", bearer: staff,
		headers: map[string]string{"X-Forwarded-For": addr},
		body:    map[string]any{"network": "instagram", "handle": "seen_at_booth", "post_url": "https://instagram.com/p/1/"}})
	// Staff decide one: the phone may claim again.
	e.must(http.StatusOK, req{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/approve", first.Body["id"]), bearer: staff})
	if r := e.otherClaim(addr, "filler9", httpapi.ClaimTokenHeader, held); r.Status != http.StatusCreated {
		t.Errorf("after an approval: %d %s", r.Status, r.Raw)
	}
	var stored string
	e.pool.QueryRow(t.Context(), `SELECT host(client_addr) FROM claims WHERE handle = 'filler9'`).Scan(&stored)
	if stored != addr {
		t.Errorf("client_addr %q", stored)
	}
}

// A venue NAT: many phones behind one address each make their pending claim, up to the address's
// bound (PENDING_PER_ADDRESS, 50 by default); past it the address is refused.
func TestPhonesBehindOneVenueAddressShareItsBound(t *testing.T) {
	e := newEnv(t, behindProxy)
	e.campaign("pycon", campaignOpts{})
	const addr = "192.0.2.50"
	for i := range giveaway.DefaultPendingPerAddress {
		if r := e.otherClaim(addr, fmt.Sprintf("attendee%d", i)); r.Status != http.StatusCreated {
			t.Fatalf("phone %d behind the venue address: %d %s", i, r.Status, r.Raw)
		}
	}
	if r := e.otherClaim(addr, "one_too_many"); r.Status != http.StatusTooManyRequests || r.code() != "too_many_pending" {
		t.Fatalf("a phone past the address bound: %d %s", r.Status, r.Raw)
	}
}

// PENDING_PER_ADDRESS=0 (app's -1) lifts the address's bound; each phone keeps its own.
func TestNoAddressBoundWhenTurnedOff(t *testing.T) {
	const addr = "192.0.2.51"
	e := newEnv(t, behindProxy, func(c *app.Config) { c.PendingPerAddress = -1 })
	e.campaign("pycon", campaignOpts{})
	for i := range giveaway.DefaultPendingPerAddress + 5 {
		if r := e.otherClaim(addr, fmt.Sprintf("attendee%d", i)); r.Status != http.StatusCreated {
			t.Fatalf("no address bound, phone %d: %d %s", i, r.Status, r.Raw)
		}
	}
}

// Twenty simultaneous claims from twenty phones behind one address cannot get past the address's
// bound together.
func TestParallelClaimsFromOneAddressStayWithinTheBound(t *testing.T) {
	const n, bound, addr = 20, 5, "198.51.100.20"
	e := newEnv(t, behindProxy, func(c *app.Config) { c.PendingPerAddress = bound })
	e.campaign("pycon", campaignOpts{})
	count := parallelClaims(e, n, func(int) string { return addr }, func(int) string { return "" })
	if count["201 "] != bound || count["429 too_many_pending"] != n-bound {
		t.Fatalf("answers: %v", count)
	}
	var pending int
	e.pool.QueryRow(t.Context(), `SELECT count(*) FROM claims WHERE client_addr = $1::inet AND status = 'pending'`, addr).Scan(&pending)
	if pending != bound {
		t.Fatalf("%d pending claims from the address", pending)
	}
}

// Twenty simultaneous claims from one phone (each sending one of its tokens) cannot get past the
// phone's bound together.
func TestParallelClaimsFromOnePhoneStayWithinTheBound(t *testing.T) {
	const n, addr = 20, "198.51.100.21"
	e := newEnv(t, behindProxy)
	e.campaign("pycon", campaignOpts{})
	r1 := e.otherClaim(addr, "phone_first")
	r2 := e.otherClaim(addr, "phone_second", httpapi.ClaimTokenHeader, r1.Body["token"].(string))
	if r1.Status != http.StatusCreated || r2.Status != http.StatusCreated {
		t.Fatalf("the phone's first claims: %d %d", r1.Status, r2.Status)
	}
	tokens := []string{r1.Body["token"].(string), r2.Body["token"].(string)}
	// Its requests come from many addresses (Wi-Fi and mobile data), so only the phone's bound holds.
	count := parallelClaims(e, n, func(i int) string { return fmt.Sprintf("198.51.100.%d", 100+i) },
		func(i int) string { return tokens[i%2] })
	if count["201 "] != giveaway.MaxPendingPerDevice-2 || count["429 too_many_pending"] != n-(giveaway.MaxPendingPerDevice-2) {
		t.Fatalf("answers: %v", count)
	}
	var pending int
	e.pool.QueryRow(t.Context(), `SELECT count(*) FROM claims WHERE status = 'pending'`).Scan(&pending)
	if pending != giveaway.MaxPendingPerDevice {
		t.Fatalf("%d pending claims from the phone", pending)
	}
}

// parallelClaims sends n other-network claims at once, claim i from addr(i) holding token(i), and
// counts the answers by status and error code.
func parallelClaims(e *env, n int, addr, token func(int) string) map[string]int {
	replies := make([]reply, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			replies[i] = e.otherClaim(addr(i), fmt.Sprintf("flood%d", i), httpapi.ClaimTokenHeader, token(i))
		}()
	}
	close(start)
	wg.Wait()
	count := map[string]int{}
	for _, r := range replies {
		count[fmt.Sprint(r.Status, " ", r.code())]++
	}
	return count
}

// A link to somewhere else than the network it names is refused before anything is stored.
func TestOtherNetworkLinksMustBeOnTheirNetwork(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	for _, u := range []string{"https://instagram.com.evil.example/p/1", "https://127.0.0.1/p/1",
		"https://instagram.com:444/p/1", "https://me@instagram.com/p/1", "http://instagram.com/p/1"} {
		r := e.call(req{method: "POST", path: claimPath("pycon"), body: map[string]any{"network": "instagram",
			"handle": "jisu", "post_url": u}})
		if r.Status != http.StatusBadRequest || r.code() != "invalid_post_url" {
			t.Errorf("%s: %d %s", u, r.Status, r.Raw)
		}
	}
}
