package esfeed

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boothgiveaway/giveaway/internal/estest"
	"github.com/boothgiveaway/giveaway/internal/moderation"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/store"
	"github.com/boothgiveaway/giveaway/internal/testkit"
)

// checkExactlyOnce fails unless every document of index arrived in exactly one operation and the
// index holds want documents whose version is their outbox row's id.
func checkExactlyOnce(t *testing.T, s *estest.Server, index string, want int) {
	t.Helper()
	seen := map[string]int{}
	for _, op := range s.Ops() {
		if op.Index == index {
			seen[op.ID]++
		}
	}
	if len(seen) != want {
		t.Fatalf("%s: %d distinct documents sent, want %d", index, len(seen), want)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s/%s sent %d times", index, id, n)
		}
	}
	if got := s.Count(index); got != want {
		t.Fatalf("%s holds %d documents, want %d", index, got, want)
	}
}

func TestThousandsArriveExactlyOnce(t *testing.T) {
	pool := pgtest.New(t)
	s := estest.New(t)
	addCampaign(t, pool, "pyconapac2016", "", "pyconapac", "elastic")
	addTweets(t, pool, 1, 5000, "안녕 #PyConAPAC", "PyConAPAC")
	reg := prometheus.NewRegistry()
	opts := fastOptions()
	opts.Registerer = reg
	f := newFeeder(t, pool, s.URL, opts)
	st, err := f.Drain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Done != 5000 || st.Rows != 5000 {
		t.Fatalf("stats %+v", st)
	}
	if n := pending(t, pool); n != 0 {
		t.Fatalf("%d rows pending", n)
	}
	checkExactlyOnce(t, s, "twitter-pyconapac2016", 5000)

	// The document keeps the v1.1 names, the id digits and the outbox id as version.
	id := tweetID(42)
	d, ok := s.Doc("twitter-pyconapac2016", id)
	if !ok {
		t.Fatal("tweet 42 missing")
	}
	outboxID := scalar[int64](t, pool, "SELECT id FROM outbox WHERE ref_id = $1", id)
	if d.Version != outboxID {
		t.Fatalf("version %d, want outbox id %d", d.Version, outboxID)
	}
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(string(d.Source)))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	g, _ := doc["giveaway"].(map[string]any)
	if doc["id_str"] != id || g["campaign"] != "pyconapac2016" || doc["text"] != "안녕 #PyConAPAC 42" ||
		doc["user"].(map[string]any)["screen_name"] != "User42" || g["hidden"] != false ||
		g["eligible"] != false || g["network"] != "twitter" {
		t.Fatalf("document %s", d.Source)
	}
	// No template claims tweets indexes: each is created with the mapping before its first document.
	if _, ok := s.Template("giveaway-tweets"); ok {
		t.Fatal("a tweets template is installed")
	}
	if b, ok := s.IndexBody("twitter-pyconapac2016"); !ok || !strings.Contains(string(b), `"string_fields"`) {
		t.Fatalf("tweets index created with %s", b)
	}
	if v := metricValue(f.m.rowsDone); v != 5000 {
		t.Fatalf("rows done metric %v", v)
	}
	if mfs, err := reg.Gather(); err != nil || len(mfs) == 0 {
		t.Fatalf("metrics: %d %v", len(mfs), err)
	}
}

// Elasticsearch answers 503 to everything for a while: nothing is marked done meanwhile, and
// once it recovers every document arrives.
func TestOutageThenRecovery(t *testing.T) {
	pool := pgtest.New(t)
	s := estest.New(t)
	addCampaign(t, pool, "c1", "", "go")
	f := newFeeder(t, pool, s.URL, fastOptions())
	if err := f.InstallTemplates(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.SetDown(503)
	addTweets(t, pool, 1, 2000, "#go", "go")
	runFeeder(t, f)
	testkit.Eventually(t, "rounds during the outage", func() bool { return s.Requests("bulk") >= 9 })
	if n := pending(t, pool); n != 2000 {
		t.Fatalf("%d rows pending during the outage, want 2000", n)
	}
	// The head of the queue was tried and put back more than once, and no row was marked done
	// meanwhile. Not every row: lanes take the lowest pending ids, so while Elasticsearch is
	// down the rows behind the head may wait untried, which loses nothing.
	testkit.Eventually(t, "the head to fail twice", func() bool {
		return scalar[int64](t, pool, "SELECT min(attempts) FROM (SELECT attempts FROM outbox ORDER BY id LIMIT 1000) h") >= 2
	})
	if n := pending(t, pool); n != 2000 {
		t.Fatalf("%d rows pending during the outage, want 2000", n)
	}
	s.SetDown(0)
	testkit.Eventually(t, "the backlog to drain", func() bool { return pending(t, pool) == 0 })
	if got := s.Count("twitter-c1"); got != 2000 {
		t.Fatalf("%d documents after recovery", got)
	}
	if e := scalar[int64](t, pool, "SELECT count(*) FROM outbox WHERE last_error IS NOT NULL"); e != 0 {
		t.Fatalf("%d done rows keep an error", e)
	}
}

// A burst of whole-request 429s is retried by the transport within the round; item-level 429s
// leave only their rows pending for the next round.
func TestTooManyRequests(t *testing.T) {
	pool := pgtest.New(t)
	s := estest.New(t)
	addCampaign(t, pool, "c1", "", "go")
	addTweets(t, pool, 1, 500, "#go", "go")
	f := newFeeder(t, pool, s.URL, fastOptions())
	ctx := context.Background()
	if err := f.InstallTemplates(ctx); err != nil {
		t.Fatal(err)
	}

	s.FailBulks(2, 429) // fewer than MaxRetries+1 tries
	st, err := f.Round(ctx)
	if err != nil || st.Done != 500 {
		t.Fatalf("round after whole-request 429s: %+v %v", st, err)
	}
	if n := s.Requests("bulk"); n < 3 {
		t.Fatalf("%d bulk requests; the 429s were not retried", n)
	}

	addTweets(t, pool, 501, 1000, "#go", "go")
	s.FailItems(40, 429)
	st, err = f.Round(ctx)
	if err != nil || st.Retry != 40 || st.Done != 460 || st.Dead != 0 {
		t.Fatalf("round with item 429s: %+v %v", st, err)
	}
	if e := scalar[string](t, pool, "SELECT last_error FROM outbox WHERE done_at IS NULL LIMIT 1"); !strings.Contains(e, "429") {
		t.Fatalf("last_error %q", e)
	}
	st, err = f.Round(ctx)
	if err != nil || st.Done != 40 {
		t.Fatalf("next round: %+v %v", st, err)
	}
	if got := s.Count("twitter-c1"); got != 1000 {
		t.Fatalf("%d documents", got)
	}
}

// One item rejected with a mapping error goes to the dead letters while the rest land; after
// the fix retry-dead sends it again.
func TestMappingErrorDeadLetter(t *testing.T) {
	pool := pgtest.New(t)
	s := estest.New(t)
	addCampaign(t, pool, "c1", "", "go")
	addTweets(t, pool, 1, 99, "#go", "go")
	addTweets(t, pool, 100, 100, "BROKEN #go", "go")
	s.Reject(func(_, _ string, src []byte) bool { return strings.Contains(string(src), "BROKEN") })
	reg := prometheus.NewRegistry()
	opts := fastOptions()
	opts.Registerer = reg
	f := newFeeder(t, pool, s.URL, opts)
	ctx := context.Background()
	st, err := f.Drain(ctx)
	if err != nil || st.Dead != 1 || st.Done != 99 {
		t.Fatalf("drain: %+v %v", st, err)
	}
	if got := s.Count("twitter-c1"); got != 99 {
		t.Fatalf("%d documents landed, want 99", got)
	}
	dead, err := DeadLetters(ctx, pool, 10)
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead letters %v %v", dead, err)
	}
	if dead[0].Ref != tweetID(100) || dead[0].Index != "twitter-c1" || !strings.Contains(dead[0].Reason, "document_parsing_exception") {
		t.Fatalf("dead letter %+v", dead[0])
	}
	if n := pending(t, pool); n != 0 {
		t.Fatalf("%d pending: the dead row still blocks", n)
	}
	status, err := f.Status(ctx)
	if err != nil || status.DeadLetters != 1 || status.Cluster == nil || status.Cluster.Status != "green" {
		t.Fatalf("status %+v %v", status, err)
	}
	f.refreshGauges(ctx)
	if v := metricValue(f.m.dead); v != 1 {
		t.Fatalf("dead letters gauge %v", v)
	}

	s.Reject(nil)
	e, err := RetryDead(ctx, pool)
	if err != nil || e.Rows != 1 {
		t.Fatalf("retry-dead: %+v %v", e, err)
	}
	if _, err := f.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Doc("twitter-c1", tweetID(100)); !ok {
		t.Fatal("the fixed document did not arrive")
	}
	if d := scalar[int64](t, pool, "SELECT count(*) FROM outbox_dead"); d != 0 {
		t.Fatalf("%d dead letters left", d)
	}
}

// The feeder is killed (SIGKILL) while Elasticsearch is down and holds a round in flight; on
// restart the backlog drains, with no lease to wait for.
func TestKilledDuringOutageRestartsAndDrains(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	url := pgtest.NewURL(t)
	pool := pgtest.New(t) // another database; the child uses url
	_ = pool
	p := poolFor(t, url)
	s := estest.New(t)
	addCampaign(t, p, "c1", "", "go")
	addTweets(t, p, 1, 1000, "#go", "go")

	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "ESFEED_CHILD=1", "ESFEED_DB="+url, "ESFEED_ES="+s.URL)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	child := start()
	testkit.Eventually(t, "the first backlog", func() bool { return pending(t, p) == 0 })

	s.SetDown(503)
	s.SetBulkDelay(50 * time.Millisecond) // keep a round in flight when the kill lands
	addTweets(t, p, 1001, 3000, "#go", "go")
	sqlExec(t, p, "NOTIFY outbox")
	before := s.Requests("bulk")
	testkit.Eventually(t, "sends during the outage", func() bool { return s.Requests("bulk") >= before+6 })
	// Kill while a round holds its claim (the outbox relation lock of its open transaction).
	testkit.Eventually(t, "a round in flight", func() bool {
		return scalar[int64](t, p, `SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
			WHERE c.relname = 'outbox' AND l.pid <> pg_backend_pid()
			  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`) > 0
	})
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	if n := pending(t, p); n != 2000 {
		t.Fatalf("%d pending after the kill, want 2000", n)
	}

	s.SetDown(0)
	s.SetBulkDelay(0)
	start()
	testkit.Eventually(t, "the backlog after restart", func() bool { return pending(t, p) == 0 })
	if got := s.Count("twitter-c1"); got != 3000 {
		t.Fatalf("%d documents, want 3000", got)
	}
}

// Two feeders at once never send one row concurrently (nor twice at all, with no failures).
func TestTwoFeedersNeverSendARowTwice(t *testing.T) {
	pool := pgtest.New(t)
	s := estest.New(t)
	addCampaign(t, pool, "c1", "", "go")
	addTweets(t, pool, 1, 4000, "#go", "go")
	s.SetBulkDelay(20 * time.Millisecond)
	opts := fastOptions()
	opts.BatchSize = 250
	var wg sync.WaitGroup
	stats := make([]RoundStats, 2)
	for i := range 2 {
		f := newFeeder(t, pool, s.URL, opts)
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := f.Drain(context.Background())
			if err != nil {
				t.Error(err)
			}
			stats[i] = st
		}()
	}
	wg.Wait()
	if stats[0].Done == 0 || stats[1].Done == 0 {
		t.Fatalf("one feeder did all the work (%+v, %+v); the test proves nothing", stats[0], stats[1])
	}
	if s.Overlaps() != 0 {
		t.Fatalf("%d operations sent while the same one was in flight", s.Overlaps())
	}
	checkExactlyOnce(t, s, "twitter-c1", 4000)
}

// Deleting a post removes its document from every campaign index it was in.
func TestDeletesRemoveDocuments(t *testing.T) {
	pool := pgtest.New(t)
	s := estest.New(t)
	addCampaign(t, pool, "a", "", "go")
	addCampaign(t, pool, "b", "", "rust")
	addTweets(t, pool, 1, 3, "#go #rust", "go", "rust")
	f := newFeeder(t, pool, s.URL, fastOptions())
	ctx := context.Background()
	if _, err := f.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Count("twitter-a") != 3 || s.Count("twitter-b") != 3 {
		t.Fatalf("counts %d %d", s.Count("twitter-a"), s.Count("twitter-b"))
	}
	// As core code deletes: row gone, tombstone kept, outbox row in the same transaction.
	sqlExec(t, pool, `WITH d AS (DELETE FROM tweets WHERE id = $1 RETURNING network, id),
		tomb AS (INSERT INTO tweet_tombstones (network, id) SELECT network, id FROM d)
		INSERT INTO outbox (kind, ref_network, ref_id) SELECT 'tweet', network, id FROM d`, tweetID(2))
	// A delete notice for a post never stored: no document anywhere, still done.
	sqlExec(t, pool, "INSERT INTO outbox (kind, ref_network, ref_id) VALUES ('tweet', 'twitter', '777')")
	st, err := f.Drain(ctx)
	if err != nil || st.Done != 2 {
		t.Fatalf("drain: %+v %v", st, err)
	}
	for _, ix := range []string{"twitter-a", "twitter-b"} {
		if _, ok := s.Doc(ix, tweetID(2)); ok {
			t.Fatalf("deleted tweet still in %s", ix)
		}
		if s.Count(ix) != 2 {
			t.Fatalf("%s holds %d", ix, s.Count(ix))
		}
	}
}

// A row older than what Elasticsearch holds never overwrites it: the 409 means done.
func TestStaleVersionDoesNotOverwrite(t *testing.T) {
	pool := pgtest.New(t)
	s := estest.New(t)
	addCampaign(t, pool, "c1", "", "go")
	sqlExec(t, pool, "ALTER TABLE outbox ALTER COLUMN id RESTART WITH 1000")
	addTweets(t, pool, 1, 1, "new #go", "go")
	f := newFeeder(t, pool, s.URL, fastOptions())
	ctx := context.Background()
	if _, err := f.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	// A late row with a lower id (as a retry from long ago would carry) and older content.
	sqlExec(t, pool, "UPDATE tweets SET text = 'old #go'")
	sqlExec(t, pool, `INSERT INTO outbox (id, kind, ref_network, ref_id) OVERRIDING SYSTEM VALUE
		VALUES (5, 'tweet', 'twitter', $1)`, tweetID(1))
	st, err := f.Drain(ctx)
	if err != nil || st.Done != 1 {
		t.Fatalf("drain: %+v %v", st, err)
	}
	d, _ := s.Doc("twitter-c1", tweetID(1))
	if !strings.Contains(string(d.Source), "new #go") || d.Version != 1000 {
		t.Fatalf("document overwritten: v%d %s", d.Version, d.Source)
	}
}

// Giveaway events go to the campaign's events index with the audit id as _id; a verification
// also re-sends the tweet with its matched claim.
func TestEventsAndMatchedClaim(t *testing.T) {
	pool := pgtest.New(t)
	s := estest.New(t)
	cid := addCampaign(t, pool, "c1", "", "go")
	addTweets(t, pool, 1, 1, "#go", "go")
	sqlExec(t, pool, "INSERT INTO prizes (campaign_id, key, name, stock, stock_left) VALUES ($1, 'tshirt', 'T-shirt', 10, 9)", cid)
	claimID := scalar[int64](t, pool, `INSERT INTO claims (campaign_id, network, handle, handle_norm, code, status,
		verified_at, verified_by, tweet_network, tweet_id) VALUES ($1, 'twitter', 'User1', 'user1', 'ABC234', 'given', now(), 'handle', 'twitter', $2)
		RETURNING id`, cid, tweetID(1))
	auditID := scalar[int64](t, pool, `INSERT INTO audit_log (campaign_id, claim_id, actor, action, details)
		VALUES ($1, $2, 'staff:kim', 'given', '{"prize":"tshirt","staff":"Kim"}') RETURNING id`, cid, claimID)
	sqlExec(t, pool, "INSERT INTO outbox (kind, ref_id) VALUES ('event', $1)", fmt.Sprint(auditID))
	f := newFeeder(t, pool, s.URL, fastOptions())
	if _, err := f.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	d, ok := s.Doc("giveaway-events-c1", fmt.Sprint(auditID))
	if !ok {
		t.Fatalf("event missing; indices %v", s.Indices())
	}
	var ev map[string]any
	json.Unmarshal(d.Source, &ev)
	if ev["action"] != "given" || ev["prize"] != "tshirt" || ev["prize_name"] != "T-shirt" || ev["staff"] != "Kim" ||
		ev["claim_code"] != "ABC234" || ev["handle"] != "User1" || ev["network"] != "twitter" || ev["campaign"] != "c1" ||
		ev["verified_by"] != "handle" || ev["stock_left"] != 9.0 {
		t.Fatalf("event %s", d.Source)
	}
	tw, _ := s.Doc("twitter-c1", tweetID(1))
	var doc map[string]any
	json.Unmarshal(tw.Source, &doc)
	if g, _ := doc["giveaway"].(map[string]any); g["matched_claim"] != "ABC234" || g["eligible"] != true || g["proof"] != "handle" {
		t.Fatalf("tweet %s", tw.Source)
	}
}

// NOTIFY outbox wakes an idle feeder long before its next poll.
func TestNotifyWakesFeeder(t *testing.T) {
	pool := pgtest.New(t)
	s := estest.New(t)
	addCampaign(t, pool, "c1", "", "go")
	opts := fastOptions()
	opts.PollInterval = time.Minute
	f := newFeeder(t, pool, s.URL, opts)
	runFeeder(t, f)
	testkit.Eventually(t, "the first (empty) round", func() bool { return metricValue(f.m.rounds.WithLabelValues("empty")) >= 1 })
	select {
	case <-f.Listening():
	case <-time.After(5 * time.Second):
		t.Fatal("the feeder never listened")
	}
	addTweets(t, pool, 1, 1, "#go", "go")
	sqlExec(t, pool, "NOTIFY outbox")
	testkit.Eventually(t, "the notified row", func() bool { return s.Count("twitter-c1") == 1 })
}

func TestPrune(t *testing.T) {
	pool := pgtest.New(t)
	sqlExec(t, pool, `INSERT INTO outbox (kind, ref_network, ref_id, done_at)
		VALUES ('tweet', 'twitter', '1', now() - interval '8 days'),
		       ('tweet', 'twitter', '2', now() - interval '6 days'),
		       ('tweet', 'twitter', '3', NULL)`)
	n, err := Prune(context.Background(), pool, 7*24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("pruned %d %v", n, err)
	}
	if left := scalar[string](t, pool, "SELECT string_agg(ref_id, ',' ORDER BY id) FROM outbox"); left != "2,3" {
		t.Fatalf("left %s", left)
	}
}

// The claim query walks the partial index of pending rows, never the whole table, even with a
// large history of done rows (the statement is planned for its LIMIT, never a generic plan).
func TestClaimPlanUsesPendingIndex(t *testing.T) {
	pool := pgtest.New(t)
	sqlExec(t, pool, `INSERT INTO outbox (kind, ref_network, ref_id, done_at)
		SELECT 'tweet', 'twitter', g::text, CASE WHEN g <= 100000 THEN now() END FROM generate_series(1, 100500) g`)
	sqlExec(t, pool, "ANALYZE outbox")
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	rec := &recordSQL{DBTX: tx}
	if _, err := claim(ctx, rec, 5000); err != nil || len(rec.sql) != 1 {
		t.Fatalf("claim: %v, %d statements", err, len(rec.sql))
	}
	// Explained as the feeder runs it: unprepared, with the batch size as its argument.
	rows, err := tx.Query(ctx, "EXPLAIN "+rec.sql[0], pgx.QueryExecModeExec, 5000)
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var line string
		rows.Scan(&line)
		plan = append(plan, line)
	}
	p := strings.Join(plan, "\n")
	if !strings.Contains(p, "outbox_pending") || !strings.Contains(p, "outbox_pkey") || strings.Contains(p, "Seq Scan") {
		t.Fatalf("claim plan:\n%s", p)
	}
}

func TestTemplatesInstalledOnceAndUpgraded(t *testing.T) {
	pool := pgtest.New(t)
	s := estest.New(t)
	f := newFeeder(t, pool, s.URL, fastOptions())
	ctx := context.Background()
	if err := f.InstallTemplates(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.InstallTemplates(ctx); err != nil {
		t.Fatal(err)
	}
	if n := s.Requests("template_put"); n != 1 {
		t.Fatalf("%d template PUTs for one template installed twice, want 1", n)
	}
	// An older installed version is replaced; the twitter-* tweets template an earlier version
	// installed is removed, and a template of that name that is not ours is left alone.
	es := newClient(t, s.URL)
	for name, body := range map[string]string{
		"giveaway-events": `{"index_patterns":["giveaway-events-*"],"version":0}`,
		"giveaway-tweets": `{"index_patterns":["twitter-*"],"version":2,"_meta":{"managed_by":"giveaway","analyzer":"cjk"}}`,
	} {
		res, err := es.Indices.PutIndexTemplate(name, strings.NewReader(body))
		if err != nil || res.IsError() {
			t.Fatal(err, res)
		}
		res.Body.Close()
	}
	if err := f.InstallTemplates(ctx); err != nil {
		t.Fatal(err)
	}
	b, _ := s.Template("giveaway-events")
	if !strings.Contains(string(b), `"verified_by"`) || s.Requests("template_put") != 4 {
		t.Fatalf("template not upgraded: %s", b)
	}
	if _, ok := s.Template("giveaway-tweets"); ok {
		t.Fatal("the old twitter-* template is still installed")
	}
	res, _ := es.Indices.PutIndexTemplate("giveaway-tweets", strings.NewReader(`{"index_patterns":["twitter-*"]}`))
	res.Body.Close()
	if err := f.InstallTemplates(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Template("giveaway-tweets"); !ok {
		t.Fatal("someone else's template deleted")
	}
}

// A campaign may name an existing index a Logstash pipeline writes: documents go into it as it
// is (no new mapping), with _id = tweet id, so Logstash's copy (document_id => "%{id_str}") and
// ours are one document.
func TestWritesIntoExistingLogstashIndex(t *testing.T) {
	pool := pgtest.New(t)
	s := estest.New(t)
	es := newClient(t, s.URL)
	logstashBody := `{"mappings":{"dynamic_templates":[{"string_fields":{"match":"*","match_mapping_type":"string","mapping":{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}}}}]}}`
	res, err := es.Indices.Create("twitter-2016.08.14", es.Indices.Create.WithBody(strings.NewReader(logstashBody)))
	if err != nil || res.IsError() {
		t.Fatal(err, res)
	}
	res.Body.Close()
	addCampaign(t, pool, "c1", "twitter-2016.08.14", "go")
	addTweets(t, pool, 1, 2, "#go", "go")
	f := newFeeder(t, pool, s.URL, fastOptions())
	if _, err := f.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.IndexBody("twitter-2016.08.14"); string(b) != logstashBody {
		t.Fatalf("the Logstash index's mapping changed: %s", b)
	}
	if _, ok := s.Doc("twitter-2016.08.14", tweetID(2)); !ok || s.Count("twitter-2016.08.14") != 2 {
		t.Fatalf("documents not written by tweet id: %d", s.Count("twitter-2016.08.14"))
	}
}

// A campaign that names its own index gets it created with the tweet mapping.
func TestCustomIndexCreatedWithMapping(t *testing.T) {
	pool := pgtest.New(t)
	s := estest.New(t)
	addCampaign(t, pool, "c1", "booth-wall", "go")
	addTweets(t, pool, 1, 2, "#go", "go")
	f := newFeeder(t, pool, s.URL, fastOptions())
	if _, err := f.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, ok := s.IndexBody("booth-wall")
	if !ok || !strings.Contains(string(b), `"hashtags_normalized":{"type":"keyword"}`) || s.Requests("index_create") != 1 {
		t.Fatalf("index body %s (creates %d)", b, s.Requests("index_create"))
	}
	if s.Count("booth-wall") != 2 {
		t.Fatalf("count %d", s.Count("booth-wall"))
	}
}

func TestBackfillResendsCampaign(t *testing.T) {
	pool := pgtest.New(t)
	s := estest.New(t)
	addCampaign(t, pool, "c1", "", "go")
	addTweets(t, pool, 1, 300, "#go", "go")
	addTweets(t, pool, 301, 310, "#rust", "rust")
	sqlExec(t, pool, "UPDATE outbox SET done_at = now()") // as if sent before Elasticsearch was wiped
	ctx := context.Background()
	e, err := Backfill(ctx, pool, "c1")
	if err != nil || e.Rows != 300 {
		t.Fatalf("backfill %+v %v", e, err)
	}
	if _, err := Backfill(ctx, pool, "nope"); err == nil {
		t.Fatal("backfill of a missing campaign succeeded")
	}
	f := newFeeder(t, pool, s.URL, fastOptions())
	if _, err := f.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := Progress(ctx, pool, e); n != 300 || s.Count("twitter-c1") != 300 {
		t.Fatalf("progress %d count %d", n, s.Count("twitter-c1"))
	}
}

// Moderation reaches the index: a post staff hide, or every post of an author they block, is
// re-sent with hidden = true in that campaign's index only; unblocking shows them again. The
// changes go through internal/moderation, as the tablet's do.
func TestModerationHidesDocuments(t *testing.T) {
	pool := pgtest.New(t)
	s := estest.New(t)
	a := addCampaign(t, pool, "a", "", "go")
	addCampaign(t, pool, "b", "", "go")
	addTweets(t, pool, 1, 3, "#go", "go") // tweets 1..3 by user1..user3
	f := newFeeder(t, pool, s.URL, fastOptions())
	ctx := context.Background()
	drain := func() {
		t.Helper()
		if _, err := f.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	hiddenIn := func(index string, i int) bool {
		t.Helper()
		d, ok := s.Doc(index, tweetID(i))
		if !ok {
			t.Fatalf("tweet %d missing from %s", i, index)
		}
		var doc struct{ Giveaway struct{ Hidden bool } }
		json.Unmarshal(d.Source, &doc)
		return doc.Giveaway.Hidden
	}
	walls := moderation.New(pool)
	drain()
	if hiddenIn("twitter-a", 1) {
		t.Fatal("a fresh post is hidden")
	}
	if err := walls.Hide(ctx, a, "twitter", tweetID(1), "staff:kim"); err != nil {
		t.Fatal(err)
	}
	if err := walls.Block(ctx, a, "twitter", "user2", "staff:kim", true); err != nil {
		t.Fatal(err)
	}
	drain()
	if !hiddenIn("twitter-a", 1) || !hiddenIn("twitter-a", 2) || hiddenIn("twitter-a", 3) {
		t.Errorf("campaign a: hidden 1=%v 2=%v 3=%v, want true true false",
			hiddenIn("twitter-a", 1), hiddenIn("twitter-a", 2), hiddenIn("twitter-a", 3))
	}
	if hiddenIn("twitter-b", 1) || hiddenIn("twitter-b", 2) {
		t.Error("moderation of campaign a hid posts in campaign b's index")
	}
	if err := walls.Block(ctx, a, "twitter", "user2", "staff:kim", false); err != nil {
		t.Fatal(err)
	}
	drain()
	if hiddenIn("twitter-a", 2) {
		t.Error("unblocked author's post still hidden")
	}
}

// recordSQL remembers the statements queried through it.
type recordSQL struct {
	store.DBTX
	sql []string
}

func (r *recordSQL) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	r.sql = append(r.sql, sql)
	return r.DBTX.Query(ctx, sql, args...)
}
