package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/urfave/cli/v3"

	"github.com/boothgiveaway/giveaway/internal/bluesky"
	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/mastodon"
	"github.com/boothgiveaway/giveaway/internal/notify"
	"github.com/boothgiveaway/giveaway/internal/tweet"
	"github.com/boothgiveaway/giveaway/internal/xstream"
)

// source is one network the service pulls posts from; every one feeds the ingest path.
type source struct {
	name    string // its key in /readyz
	run     func(ctx context.Context) error
	status  func() any
	changed func() // re-read the campaigns now (a no-op on an instance that is not the reader)
}

// sourceEnvVars are the variables the sources read themselves (they are not flags of serve).
var sourceEnvVars = []string{"X_BEARER_TOKEN", "X_API_URL", "X_BACKFILL_MINUTES", "MASTODON_URL", "MASTODON_TOKEN",
	"BLUESKY_JETSTREAM_URL", "BLUESKY_APPVIEW_URL"}

// pullingSources makes the sources the environment configures: the X filtered stream
// (X_BEARER_TOKEN), Mastodon (MASTODON_URL and MASTODON_TOKEN), Bluesky (BLUESKY_JETSTREAM_URL).
// Each elects one reader among the instances through PostgreSQL, so every instance may run them.
func pullingSources(pool *pgxpool.Pool, svc *ingest.Service, reg prometheus.Registerer) ([]source, error) {
	var out []source
	if cfg, on, err := xstream.ConfigFromEnv(os.Getenv); err != nil {
		return nil, err
	} else if on {
		xs, err := xstream.New(cfg, pool, func(ctx context.Context, items []tweet.Item) (int, int, error) {
			r, err := svc.Ingest(ctx, items)
			return r.Stored, r.Duplicates, err
		}, reg)
		if err != nil {
			return nil, err
		}
		out = append(out, source{"x_stream", xs.Run, func() any { return xs.Status() }, xs.RulesChanged})
	}
	if cfg, on, err := mastodon.ConfigFromEnv(os.Getenv); err != nil {
		return nil, err
	} else if on {
		m, err := mastodon.New(cfg, pool, svc, reg)
		if err != nil {
			return nil, err
		}
		out = append(out, source{"mastodon", m.Run, func() any { return m.Status() }, m.CampaignsChanged})
	}
	if cfg, on, err := bluesky.ConfigFromEnv(os.Getenv); err != nil {
		return nil, err
	} else if on {
		b, err := bluesky.New(cfg, pool, svc, reg)
		if err != nil {
			return nil, err
		}
		out = append(out, source{"bluesky", b.Run, func() any { return b.Status() }, b.CampaignsChanged})
	}
	return out, nil
}

// runSources runs every source until ctx ends, and tells them when a campaign changes: notices
// come from the process's LISTEN connection, and a Resync (notices lost while it reconnected)
// makes them re-read the campaigns too. They also re-read them every minute.
func runSources(ctx context.Context, notices *notify.Listener, sources []source) {
	if len(sources) == 0 {
		return
	}
	var wg sync.WaitGroup
	sub := notices.Subscribe(1, notify.CampaignsChanged)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.C():
				for _, s := range sources {
					s.changed()
				}
			}
		}
	}()
	for _, s := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.run(ctx); err != nil && ctx.Err() == nil {
				slog.Error("source stopped", "source", s.name, "err", err)
			}
		}()
	}
	wg.Wait()
}

// streamCommand reads the configured sources without the HTTP service, for running them as their
// own process; serve does the same, and the instances elect one reader per source either way.
func streamCommand() *cli.Command {
	return &cli.Command{
		Name: "stream",
		Usage: "read the configured sources into the database: the X filtered stream (X_BEARER_TOKEN, X_API_URL, " +
			"X_BACKFILL_MINUTES, X_PRICE_PER_POST), Mastodon (MASTODON_URL, MASTODON_TOKEN), Bluesky " +
			"(BLUESKY_JETSTREAM_URL, BLUESKY_APPVIEW_URL)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "metrics-addr", Sources: cli.EnvVars("METRICS_ADDR"),
				Usage: "address to serve /metrics on; unset: none"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			pool, err := openDB(ctx, cmd)
			if err != nil {
				return err
			}
			defer pool.Close()
			reg := prometheus.NewRegistry()
			sources, err := pullingSources(pool, ingest.New(pool, reg), reg)
			if err != nil {
				return err
			}
			if len(sources) == 0 {
				return errors.New("stream: no source configured (X_BEARER_TOKEN, MASTODON_URL with MASTODON_TOKEN, or BLUESKY_JETSTREAM_URL)")
			}
			if addr := cmd.String("metrics-addr"); addr != "" {
				srv := &http.Server{Addr: addr, Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})}
				go func() {
					if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
						slog.Error("metrics server", "err", err)
					}
				}()
				defer srv.Close()
			}
			// This process's one LISTEN connection.
			notices := notify.New(pool)
			done := make(chan struct{})
			go func() { defer close(done); notices.Run(ctx) }()
			runSources(ctx, notices, sources)
			<-done
			return nil
		},
	}
}
