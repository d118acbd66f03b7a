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

// Nobody can fill the staff approval queue: one address has at most 3 pending other-network
// claims in a campaign. Others, their own claims again, X claims and staff are not held back.
func TestOneAddressCannotFillTheApprovalQueue(t *testing.T) {
	e := newEnv(t, behindProxy)
	e.campaign("pycon", campaignOpts{})
	staff := e.staff("Janis")
	const addr = "203.0.113.7"
	var first reply
	for i := range giveaway.MaxPendingPerAddress {
		r := e.otherClaim(addr, fmt.Sprintf("filler%d", i))
		if r.Status != http.StatusCreated {
			t.Fatalf("claim %d: %d %s", i, r.Status, r.Raw)
		}
		if i == 0 {
			first = r
		}
	}
	r := e.otherClaim(addr, "filler9")
	if r.Status != http.StatusTooManyRequests || r.code() != "too_many_pending" {
		t.Fatalf("4th pending claim: %d %s", r.Status, r.Raw)
	}
	if ra := r.Header.Get("Retry-After"); ra != "" {
		t.Errorf("Retry-After %q: waiting does not help, staff deciding does", ra)
	}
	if r := e.otherClaim("203.0.113.8", "neighbour"); r.Status != http.StatusCreated {
		t.Errorf("another address: %d %s", r.Status, r.Raw)
	}
	if r := e.call(req{method: "POST", path: claimPath("pycon"), body: map[string]any{"handle": "xperson"},
		headers: map[string]string{"X-Forwarded-For": addr}}); r.Status != http.StatusCreated {
		t.Errorf("an X claim from the address: %d %s", r.Status, r.Raw)
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
	// Staff decide one: the address may claim again.
	e.must(http.StatusOK, req{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/approve", first.Body["id"]), bearer: staff})
	if r := e.otherClaim(addr, "filler9"); r.Status != http.StatusCreated {
		t.Errorf("after an approval: %d %s", r.Status, r.Raw)
	}
	var stored string
	e.pool.QueryRow(t.Context(), `SELECT host(client_addr) FROM claims WHERE handle = 'filler9'`).Scan(&stored)
	if stored != addr {
		t.Errorf("client_addr %q", stored)
	}
}

// Twenty simultaneous claims from one address cannot get past the bound together.
func TestParallelClaimsFromOneAddressStayWithinTheBound(t *testing.T) {
	e := newEnv(t, behindProxy)
	e.campaign("pycon", campaignOpts{})
	const n, addr = 20, "198.51.100.20"
	replies := make([]reply, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			replies[i] = e.otherClaim(addr, fmt.Sprintf("flood%d", i))
		}()
	}
	close(start)
	wg.Wait()
	count := map[string]int{}
	for _, r := range replies {
		count[fmt.Sprint(r.Status, " ", r.code())]++
	}
	if count["201 "] != giveaway.MaxPendingPerAddress || count["429 too_many_pending"] != n-giveaway.MaxPendingPerAddress {
		t.Fatalf("answers: %v", count)
	}
	var pending int
	e.pool.QueryRow(t.Context(), `SELECT count(*) FROM claims WHERE client_addr = $1::inet AND status = 'pending'`, addr).Scan(&pending)
	if pending != giveaway.MaxPendingPerAddress {
		t.Fatalf("%d pending claims from the address", pending)
	}
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
