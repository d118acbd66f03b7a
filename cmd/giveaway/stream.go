package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/urfave/cli/v3"

	"github.com/boothgiveaway/giveaway/internal/app"
	"github.com/boothgiveaway/giveaway/internal/bluesky"
	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/mastodon"
	"github.com/boothgiveaway/giveaway/internal/notify"
	"github.com/boothgiveaway/giveaway/internal/source"
	"github.com/boothgiveaway/giveaway/internal/xstream"
)

// sourceFlags are the sources' settings, read by serve and stream alike.
func sourceFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "x-bearer-token", Sources: cli.EnvVars("X_BEARER_TOKEN"),
			Usage: "turns on the X API v2 filtered stream; unset: stream off"},
		&cli.StringFlag{Name: "x-api-url", Value: xstream.DefaultBaseURL, Sources: cli.EnvVars("X_API_URL"),
			Usage: "X API base URL"},
		&cli.IntFlag{Name: "x-backfill-minutes", Sources: cli.EnvVars("X_BACKFILL_MINUTES"),
			Usage: "backfill_minutes asked for on reconnect (0 to 5, where the account allows it)"},
		&cli.DurationFlag{Name: "x-stall-timeout", Value: xstream.DefaultStallTimeout, Sources: cli.EnvVars("X_STALL_TIMEOUT"),
			Usage: "silence on the X stream (no post, no keep-alive) this long is a drop; more than X's 20 s keep-alive interval"},
		&cli.FloatFlag{Name: "x-price-per-post", Value: xstream.DefaultPricePerPost, Sources: cli.EnvVars("X_PRICE_PER_POST"),
			Usage: "USD the X API bills per post read, for the stream's and the report's spend estimate"},
		&cli.StringFlag{Name: "mastodon-url", Sources: cli.EnvVars("MASTODON_URL"),
			Usage: "a Mastodon instance's web address (with --mastodon-token): turns on the Mastodon source"},
		&cli.StringFlag{Name: "mastodon-token", Sources: cli.EnvVars("MASTODON_TOKEN"),
			Usage: "a user access token on that instance (hashtag streams need one since Mastodon 4.2)"},
		&cli.StringFlag{Name: "bluesky-jetstream-url", Sources: cli.EnvVars("BLUESKY_JETSTREAM_URL"),
			Usage: "a Jetstream websocket, e.g. wss://jetstream2.us-east.bsky.network/subscribe: turns on the Bluesky source"},
		&cli.DurationFlag{Name: "bluesky-jetstream-window", Value: bluesky.DefaultReplayWindow, Sources: cli.EnvVars("BLUESKY_JETSTREAM_WINDOW"),
			Usage: "how far back the Jetstream instance keeps events (its TTL); an older saved cursor is recorded as a gap"},
		&cli.StringFlag{Name: "bluesky-appview-url", Value: bluesky.DefaultAppViewURL, Sources: cli.EnvVars("BLUESKY_APPVIEW_URL"),
			Usage: "where Bluesky DIDs are resolved to handles"},
	}
}

// sourceConfigFrom is the sources' configuration from the flags (and so the environment).
func sourceConfigFrom(cmd *cli.Command) app.Sources {
	return app.Sources{
		X: xstream.Config{BearerToken: strings.TrimSpace(cmd.String("x-bearer-token")), BaseURL: cmd.String("x-api-url"),
			BackfillMinutes: int(cmd.Int("x-backfill-minutes")), PricePerPost: cmd.Float("x-price-per-post"),
			StallTimeout: cmd.Duration("x-stall-timeout")},
		Mastodon: mastodon.Config{BaseURL: strings.TrimSpace(cmd.String("mastodon-url")),
			Token: strings.TrimSpace(cmd.String("mastodon-token"))},
		Bluesky: bluesky.Config{JetstreamURL: strings.TrimSpace(cmd.String("bluesky-jetstream-url")),
			AppViewURL: strings.TrimSpace(cmd.String("bluesky-appview-url")), ReplayWindow: cmd.Duration("bluesky-jetstream-window")},
	}
}

// streamCommand reads the configured sources without the HTTP service, for running them as their
// own process; serve does the same, and the instances elect one reader per source either way.
func streamCommand() *cli.Command {
	return &cli.Command{
		Name: "stream",
		Usage: "read the configured sources into the database: the X filtered stream (X_BEARER_TOKEN, X_API_URL, " +
			"X_BACKFILL_MINUTES, X_STALL_TIMEOUT, X_PRICE_PER_POST), Mastodon (MASTODON_URL, MASTODON_TOKEN), Bluesky " +
			"(BLUESKY_JETSTREAM_URL, BLUESKY_JETSTREAM_WINDOW, BLUESKY_APPVIEW_URL)",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "metrics-addr", Sources: cli.EnvVars("METRICS_ADDR"),
				Usage: "address to serve /metrics on; unset: none"},
		}, sourceFlags()...),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			pool, err := openDB(ctx, cmd)
			if err != nil {
				return err
			}
			defer pool.Close()
			reg := prometheus.NewRegistry()
			sources, err := app.NewSources(sourceConfigFrom(cmd), pool, ingest.New(pool, reg), reg)
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
			source.RunAll(ctx, notices, sources)
			<-done
			return nil
		},
	}
}
