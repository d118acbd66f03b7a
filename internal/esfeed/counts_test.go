package esfeed

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/estest"
	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/report"
	"github.com/boothgiveaway/giveaway/internal/testkit"
	"github.com/boothgiveaway/giveaway/internal/tweet"
)

// ingestLines stores v1.1 statuses through the one ingest path, as the HTTP endpoint does.
func ingestLines(t *testing.T, svc *ingest.Service, lines ...string) {
	t.Helper()
	items := make([]tweet.Item, len(lines))
	for i, l := range lines {
		it, err := tweet.Parse([]byte(l))
		if err != nil {
			t.Fatalf("parse %s: %v", l, err)
		}
		items[i] = it
	}
	if _, err := svc.Ingest(context.Background(), items); err != nil {
		t.Fatal(err)
	}
}

// status is a v1.1 status; extra is spliced in as more top-level fields.
func status(id, handle, text string, at time.Time, extra string) string {
	return fmt.Sprintf(`{"id_str":%q,"created_at":%q,"text":%q,"user":{"id_str":"9%s","screen_name":%q},"lang":"en"%s}`,
		id, at.Format(time.RubyDate), text, id, handle, extra)
}

// retweetOf is a v1.1 retweet of id embedding the original's retweet count, as the stream sends it.
func retweetOf(id, orig, origHandle string, count int, at time.Time) string {
	return status(id, "fan"+id, "RT @"+origHandle+": #PyConAPAC #Elastic booth", at,
		fmt.Sprintf(`,"retweet_count":%d,"retweeted_status":{"id_str":%q,"retweet_count":%d,"user":{"screen_name":%q}}`,
			count, orig, count, origHandle))
}

func docField(t *testing.T, s *estest.Server, index, id string, path ...string) any {
	t.Helper()
	d, ok := s.Doc(index, id)
	if !ok {
		t.Fatalf("%s/%s not indexed", index, id)
	}
	var v any
	if err := json.Unmarshal(d.Source, &v); err != nil {
		t.Fatal(err)
	}
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

func mostRetweeted(t *testing.T, r *report.Report) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, m := range r.MostRetweeted {
		out[m.ID] = m.Retweets
	}
	return out
}

// The bug of issue 13: a retweet carrying retweeted_status.retweet_count left the stored original
// at 0 in the index and out of the report. Counts now flow to both, only ever rise, and survive
// edits and the retweets' deletes; an original arriving after its retweets starts at their count.
func TestRetweetCountsFlow(t *testing.T) {
	pool := pgtest.New(t)
	s := estest.New(t)
	addCampaign(t, pool, "c1", "", "pyconapac", "elastic")
	svc := ingest.New(pool, nil)
	f := newFeeder(t, pool, s.URL, fastOptions())
	ctx := context.Background()
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	seoul, _ := time.LoadLocation("Asia/Seoul")
	day := at.In(seoul).Format("2006-01-02")
	rep := func() map[string]int64 {
		t.Helper()
		if _, err := f.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		r, err := report.BuildQuery(ctx, pool, "c1", day, "", "", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return mostRetweeted(t, r)
	}

	ingestLines(t, svc, status("1001", "kimjmin", "#PyConAPAC #Elastic booth", at, `,"retweet_count":0`))
	ingestLines(t, svc, retweetOf("2001", "1001", "kimjmin", 5, at.Add(time.Minute)))
	if got := rep(); got["1001"] != 5 {
		t.Fatalf("most_retweeted %v, want 1001 with 5", got)
	}
	if got := docField(t, s, "twitter-c1", "1001", "retweet_count"); got != 5.0 {
		t.Fatalf("original's document retweet_count %v, want 5", got)
	}
	if got := docField(t, s, "twitter-c1", "2001", "retweeted_status", "retweet_count"); got != 5.0 {
		t.Fatalf("retweet's document retweeted_status.retweet_count %v, want 5", got)
	}

	// A later retweet carrying an older, lower count never lowers it; an edit of the original
	// (a newer version with no count of its own) keeps it too.
	ingestLines(t, svc, retweetOf("2002", "1001", "kimjmin", 3, at.Add(2*time.Minute)))
	ingestLines(t, svc, status("1009", "kimjmin", "#PyConAPAC #Elastic booth (edited)", at,
		`,"retweet_count":0,"edit_history":{"initial_tweet_id":"1001"}`))
	if got := rep(); got["1001"] != 5 {
		t.Fatalf("after a lower count and an edit: %v, want 1001 with 5", got)
	}
	if got := docField(t, s, "twitter-c1", "1001", "text"); got != "#PyConAPAC #Elastic booth (edited)" {
		t.Fatalf("edit not indexed: %v", got)
	}

	// A quote raises quote_count the same way.
	ingestLines(t, svc, status("3001", "quoter", "so true #PyConAPAC", at.Add(3*time.Minute),
		`,"quoted_status_id_str":"1001","quoted_status":{"id_str":"1001","quote_count":2,"user":{"screen_name":"kimjmin"}}`))
	rep()
	if got := docField(t, s, "twitter-c1", "1001", "quote_count"); got != 2.0 {
		t.Fatalf("original's quote_count %v, want 2", got)
	}

	// Retweets first, original later (and in one batch with another retweet): the highest wins.
	ingestLines(t, svc, retweetOf("2101", "1101", "alice", 7, at.Add(time.Minute)))
	ingestLines(t, svc, status("1101", "alice", "#PyConAPAC #Elastic hello", at, `,"retweet_count":1`),
		retweetOf("2102", "1101", "alice", 8, at.Add(2*time.Minute)))
	if got := rep(); got["1101"] != 8 {
		t.Fatalf("late original: %v, want 1101 with 8", got)
	}

	// Deleting a retweet keeps the original's count (the count is X's, not ours); deleting the
	// original takes it out, and a late retweet cannot bring it back.
	ingestLines(t, svc, `{"delete":{"status":{"id_str":"2001"}}}`)
	if got := rep(); got["1001"] != 5 {
		t.Fatalf("after deleting a retweet: %v, want 1001 with 5", got)
	}
	ingestLines(t, svc, `{"delete":{"status":{"id_str":"1001"}}}`)
	ingestLines(t, svc, retweetOf("2003", "1001", "kimjmin", 9, at.Add(4*time.Minute)))
	got := rep()
	if _, ok := got["1001"]; ok {
		t.Fatalf("deleted original still reported: %v", got)
	}
	if _, ok := s.Doc("twitter-c1", "1001"); ok {
		t.Fatal("deleted original still indexed")
	}
}

// Two batches each re-sending one original while carrying a retweet of the other's: the first
// to raise the other's original waited for it while holding its own (SQLSTATE 40P01, the batch
// failed). Many rounds at once: no batch fails, no retweet is lost, the counts are the highest.
func TestCrossingRetweetBatchesNeitherDeadlockNorLoseCounts(t *testing.T) {
	pool := pgtest.New(t)
	addCampaign(t, pool, "c1", "", "pyconapac", "elastic")
	svc := ingest.New(pool, nil)
	ctx := context.Background()
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	seoul, _ := time.LoadLocation("Asia/Seoul")
	day := at.In(seoul).Format("2006-01-02")
	// Each side re-sends its originals and retweets the other side's, so the windows overlap.
	const side, rounds = 20, 30
	originals := func(base int, handle string) []string {
		lines := make([]string, side)
		for i := range lines {
			lines[i] = status(fmt.Sprint(base+i), handle, "#PyConAPAC #Elastic hello", at, `,"retweet_count":0`)
		}
		return lines
	}
	alice, bob := originals(1000, "alice"), originals(5000, "bob")
	ingestLines(t, svc, append(alice, bob...)...)
	batch := func(own []string, rtBase, origBase int, origHandle string, r int) []tweet.Item {
		lines := append([]string{}, own...)
		for i := range side {
			lines = append(lines, retweetOf(fmt.Sprint(rtBase+r*side+i), fmt.Sprint(origBase+i), origHandle, r, at.Add(time.Minute)))
		}
		items := make([]tweet.Item, len(lines))
		for i, l := range lines {
			it, err := tweet.Parse([]byte(l))
			if err != nil {
				t.Fatal(err)
			}
			items[i] = it
		}
		return items
	}
	for r := 1; r <= rounds; r++ {
		batches := [][]tweet.Item{batch(alice, 100000, 5000, "bob", r), batch(bob, 200000, 1000, "alice", r)}
		errs := make(chan error, len(batches))
		start := make(chan struct{})
		for _, items := range batches {
			go func() {
				<-start
				_, err := svc.Ingest(ctx, items)
				errs <- err
			}()
		}
		close(start)
		for range batches {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: a batch failed: %v", r, err)
			}
		}
	}
	rep, err := report.BuildQuery(ctx, pool, "c1", day, "", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	got := mostRetweeted(t, rep)
	if len(got) != 10 {
		t.Errorf("most_retweeted lists %d posts, want 10", len(got))
	}
	for id, n := range got {
		if n != rounds {
			t.Errorf("most_retweeted %s: %d, want %d", id, n, rounds)
		}
	}
	// The report lists ten; every original holds the highest count.
	if n := scalar[int64](t, pool, `SELECT count(*) FROM tweets WHERE retweet_of IS NULL AND retweet_count = $1`,
		rounds); n != 2*side {
		t.Errorf("%d originals at %d retweets, want %d", n, rounds, 2*side)
	}
	if n := scalar[int64](t, pool, `SELECT count(*) FROM tweets WHERE retweet_of IS NOT NULL`); n != 2*side*rounds {
		t.Fatalf("%d retweets stored, want %d", n, 2*side*rounds)
	}
}

// Issue 16's race: batch A stores retweets of originals that batch B, at the same moment, stores
// for the first time. A's raise found no stored original (B's rows were not yet committed) and B
// read no count (A's were not), so the originals kept 0 in tweets while tweet_counts held the
// retweets' count, and the feeder indexed 0. Many rounds at once, with the feeder running
// throughout: every original's stored count, the report and its document show its retweets'.
func TestRetweetsRacingTheirOriginalKeepTheCount(t *testing.T) {
	pool := pgtest.New(t)
	s := estest.New(t)
	addCampaign(t, pool, "c1", "", "pyconapac", "elastic")
	svc := ingest.New(pool, nil)
	runFeeder(t, newFeeder(t, pool, s.URL, fastOptions()))
	ctx := context.Background()
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	const side, rounds = 20, 25
	parse := func(lines []string) []tweet.Item {
		items := make([]tweet.Item, len(lines))
		for i, l := range lines {
			it, err := tweet.Parse([]byte(l))
			if err != nil {
				t.Fatal(err)
			}
			items[i] = it
		}
		return items
	}
	want := map[string]int{}
	for r := range rounds {
		var originals, retweets []string
		for i := range side {
			id, count := fmt.Sprint(10000+r*side+i), 1+(r+i)%9
			want[id] = count
			originals = append(originals, status(id, "alice", "#PyConAPAC #Elastic hello", at, `,"retweet_count":0`))
			retweets = append(retweets, retweetOf(fmt.Sprint(900000+r*side+i), id, "alice", count, at.Add(time.Minute)))
		}
		batches := [][]tweet.Item{parse(retweets), parse(originals)}
		errs := make(chan error, len(batches))
		start := make(chan struct{})
		for _, items := range batches {
			go func() {
				<-start
				_, err := svc.Ingest(ctx, items)
				errs <- err
			}()
		}
		close(start)
		for range batches {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: a batch failed: %v", r, err)
			}
		}
	}
	rows, err := pool.Query(ctx, `SELECT id, retweet_count FROM tweets WHERE retweet_of IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		stored[id] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	lost := 0
	for id, n := range want {
		if stored[id] != n {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d originals lost their retweets' count in tweets", lost, len(want))
	}
	testkit.Eventually(t, "the feed to drain", func() bool { return pending(t, pool) == 0 })
	lost = 0
	for id, n := range want {
		if got := docField(t, s, "twitter-c1", id, "retweet_count"); got != float64(n) {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d originals indexed without their retweets' count", lost, len(want))
	}
}
