package estest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
)

func client(t *testing.T, s *Server) *elasticsearch.Client {
	t.Helper()
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{s.URL}, DisableRetry: true})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func bulk(t *testing.T, es *elasticsearch.Client, body string) map[string]any {
	t.Helper()
	res, err := es.Bulk(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.IsError() {
		t.Fatalf("bulk: %s", res.String())
	}
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func itemStatuses(out map[string]any) []int {
	var st []int
	for _, it := range out["items"].([]any) {
		for _, v := range it.(map[string]any) {
			st = append(st, int(v.(map[string]any)["status"].(float64)))
		}
	}
	return st
}

// The official client accepts the double (product header, info) and external versions behave as
// in Elasticsearch: a lower or equal version is a 409, a delete leaves a tombstone.
func TestExternalVersions(t *testing.T) {
	s := New(t)
	es := client(t, s)
	res, err := es.Info()
	if err != nil || res.IsError() {
		t.Fatalf("info: %v %v", err, res)
	}
	res.Body.Close()

	out := bulk(t, es, `{"index":{"_index":"a","_id":"1","version":5,"version_type":"external"}}
{"text":"v5"}
{"index":{"_index":"a","_id":"1","version":3,"version_type":"external"}}
{"text":"v3"}
{"index":{"_index":"a","_id":"1","version":5,"version_type":"external"}}
{"text":"again"}
{"delete":{"_index":"a","_id":"2","version":9,"version_type":"external"}}
{"delete":{"_index":"a","_id":"1","version":7,"version_type":"external"}}
{"index":{"_index":"a","_id":"1","version":6,"version_type":"external"}}
{"text":"late"}
{"delete":{"_index":"nope","_id":"1","version":1,"version_type":"external"}}
`)
	want := []int{201, 409, 409, 404, 200, 409, 404}
	got := itemStatuses(out)
	if len(got) != len(want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v, want %v", got, want)
		}
	}
	if out["errors"] != true {
		t.Fatalf("errors flag = %v", out["errors"])
	}
	if _, ok := s.Doc("a", "1"); ok {
		t.Fatal("deleted document still there")
	}
	if len(s.Ops()) != 7 {
		t.Fatalf("ops = %d", len(s.Ops()))
	}
}

func TestFaults(t *testing.T) {
	s := New(t)
	es := client(t, s)
	s.FailRequests(1, 503)
	res, err := es.Bulk(strings.NewReader("{\"index\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 503 || res.Header.Get("X-Elastic-Product") != "Elasticsearch" {
		t.Fatalf("got %d", res.StatusCode)
	}
	res.Body.Close()

	s.FailItems(1, 429)
	s.Reject(func(_, _ string, src []byte) bool { return strings.Contains(string(src), "bad") })
	out := bulk(t, es, `{"index":{"_index":"a","_id":"1"}}
{"text":"ok"}
{"index":{"_index":"a","_id":"2"}}
{"text":"bad"}
{"create":{"_index":"a","_id":"3"}}
{"text":"ok"}
`)
	got := itemStatuses(out)
	if len(got) != 3 || got[0] != 429 || got[1] != 400 || got[2] != 201 {
		t.Fatalf("statuses %v", got)
	}
	if s.Count("a") != 1 || s.Requests("bulk") != 2 {
		t.Fatalf("count %d bulk requests %d", s.Count("a"), s.Requests("bulk"))
	}
}

func TestTemplatesAndIndices(t *testing.T) {
	s := New(t)
	es := client(t, s)
	ctx := context.Background()
	res, err := es.Indices.GetIndexTemplate(es.Indices.GetIndexTemplate.WithName("t"), es.Indices.GetIndexTemplate.WithContext(ctx))
	if err != nil || res.StatusCode != 404 {
		t.Fatalf("missing template: %v %v", err, res)
	}
	res.Body.Close()
	res, err = es.Indices.PutIndexTemplate("t", strings.NewReader(`{"index_patterns":["x-*"],"priority":1,"template":{"mappings":{"properties":{"a":{"type":"keyword"}}}}}`))
	if err != nil || res.IsError() {
		t.Fatalf("put template: %v %v", err, res)
	}
	res.Body.Close()
	bulk(t, es, "{\"index\":{\"_index\":\"x-1\",\"_id\":\"1\"}}\n{\"a\":\"b\"}\n")
	body, _ := s.IndexBody("x-1")
	if !strings.Contains(string(body), "keyword") {
		t.Fatalf("index x-1 did not get the template: %s", body)
	}
	res, err = es.Indices.Create("y")
	if err != nil || res.IsError() {
		t.Fatalf("create: %v %v", err, res)
	}
	res.Body.Close()
	res, _ = es.Indices.Create("y")
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "resource_already_exists_exception") {
		t.Fatalf("second create: %d %s", res.StatusCode, b)
	}
	res, _ = es.Get("x-1", "1")
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), `"found":true`) {
		t.Fatalf("get: %d %s", res.StatusCode, b)
	}
	res, _ = es.Count(es.Count.WithIndex("x-*"))
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), `"count":1`) {
		t.Fatalf("count: %s", b)
	}
}

// filter_path trims the bulk response as Elasticsearch does, keeping the items' order.
func TestBulkFilterPath(t *testing.T) {
	s := New(t)
	es := client(t, s)
	s.FailItems(1, 429)
	res, err := es.Bulk(strings.NewReader("{\"index\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{}\n{\"index\":{\"_index\":\"a\",\"_id\":\"2\"}}\n{}\n"),
		es.Bulk.WithFilterPath("errors", "items.*.status", "items.*.error.type"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	want := `{"errors":true,"items":[{"index":{"status":429,"error":{"type":"es_rejected_execution_exception"}}},{"index":{"status":201}}]}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}
