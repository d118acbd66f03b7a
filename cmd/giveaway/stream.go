package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/urfave/cli/v3"

	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/tweet"
	"github.com/boothgiveaway/giveaway/internal/xstream"
)

// newXStream makes the X filtered stream client from the X_* environment, or returns nil when
// X_BEARER_TOKEN is unset. The caller runs it: go xs.Run(ctx).
func newXStream(pool *pgxpool.Pool, svc *ingest.Service, reg prometheus.Registerer) (*xstream.Client, error) {
	cfg, enabled, err := xstream.ConfigFromEnv(os.Getenv)
	if err != nil || !enabled {
		return nil, err
	}
	return xstream.New(cfg, pool, func(ctx context.Context, items []tweet.Item) (int, int, error) {
		r, err := svc.Ingest(ctx, items)
		return r.Stored, r.Duplicates, err
	}, reg)
}

// streamCommand reads the X stream without the HTTP service, for running it as its own process;
// serve does the same when X_BEARER_TOKEN is set, and the instances elect one reader either way.
func streamCommand() *cli.Command {
	return &cli.Command{
		Name:  "stream",
		Usage: "read the X filtered stream into the database (X_BEARER_TOKEN, X_API_URL, X_BACKFILL_MINUTES, X_PRICE_PER_POST)",
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
			xs, err := newXStream(pool, ingest.New(pool, reg), reg)
			if err != nil {
				return err
			}
			if xs == nil {
				return errors.New("stream: X_BEARER_TOKEN is not set")
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
			return xs.Run(ctx)
		},
	}
}
