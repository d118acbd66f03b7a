package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/app"
	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/database"
	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/tweet"
)

const (
	ingestTweets    = 200_000
	ingestBatch     = 1000
	ingestSenders   = 4
	ingestClaims    = 5_000
	giveStaff       = 100
	givesPerStaff   = 20
	giveTap         = 500 * time.Millisecond
	benchAdminToken = "bench-admin"
	benchIngest     = "bench-ingest"
)

func init() {
	Register(Benchmark{Name: "ingest", Run: runIngest})
	Register(Benchmark{Name: "give", Run: runGive})
}

type service struct {
	pool *pgxpool.Pool
	srv  *httptest.Server
}

func newService(ctx context.Context, env *Env) (*service, error) {
	url, err := env.NewDatabase(ctx)
	if err != nil {
		return nil, err
	}
	pool, err := database.Open(ctx, url, 40)
	if err != nil {
		return nil, err
	}
	// The service as serve builds it; its background work (live updates, feed) is not run.
	a, err := app.New(pool, app.Config{IngestToken: benchIngest, AdminToken: benchAdminToken,
		SessionTTL: time.Hour, ClaimsPerMinute: 1 << 30})
	if err != nil {
		return nil, err
	}
	return &service{pool: pool, srv: httptest.NewServer(a.Echo)}, nil
}

// benchClient keeps a connection per concurrent caller, as 100 tablets would.
var benchClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256}}

func (s *service) close() { s.srv.Close(); s.pool.Close() }

func (s *service) post(path, token, ctype string, body []byte) (int, []byte, error) {
	req, _ := http.NewRequest("POST", s.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := benchClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes(), nil
}

func (s *service) campaign(slug string, stock int) error {
	body := fmt.Sprintf(`{"slug":%q,"name":"Bench","required_hashtags":["PyConAPAC","Elastic"],
		"starts_at":"2016-08-01T00:00:00Z","ends_at":"2099-01-01T00:00:00Z","time_zone":"Asia/Seoul",
		"prizes":[{"key":"tshirt","name":"T-shirt","stock":%d}]}`, slug, stock)
	st, out, err := s.post("/api/v1/campaigns", benchAdminToken, "application/json", []byte(body))
	if err == nil && st != 201 {
		err = fmt.Errorf("create campaign: %d %s", st, out)
	}
	return err
}

// statusLine is a v1.1 status shaped like those Logstash stored at PyCon APAC 2016; one in five
// carries both required hashtags, and authors repeat so some posts match waiting claims.
func statusLine(i int) []byte {
	tags := []string{"PyConAPAC"}
	if i%5 == 0 {
		tags = append(tags, "Elastic")
	}
	if i%7 == 0 {
		tags = append(tags, "파이콘")
	}
	hs := make([]map[string]any, len(tags))
	for k, t := range tags {
		hs[k] = map[string]any{"text": t, "indices": []int{0, len(t) + 1}}
	}
	b, _ := json.Marshal(map[string]any{
		"created_at": time.Date(2016, 8, 13, 1, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second).
			Format("Mon Jan 02 15:04:05 -0700 2006"),
		"id_str": fmt.Sprintf("7650%015d", i), "text": "Talk notes from the booth #" + strings.Join(tags, " #") +
			" https://t.co/abcdefg", "lang": "en", "retweet_count": i % 13, "favorite_count": i % 17,
		"source": `<a href="http://twitter.com/download/iphone">Twitter for iPhone</a>`,
		"user": map[string]any{"id_str": fmt.Sprintf("%d", 1000+i%20000), "screen_name": fmt.Sprintf("dev%d", i%20000),
			"name": "Developer", "followers_count": 120, "lang": "ko", "created_at": "Tue Mar 01 00:00:00 +0000 2011"},
		"entities": map[string]any{"hashtags": hs, "urls": []any{}, "user_mentions": []any{}},
	})
	return b
}

func runIngest(ctx context.Context, env *Env) ([]Result, error) {
	lines := make([][]byte, ingestTweets)
	for i := range lines {
		lines[i] = statusLine(i)
	}
	batches := make([][]byte, 0, ingestTweets/ingestBatch)
	for i := 0; i < len(lines); i += ingestBatch {
		batches = append(batches, append(bytes.Join(lines[i:min(i+ingestBatch, len(lines))], []byte("\n")), '\n'))
	}

	// The floor: COPY of the same parsed rows into the same tables, on a database of its own.
	copyRate, err := copyFloor(ctx, env, lines)
	if err != nil {
		return nil, err
	}

	s, err := newService(ctx, env)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if err := s.campaign("bench", 1000); err != nil {
		return nil, err
	}
	// Waiting claims, so matching has work: authors dev0 … dev4999.
	if _, err := s.pool.Exec(ctx, `INSERT INTO claims (campaign_id, network, handle, handle_norm, code)
		SELECT 1, 'twitter', 'dev' || g, 'dev' || g,
		       (SELECT string_agg(substr('ABCDEFGHJKLMNPQRSTUVWXYZ23456789', (floor(random()*32)+1)::int, 1), '')
		        FROM generate_series(1, 6) WHERE g IS NOT NULL)
		FROM generate_series(0, $1 - 1) g`, ingestClaims); err != nil {
		return nil, err
	}
	env.Logf("ingest: %d posts in batches of %d from %d senders", ingestTweets, ingestBatch, ingestSenders)
	start := time.Now()
	var wg sync.WaitGroup
	work := make(chan []byte)
	errc := make(chan error, ingestSenders)
	var mu sync.Mutex
	var total ingest.Result
	for w := 0; w < ingestSenders; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				st, out, err := s.post("/api/v1/ingest/tweets", benchIngest, "application/x-ndjson", b)
				if err == nil && st != 200 {
					err = fmt.Errorf("ingest: %d %s", st, out)
				}
				if err != nil {
					errc <- err
					return
				}
				var r ingest.Result
				json.Unmarshal(out, &r)
				mu.Lock()
				total.Add(r)
				mu.Unlock()
			}
		}()
	}
	for _, b := range batches {
		work <- b
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	select {
	case err := <-errc:
		return nil, err
	default:
	}
	if total.Stored != ingestTweets {
		return nil, fmt.Errorf("ingest stored %d of %d", total.Stored, ingestTweets)
	}
	rate := float64(ingestTweets) / elapsed.Seconds()
	return []Result{
		{"ingest_tweets_per_s", fmt.Sprintf("%.0f", rate)},
		{"ingest_matched_claims", fmt.Sprint(total.Matched)},
		{"copy_rows_per_s", fmt.Sprintf("%.0f", copyRate)},
		{"ingest_vs_copy", fmt.Sprintf("%.2f", rate/copyRate)},
	}, nil
}

func copyFloor(ctx context.Context, env *Env, lines [][]byte) (float64, error) {
	url, err := env.NewDatabase(ctx)
	if err != nil {
		return 0, err
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	rows, raws := make([][]any, len(lines)), make([][]any, len(lines))
	for i, l := range lines {
		it, err := tweet.Parse(l)
		if err != nil {
			return 0, err
		}
		p := it.Post
		rows[i] = []any{p.Network, p.ID, p.VersionID, p.AuthorID, p.Handle, strings.ToLower(p.Handle), p.CreatedAt,
			p.Text, p.Lang, p.Hashtags, p.NormalizedHashtags(), p.RetweetCount}
		raws[i] = []any{p.Network, p.ID, string(p.Raw)}
	}
	cols := []string{"network", "id", "version_id", "author_id", "handle", "handle_norm", "created_at", "text", "lang",
		"hashtags", "hashtags_norm", "retweet_count"}
	start := time.Now()
	for i := 0; i < len(rows); i += ingestBatch {
		j := min(i+ingestBatch, len(rows))
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{"tweets"}, cols, pgx.CopyFromRows(rows[i:j])); err != nil {
			return 0, err
		}
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{"tweet_raw"}, []string{"network", "id", "raw"},
			pgx.CopyFromRows(raws[i:j])); err != nil {
			return 0, err
		}
	}
	return float64(len(rows)) / time.Since(start).Seconds(), nil
}

func runGive(ctx context.Context, env *Env) ([]Result, error) {
	s, err := newService(ctx, env)
	if err != nil {
		return nil, err
	}
	defer s.close()
	n := giveStaff * givesPerStaff
	// Each tablet's first give warms its connection (below), on a claim of its own past n.
	if err := s.campaign("bench", n+giveStaff+10); err != nil {
		return nil, err
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO claims (campaign_id, network, handle, handle_norm, code, status, verified_at, verified_by)
		SELECT 1, 'twitter', 'winner' || g, 'winner' || g, translate(lpad(g::text, 6, '0'), '0123456789', 'ABCDEFGHJK'), 'verified', now(), 'handle'
		FROM generate_series(1, $1) g`, n+giveStaff); err != nil {
		return nil, err
	}
	// Sessions are made directly: the benchmark measures gives, not bcrypt.
	auths := auth.New(s.pool, benchAdminToken, time.Hour)
	tokens := make([]string, giveStaff)
	for i := range tokens {
		if _, err := auths.CreateStaff(ctx, fmt.Sprintf("staff%d", i), "482193", "staff"); err != nil {
			return nil, err
		}
		sess, err := auths.Login(ctx, auth.Attempt{Name: fmt.Sprintf("staff%d", i), PIN: "482193"})
		if err != nil {
			return nil, err
		}
		tokens[i] = sess.Token
	}
	give := func(w, k int) error {
		id := w*givesPerStaff + k + 1
		st, out, err := s.post(fmt.Sprintf("/api/v1/claims/%d/give", id), tokens[w], "application/json", []byte(`{"prize":"tshirt"}`))
		if err == nil && st != 200 {
			err = fmt.Errorf("give %d: %d %s", id, st, out)
		}
		return err
	}
	// The floor: the same pattern taking stock from the same prize row in bare transactions.
	floor := func(w, k int) error {
		return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE prizes SET stock_left = stock_left + 0 WHERE id = 1`)
			return err
		})
	}
	// A booth's service is warm: its tablets gave before the queue formed, so its connections and
	// their plans are open, as the floor's are by the time it runs. Each tablet gives once first.
	if _, err := concurrently(giveStaff, 1, 0, func(w, _ int) error {
		id := n + w + 1
		st, out, err := s.post(fmt.Sprintf("/api/v1/claims/%d/give", id), tokens[w], "application/json", []byte(`{"prize":"tshirt"}`))
		if err == nil && st != 200 {
			err = fmt.Errorf("warm-up give %d: %d %s", id, st, out)
		}
		return err
	}); err != nil {
		return nil, err
	}
	// At the booth: 100 tablets, each tapping about twice a second (far busier than any booth).
	env.Logf("give: %d staff, each giving %d prizes at about %s a tap", giveStaff, givesPerStaff/2, giveTap)
	paced, err := concurrently(giveStaff, givesPerStaff/2, giveTap, give)
	if err != nil {
		return nil, err
	}
	pacedFloor, err := concurrently(giveStaff, givesPerStaff/2, giveTap, floor)
	if err != nil {
		return nil, err
	}
	// The worst case: every tablet giving as fast as it can, all on the one prize row.
	env.Logf("give: %d staff giving %d prizes each, back to back", giveStaff, givesPerStaff/2)
	burst, err := concurrently(giveStaff, givesPerStaff/2, 0, func(w, k int) error { return give(w, k+givesPerStaff/2) })
	if err != nil {
		return nil, err
	}
	burstFloor, err := concurrently(giveStaff, givesPerStaff/2, 0, floor)
	if err != nil {
		return nil, err
	}
	p99, f99 := percentile(paced, 0.99), percentile(pacedFloor, 0.99)
	b99, bf99 := percentile(burst, 0.99), percentile(burstFloor, 0.99)
	return []Result{
		{"give_p99_ms", fmt.Sprintf("%.1f", p99)},
		{"give_p50_ms", fmt.Sprintf("%.1f", percentile(paced, 0.50))},
		{"give_floor_p99_ms", fmt.Sprintf("%.1f", f99)},
		{"give_vs_floor_p99", fmt.Sprintf("%.2f", p99/f99)},
		{"give_burst_p99_ms", fmt.Sprintf("%.1f", b99)},
		{"give_burst_floor_p99_ms", fmt.Sprintf("%.1f", bf99)},
		{"give_burst_vs_floor_p99", fmt.Sprintf("%.2f", b99/bf99)},
	}, nil
}

// concurrently runs workers×each calls, workers at a time, each worker pausing about pause
// (±50%, so the workers do not march in step) between its calls, and returns each call's latency
// in ms.
func concurrently(workers, each int, pause time.Duration, call func(w, k int) error) ([]float64, error) {
	var mu sync.Mutex
	var lat []float64
	var first error
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < each; k++ {
				if pause > 0 {
					time.Sleep(pause/2 + time.Duration(rand.Int64N(int64(pause))))
				}
				t := time.Now()
				err := call(w, k)
				d := float64(time.Since(t).Microseconds()) / 1000
				mu.Lock()
				lat = append(lat, d)
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return lat, first
}

func percentile(v []float64, p float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(float64(len(s))*p))]
}
