package rehearsal

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/bluesky/blueskytest"
	"github.com/boothgiveaway/giveaway/internal/estest"
	"github.com/boothgiveaway/giveaway/internal/mastodon/mastodontest"
	"github.com/boothgiveaway/giveaway/internal/xstream/xtest"
)

// day is the played day's state: what runs, and what every client saw.
type day struct {
	cfg        Config
	logf       func(format string, args ...any)
	pool       *pgxpool.Pool
	es         *estest.Server
	x          *xtest.Server
	masto      *mastodontest.Server
	sky        *blueskytest.Server
	c          *client
	clusterDir string
	instances  [2]*instance

	mu        sync.Mutex
	claims    map[int]claimSeen // attendee → the claim the attendee holds
	gives     []giveSeen
	undone    int
	tweets    int
	pgWindows [][2]time.Time // PostgreSQL restarts, 5xx allowed inside
	checks    []check        // what the crowd and the attackers were answered, checked as they went
	faults    []string
	deleted   []sentDelete
	posted    []sentDelete   // every post sent on the stream, duplicates once
	burst     [2]time.Time   // the keynote minute
	killed    [][2]time.Time // SIGKILLs: stream lines written to the dead reader are lost, as with X
	peak      [2]usage       // each instance's peak memory and open files
	dayLength time.Duration
	recovery  [][2]string        // fault → seconds until the service was whole again
	others    int                // claims for a post on another network, for staff to decide
	decided   map[int64]string   // claim → "approve" or "reject", as the tablet saw it done
	toots     int                // posts published on the Mastodon double
	skeets    int                // posts with every hashtag pushed on the Bluesky double
	lives     map[int]*live      // attendee → the claim page's event stream
	liveCtx   context.Context    // the streams' life
	stopLive  context.CancelFunc // closes every stream
}

// sentDelete is a post or a delete notice sent on the stream: its id and when.
type sentDelete struct {
	id string
	at time.Time
}

type claimSeen struct {
	ID    int64  `json:"id"`
	Token string `json:"token"`
}

// giveSeen is a give as a tablet saw it in the end, after its retries with the same key.
type giveSeen struct {
	claimID int64
	prize   string
	outcome string // "given", "refused" (4xx: the answer's code), "unknown" (never answered)
	code    string
	givenAt time.Time
}

// check is one expectation about an answer, judged at once and counted in the proofs.
type check struct {
	hostile bool // an attack's answer, proven apart from the crowd's
	what    string
	ok      bool
}

func (d *day) expect(what string, ok bool) { d.judged(false, what, ok) }

func (d *day) judged(hostile bool, what string, ok bool) {
	d.mu.Lock()
	d.checks = append(d.checks, check{hostile, what, ok})
	d.mu.Unlock()
	if !ok {
		d.logf("rehearsal: FAILED %s", what)
	}
}

func (d *day) inst(i int) *instance { return d.instances[i%2] }

// setUp creates the campaign (one plentiful prize, one that runs out) and the tablets' staff.
func (d *day) setUp() error {
	now := time.Now().UTC()
	body := fmt.Sprintf(`{"slug":%q,"name":"Rehearsal","required_hashtags":["PyConAPAC","Elastic"],
		"starts_at":%q,"ends_at":%q,"time_zone":"Asia/Seoul","per_person_limit":1,
		"prizes":[{"key":"sticker","name":"Sticker","stock":100000},{"key":"tshirt","name":"T-shirt","stock":%d}]}`,
		slug, now.Add(-time.Hour).Format(time.RFC3339), now.Add(24*time.Hour).Format(time.RFC3339), scarceStock)
	if a := d.c.do("POST", d.inst(0).base()+"/api/v1/campaigns", []byte(body), "Authorization", "Bearer "+adminToken); a.Status != 201 {
		return fmt.Errorf("create campaign: %d %s", a.Status, a.Body)
	}
	for t := 0; t <= d.cfg.Tablets; t++ {
		name := fmt.Sprintf("tablet%d", t)
		if t == d.cfg.Tablets {
			name = "victim" // the wrong-PIN burst's target
		}
		b := fmt.Sprintf(`{"name":%q,"pin":%q,"role":"staff"}`, name, staffPIN)
		if a := d.c.do("POST", d.inst(t).base()+"/api/v1/staff", []byte(b), "Authorization", "Bearer "+adminToken); a.Status != 201 {
			return fmt.Errorf("create staff: %d %s", a.Status, a.Body)
		}
	}
	return nil
}

func (d *day) minute() time.Duration { return d.cfg.MinuteLength }

// play runs the crowd, the stream and the tablets for the day's minutes, and the faults at
// their moments.
func (d *day) play(ctx context.Context) error {
	d.claims = map[int]claimSeen{}
	d.lives = map[int]*live{}
	d.decided = map[int64]string{}
	d.liveCtx, d.stopLive = context.WithCancel(ctx)
	end := time.Now().Add(time.Duration(d.cfg.Minutes) * d.minute())
	var wg sync.WaitGroup
	run := func(f func(end time.Time)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(end) }()
	}
	run(d.crowd)
	run(d.stream)
	for t := 0; t < d.cfg.Tablets; t++ {
		run(func(end time.Time) { d.tablet(t, end) })
	}
	run(d.hostile)
	run(d.sampleUsage)
	if d.cfg.Faults {
		run(d.faultSchedule)
	}
	started := time.Now()
	wg.Wait()
	d.dayLength = time.Since(started)
	d.logf("rehearsal: the day is over; waiting for the feed to drain")
	return nil
}

// sampleUsage keeps each instance's peak memory and open files.
func (d *day) sampleUsage(end time.Time) {
	for time.Now().Before(end) {
		for i, in := range d.instances {
			if u, ok := in.sample(); ok {
				d.mu.Lock()
				d.peak[i].rssKB, d.peak[i].files = max(d.peak[i].rssKB, u.rssKB), max(d.peak[i].files, u.files)
				d.mu.Unlock()
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// poster says whether attendee i posts with every hashtag (most do; the rest forget one).
func poster(i int) bool { return i%10 < 7 }

func handle(i int) string { return fmt.Sprintf("att%05d", i) }

// phoneAddr is attendee i's phone on mobile data, as the load balancer in front reports it
// (X-Forwarded-For from a trusted proxy): each phone has the per-address budgets to itself. The
// attackers come from the rehearsal's own address.
func phoneAddr(i int) string { return fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255) }

func did(i int) string { return fmt.Sprintf("did:plc:att%05d", i) }

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

func (d *day) claim(i int) {
	in := d.inst(i)
	phone := []string{"X-Forwarded-For", phoneAddr(i)}
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
	case 3: // again from another phone: refused, revealing nothing
		again := d.c.do("POST", path, body, "X-Forwarded-For", phoneAddr(i+1<<23))
		d.expect("a claim from another device is 409 already_claimed and reveals no token",
			again.Status >= 500 || again.Status == 0 || (again.Status == 409 && strings.Contains(string(again.Body), "already_claimed") &&
				!strings.Contains(string(again.Body), c.Token)))
	case 4: // junk
		bad := d.c.do("POST", path, []byte(`{"network":"myspace","handle":"x"}`), phone...)
		d.expect("a claim for an unknown network is a 4xx with an error code", bad.Status == 0 || bad.Status >= 500 ||
			(bad.Status >= 400 && bad.Status < 500 && strings.Contains(string(bad.Body), `"code"`)))
	}
}

// stream: posts through the X stream double at the day's rate, the keynote minute at 5×; some
// duplicates, retweets, Korean and full-width hashtags.
func (d *day) stream(end time.Time) {
	start := time.Now()
	// The keynote lets out as PostgreSQL restarts (faults.go): the burst meets the fault.
	keynote := d.cfg.Minutes * 62 / 100
	burst := false
	next := int64(1_800_000_000_000_000_000)
	var originals, sent []string
	// A minute that fell behind (no reader took the stream for a while) is cut short: the clock,
	// not the count of minutes, says which minute it is.
	for m := 0; time.Now().Before(end); m = max(m+1, int(time.Since(start)/d.minute())) {
		n := d.cfg.TweetsPerMinute
		minuteEnd := start.Add(time.Duration(m+1) * d.minute())
		if m >= keynote && !burst {
			burst = true
			n *= 5
			minuteEnd = time.Now().Add(d.minute())
			d.mu.Lock()
			d.burst = [2]time.Time{time.Now(), minuteEnd}
			d.mu.Unlock()
		}
		for k := 0; k < n; k++ {
			i := rand.IntN(max(d.cfg.Attendees, 1))
			next++
			id := fmt.Sprint(next)
			var line string
			switch {
			case k%29 == 11 && len(sent) > 0: // the author deletes an earlier post
				gone := sent[rand.IntN(len(sent))]
				d.send(fmt.Sprintf(`{"delete":{"status":{"id":%s,"id_str":%q}}}`, gone, gone))
				d.mu.Lock()
				d.deleted = append(d.deleted, sentDelete{gone, time.Now()})
				d.mu.Unlock()
				continue
			case k%17 == 5 && len(originals) > 0: // a plain retweet of someone's eligible post: counts for no one
				line = refer(id, handle(i+1), "retweeted", originals[rand.IntN(len(originals))], "")
			case k%19 == 3 && len(originals) > 0: // a quote tweet: only its own text's hashtags count
				own := "me too!"
				if poster(i) {
					own = "me too #PyConAPAC #Elastic"
				}
				line = refer(id, handle(i), "quoted", originals[rand.IntN(len(originals))], own)
			case poster(i) && k%5 == 1:
				line = xtest.Post(id, handle(i), "부스에서 티셔츠 받았어요 #PyConAPAC #Elastic #파이콘")
			case poster(i) && k%5 == 2:
				line = xtest.Post(id, handle(i), "full-width tags ＃ＰｙＣｏｎＡＰＡＣ ＃ＥＬＡＳＴＩＣ")
			case poster(i):
				line = xtest.Post(id, handle(i), "Great talk at the booth #PyConAPAC #Elastic <script>alert(1)</script>")
			default:
				line = xtest.Post(id, handle(i), "Only one tag #PyConAPAC")
			}
			if poster(i) {
				originals = append(originals, line)
			}
			if k%4 == 0 { // the same crowd on Mastodon: streamed, and read back from the timeline after a gap
				text := "Only one tag #PyConAPAC"
				if poster(i) {
					text = "Mastodon에서도 #PyConAPAC #Elastic"
				}
				d.masto.Publish(d.masto.Toot(handle(i), text))
				if poster(i) { // the source keeps only posts with every required hashtag
					d.mu.Lock()
					d.toots++
					d.mu.Unlock()
				}
			}
			if k%4 == 2 { // and on Bluesky, replayed from the Jetstream cursor after a gap
				tags := []string{"PyConAPAC"}
				if poster(i) {
					tags = append(tags, "Elastic")
				}
				text := "블루스카이 #" + strings.Join(tags, " #")
				d.sky.SetProfile(did(i), handle(i)+".bsky.social")
				d.sky.Push(blueskytest.Create(did(i), "r"+id, blueskytest.Post{Type: "app.bsky.feed.post",
					CreatedAt: time.Now().UTC().Format(time.RFC3339Nano), Text: text, Langs: []string{"ko"},
					Facets: blueskytest.TagFacets(text, tags...)}))
				if poster(i) {
					d.mu.Lock()
					d.skeets++
					d.mu.Unlock()
				}
			}
			sent = append(sent, id)
			d.mu.Lock()
			d.posted = append(d.posted, sentDelete{id, time.Now()})
			d.mu.Unlock()
			d.send(line)
			if k%23 == 7 {
				d.send(line) // X delivers some posts twice
			}
			time.Sleep(time.Until(minuteEnd) / time.Duration(n-k+1))
		}
		time.Sleep(time.Until(minuteEnd))
	}
}

// send delivers a line to whichever instance holds the stream; while none does (the reader's
// instance was killed and the other has not taken over yet) it waits, as X's backfill would fill in.
func (d *day) send(line string) {
	for try := 0; !d.x.Send(line); try++ {
		if try == 600 {
			d.expect("an instance reads the X stream within 30 s", false)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.mu.Lock()
	d.tweets++
	d.mu.Unlock()
}

// refer makes a post by username that retweets or quotes (kind) an earlier post's stream line; a
// retweet's text is X's "RT @author: text", a quote's is its own.
func refer(id, username, kind, original, own string) string {
	var o struct {
		Data struct {
			ID   string `json:"id"`
			Text string `json:"text"`
		} `json:"data"`
		Includes struct {
			Users []struct{ Username string } `json:"users"`
		} `json:"includes"`
	}
	json.Unmarshal([]byte(original), &o)
	text := own
	if kind == "retweeted" && len(o.Includes.Users) > 0 {
		text = "RT @" + o.Includes.Users[0].Username + ": " + o.Data.Text
	}
	var m map[string]any
	json.Unmarshal([]byte(xtest.Post(id, username, text)), &m)
	m["data"].(map[string]any)["referenced_tweets"] = []map[string]string{{"type": kind, "id": o.Data.ID}}
	b, _ := json.Marshal(m)
	return string(b)
}

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

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}
