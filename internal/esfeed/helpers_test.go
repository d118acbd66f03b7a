package esfeed

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// TestMain doubles as the feeder process of the kill test: re-executed with ESFEED_CHILD set,
// the test binary runs a feeder until it is killed.
func TestMain(m *testing.M) {
	if os.Getenv("ESFEED_CHILD") == "1" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

func runChild() int {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("ESFEED_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	es, err := NewClient(fastClient(os.Getenv("ESFEED_ES")))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	f, err := New(pool, es, fastOptions())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := f.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func fastClient(url string) ClientConfig {
	return ClientConfig{URL: url, MaxRetries: 2, RetryBackoffMin: time.Millisecond,
		RetryBackoffMax: 10 * time.Millisecond, RequestTimeout: 5 * time.Second}
}

func fastOptions() Options {
	return Options{BatchSize: 1000, PollInterval: 50 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		StatusInterval: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
}

func newClient(t testing.TB, url string) *elasticsearch.Client {
	t.Helper()
	es, err := NewClient(fastClient(url))
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func newFeeder(t testing.TB, pool *pgxpool.Pool, url string, opts Options) *Feeder {
	t.Helper()
	f, err := New(pool, newClient(t, url), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close(context.Background()) })
	return f
}

func sqlExec(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) int64 {
	t.Helper()
	tag, err := pool.Exec(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return tag.RowsAffected()
}

func scalar[T any](t testing.TB, pool *pgxpool.Pool, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

// addCampaign creates a campaign tracking tags (normalized) with tweets_index index ("" for the
// default) and a window around now.
func addCampaign(t testing.TB, pool *pgxpool.Pool, slug, index string, tags ...string) int64 {
	t.Helper()
	if index == "" {
		index = "twitter-" + slug
	}
	return scalar[int64](t, pool, `INSERT INTO campaigns (slug, name, required_hashtags, display_hashtags,
		starts_at, ends_at, time_zone, tweets_index)
		VALUES ($1, $1, $2, $2, now() - interval '1 day', now() + interval '1 day', 'Asia/Seoul', $3)
		RETURNING id`, slug, tags, index)
}

const idBase = int64(1_100_000_000_000_000_000) // beyond 2^53, as real tweet ids are

func tweetID(i int) string { return fmt.Sprint(idBase + int64(i)) }

// addTweets stores tweets from..to (inclusive) with the given hashtags and writes their outbox
// rows in the same statement, as core code does.
func addTweets(t testing.TB, pool *pgxpool.Pool, from, to int, text string, tags ...string) {
	t.Helper()
	norm := make([]string, len(tags))
	for i, h := range tags {
		norm[i] = lower(h)
	}
	sqlExec(t, pool, `WITH t AS (
		INSERT INTO tweets (id, version_id, author_id, handle, handle_norm, created_at, text, lang, hashtags, hashtags_norm)
		SELECT ($1::bigint + g)::text, ($1::bigint + g)::text, (g % 50)::text, 'User' || (g % 50), 'user' || (g % 50),
		       now() - interval '1 minute', $4 || ' ' || g, 'ko', $5, $6
		FROM generate_series($2::int, $3::int) g
		RETURNING network, id)
		INSERT INTO outbox (kind, ref_network, ref_id) SELECT 'tweet', network, id FROM t`,
		idBase, from, to, text, tags, norm)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func pending(t testing.TB, pool *pgxpool.Pool) int64 {
	return scalar[int64](t, pool, "SELECT count(*) FROM outbox WHERE done_at IS NULL")
}

// runFeeder runs f.Run in the background until the test ends.
func runFeeder(t testing.TB, f *Feeder) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func poolFor(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// metricValue sums a counter's or gauge's value.
func metricValue(c prometheus.Collector) float64 {
	ch := make(chan prometheus.Metric, 16)
	c.Collect(ch)
	close(ch)
	var sum float64
	for m := range ch {
		var d dto.Metric
		m.Write(&d)
		if d.Counter != nil {
			sum += d.Counter.GetValue()
		}
		if d.Gauge != nil {
			sum += d.Gauge.GetValue()
		}
	}
	return sum
}
