// Package app builds the service from its typed configuration: the pool's users (giveaway, auth,
// ingest), the HTTP edge (the JSON API and the pages on one Echo), the process's one LISTEN
// connection, the sources and the Elasticsearch feeder. serve, the test harnesses and the bench
// all build it here, so the service they run is the one that ships. cmd/giveaway fills Config
// from flags and environment; nothing under internal/ reads the environment.
package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/bluesky"
	"github.com/boothgiveaway/giveaway/internal/esfeed"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/housekeeping"
	"github.com/boothgiveaway/giveaway/internal/httpapi"
	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/mastodon"
	"github.com/boothgiveaway/giveaway/internal/notify"
	"github.com/boothgiveaway/giveaway/internal/oauth"
	"github.com/boothgiveaway/giveaway/internal/pages"
	"github.com/boothgiveaway/giveaway/internal/server"
	"github.com/boothgiveaway/giveaway/internal/source"
	"github.com/boothgiveaway/giveaway/internal/xstream"
)

// Config is the whole service's configuration. Zero values take each package's defaults.
type Config struct {
	PublicBaseURL   string // where attendees reach the service; QR codes and re-issued links point here
	SecureCookies   bool   // cookies are Secure and HSTS is sent (PUBLIC_BASE_URL is https)
	AdminToken      string
	IngestToken     string
	IngestSecret    string        // signed ingest pushes
	XWebhookSecret  string        // X's webhook CRC and deliveries
	SignatureWindow time.Duration // how old a signed push's timestamp may be
	TrustedProxies  []string      // CIDRs whose X-Forwarded-For is believed
	ClaimsPerMinute int           // public budget per client address
	// StatusPerMinute and LoginPerMinute are the pages' own budgets (0: their defaults).
	StatusPerMinute, LoginPerMinute int
	StreamsPerAddress               int // live-update streams one address may hold open
	// PendingPerAddress bounds one address's other-network claims waiting for staff in a campaign
	// (0: giveaway.DefaultPendingPerAddress; negative: no bound).
	PendingPerAddress int
	SessionTTL        time.Duration
	UndoWindow        time.Duration
	CSRFKey           []byte // nil: a random key for this process
	WebDir            string // development: templates and static files from disk
	KibanaURL         string // the Kibana the console links to; empty: no link
	// AccessLog gets one line per HTTP request with its X-Request-Id (nil: none).
	AccessLog *slog.Logger
	// OAuth configures "Sign in with X / Mastodon" on the claim page (off unless it names a
	// client id or turns Mastodon on); SignInsPerMinute is its budget per client address.
	OAuth            oauth.Config
	SignInsPerMinute int

	Sources       Sources
	Elasticsearch Elasticsearch
	// HousekeepingEvery is how often expired sessions and old idempotency keys are deleted
	// (default 10 min).
	HousekeepingEvery time.Duration
	Clock             func() time.Time // the giveaway's clock; tests set it
}

// Sources says which networks to read; each is off unless its config turns it on (Enabled).
type Sources struct {
	X        xstream.Config
	Mastodon mastodon.Config
	Bluesky  bluesky.Config
}

// Elasticsearch is the feed's configuration; an empty URL turns the feed off (the outbox keeps
// every change for a later backfill).
type Elasticsearch struct {
	URL                        string // node URL(s), comma separated
	Username, Password, APIKey string
	Analyzer                   string        // text analyzer of the index templates (default cjk)
	Retention                  time.Duration // confirmed outbox rows older than this are pruned
	BatchSize                  int           // outbox rows per round
}

// App is the built service. Serve its Echo and call Run for the background work.
type App struct {
	Pool     *pgxpool.Pool
	Echo     *echo.Echo
	Registry *prometheus.Registry
	Giveaway *giveaway.Service
	Auth     *auth.Service
	Ingest   *ingest.Service
	Pages    *pages.Pages
	// Notices is the process's one LISTEN connection: the pages, the feeder and the sources
	// subscribe to it.
	Notices *notify.Listener
	Sources []source.Source
	Feeder  *esfeed.Feeder // nil: no Elasticsearch configured

	housekeeping time.Duration
}

// New builds the service on pool (which the caller opens, checks and closes). Nothing runs until
// Run; the Echo answers at once.
func New(pool *pgxpool.Pool, cfg Config) (*App, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a := &App{Pool: pool, Registry: reg, Notices: notify.New(pool), housekeeping: cfg.HousekeepingEvery}
	if a.housekeeping <= 0 {
		a.housekeeping = 10 * time.Minute
	}
	a.Ingest = ingest.New(pool, reg)
	var err error
	if a.Sources, err = NewSources(cfg.Sources, pool, a.Ingest, reg); err != nil {
		return nil, err
	}
	gopts := []giveaway.Option{giveaway.WithMetrics(reg)}
	if cfg.UndoWindow > 0 { // else the giveaway's own default, as the pages take theirs
		gopts = append(gopts, giveaway.WithUndoWindow(cfg.UndoWindow))
	}
	if cfg.PendingPerAddress != 0 {
		gopts = append(gopts, giveaway.WithPendingPerAddress(cfg.PendingPerAddress))
	}
	if cfg.Clock != nil {
		gopts = append(gopts, giveaway.WithClock(cfg.Clock))
	}
	a.Giveaway = giveaway.New(pool, gopts...)
	a.Auth = auth.New(pool, cfg.AdminToken, cfg.SessionTTL)
	apiCfg := httpapi.Config{
		IngestToken:     cfg.IngestToken,
		IngestSecret:    cfg.IngestSecret,
		XWebhookSecret:  cfg.XWebhookSecret,
		SignatureWindow: cfg.SignatureWindow,
		TrustedProxies:  cfg.TrustedProxies,
		ClaimsPerMinute: cfg.ClaimsPerMinute,
		SecureCookies:   cfg.SecureCookies,
		PublicBaseURL:   cfg.PublicBaseURL,
		SessionTTL:      cfg.SessionTTL,
		XPricePerPost:   cfg.Sources.X.PricePerPost,
		CSRFKey:         cfg.CSRFKey,
		AccessLog:       cfg.AccessLog,
	}
	apiDeps := httpapi.Deps{
		Pool:     pool,
		Giveaway: a.Giveaway,
		Auth:     a.Auth,
		Ingest:   a.Ingest,
		Registry: reg,
		Sources:  a.Sources,
		Ready: func(context.Context) map[string]any {
			out := map[string]any{}
			for _, s := range a.Sources {
				out[s.Name()] = s.Status()
			}
			return out
		},
	}
	if cfg.OAuth.PublicBaseURL == "" {
		cfg.OAuth.PublicBaseURL = cfg.PublicBaseURL
	}
	a.Echo, a.Pages, err = server.Mount(apiCfg, apiDeps, pages.Deps{Pool: pool, Giveaway: a.Giveaway, Auth: a.Auth,
		OAuth: oauth.New(pool, cfg.OAuth), SignInsPerMinute: cfg.SignInsPerMinute,
		Notices: a.Notices, PublicBaseURL: cfg.PublicBaseURL,
		ClaimsPerMinute: cfg.ClaimsPerMinute, StatusPerMinute: cfg.StatusPerMinute,
		LoginPerMinute: cfg.LoginPerMinute, UndoWindow: cfg.UndoWindow, WebDir: cfg.WebDir,
		StreamsPerAddress: cfg.StreamsPerAddress, KibanaURL: cfg.KibanaURL, Sources: a.Sources})
	if err != nil {
		return nil, err
	}
	if a.Feeder, err = NewFeeder(cfg.Elasticsearch, pool, a.Notices, reg); err != nil {
		return nil, err
	}
	return a, nil
}

// Run does the background work until ctx ends: the LISTEN connection, the pages' live updates,
// the sources, the Elasticsearch feed and housekeeping. It returns once every worker stopped, so
// the last batches are stored before the caller closes the pool.
func (a *App) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, run := range []func(){
		func() { housekeeping.Run(ctx, a.Pool, a.housekeeping) },
		func() { a.Notices.Run(ctx) },
		func() { a.Pages.Run(ctx) }, // live updates for every open phone, tablet and wall
		func() { source.RunAll(ctx, a.Notices, a.Sources) },
		func() {
			if a.Feeder == nil {
				return
			}
			if err := a.Feeder.Run(ctx); err != nil {
				slog.Error("elasticsearch feed stopped", "error", err)
			}
		},
	} {
		wg.Add(1)
		go func() { defer wg.Done(); run() }()
	}
	wg.Wait()
}

// NewSources makes the sources cfg turns on: the X filtered stream, Mastodon and Bluesky, each
// handing its posts to sink. Each elects one reader among the instances through PostgreSQL, so
// every instance may run them. reg may be nil.
func NewSources(cfg Sources, pool *pgxpool.Pool, sink ingest.Sink, reg prometheus.Registerer) ([]source.Source, error) {
	var out []source.Source
	if on, err := cfg.X.Enabled(); err != nil {
		return nil, err
	} else if on {
		xs, err := xstream.New(cfg.X, pool, sink, reg)
		if err != nil {
			return nil, err
		}
		out = append(out, xs)
	}
	if on, err := cfg.Mastodon.Enabled(); err != nil {
		return nil, err
	} else if on {
		m, err := mastodon.New(cfg.Mastodon, pool, sink, reg)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if on, err := cfg.Bluesky.Enabled(); err != nil {
		return nil, err
	} else if on {
		b, err := bluesky.New(cfg.Bluesky, pool, sink, reg)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// NewFeeder builds the Elasticsearch feeder, or answers (nil, nil) when cfg names no
// Elasticsearch. notices (the process's LISTEN connection) and reg may be nil.
func NewFeeder(cfg Elasticsearch, pool *pgxpool.Pool, notices *notify.Listener, reg prometheus.Registerer) (*esfeed.Feeder, error) {
	if cfg.URL == "" {
		return nil, nil
	}
	es, err := esfeed.NewClient(esfeed.ClientConfig{URL: cfg.URL, Username: cfg.Username,
		Password: cfg.Password, APIKey: cfg.APIKey})
	if err != nil {
		return nil, err
	}
	return esfeed.New(pool, es, esfeed.Options{BatchSize: cfg.BatchSize, Retention: cfg.Retention,
		Analyzer: cfg.Analyzer, Registerer: reg, Notices: notices})
}
