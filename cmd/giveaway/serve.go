package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/urfave/cli/v3"

	"github.com/boothgiveaway/giveaway/internal/app"
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
			&cli.IntFlag{Name: "pending-per-address", Value: giveaway.DefaultPendingPerAddress, Sources: cli.EnvVars("PENDING_PER_ADDRESS"),
				Usage: "other-network claims waiting for staff one client address may have in a campaign (each phone: 3); 0: no address bound"},
			&cli.DurationFlag{Name: "session-ttl", Value: 12 * time.Hour, Sources: cli.EnvVars("SESSION_TTL"),
				Usage: "how long a staff login lasts"},
			&cli.DurationFlag{Name: "undo-window", Value: 10 * time.Minute, Sources: cli.EnvVars("UNDO_WINDOW"),
				Usage: "how long staff may undo a give (admins: always)"},
			&cli.StringFlag{Name: "kibana-url", Sources: cli.EnvVars("KIBANA_URL"),
				Usage: "where organisers open the Kibana dashboard (the console links each campaign's there); unset: no link"},
			&cli.StringFlag{Name: "web-dir", Sources: cli.EnvVars("WEB_DIR"),
				Usage: "development: read templates and static files from this folder on every request (e.g. web)"},
			&cli.IntFlag{Name: "streams-per-address", Value: 50, Sources: cli.EnvVars("STREAMS_PER_ADDRESS"),
				Usage: "live-update streams (wall, claim status) one client address may hold open; a venue NAT hides a crowd"},
			&cli.StringFlag{Name: "csrf-key", Sources: cli.EnvVars("CSRF_KEY"),
				Usage: "key that binds CSRF tokens to sessions, shared by every instance; unset: derived from the admin and ingest secrets, or random"},
			&cli.DurationFlag{Name: "read-header-timeout", Value: 10 * time.Second, Sources: cli.EnvVars("READ_HEADER_TIMEOUT"),
				Usage: "how long a client may take to send a request's headers"},
			&cli.DurationFlag{Name: "read-timeout", Value: time.Minute, Sources: cli.EnvVars("READ_TIMEOUT"),
				Usage: "how long a client may take to send a whole request (a 16 MiB ingest batch included)"},
			&cli.DurationFlag{Name: "write-timeout", Value: time.Minute, Sources: cli.EnvVars("WRITE_TIMEOUT"),
				Usage: "how long an answer may take (live-update streams lift it for themselves)"},
			&cli.DurationFlag{Name: "idle-timeout", Value: 2 * time.Minute, Sources: cli.EnvVars("IDLE_TIMEOUT"),
				Usage: "how long an idle keep-alive connection stays open"},
			&cli.DurationFlag{Name: "shutdown-timeout", Value: 20 * time.Second, Sources: cli.EnvVars("SHUTDOWN_TIMEOUT"),
				Usage: "how long SIGTERM waits for in-flight requests"},
		}, append(append(sourceFlags(), esFlags()...), oauthFlags()...)...),
		Action: serve,
	}
}

func serve(ctx context.Context, cmd *cli.Command) error {
	if err := checkSecrets(cmd); err != nil {
		return err
	}
	pool, err := openDB(ctx, cmd)
	if err != nil {
		return err
	}
	defer pool.Close()

	var proxies []string
	for _, p := range strings.Split(cmd.String("trusted-proxies"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			proxies = append(proxies, p)
		}
	}
	a, err := app.New(pool, app.Config{
		PublicBaseURL:     cmd.String("public-base-url"),
		SecureCookies:     strings.HasPrefix(cmd.String("public-base-url"), "https://"),
		AdminToken:        cmd.String("admin-token"),
		IngestToken:       cmd.String("ingest-token"),
		IngestSecret:      cmd.String("ingest-signing-secret"),
		XWebhookSecret:    cmd.String("x-webhook-secret"),
		SignatureWindow:   cmd.Duration("ingest-signature-window"),
		TrustedProxies:    proxies,
		ClaimsPerMinute:   int(cmd.Int("claims-per-minute")),
		StreamsPerAddress: int(cmd.Int("streams-per-address")),
		PendingPerAddress: pendingPerAddress(cmd),
		SessionTTL:        cmd.Duration("session-ttl"),
		UndoWindow:        cmd.Duration("undo-window"),
		CSRFKey:           csrfKey(cmd),
		WebDir:            cmd.String("web-dir"),
		KibanaURL:         cmd.String("kibana-url"),
		Sources:           sourceConfigFrom(cmd),
		Elasticsearch:     esConfigFrom(cmd),
		OAuth:             oauthConfig(cmd),
		SignInsPerMinute:  int(cmd.Int("signins-per-minute")),
		AccessLog:         slog.Default(),
	})
	if err != nil {
		return err
	}
	b := buildInfo()
	a.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "giveaway_build_info",
		Help:        "The running binary: 1, labelled with its version, VCS revision and Go version.",
		ConstLabels: prometheus.Labels{"version": b.Version, "revision": b.Revision, "goversion": b.GoVersion},
	}, func() float64 { return 1 }))
	slog.Info("starting", "version", b.Version, "revision", b.Revision)
	if a.Feeder == nil {
		slog.Info("ELASTICSEARCH_URL unset: the Elasticsearch feed is off; the outbox keeps every change for `giveaway es backfill`")
	}

	// Background workers stop when serve returns and finish their last batch before the pool
	// closes: the wait is deferred before the cancel, so it runs after it.
	done := make(chan struct{})
	defer func() { <-done }()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { defer close(done); a.Run(ctx) }()

	e := a.Echo
	// Slow clients (half a header, half a body, never reading) are cut off; the event streams
	// lift the read and write deadlines for themselves (pages.openSSE).
	e.Server.ReadHeaderTimeout = cmd.Duration("read-header-timeout")
	e.Server.ReadTimeout = cmd.Duration("read-timeout")
	e.Server.WriteTimeout = cmd.Duration("write-timeout")
	e.Server.IdleTimeout = cmd.Duration("idle-timeout")
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

// minSecret is the shortest token or key serve accepts behind a public URL.
const minSecret = 32

// checkSecrets refuses, unless the public URL is loopback (make run, tests), the development
// tokens and secrets shorter than minSecret characters: a guessable admin token is the whole
// giveaway.
func checkSecrets(cmd *cli.Command) error {
	if loopbackURL(cmd.String("public-base-url")) {
		return nil
	}
	for _, v := range []struct{ flag, env string }{{"admin-token", "ADMIN_TOKEN"}, {"ingest-token", "INGEST_TOKEN"},
		{"ingest-signing-secret", "INGEST_SIGNING_SECRET"}, {"csrf-key", "CSRF_KEY"}} {
		val := cmd.String(v.flag)
		switch {
		case val == "":
			continue // unset: that door is closed
		case val == "dev-admin-token" || val == "dev-ingest-token":
			return fmt.Errorf("%s is the development token; PUBLIC_BASE_URL %s is not loopback: set %s to a random value of at least %d characters (openssl rand -hex 32)",
				v.env, cmd.String("public-base-url"), v.env, minSecret)
		case len(val) < minSecret:
			return fmt.Errorf("%s is %d characters; PUBLIC_BASE_URL %s is not loopback: set %s to a random value of at least %d characters (openssl rand -hex 32)",
				v.env, len(val), cmd.String("public-base-url"), v.env, minSecret)
		}
	}
	return nil
}

// loopbackURL says whether a URL points at this machine only: localhost, 127.0.0.0/8 or ::1.
func loopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// csrfKey is CSRF_KEY, else a key derived from the admin and ingest secrets (every instance of
// one deployment shares them, so a token made by one instance holds at another), else nil: a
// random key for this process.
func csrfKey(cmd *cli.Command) []byte {
	if k := cmd.String("csrf-key"); k != "" {
		return []byte(k)
	}
	secrets := cmd.String("admin-token") + "\x00" + cmd.String("ingest-token") + "\x00" + cmd.String("ingest-signing-secret")
	if secrets == "\x00\x00" {
		return nil
	}
	m := hmac.New(sha256.New, []byte("giveaway csrf key"))
	m.Write([]byte(secrets))
	return m.Sum(nil)
}

// pendingPerAddress is the flag as app.Config takes it: 0 there is the default, so the flag's 0
// (no address bound) becomes -1.
func pendingPerAddress(cmd *cli.Command) int {
	if n := int(cmd.Int("pending-per-address")); n != 0 {
		return n
	}
	return -1
}
