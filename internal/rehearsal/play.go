package rehearsal

import (
	"context"
	"fmt"
	"net/url"
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
	ctx        context.Context // the day's life: Ctrl-C ends it
	logf       func(format string, args ...any)
	pool       *pgxpool.Pool
	es         *estest.Server
	x          *xtest.Server
	masto      *mastodontest.Server
	sky        *blueskytest.Server
	c          *client
	clusterDir string
	instances  [2]*instance
	organiser  *browser // the organiser's laptop, logged in to the console
	leadID     int64    // the staff member whose PIN the organiser changes
	restocked  int      // T-shirts the console's restocks added, as the organiser saw it done

	mu           sync.Mutex
	claims       map[int]claimSeen // attendee → the claim the attendee holds
	gives        []giveSeen
	undone       int
	tweets       int            // lines sent on the X stream: posts, duplicates, deletes
	pgWindows    [][2]time.Time // PostgreSQL restarts, 5xx allowed inside
	checks       []check        // what the crowd and the attackers were answered, checked as they went
	faults       []string
	deleted      []streamed
	posted       []streamed     // every post sent on the stream, duplicates once
	burst        [2]time.Time   // the keynote minute
	killed       [][2]time.Time // SIGKILLs: stream lines written to the dead reader are lost, as with X
	peak         [2]usage       // each instance's peak memory and open files
	dayLength    time.Duration
	recovery     []recovery         // fault → how long until the service was whole again
	awaited      []string           // the recoveries measured, recovered from or not
	recovering   sync.WaitGroup     // the recoveries still being measured
	pageP99      [2]float64         // ms from a claim's change to its page showing it: verified, given
	others       int                // claims for an Instagram post, for staff to decide
	decided      map[int64]string   // claim → "approve" or "reject", as the tablet saw it done
	toots        int                // posts with every hashtag published on the Mastodon double
	skeets       int                // posts with every hashtag pushed on the Bluesky double
	lives        map[int]*live      // attendee → the claim page's event stream
	liveCtx      context.Context    // the streams' life
	stopLive     context.CancelFunc // closes every stream
	pages        pageStreams        // every claim page's streams, in a crowd process (pagestreams.go)
	notices      notices            // the claims' notices as the rehearsal heard them (latecause.go)
	faultWindows []faultWindow      // the faults' windows, for the streams' late changes
	dayStart     time.Time
}

// recovery is how long the service took to be whole again after a fault.
type recovery struct {
	what string
	s    float64
}

// streamed is a post or a delete notice sent on the X stream: its id and when.
type streamed struct {
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
	if !ok && (d.ctx == nil || d.ctx.Err() == nil) { // once interrupted, failures are the shutdown's
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
	return d.setUpConsole(context.Background())
}

func (d *day) minute() time.Duration { return d.cfg.MinuteLength }

// play runs the crowd, the stream and the tablets for the day's minutes, and the faults at
// their moments; ErrInterrupted when ctx ends first.
func (d *day) play(ctx context.Context) error {
	d.ctx = ctx
	d.claims = map[int]claimSeen{}
	d.lives = map[int]*live{}
	d.decided = map[int64]string{}
	d.liveCtx, d.stopLive = context.WithCancel(ctx)
	d.dayStart = time.Now()
	d.notices.first = map[string]time.Time{}
	go d.listen(d.liveCtx)
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
	var faults sync.WaitGroup
	if d.cfg.Faults {
		faults.Add(1)
		go func() { defer faults.Done(); d.faultSchedule(end) }()
	}
	started := time.Now()
	d.logf("rehearsal: the day begins (%d played minutes)", d.cfg.Minutes)
	done := make(chan struct{})
	go func() { wg.Wait(); faults.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		// The crowd and the tablets are left to fail against the stopping instances; a fault
		// under way (a restart) ends first, so nothing starts again after the shutdown.
		faults.Wait()
		d.mu.Lock()
		d.dayLength = time.Since(started)
		d.mu.Unlock()
		return ErrInterrupted
	}
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

func did(i int) string { return fmt.Sprintf("did:plc:att%05d", i) }

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}
