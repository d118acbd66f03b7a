package esfeed

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/boothgiveaway/giveaway/internal/estest"
)

// giveaway es reindex-legacy: a 2016 Logstash index (a full_tweet document and a reduced one,
// generated _ids) is copied through _reindex into an index with the service's mapping, each
// document under its tweet id; a tweet the destination already holds keeps the service's copy.
func TestReindexLegacy(t *testing.T) {
	s := estest.New(t)
	es := newClient(t, s.URL)
	full, err := os.ReadFile("../esdoc/testdata/logstash_full_tweet.json")
	if err != nil {
		t.Fatal(err)
	}
	reduced, err := os.ReadFile("../tweet/testdata/logstash_reduced.json")
	if err != nil {
		t.Fatal(err)
	}
	bulk := `{"index":{"_index":"twitter-2016.08.14","_id":"AVaB1x"}}` + "\n" + strings.TrimSpace(string(full)) + "\n" +
		`{"index":{"_index":"twitter-2016.08.14","_id":"AVaB1y"}}` + "\n" + strings.TrimSpace(string(reduced)) + "\n" +
		`{"index":{"_index":"twitter-pyconapac2016","_id":"764687362014060544"}}` + "\n" +
		`{"id_str":"764687362014060544","text":"ours","giveaway":{"campaign":"pyconapac2016"}}` + "\n"
	res, err := es.Bulk(strings.NewReader(bulk))
	if err != nil || res.IsError() {
		t.Fatal(err, res)
	}
	res.Body.Close()

	got, err := ReindexLegacy(context.Background(), es, "twitter-2016.08.14", "twitter-pyconapac2016", "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Total != 2 || got.Created != 1 || got.Conflicts != 1 {
		t.Fatalf("result %+v, want 2 total, 1 created, 1 conflict", got)
	}
	rs := s.Reindexes()
	if len(rs) != 1 || rs[0].Query.Get("wait_for_completion") != "true" || rs[0].Query.Get("refresh") != "true" {
		t.Fatalf("reindex requests %+v", rs)
	}
	var req struct {
		Conflicts string
		Source    struct{ Index string }
		Dest      struct {
			Index  string
			OpType string `json:"op_type"`
		}
		Script struct{ Lang, Source string }
	}
	if err := json.Unmarshal(rs[0].Body, &req); err != nil {
		t.Fatal(err)
	}
	if req.Conflicts != "proceed" || req.Source.Index != "twitter-2016.08.14" || req.Dest.Index != "twitter-pyconapac2016" ||
		req.Dest.OpType != "create" || req.Script.Lang != "painless" ||
		!strings.Contains(req.Script.Source, "ctx._id = ctx._source.id_str") ||
		!strings.Contains(req.Script.Source, "ctx._source.text = ctx._source.message") {
		t.Fatalf("reindex body %s", rs[0].Body)
	}
	if d, ok := s.Doc("twitter-pyconapac2016", "764687362014060544"); !ok || !strings.Contains(string(d.Source), `"ours"`) {
		t.Fatalf("the service's document was overwritten: %s", d.Source)
	}
	if _, err := ReindexLegacy(context.Background(), es, "x", "x", ""); err == nil {
		t.Fatal("reindexing an index into itself accepted")
	}
}

// The destination is created with the service's mapping when it does not exist.
func TestReindexLegacyCreatesDestination(t *testing.T) {
	s := estest.New(t)
	es := newClient(t, s.URL)
	res, err := es.Indices.Create("twitter-old")
	if err != nil || res.IsError() {
		t.Fatal(err, res)
	}
	res.Body.Close()
	if _, err := ReindexLegacy(context.Background(), es, "twitter-old", "twitter-new", ""); err != nil {
		t.Fatal(err)
	}
	if b, ok := s.IndexBody("twitter-new"); !ok || !strings.Contains(string(b), `"created_at":{"format"`) {
		t.Fatalf("destination created with %s", b)
	}
	if _, err := ReindexLegacy(context.Background(), es, "no-such-index", "twitter-new", ""); err == nil {
		t.Fatal("a missing source index reported success")
	}
}
