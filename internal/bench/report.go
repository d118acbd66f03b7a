package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/database"
	"github.com/boothgiveaway/giveaway/internal/report"
)

// The report benchmark's data: the worst case of one very loud day, every tweet of the campaign
// falling on the day reported.
const (
	reportTweets = 1_000_000
	reportClaims = 100_000
	reportGives  = 20_000
	reportRuns   = 3
)

func init() {
	Register(Benchmark{Name: "report", Run: runReport})
}

// runReport times report.Build for one day against a plain count of that day's tweets, both on
// the same freshly seeded database; each figure is the median of reportRuns runs after a warm-up.
func runReport(ctx context.Context, env *Env) ([]Result, error) {
	url, err := env.NewDatabase(ctx)
	if err != nil {
		return nil, err
	}
	pool, err := database.Open(ctx, url, 4)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	seedStart := time.Now()
	if err := seedReport(ctx, pool); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	env.Logf("report: seeded %d tweets, %d claims, %d gives in %s", reportTweets, reportClaims, reportGives,
		time.Since(seedStart).Round(time.Millisecond))

	day := report.Day{Year: 2016, Month: 8, Day: 14}
	seoul, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		return nil, err
	}
	from, to := day.Start(seoul), day.AddDays(1).Start(seoul)
	var r *report.Report
	build := func() error {
		var err error
		r, err = report.Build(ctx, pool, "bench", day, day)
		return err
	}
	var n int64
	count := func() error {
		return pool.QueryRow(ctx, `SELECT count(*) FROM tweets
			WHERE created_at >= $1 AND created_at < $2 AND hashtags_norm && $3`,
			from, to, []string{"pyconapac", "elastic"}).Scan(&n)
	}
	reportS, err := median(build)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	baseS, err := median(count)
	if err != nil {
		return nil, fmt.Errorf("count: %w", err)
	}
	if r.Tweets.Captured != reportTweets || n != reportTweets || r.Participants != reportClaims {
		return nil, fmt.Errorf("report counted %d tweets, %d participants; count(*) %d", r.Tweets.Captured,
			r.Participants, n)
	}
	env.Logf("report: %d given, %d eligible, top hashtag %v", r.PrizesGiven, r.Tweets.Eligible, r.TopHashtags[0])
	return []Result{
		{"report_1m_s", fmt.Sprintf("%.3f", reportS)},
		{"report_baseline_count_s", fmt.Sprintf("%.3f", baseS)},
		{"report_vs_count_ratio", fmt.Sprintf("%.1f", reportS/baseS)},
	}, nil
}

func median(f func() error) (float64, error) {
	if err := f(); err != nil { // warm-up: caches and plans
		return 0, err
	}
	var s []float64
	for range reportRuns {
		start := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		s = append(s, time.Since(start).Seconds())
	}
	slices.Sort(s)
	return s[len(s)/2], nil
}

// seedReport fills a campaign with COPY: tweets spread over the 2016-08-14 Seoul day, most of
// them eligible, a fifth plain retweets, with a long tail of authors and extra hashtags.
func seedReport(ctx context.Context, pool *pgxpool.Pool) error {
	if _, err := pool.Exec(ctx, `
		INSERT INTO campaigns (slug, name, required_hashtags, display_hashtags, starts_at, ends_at, time_zone, tweets_index)
		VALUES ('bench', 'Bench', '{pyconapac,elastic}', '{PyConAPAC,Elastic}',
		        '2016-08-13 00:00+09', '2016-08-16 00:00+09', 'Asia/Seoul', 'twitter-bench');
		INSERT INTO prizes (campaign_id, key, name, stock, stock_left) VALUES
		  (1, 'tshirt', 'T-shirt', 100000, 100000), (1, 'sticker', 'Sticker', 100000, 100000),
		  (1, 'mug', 'Mug', 100000, 100000), (1, 'socks', 'Socks', 100000, 100000)`); err != nil {
		return err
	}
	dayStart := time.Date(2016, 8, 13, 15, 0, 0, 0, time.UTC) // 2016-08-14 00:00 in Seoul
	rng := rand.New(rand.NewPCG(1, 2))
	extra := []string{"파이콘", "스마트스터디", "python", "django", "kibana", "logstash", "seoul", "coex",
		"pycon", "opensource", "jupyter", "pandas", "flask", "asyncio", "ml", "data"}
	i := 0
	_, err := pool.CopyFrom(ctx, pgx.Identifier{"tweets"},
		[]string{"id", "version_id", "handle", "handle_norm", "created_at", "text", "hashtags", "hashtags_norm",
			"retweet_of", "retweet_count"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == reportTweets {
				return nil, nil
			}
			i++
			id := fmt.Sprint(770000000000000000 + i)
			// Zipf-like authors: a few loud accounts, a long tail.
			handle := fmt.Sprintf("user%d", int(200000*rng.Float64()*rng.Float64()*rng.Float64()))
			tags := []string{"pyconapac"}
			if rng.IntN(10) < 7 {
				tags = append(tags, "elastic")
			}
			for range rng.IntN(3) {
				tags = append(tags, extra[rng.IntN(len(extra))])
			}
			var retweetOf any
			if rng.IntN(5) == 0 {
				retweetOf = fmt.Sprint(770000000000000000 + rng.IntN(i))
			}
			at := dayStart.Add(time.Duration(rng.Int64N(int64(24 * time.Hour))))
			text := "#" + strings.Join(tags, " #") + " at the booth, thanks for the swag!"
			return []any{id, id, handle, handle, at, text, tags, tags, retweetOf, int64(rng.IntN(50) * rng.IntN(2))}, nil
		}))
	if err != nil {
		return fmt.Errorf("tweets: %w", err)
	}
	// Every post also keeps its raw JSON, as ingestion stores it: about a kilobyte for an X v2
	// post with its author. The report must not pay for it.
	i = 0
	_, err = pool.CopyFrom(ctx, pgx.Identifier{"tweet_raw"}, []string{"network", "id", "raw"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == reportTweets {
				return nil, nil
			}
			i++
			id := fmt.Sprint(770000000000000000 + i)
			return []any{"twitter", id, fmt.Sprintf(rawV2, id, i%200000)}, nil
		}))
	if err != nil {
		return fmt.Errorf("tweet_raw: %w", err)
	}
	const codeAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	networks := []string{"twitter", "twitter", "twitter", "twitter", "instagram", "facebook", "mastodon"}
	statuses := []string{"pending", "verified", "rejected"}
	i = 0
	_, err = pool.CopyFrom(ctx, pgx.Identifier{"claims"},
		[]string{"campaign_id", "network", "handle", "handle_norm", "post_url", "code", "status", "manual",
			"verified_at", "verified_by", "created_at"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == reportClaims {
				return nil, nil
			}
			i++
			var code [6]byte
			for k, v := 0, i; k < 6; k, v = k+1, v/32 {
				code[k] = codeAlphabet[v%32]
			}
			at := dayStart.Add(time.Duration(rng.Int64N(int64(23 * time.Hour))))
			status, verified, proof := statuses[rng.IntN(3)], any(nil), any(nil)
			if i <= reportGives {
				status = "given"
			}
			if status != "pending" && status != "rejected" {
				verified, proof = at.Add(time.Minute), any("handle")
			}
			network := networks[i%len(networks)]
			return []any{1, network, fmt.Sprint("person", i), fmt.Sprint("person", i), "https://example.com/p/" + fmt.Sprint(i),
				string(code[:]), status, network != "twitter", verified, proof, at}, nil
		}))
	if err != nil {
		return fmt.Errorf("claims: %w", err)
	}
	staff := []string{"Minji", "Jisoo", "Hyun", "Dana"}
	i = 0
	_, err = pool.CopyFrom(ctx, pgx.Identifier{"giveaways"},
		[]string{"campaign_id", "claim_id", "prize_id", "period", "slot", "given_at", "given_by_name", "undone_at",
			"undone_by_name"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == reportGives {
				return nil, nil
			}
			i++
			at := dayStart.Add(time.Hour + time.Duration(rng.Int64N(int64(22*time.Hour))))
			var undone, undoneBy any
			if i%50 == 0 {
				undone, undoneBy = at.Add(time.Minute), "Minji"
			}
			return []any{1, int64(i), int64(1 + i%4), "campaign", 1, at, staff[i%len(staff)], undone, undoneBy}, nil
		}))
	if err != nil {
		return fmt.Errorf("giveaways: %w", err)
	}
	_, err = pool.Exec(ctx, `
		UPDATE prizes p SET stock_left = p.stock - (SELECT count(*) FROM giveaways g
		    WHERE g.prize_id = p.id AND g.undone_at IS NULL)`)
	if err != nil {
		return err
	}
	// What autovacuum does after a bulk load: statistics for the planner, and the visibility map
	// that index-only scans need.
	if _, err = pool.Exec(ctx, "VACUUM ANALYZE tweets, tweet_raw, claims, giveaways, prizes"); err != nil {
		return err
	}
	// The load's dirty pages are written now, not by a checkpoint in the middle of the timing.
	_, err = pool.Exec(ctx, "CHECKPOINT")
	return err
}

// rawV2 is the shape of a stored X API v2 post (id, then the author's number).
const rawV2 = `{"data":{"id":"%[1]s","text":"#PyConAPAC #Elastic at the booth, thanks for the swag!",` +
	`"author_id":"15234567%06[2]d","created_at":"2016-08-14T05:23:45.000Z","lang":"en",` +
	`"conversation_id":"%[1]s","edit_history_tweet_ids":["%[1]s"],"entities":{"hashtags":[` +
	`{"start":0,"end":10,"tag":"PyConAPAC"},{"start":11,"end":19,"tag":"Elastic"}],"mentions":[],"urls":[]},` +
	`"public_metrics":{"retweet_count":0,"reply_count":0,"like_count":3,"quote_count":0,"bookmark_count":0,` +
	`"impression_count":456},"possibly_sensitive":false,"reply_settings":"everyone"},"includes":{"users":[` +
	`{"id":"15234567%06[2]d","name":"Developer %[2]d","username":"user%[2]d","created_at":"2011-03-01T00:00:00.000Z",` +
	`"description":"Pythonista from Seoul. Loves data, search and coffee.","verified":false,` +
	`"public_metrics":{"followers_count":120,"following_count":80,"tweet_count":4200,"listed_count":3}}]},` +
	`"matching_rules":[{"id":"1580000000000000000","tag":"pyconapac"}]}`
