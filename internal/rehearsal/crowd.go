package rehearsal

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// crowd: every attendee claims once, spread over the first part of the day; some claim again
// from the same device (same claim back), some from another device (refused), some send junk.
func (d *day) crowd(end time.Time) {
	n := d.cfg.Attendees
	spread := time.Until(end) * 7 / 10
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := 0; i < n; i++ {
		at := time.Duration(int64(spread) * int64(i) / int64(max(n, 1)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(at)
			sem <- struct{}{}
			defer func() { <-sem }()
			d.claim(i)
		}()
	}
	wg.Wait()
}

// venueNAT is the one address the whole crowd shares on the venue Wi-Fi, as the load balancer in
// front reports it (X-Forwarded-For from a trusted proxy): the per-address limits are set for it
// as README's event-day checklist says (see venueLimits). The attackers come from the
// rehearsal's own address.
const venueNAT = "203.0.113.7"

// mobileAddr is a phone of attendee i's on mobile data, an address of its own.
func mobileAddr(i int) string { return fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255) }

// venueLimits are the per-address limits README's event-day checklist tells an organiser to
// set for a crowd of attendees behind one venue NAT, as serve's environment.
func venueLimits(attendees int) []string {
	return []string{
		// Raised, never lowered below the defaults (300, 50): a small crowd keeps them.
		fmt.Sprintf("CLAIMS_PER_MINUTE=%d", max(300, 2*attendees)), // the whole crowd claiming in one minute, twice
		fmt.Sprintf("STREAMS_PER_ADDRESS=%d", max(50, attendees)),  // every attendee's claim page open on one instance
		"PENDING_PER_ADDRESS=0",                                    // no address cap; each phone still has 3
	}
}

func (d *day) claim(i int) {
	in := d.inst(i)
	phone := []string{"X-Forwarded-For", venueNAT}
	path := in.base() + "/api/v1/campaigns/" + slug + "/claims"
	body := []byte(fmt.Sprintf(`{"network":"twitter","handle":"@%s"}`, strings.ToUpper(handle(i)[:1])+handle(i)[1:]))
	var a answer
	for try := 0; try < 20; try++ {
		if a = d.c.do("POST", d.inst(i+try).base()+"/api/v1/campaigns/"+slug+"/claims", body, phone...); a.Status != 0 && a.Status < 500 {
			break
		}
		time.Sleep(d.minute() / 10)
	}
	if a.Status != 201 && a.Status != 409 {
		d.expect(fmt.Sprintf("claim of %s answered 201, got %d %s", handle(i), a.Status, a.Body), false)
		return
	}
	var c claimSeen
	if a.Status == 201 {
		json.Unmarshal(a.Body, &c)
		d.mu.Lock()
		d.claims[i] = c
		d.lives[i] = d.follow(d.liveCtx, i, c.Token)
		d.mu.Unlock()
	}
	if i%10 == 5 { // the same person also claims for Mastodon, verified by the Mastodon source
		m := d.c.do("POST", path, []byte(fmt.Sprintf(`{"network":"mastodon","handle":"@%s@%s"}`, handle(i), d.masto.Domain)), phone...)
		d.expect(fmt.Sprintf("a Mastodon claim is taken: %d %s", m.Status, m.Body), m.Status == 0 || m.Status >= 500 || m.Status == 201)
	}
	if i%10 == 6 { // and for Bluesky, verified by the Bluesky source
		d.sky.SetProfile(did(i), handle(i)+".bsky.social")
		b := d.c.do("POST", path, []byte(fmt.Sprintf(`{"network":"bluesky","handle":"%s.bsky.social"}`, handle(i))), phone...)
		d.expect(fmt.Sprintf("a Bluesky claim is taken: %d %s", b.Status, b.Body), b.Status == 0 || b.Status >= 500 || b.Status == 201)
	}
	if i%10 == 0 { // the same person also posted on Instagram: staff look at the post
		ig := d.c.do("POST", path, []byte(fmt.Sprintf(`{"network":"instagram","handle":"%s.ig","post_url":"https://www.instagram.com/p/rehearsal%d/"}`,
			handle(i), i)), phone...)
		d.expect(fmt.Sprintf("an Instagram claim is taken: %d %s", ig.Status, ig.Body), ig.Status == 0 || ig.Status >= 500 || ig.Status == 201)
		if ig.Status == 201 {
			d.mu.Lock()
			d.others++
			d.mu.Unlock()
		}
	}
	switch i % 20 {
	case 1, 2: // again from the same phone: the same claim
		again := d.c.do("POST", path, body, append([]string{"X-Claim-Token", c.Token}, phone...)...)
		var c2 claimSeen
		json.Unmarshal(again.Body, &c2)
		d.expect("a second claim from the same device returns the same claim", again.Status >= 500 || again.Status == 0 || c2.ID == c.ID)
	case 3: // again from another phone, on mobile data: refused, revealing nothing
		again := d.c.do("POST", path, body, "X-Forwarded-For", mobileAddr(i))
		d.expect("a claim from another device is 409 already_claimed and reveals no token",
			again.Status >= 500 || again.Status == 0 || (again.Status == 409 && strings.Contains(string(again.Body), "already_claimed") &&
				!strings.Contains(string(again.Body), c.Token)))
	case 4: // junk
		bad := d.c.do("POST", path, []byte(`{"network":"myspace","handle":"x"}`), phone...)
		d.expect("a claim for an unknown network is a 4xx with an error code", bad.Status == 0 || bad.Status >= 500 ||
			(bad.Status >= 400 && bad.Status < 500 && strings.Contains(string(bad.Body), `"code"`)))
	}
}
