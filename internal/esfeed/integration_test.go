package esfeed

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/boothgiveaway/giveaway/internal/pgtest"
)

// TestIntegrationRealCluster runs the feeder against a real Elasticsearch 8 named by
// ELASTICSEARCH_URL (skipped otherwise), e.g.
//
//	docker compose up -d elasticsearch
//	ELASTICSEARCH_URL=http://localhost:9200 go test -run Integration -v ./internal/esfeed
//
// It creates indexes named it-<random>-* and deletes them when done.
func TestIntegrationRealCluster(t *testing.T) {
	url := os.Getenv("ELASTICSEARCH_URL")
	if url == "" {
		t.Skip("ELASTICSEARCH_URL unset")
	}
	pool := pgtest.New(t)
	cfg := ClientConfig{URL: url, Username: os.Getenv("ES_USERNAME"), Password: os.Getenv("ES_PASSWORD"),
		APIKey: os.Getenv("ES_API_KEY")}
	es, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	prefix := fmt.Sprintf("it-%08x", rand.Uint32())
	good, broken := prefix+"-tweets", prefix+"-broken"
	t.Cleanup(func() {
		res, err := es.Indices.Delete([]string{good, broken, "giveaway-events-" + prefix})
		if err == nil {
			res.Body.Close()
		}
	})
	must := func(res *esResponse, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return res.body
	}

	sqlExec(t, pool, "ALTER TABLE outbox ALTER COLUMN id RESTART WITH 1000") // room for a stale row below
	addCampaign(t, pool, prefix, good, "go")
	addCampaign(t, pool, prefix+"-b", broken, "rust")
	addTweets(t, pool, 1, 2000, "안녕하세요 #go", "go")
	f, err := New(pool, es, Options{BatchSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close(ctx)
	if st, err := f.Drain(ctx); err != nil || st.Done != 2000 {
		t.Fatalf("drain: %+v %v", st, err)
	}
	refresh(t, es, good)
	if n := count(t, es, good); n != 2000 {
		t.Fatalf("%s holds %d documents, want 2000", good, n)
	}
	id := tweetID(7)
	var doc struct {
		Version int64           `json:"_version"`
		Source  json.RawMessage `json:"_source"`
	}
	json.Unmarshal([]byte(must(get(es, good, id))), &doc)
	want := scalar[int64](t, pool, "SELECT id FROM outbox WHERE ref_id = $1", id)
	if doc.Version != want || !strings.Contains(string(doc.Source), `"id_str":"`+id+`"`) {
		t.Fatalf("doc v%d (want %d) %s", doc.Version, want, doc.Source)
	}

	// A stale version is refused and counts as done.
	sqlExec(t, pool, "UPDATE tweets SET text = 'old' WHERE id = $1", id)
	sqlExec(t, pool, `INSERT INTO outbox (id, kind, ref_network, ref_id) OVERRIDING SYSTEM VALUE
		VALUES (5, 'tweet', 'twitter', $1)`, id)
	if st, err := f.Drain(ctx); err != nil || st.Done != 1 {
		t.Fatalf("stale drain: %+v %v", st, err)
	}
	if body := must(get(es, good, id)); strings.Contains(body, `"text":"old"`) {
		t.Fatalf("stale version overwrote: %s", body)
	}

	// Deletes remove the document.
	sqlExec(t, pool, `WITH d AS (DELETE FROM tweets WHERE id = $1 RETURNING network, id)
		INSERT INTO outbox (kind, ref_network, ref_id) SELECT 'tweet', network, id FROM d`, tweetID(8))
	if _, err := f.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if res, _ := get(es, good, tweetID(8)); res.status != 404 {
		t.Fatalf("deleted document still there: %d", res.status)
	}

	// A mapping conflict dead-letters the item; after the fix retry-dead sends it.
	res, err := es.Indices.Create(broken, es.Indices.Create.WithBody(strings.NewReader(
		`{"mappings":{"properties":{"text":{"type":"long"}}}}`)))
	if err != nil || res.IsError() {
		t.Fatalf("create %s: %v %v", broken, err, res)
	}
	res.Body.Close()
	addTweets(t, pool, 5001, 5001, "not a number #rust", "rust")
	st, err := f.Drain(ctx)
	if err != nil || st.Dead != 1 {
		t.Fatalf("broken drain: %+v %v", st, err)
	}
	dead, _ := DeadLetters(ctx, pool, 5)
	if len(dead) != 1 || !strings.Contains(dead[0].Reason, "400") {
		t.Fatalf("dead letters %+v", dead)
	}
	res, err = es.Indices.Delete([]string{broken})
	if err != nil || res.IsError() {
		t.Fatalf("delete %s: %v %v", broken, err, res)
	}
	res.Body.Close()
	if _, err := RetryDead(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if st, err := f.Drain(ctx); err != nil || st.Done != 1 {
		t.Fatalf("retry drain: %+v %v", st, err)
	}
	refresh(t, es, broken)
	if n := count(t, es, broken); n != 1 {
		t.Fatalf("%s holds %d after retry-dead", broken, n)
	}
}

type esResponse struct {
	status int
	body   string
}

func get(es *elasticsearch.Client, index, id string) (*esResponse, error) {
	res, err := es.Get(index, id)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &esResponse{res.StatusCode, string(b)}, nil
}

func refresh(t *testing.T, es *elasticsearch.Client, index string) {
	res, err := es.Indices.Refresh(es.Indices.Refresh.WithIndex(index))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}

func count(t *testing.T, es *elasticsearch.Client, index string) int {
	res, err := es.Count(es.Count.WithIndex(index))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var c struct{ Count int }
	json.NewDecoder(res.Body).Decode(&c)
	return c.Count
}
