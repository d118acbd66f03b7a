package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v3"

	"github.com/boothgiveaway/giveaway/internal/app"
	"github.com/boothgiveaway/giveaway/internal/esfeed"
)

// esFlags configure the Elasticsearch feed; serve takes them too (append esFlags() to its Flags).
func esFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "elasticsearch-url", Sources: cli.EnvVars("ELASTICSEARCH_URL"),
			Usage: "Elasticsearch node URL(s), comma separated; unset: feed off, the outbox keeps every change for a later backfill"},
		&cli.StringFlag{Name: "es-username", Sources: cli.EnvVars("ES_USERNAME"), Usage: "Elasticsearch basic auth user"},
		&cli.StringFlag{Name: "es-password", Sources: cli.EnvVars("ES_PASSWORD"), Usage: "Elasticsearch basic auth password"},
		&cli.StringFlag{Name: "es-api-key", Sources: cli.EnvVars("ES_API_KEY"),
			Usage: "Elasticsearch API key (base64 id:key); overrides username/password"},
		&cli.StringFlag{Name: "es-text-analyzer", Value: "cjk", Sources: cli.EnvVars("ES_TEXT_ANALYZER"),
			Usage: "analyzer of tweet text in the index template: cjk (built in) or nori (needs analysis-nori)"},
		&cli.DurationFlag{Name: "es-outbox-retention", Value: 7 * 24 * time.Hour, Sources: cli.EnvVars("ES_OUTBOX_RETENTION"),
			Usage: "outbox rows confirmed by Elasticsearch longer ago than this are pruned"},
		&cli.IntFlag{Name: "es-batch-size", Value: 5000, Sources: cli.EnvVars("ES_BATCH_SIZE"),
			Usage: "outbox rows per feed round"},
	}
}

// esConfigFrom is the feed's configuration from the flags.
func esConfigFrom(cmd *cli.Command) app.Elasticsearch {
	return app.Elasticsearch{URL: cmd.String("elasticsearch-url"), Username: cmd.String("es-username"),
		Password: cmd.String("es-password"), APIKey: cmd.String("es-api-key"), Analyzer: cmd.String("es-text-analyzer"),
		Retention: cmd.Duration("es-outbox-retention"), BatchSize: int(cmd.Int("es-batch-size"))}
}

// newESFeeder builds the feeder from the flags for the es commands; it returns (nil, nil) when
// no Elasticsearch is configured.
func newESFeeder(cmd *cli.Command, pool *pgxpool.Pool) (*esfeed.Feeder, error) {
	return app.NewFeeder(esConfigFrom(cmd), pool, nil, nil)
}

func esCommand() *cli.Command {
	return &cli.Command{
		Name:  "es",
		Usage: "the Elasticsearch feed: status, backfill, dead letters",
		Flags: esFlags(),
		Commands: []*cli.Command{
			{
				Name:   "status",
				Usage:  "lag, pending rows, dead letters and cluster health",
				Action: esStatus,
			},
			{
				Name:  "backfill",
				Usage: "re-send everything PostgreSQL holds for a campaign (tweets, deletes, giveaway events)",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "campaign", Required: true, Usage: "the campaign's slug"},
					&cli.BoolFlag{Name: "enqueue-only", Usage: "only enqueue; a running service sends them"},
				},
				Action: esBackfill,
			},
			{
				Name:  "retry-dead",
				Usage: "send the dead letters again (after fixing the mapping or the data)",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "enqueue-only", Usage: "only enqueue; a running service sends them"},
				},
				Action: esRetryDead,
			},
			{
				Name: "reindex-legacy",
				Usage: "copy a 2016-style Logstash index (string dates, text fields) into an index with this " +
					"service's mapping, each tweet under its id, keeping the tweets the destination holds",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "from", Required: true, Usage: "the old index, e.g. twitter-2016.08.14"},
					&cli.StringFlag{Name: "to", Required: true, Usage: "the destination, e.g. the campaign's tweets index"},
				},
				Action: esReindexLegacy,
			},
		},
	}
}

func esStatus(ctx context.Context, cmd *cli.Command) error {
	pool, err := openDB(ctx, cmd)
	if err != nil {
		return err
	}
	defer pool.Close()
	st, err := esfeed.ReadStatus(ctx, pool)
	if err != nil {
		return err
	}
	f, err := newESFeeder(cmd, pool)
	if err != nil {
		return err
	}
	w := os.Stdout
	fmt.Fprintf(w, "pending:       %d\n", st.Pending)
	if st.Pending > 0 {
		fmt.Fprintf(w, "lag:           %s (oldest pending row from %s)\n", st.Lag.Round(time.Second), st.OldestPending.Format(time.RFC3339))
	} else {
		fmt.Fprintf(w, "lag:           0s\n")
	}
	fmt.Fprintf(w, "retrying:      %d\n", st.Retrying)
	if st.LastError != "" {
		fmt.Fprintf(w, "last error:    %s\n", st.LastError)
	}
	fmt.Fprintf(w, "dead letters:  %d\n", st.DeadLetters)
	if f == nil {
		fmt.Fprintf(w, "cluster:       not configured (ELASTICSEARCH_URL unset; the outbox keeps every change)\n")
	} else {
		defer f.Close(ctx)
		full, _ := f.Status(ctx)
		if full.Cluster != nil {
			fmt.Fprintf(w, "cluster:       %s (%s, %d nodes, %d unassigned shards)\n", full.Cluster.Status,
				full.Cluster.ClusterName, full.Cluster.NumberOfNodes, full.Cluster.UnassignedShards)
		} else {
			fmt.Fprintf(w, "cluster:       unreachable: %s\n", full.ClusterError)
		}
	}
	if st.DeadLetters > 0 {
		dead, err := esfeed.DeadLetters(ctx, pool, 20)
		if err != nil {
			return err
		}
		fmt.Fprintln(w, "\ndead letters (oldest 20; `giveaway es retry-dead` after a fix):")
		for _, d := range dead {
			fmt.Fprintf(w, "  #%d %s %s:%s → %s: %s\n", d.OutboxID, d.Kind, d.Network, d.Ref, d.Index, d.Reason)
		}
	}
	return nil
}

func esBackfill(ctx context.Context, cmd *cli.Command) error {
	pool, err := openDB(ctx, cmd)
	if err != nil {
		return err
	}
	defer pool.Close()
	e, err := esfeed.Backfill(ctx, pool, cmd.String("campaign"))
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "enqueued %d outbox rows (ids %d..%d)\n", e.Rows, e.FirstID, e.Last)
	return sendNow(ctx, cmd, pool, e)
}

func esRetryDead(ctx context.Context, cmd *cli.Command) error {
	pool, err := openDB(ctx, cmd)
	if err != nil {
		return err
	}
	defer pool.Close()
	e, err := esfeed.RetryDead(ctx, pool)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "re-enqueued %d dead letters\n", e.Rows)
	return sendNow(ctx, cmd, pool, e)
}

func esReindexLegacy(ctx context.Context, cmd *cli.Command) error {
	cfg := esConfigFrom(cmd)
	if cfg.URL == "" {
		return errors.New("reindex-legacy needs ELASTICSEARCH_URL (or --elasticsearch-url)")
	}
	es, err := esfeed.NewClient(esfeed.ClientConfig{URL: cfg.URL, Username: cfg.Username, Password: cfg.Password,
		APIKey: cfg.APIKey})
	if err != nil {
		return err
	}
	r, err := esfeed.ReindexLegacy(ctx, es, cmd.String("from"), cmd.String("to"), cfg.Analyzer)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.Root().Writer, "reindexed %s into %s: %d documents, %d copied, %d already there (kept)\n",
		cmd.String("from"), cmd.String("to"), r.Total, r.Created, r.Conflicts)
	return nil
}

// sendNow drains the outbox (the rows of e and whatever else is pending) with a progress bar,
// unless --enqueue-only or no Elasticsearch is configured, in which case a running service
// sends them.
func sendNow(ctx context.Context, cmd *cli.Command, pool *pgxpool.Pool, e esfeed.Enqueued) error {
	if cmd.Bool("enqueue-only") || e.Rows == 0 {
		return nil
	}
	f, err := newESFeeder(cmd, pool)
	if err != nil {
		return err
	}
	if f == nil {
		fmt.Fprintln(os.Stderr, "ELASTICSEARCH_URL unset: the rows wait in the outbox for a service that has it")
		return nil
	}
	defer f.Close(context.WithoutCancel(ctx))

	// Quiet unless a person watches: logs and CI get the summary line only.
	var out io.Writer = os.Stderr
	visible := isatty.IsTerminal(os.Stderr.Fd()) || isatty.IsCygwinTerminal(os.Stderr.Fd())
	bar := progressbar.NewOptions64(e.Rows,
		progressbar.OptionSetWriter(out),
		progressbar.OptionSetVisibility(visible),
		progressbar.OptionSetDescription("sending"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("docs"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if n, err := esfeed.Progress(ctx, pool, e); err == nil {
					bar.Set64(min(n, e.Rows))
				}
			}
		}
	}()
	st, err := f.Drain(ctx)
	close(done)
	if n, perr := esfeed.Progress(ctx, pool, e); perr == nil {
		bar.Set64(min(n, e.Rows))
	}
	bar.Finish()
	fmt.Fprintf(os.Stderr, "sent: %d rows done, %d dead letters, %d left pending\n", st.Done, st.Dead, st.Retry)
	if err != nil {
		return fmt.Errorf("backfill incomplete (a running service or a rerun finishes it): %w", err)
	}
	if st.Dead > 0 {
		return errors.New("some documents were rejected; see `giveaway es status`")
	}
	return nil
}
