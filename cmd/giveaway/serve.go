package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/urfave/cli/v3"

	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/housekeeping"
	"github.com/boothgiveaway/giveaway/internal/httpapi"
	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/pages"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run the HTTP service (refuses to start on a schema that is behind: run `giveaway migrate`)",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "listen-addr", Value: ":8080", Sources: cli.EnvVars("LISTEN_ADDR"),
				Usage: "address the HTTP server listens on"},
			&cli.StringFlag{Name: "public-base-url", Value: "http://localhost:8080", Sources: cli.EnvVars("PUBLIC_BASE_URL"),
				Usage: "the URL attendees reach this service at; QR codes point here, https turns on Secure cookies"},
			&cli.StringFlag{Name: "admin-token", Sources: cli.EnvVars("ADMIN_TOKEN"),
				Usage: "bearer token for the admin API (campaigns, staff); unset: admin API only for admin staff"},
			&cli.StringFlag{Name: "ingest-token", Sources: cli.EnvVars("INGEST_TOKEN"),
				Usage: "bearer token for POST /api/v1/ingest/tweets; unset: ingest over HTTP is refused"},
			&cli.StringFlag{Name: "ingest-signing-secret", Sources: cli.EnvVars("INGEST_SIGNING_SECRET"),
				Usage: "shared secret for signed ingest pushes (X-Giveaway-Timestamp, X-Giveaway-Signature), instead of the token"},
			&cli.DurationFlag{Name: "ingest-signature-window", Value: 5 * time.Minute, Sources: cli.EnvVars("INGEST_SIGNATURE_WINDOW"),
				Usage: "how far a signed push's timestamp may be from the server's clock"},
			&cli.StringFlag{Name: "x-webhook-secret", Sources: cli.EnvVars("X_WEBHOOK_SECRET"),
				Usage: "the X app's consumer secret: answers X's webhook CRC and checks X-Twitter-Webhooks-Signature; unset: X webhooks off"},
			&cli.StringFlag{Name: "trusted-proxies", Sources: cli.EnvVars("TRUSTED_PROXIES"),
				Usage: "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed; unset: none"},
			&cli.IntFlag{Name: "claims-per-minute", Value: 300, Sources: cli.EnvVars("CLAIMS_PER_MINUTE"),
				Usage: "public requests a minute allowed from one client address (a venue NAT hides a crowd)"},
			&cli.DurationFlag{Name: "session-ttl", Value: 12 * time.Hour, Sources: cli.EnvVars("SESSION_TTL"),
				Usage: "how long a staff login lasts"},
			&cli.DurationFlag{Name: "undo-window", Value: 10 * time.Minute, Sources: cli.EnvVars("UNDO_WINDOW"),
				Usage: "how long staff may undo a give (admins: always)"},
			&cli.FloatFlag{Name: "x-price-per-post", Value: 0.005, Sources: cli.EnvVars("X_PRICE_PER_POST"),
				Usage: "USD the X API bills per post read, for the stream's and the report's spend estimate"},
			&cli.StringFlag{Name: "web-dir", Sources: cli.EnvVars("WEB_DIR"),
				Usage: "development: read templates and static files from this folder on every request (e.g. web)"},
			&cli.DurationFlag{Name: "shutdown-timeout", Value: 20 * time.Second, Sources: cli.EnvVars("SHUTDOWN_TIMEOUT"),
				Usage: "how long SIGTERM waits for in-flight requests"},
		}, esFlags()...),
		Action: serve,
	}
}

func serve(ctx context.Context, cmd *cli.Command) error {
	pool, err := openDB(ctx, cmd)
	if err != nil {
		return err
	}
	defer pool.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var proxies []string
	for _, p := range strings.Split(cmd.String("trusted-proxies"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			proxies = append(proxies, p)
		}
	}
	ing := ingest.New(pool, reg)
	sources, err := pullingSources(pool, ing, reg)
	if err != nil {
		return err
	}
	ga := giveaway.New(pool, giveaway.WithUndoWindow(cmd.Duration("undo-window")), giveaway.WithMetrics(reg))
	au := auth.New(pool, cmd.String("admin-token"), cmd.Duration("session-ttl"))
	secure := strings.HasPrefix(cmd.String("public-base-url"), "https://")
	e, err := httpapi.New(httpapi.Config{
		IngestToken:     cmd.String("ingest-token"),
		IngestSecret:    cmd.String("ingest-signing-secret"),
		XWebhookSecret:  cmd.String("x-webhook-secret"),
		SignatureWindow: cmd.Duration("ingest-signature-window"),
		TrustedProxies:  proxies,
		ClaimsPerMinute: int(cmd.Int("claims-per-minute")),
		SecureCookies:   secure,
		SessionTTL:      cmd.Duration("session-ttl"),
		XPricePerPost:   cmd.Float("x-price-per-post"),
	}, httpapi.Deps{
		Pool:     pool,
		Giveaway: ga,
		Auth:     au,
		Ingest:   ing,
		Registry: reg,
		Ready: func(ctx context.Context) map[string]any {
			out := map[string]any{}
			for _, s := range sources {
				out[s.name] = s.status()
			}
			return out
		},
	})
	if err != nil {
		return err
	}
	web, err := pages.Register(e, pages.Deps{Pool: pool, Giveaway: ga, Auth: au,
		PublicBaseURL: cmd.String("public-base-url"), SecureCookies: secure,
		ClaimsPerMinute: int(cmd.Int("claims-per-minute")), UndoWindow: cmd.Duration("undo-window"),
		WebDir: cmd.String("web-dir")})
	if err != nil {
		return err
	}

	// Background workers stop when serve returns and finish their last batch before the pool closes.
	var background sync.WaitGroup
	defer background.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	background.Add(2)
	go func() { defer background.Done(); housekeeping.Run(ctx, pool, 10*time.Minute) }()
	// The pages' one LISTEN connection: live updates for every open phone, tablet and wall.
	go func() { defer background.Done(); web.Run(ctx) }()
	background.Add(1)
	go func() { defer background.Done(); runSources(ctx, pool, sources) }()
	feedDone, err := startESFeed(ctx, cmd, pool, reg)
	if err != nil {
		return err
	}
	background.Add(1)
	go func() { defer background.Done(); feedDone() }()

	errc := make(chan error, 1)
	go func() {
		slog.Info("listening", "addr", cmd.String("listen-addr"), "public_base_url", cmd.String("public-base-url"))
		errc <- e.Start(cmd.String("listen-addr"))
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down: finishing in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), cmd.Duration("shutdown-timeout"))
	defer cancel()
	if err := e.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
