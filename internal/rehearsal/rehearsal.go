// Package rehearsal plays a compressed event day against real processes — two `giveaway serve`
// instances sharing one PostgreSQL cluster of the rehearsal's own, the Elasticsearch and X stream
// doubles — with faults and hostile input, then proves from the database, the Elasticsearch
// double and what every client saw that nothing was lost, doubled or leaked (`make rehearsal`).
package rehearsal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/bluesky/blueskytest"
	"github.com/boothgiveaway/giveaway/internal/database"
	"github.com/boothgiveaway/giveaway/internal/devdb"
	"github.com/boothgiveaway/giveaway/internal/estest"
	"github.com/boothgiveaway/giveaway/internal/mastodon/mastodontest"
	"github.com/boothgiveaway/giveaway/internal/xstream/xtest"
)

// Config is the day to play.
type Config struct {
	Bin             string        // the giveaway binary to run
	Attendees       int           // people who claim
	Minutes         int           // the day's length in played minutes
	MinuteLength    time.Duration // how long a played minute lasts in real time
	TweetsPerMinute int           // the average; the keynote minute has 5 times as many
	Tablets         int           // staff tablets giving at once
	Streams         int           // claim-page event streams held open (at least one per attendee)
	Port            int           // the rehearsal's own PostgreSQL cluster listens here
	Faults          bool          // play the scheduled faults
	Dir             string        // working folder: the cluster, the instances' logs
	Goals           Goals         // resource bounds; a missed one fails the day
	Logf            func(format string, args ...any)
}

const (
	slug        = "rehearsal"
	adminToken  = "rehearsal-admin-token"
	ingestToken = "rehearsal-ingest-token"
	xToken      = "rehearsal-x-token"
	mastoToken  = "rehearsal-mastodon-token"
	// The doors the attackers forge signatures for.
	webhookSecret = "rehearsal-x-consumer-secret"
	signingSecret = "rehearsal-ingest-signing-secret"
	staffPIN      = "482193"
	scarceStock   = 5 // the prize that runs out
)

// ErrInterrupted is a day cut short by its context (Ctrl-C): the instances and the cluster are
// stopped, and the Outcome returned with it holds the figures so far.
var ErrInterrupted = errors.New("interrupted")

// Run plays the day and returns the proofs; err is for a day that could not be played at all,
// or ErrInterrupted with what it has.
func Run(ctx context.Context, cfg Config) (*Outcome, error) {
	logf := cfg.Logf
	clusterDir := filepath.Join(cfg.Dir, "pg")
	logf("rehearsal: PostgreSQL cluster of its own in %s on port %d", clusterDir, cfg.Port)
	release, err := takeCluster(ctx, clusterDir, cfg.Port, logf)
	if err != nil {
		return nil, err
	}
	defer release()
	// Someone else's server on the port would be restarted under them: refuse instead.
	if dialable(fmt.Sprintf("127.0.0.1:%d", cfg.Port)) {
		return nil, fmt.Errorf("port %d is taken; the rehearsal restarts its PostgreSQL, so it needs a cluster of its own (--pg-port)", cfg.Port)
	}
	adminURL, err := devdb.EnsureOn(ctx, clusterDir, cfg.Port)
	if err != nil {
		return nil, err
	}
	defer devdb.Stop(context.Background(), clusterDir)
	dbURL, err := freshDatabase(ctx, adminURL)
	if err != nil {
		return nil, err
	}
	pool, err := database.Open(ctx, dbURL, 4)
	if err != nil {
		return nil, err
	}
	defer pool.Close()

	es := estest.Start()
	defer es.Close()
	x := xtest.New(xToken)
	defer x.Close()
	masto := mastodontest.New(mastoToken)
	defer masto.Close()
	var closers cleanups
	defer closers.run()
	sky := blueskytest.New(&closers)

	d := &day{cfg: cfg, logf: logf, pool: pool, es: es, x: x, masto: masto, sky: sky, c: newClient(), clusterDir: clusterDir}
	for i, name := range []string{"a", "b"} {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		logs, err := os.Create(filepath.Join(cfg.Dir, "instance-"+name+".log"))
		if err != nil {
			return nil, err
		}
		defer logs.Close()
		in := &instance{name: name, bin: cfg.Bin, addr: addr, logs: logs, env: append(os.Environ(),
			"DATABASE_URL="+dbURL, "LISTEN_ADDR="+addr, "PUBLIC_BASE_URL=http://"+addr,
			"ADMIN_TOKEN="+adminToken, "INGEST_TOKEN="+ingestToken, "ELASTICSEARCH_URL="+es.URL,
			"X_BEARER_TOKEN="+xToken, "X_WEBHOOK_SECRET="+webhookSecret, "INGEST_SIGNING_SECRET="+signingSecret, "X_API_URL="+x.URL, "MASTODON_URL="+masto.URL, "MASTODON_TOKEN="+mastoToken,
			"BLUESKY_JETSTREAM_URL="+sky.JetstreamURL(), "BLUESKY_APPVIEW_URL="+sky.AppViewURL(), "TRUSTED_PROXIES=127.0.0.1/32", "DB_MAX_CONNS=20")}
		in.env = append(in.env, venueLimits(cfg.Attendees)...)
		logf("rehearsal: instance %s on %s (logs %s)", name, addr, logs.Name())
		if err := in.start(); err != nil {
			return nil, fmt.Errorf("instance %s: %w (see %s)", name, err, logs.Name())
		}
		defer in.shutdown()
		d.instances[i] = in
	}
	if ctx.Err() != nil {
		return nil, ErrInterrupted
	}
	if err := d.setUp(); err != nil {
		return nil, err
	}
	if err := d.play(ctx); err != nil {
		if errors.Is(err, ErrInterrupted) {
			logf("rehearsal: interrupted; stopping the instances and PostgreSQL")
			return d.interrupted(), err
		}
		return nil, err
	}
	o, err := d.prove(ctx)
	if ctx.Err() != nil {
		return o, ErrInterrupted
	}
	return o, err
}

// freshDatabase creates and migrates the day's database on the cluster.
func freshDatabase(ctx context.Context, adminURL string) (string, error) {
	name := fmt.Sprintf("rehearsal_%d", time.Now().Unix())
	admin, err := pgxpool.New(ctx, adminURL)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	url := withDatabase(adminURL, name)
	pool, err := database.Open(ctx, url, 2)
	if err != nil {
		return "", err
	}
	defer pool.Close()
	_, _, err = database.Migrate(ctx, pool)
	return url, err
}

var seoul = func() *time.Location {
	l, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		return time.FixedZone("KST", 9*3600)
	}
	return l
}()

// cleanups runs what a double registers to close it (blueskytest takes a test's Cleanup).
type cleanups []func()

func (c *cleanups) Cleanup(f func()) { *c = append(*c, f) }

func (c *cleanups) run() {
	for i := len(*c) - 1; i >= 0; i-- {
		(*c)[i]()
	}
}
