package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/boothgiveaway/giveaway/internal/database"
	"github.com/boothgiveaway/giveaway/internal/esfeed"
	"github.com/boothgiveaway/giveaway/internal/estest"
)

func init() {
	Register(Benchmark{Name: "feed", Run: runFeed})
}

// runFeed measures the feeder draining outbox rows into the Elasticsearch double (which answers
// at once, so the figure is the service's own cost) against the bare drain of the same rows in
// the same batch size.
func runFeed(ctx context.Context, env *Env) ([]Result, error) {
	const rows = 100_000
	const batch = 5000
	url, err := env.NewDatabase(ctx)
	if err != nil {
		return nil, err
	}
	pool, err := database.Open(ctx, url, 8)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	env.Logf("feed: storing %d tweets", rows)
	if _, err := pool.Exec(ctx, `INSERT INTO campaigns (slug, name, required_hashtags, display_hashtags,
		starts_at, ends_at, time_zone, tweets_index)
		VALUES ('bench', 'bench', '{pyconapac,elastic}', '{PyConAPAC,Elastic}', now() - interval '1 day',
		        now() + interval '1 day', 'Asia/Seoul', 'twitter-bench')`); err != nil {
		return nil, err
	}
	if _, err := pool.Exec(ctx, `WITH t AS (
		INSERT INTO tweets (id, version_id, author_id, handle, handle_norm, created_at, text, lang, hashtags, hashtags_norm, retweet_count)
		SELECT (760000000000000000 + g)::text, (760000000000000000 + g)::text, (g % 5000)::text,
		       'attendee' || (g % 5000), 'attendee' || (g % 5000), now() - make_interval(secs => g),
		       '파이콘 APAC 부스에서 엘라스틱 스티커 받았어요! #PyConAPAC #Elastic #스마트스터디 ' || g, 'ko',
		       '{PyConAPAC,Elastic,스마트스터디}', '{pyconapac,elastic,스마트스터디}', g % 7
		FROM generate_series(1, $1::int) g RETURNING network, id)
		INSERT INTO outbox (kind, ref_network, ref_id) SELECT 'tweet', network, id FROM t`, rows); err != nil {
		return nil, err
	}
	if _, err := pool.Exec(ctx, "ANALYZE"); err != nil {
		return nil, err
	}

	double := estest.Start()
	defer double.Close()
	es, err := esfeed.NewClient(esfeed.ClientConfig{URL: double.URL})
	if err != nil {
		return nil, err
	}
	f, err := esfeed.New(pool, es, esfeed.Options{BatchSize: batch})
	if err != nil {
		return nil, err
	}
	defer f.Close(context.WithoutCancel(ctx))
	if err := f.InstallTemplates(ctx); err != nil {
		return nil, err
	}
	env.Logf("feed: draining")
	start := time.Now()
	st, err := f.Drain(ctx)
	if err != nil {
		return nil, err
	}
	feedSecs := time.Since(start).Seconds()
	if st.Done != rows || double.Count("twitter-bench") != rows {
		return nil, fmt.Errorf("feed: %d rows done, %d documents, want %d", st.Done, double.Count("twitter-bench"), rows)
	}

	// Baseline: the same rows marked done in the same batches, with the same claim, and nothing else.
	if _, err := pool.Exec(ctx, "UPDATE outbox SET done_at = NULL"); err != nil {
		return nil, err
	}
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE outbox"); err != nil {
		return nil, err
	}
	env.Logf("feed: baseline drain")
	start = time.Now()
	for {
		tag, err := pool.Exec(ctx, fmt.Sprintf(`UPDATE outbox SET done_at = now() WHERE id = ANY (ARRAY(
			SELECT id FROM outbox WHERE done_at IS NULL ORDER BY id LIMIT %d FOR UPDATE SKIP LOCKED))`, batch))
		if err != nil {
			return nil, err
		}
		if tag.RowsAffected() == 0 {
			break
		}
	}
	drainSecs := time.Since(start).Seconds()

	feedRate := rows / feedSecs
	drainRate := rows / drainSecs
	return []Result{
		{"feed_docs_per_s", fmt.Sprintf("%.0f", feedRate)},
		{"feed_avg_bulk_bytes", fmt.Sprintf("%.0f", f.AvgBulkBytes())},
		{"outbox_drain_rows_per_s", fmt.Sprintf("%.0f", drainRate)},
		{"feed_vs_drain_ratio", fmt.Sprintf("%.3f", feedRate/drainRate)},
	}, nil
}
