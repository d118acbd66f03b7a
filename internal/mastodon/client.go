// Package mastodon reads a Mastodon instance: one hashtag stream (Server-Sent Events) per distinct
// first required hashtag of the campaigns that are on, keeping the author's own posts that carry
// every required hashtag of a campaign. After each (re)connect it fills the gap from the hashtag
// timeline, from the newest status it saw, which it keeps in the database so a restart resumes
// there too. Only one instance of the service reads (a PostgreSQL advisory lock elects it); posts
// go to the same ingest path as every other source.
package mastodon

import (
	"context"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/leader"
	"github.com/boothgiveaway/giveaway/internal/mastodon/tagname"
	"github.com/boothgiveaway/giveaway/internal/source"
	"github.com/boothgiveaway/giveaway/internal/store"
)

// Client follows the instance's hashtag streams. Make it with New and start it with Run.
type Client struct {
	cfg  Config
	host string // the instance's host, naming its cursors (status ids are per instance)
	pool *pgxpool.Pool
	sink ingest.Sink
	log  *slog.Logger
	m    metrics

	changed chan struct{}
	known   *knownStatuses

	mu sync.Mutex
	st state
}

type state struct {
	leader        bool
	inst          instance
	streams       map[string]*streamState // by first hashtag, as Mastodon names it
	reconnects    int64
	postsReceived int64
	lastPost      time.Time
	lastEvent     time.Time
	lastError     string
	account       *accountCheck // what the token's account filters; nil until checked
}

type streamState struct {
	connected bool // the stream answered
	live      bool // connected and the gap since the cursor filled: nothing is being missed
	since     time.Time
	lastError string
}

type metrics struct {
	source.Metrics // leader, connected (one per hashtag stream), reconnects by cause
	lastEvent      prometheus.Gauge
	statuses       *prometheus.CounterVec
	filled         prometheus.Counter
}

// New makes a client for cfg; reg may be nil (no metrics registered).
func New(cfg Config, pool *pgxpool.Pool, sink ingest.Sink, reg prometheus.Registerer) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.BaseURL)
	c := &Client{cfg: cfg, host: strings.ToLower(u.Host), pool: pool, sink: sink, log: cfg.Logger,
		changed: make(chan struct{}, 1), known: newKnown(50_000)}
	shared, err := source.NewMetrics(reg, c.Name())
	if err != nil {
		return nil, err
	}
	c.m = metrics{
		Metrics: shared,
		lastEvent: prometheus.NewGauge(prometheus.GaugeOpts{Name: "giveaway_mastodon_last_event_timestamp_seconds",
			Help: "Unix time of the last byte (event or heartbeat) read from a hashtag stream."}),
		statuses: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "giveaway_mastodon_statuses_total",
			Help: "Statuses read (stream and gap fill) by outcome: kept, missing_tags, boost, bad."},
			[]string{"outcome"}),
		filled: prometheus.NewCounter(prometheus.CounterOpts{Name: "giveaway_mastodon_gap_fill_statuses_total",
			Help: "Statuses read from the hashtag timeline to fill gaps after a (re)connect."}),
	}
	if err := source.Register(reg, c.m.lastEvent, c.m.statuses, c.m.filled); err != nil {
		return nil, err
	}
	return c, nil
}

var _ source.Source = (*Client)(nil)

// Name is the reader's key in /readyz.
func (c *Client) Name() string { return "mastodon" }

// Status is the reader's state for /readyz and the admin: connected while any hashtag stream is
// open, and each stream in Detail.
func (c *Client) Status() source.Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	streams := map[string]any{}
	connected, live := 0, 0
	for tag, s := range c.st.streams {
		m := map[string]any{"connected": s.connected, "live": s.live}
		if s.connected {
			connected++
			m["connected_since"] = s.since
		}
		if s.live {
			live++
		}
		if s.lastError != "" {
			m["last_error"] = s.lastError
		}
		streams[tag] = m
	}
	d := map[string]any{
		"instance":          c.cfg.BaseURL,
		"streams":           streams,
		"streams_connected": connected,
		"live":              live,
		"posts_received":    c.st.postsReceived,
	}
	if !c.st.lastPost.IsZero() {
		d["last_post"] = c.st.lastPost
	}
	if !c.st.lastEvent.IsZero() {
		d["last_event"] = c.st.lastEvent
	}
	if c.st.inst.Domain != "" {
		d["domain"] = c.st.inst.Domain
		d["streaming_url"] = c.st.inst.Streaming
	}
	degraded := c.st.inst.degraded()
	if ac := c.st.account; ac != nil {
		d["account"] = ac
		degraded = append(degraded, ac.degraded()...)
	}
	return source.Status{Leader: c.st.leader, Connected: connected > 0, Reconnects: c.st.reconnects,
		LastError: c.st.lastError, Degraded: degraded, Detail: d}
}

// CampaignsChanged asks the reader, if this instance holds it, to read the campaigns now rather
// than at the next refresh.
func (c *Client) CampaignsChanged() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// Run reads while this instance holds the Mastodon lock and stands by otherwise; it returns
// when ctx ends. Network trouble never ends it: every stream reconnects with backoff.
func (c *Client) Run(ctx context.Context) error {
	return leader.Run(ctx, c.pool, "mastodon", c.cfg.LeaderRetry, c.lead)
}

func (c *Client) update(f func(*state)) {
	c.mu.Lock()
	f(&c.st)
	c.mu.Unlock()
}

// lead learns about the instance, then keeps one stream per wanted hashtag until ctx ends.
func (c *Client) lead(ctx context.Context) error {
	c.update(func(s *state) { s.leader = true })
	c.m.Leader.Set(1)
	defer func() {
		c.update(func(s *state) { s.leader, s.streams = false, nil })
		c.m.Leader.Set(0)
	}()
	inst, err := c.instanceWithRetry(ctx)
	if err != nil {
		return nil // ctx ended
	}
	c.update(func(s *state) { s.inst = inst })
	c.log.Info("reading Mastodon", "domain", inst.Domain, "streaming", inst.Streaming)
	for _, d := range inst.degraded() {
		c.log.Warn(d)
	}
	c.checkAndSay(ctx)
	lastCheck := c.cfg.Now()

	running := map[string]*stream{}
	defer func() {
		for _, s := range running {
			s.stop()
		}
	}()
	for {
		if c.cfg.Now().Sub(lastCheck) >= c.cfg.AccountCheckEvery {
			c.checkAndSay(ctx)
			lastCheck = c.cfg.Now()
		}
		wait := c.cfg.RefreshInterval
		if err := c.refresh(ctx, inst, running); err != nil && ctx.Err() == nil {
			// Streams already open go on with the campaigns they had.
			c.log.Error("reading the campaigns failed", "err", err)
			c.update(func(s *state) { s.lastError = "campaigns: " + err.Error() })
			wait = min(wait, 5*time.Second)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		case <-c.changed:
			t.Stop()
		}
	}
}

// checkAndSay checks what the token's account filters and says it in the log and the status.
func (c *Client) checkAndSay(ctx context.Context) {
	ac := c.checkAccount(ctx)
	if ctx.Err() != nil {
		return
	}
	c.update(func(s *state) { s.account = &ac })
	if ac.Failed {
		c.log.Error("cannot check what the Mastodon token's account filters", "err", ac.Error)
	}
	for _, d := range ac.degraded() {
		c.log.Warn(d, "acct", ac.Acct, "domains", strings.Join(ac.DomainBlocks[:min(len(ac.DomainBlocks), 20)], " "))
	}
	if !ac.Failed {
		c.log.Info("Mastodon token's account checked; its chosen languages (Preferences, Other, Filter languages) are not shown by the API: "+
			"leave them all unticked, or posts in other languages never reach the streams",
			"acct", ac.Acct, "mutes", ac.Mutes, "blocks", ac.Blocks, "domain_blocks", ac.Domains)
	}
}

// instanceWithRetry fetches the instance's description, backing off until it answers: without
// its domain a local author's handle would be stored wrong.
func (c *Client) instanceWithRetry(ctx context.Context) (instance, error) {
	var b backoff
	for {
		inst, err := c.fetchInstance(ctx)
		if err == nil {
			return inst, nil
		}
		if ctx.Err() != nil {
			return inst, ctx.Err()
		}
		kind, floor := kindOf(err)
		wait := b.next(kind, floor)
		c.log.Error("cannot read the instance description; retrying", "err", err, "wait", wait)
		c.update(func(s *state) { s.lastError = err.Error() })
		if err := c.cfg.Sleep(ctx, wait); err != nil {
			return inst, err
		}
	}
}

// filter is one campaign's hashtags as far as a stream is concerned.
type filter struct {
	required []string // as Mastodon names them (tagname); the first is the stream's tag
	others   []string // required[1:], for the timeline's all[]
	spelled  []string // as the campaign spells them, in the same order
}

// wanted groups the listening campaigns by their first required hashtag as Mastodon names it,
// so #PyConEspaña and #PyConEspana share one stream as they share one tag on Mastodon.
func wanted(rows []store.ListeningCampaignsRow) map[string]*streamSpec {
	out := map[string]*streamSpec{}
	for _, r := range rows {
		// The display spelling, not the stored comparison form: that one is case-folded
		// ("Straße" becomes "strasse"), while Mastodon only lower-cases.
		spelled := r.DisplayHashtags
		if len(spelled) != len(r.RequiredHashtags) {
			spelled = r.RequiredHashtags
		}
		f := filter{spelled: spelled}
		for _, d := range spelled {
			if n := tagname.Name(d); n != "" {
				f.required = append(f.required, n)
			}
		}
		if len(f.required) == 0 {
			continue
		}
		f.others = f.required[1:]
		first := f.required[0]
		spec := out[first]
		if spec == nil {
			spec = &streamSpec{tag: first}
			out[first] = spec
		}
		if !slices.ContainsFunc(spec.filters, func(g filter) bool { return slices.Equal(g.required, f.required) }) {
			spec.filters = append(spec.filters, f)
		}
	}
	return out
}

type streamSpec struct {
	tag     string // as Mastodon names it: the stream's parameter and the cursor's name
	filters []filter
}

// refresh starts the streams newly wanted, stops the ones no campaign wants, and hands the
// current filters to the rest.
func (c *Client) refresh(ctx context.Context, inst instance, running map[string]*stream) error {
	rows, err := store.New(c.pool).ListeningCampaigns(ctx, c.cfg.Now())
	if err != nil {
		return err
	}
	want := wanted(rows)
	for tag, s := range running {
		if _, ok := want[tag]; !ok {
			c.log.Info("no campaign needs the hashtag any more; closing its stream", "tag", tag)
			s.stop()
			delete(running, tag)
			c.update(func(st *state) { delete(st.streams, tag) })
		}
	}
	for tag, spec := range want {
		if s, ok := running[tag]; ok {
			s.filters.Store(&spec.filters)
			continue
		}
		s := c.startStream(ctx, inst, spec)
		running[tag] = s
	}
	return nil
}

// knownStatuses remembers which instance-local ids belong to the posts this process passed on,
// since a delete event names only the local id while posts are stored by uri. Bounded: the
// oldest are forgotten first.
type knownStatuses struct {
	mu    sync.Mutex
	uri   map[string]string
	order []string
	next  int
}

func newKnown(n int) *knownStatuses {
	return &knownStatuses{uri: make(map[string]string, n), order: make([]string, n)}
}

func (k *knownStatuses) add(id, uri string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.uri[id]; ok {
		return
	}
	if old := k.order[k.next]; old != "" {
		delete(k.uri, old)
	}
	k.order[k.next] = id
	k.next = (k.next + 1) % len(k.order)
	k.uri[id] = uri
}

func (k *knownStatuses) get(id string) (string, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	u, ok := k.uri[id]
	return u, ok
}
