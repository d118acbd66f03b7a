package rehearsal

import (
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// tablet: logs in, then gives to verified claims until the day ends; taps lose their answer now
// and then (retried with the same key), and some gives are undone.
func (d *day) tablet(t int, end time.Time) {
	var token string
	for try := 0; token == "" && try < 50; try++ {
		a := d.c.do("POST", d.inst(t+try).base()+"/api/v1/auth/login", []byte(fmt.Sprintf(`{"name":"tablet%d","pin":%q}`, t, staffPIN)))
		var s struct{ Token string }
		json.Unmarshal(a.Body, &s)
		token = s.Token
		if token == "" {
			time.Sleep(d.minute() / 10)
		}
	}
	if token == "" {
		d.expect(fmt.Sprintf("tablet%d logs in", t), false)
		return
	}
	auth := []string{"Authorization", "Bearer " + token}
	for k := 0; time.Now().Before(end); k++ {
		time.Sleep(d.minute()/4 + time.Duration(rand.Int64N(int64(d.minute()/4))))
		in := d.inst(t + k)
		if t == 0 {
			d.decide(in, auth)
		}
		a := d.c.do("GET", in.base()+"/api/v1/campaigns/"+slug+"/claims?status=verified&limit=20", nil, auth...)
		var list struct {
			Claims []struct{ ID int64 } `json:"claims"`
		}
		if json.Unmarshal(a.Body, &list) != nil || len(list.Claims) == 0 {
			continue
		}
		id := list.Claims[rand.IntN(len(list.Claims))].ID
		prize := "sticker"
		if k%2 == 0 {
			prize = "tshirt"
		}
		g := d.give(t+k, id, prize, k%6 == 3, auth)
		switch {
		case g.outcome != "given":
		case k%7 == 4:
			d.undo(t+k, id, auth)
		case k%5 == 0:
			// The double tap: a second give of the same claim with a new key is refused.
			again := d.give(t+k+1, id, prize, false, auth)
			d.expect("a second give of the same claim with a new key is refused", again.outcome != "given")
		}
	}
}

// decide: the first tablet approves the pending claims for other networks' posts, rejecting
// every third.
func (d *day) decide(in *instance, auth []string) {
	a := d.c.do("GET", in.base()+"/api/v1/campaigns/"+slug+"/claims?status=pending&limit=500", nil, auth...)
	var list struct {
		Claims []struct {
			ID      int64
			Network string
		} `json:"claims"`
	}
	json.Unmarshal(a.Body, &list)
	for _, c := range list.Claims {
		if c.Network != "instagram" {
			continue // X and Mastodon claims wait for their post
		}
		action := "approve"
		if c.ID%3 == 0 {
			action = "reject"
		}
		key := newKey()
		for try := 0; try < 20; try++ {
			r := d.c.do("POST", fmt.Sprintf("%s/api/v1/claims/%d/%s", d.inst(try).base(), c.ID, action), nil,
				append([]string{"Idempotency-Key", key}, auth...)...)
			if r.Status == 200 {
				d.mu.Lock()
				d.decided[c.ID] = action
				d.mu.Unlock()
				break
			}
			if r.Status != 0 && r.Status < 500 {
				d.expect(fmt.Sprintf("staff %s a pending Instagram claim: %d %s", action, r.Status, r.Body), false)
				break
			}
			time.Sleep(d.minute() / 10)
		}
	}
}

func newKey() string {
	b := make([]byte, 12)
	crand.Read(b)
	return hex.EncodeToString(b)
}

// give taps Give with one idempotency key until an answer arrives, on either instance; with
// drop the first answer is thrown away as a lost response would be.
func (d *day) give(n int, claimID int64, prize string, drop bool, auth []string) giveSeen {
	key := newKey()
	body := []byte(fmt.Sprintf(`{"prize":%q}`, prize))
	g := giveSeen{claimID: claimID, prize: prize, outcome: "unknown"}
	for try := 0; try < 20; try++ {
		a := d.c.do("POST", fmt.Sprintf("%s/api/v1/claims/%d/give", d.inst(n+try).base(), claimID), body,
			append([]string{"Idempotency-Key", key}, auth...)...)
		if drop && try == 0 {
			continue // the answer never reached the tablet
		}
		if a.Status == 0 || a.Status >= 500 || (a.Status == 409 && strings.Contains(string(a.Body), "in_progress")) {
			time.Sleep(d.minute() / 10)
			continue
		}
		if a.Status == 200 {
			var out struct {
				GivenAt time.Time `json:"given_at"`
			}
			json.Unmarshal(a.Body, &out)
			g.outcome, g.givenAt = "given", out.GivenAt
		} else {
			var e struct {
				Error struct{ Code string } `json:"error"`
			}
			json.Unmarshal(a.Body, &e)
			g.outcome, g.code = "refused", e.Error.Code
		}
		break
	}
	d.mu.Lock()
	d.gives = append(d.gives, g)
	d.mu.Unlock()
	return g
}

func (d *day) undo(n int, claimID int64, auth []string) {
	key := newKey()
	for try := 0; try < 20; try++ {
		a := d.c.do("POST", fmt.Sprintf("%s/api/v1/claims/%d/undo", d.inst(n+try).base(), claimID), nil,
			append([]string{"Idempotency-Key", key}, auth...)...)
		if a.Status == 200 {
			d.mu.Lock()
			d.undone++
			for i := len(d.gives) - 1; i >= 0; i-- {
				if d.gives[i].claimID == claimID && d.gives[i].outcome == "given" {
					d.gives[i].outcome = "undone"
					break
				}
			}
			d.mu.Unlock()
			return
		}
		if a.Status != 0 && a.Status < 500 {
			d.expect(fmt.Sprintf("undo of a give the tablet saw succeed: %d %s", a.Status, a.Body), false)
			return
		}
		time.Sleep(d.minute() / 10)
	}
}
