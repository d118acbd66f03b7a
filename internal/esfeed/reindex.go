package esfeed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/boothgiveaway/giveaway/internal/esdoc"
)

// legacyScript brings a document of a 2016-style Logstash index under the service's mapping: a
// reduced document (full_tweet => false) gets text and user under their v1.1 names, and every
// document gets _id = its tweet id (id_str, or the id in the status URL a reduced document keeps
// in source), so it meets the service's copy of the same tweet instead of sitting beside it.
// created_at needs nothing: the destination maps the v1.1 spelling as a date.
const legacyScript = `
if (ctx._source.containsKey('message') && !ctx._source.containsKey('text')) { ctx._source.text = ctx._source.message; }
if (ctx._source.user instanceof String) { ctx._source.user = ['screen_name': ctx._source.user]; }
if (ctx._source.hashtags instanceof List && !ctx._source.containsKey('entities')) {
  ctx._source.entities = ['hashtags': ctx._source.remove('hashtags')];
}
if (ctx._source.id_str == null && ctx._source.source instanceof String) {
  int i = ctx._source.source.lastIndexOf('/status');
  if (i >= 0) { String id = ctx._source.source.substring(ctx._source.source.lastIndexOf('/') + 1); if (id ==~ /[0-9]+/) { ctx._source.id_str = id; } }
}
if (ctx._source.id_str != null) { ctx._id = ctx._source.id_str; }
if (!ctx._source.containsKey('@version')) { ctx._source['@version'] = '1'; }
`

// ReindexResult is what Elasticsearch's _reindex reported.
type ReindexResult struct {
	Total     int64             `json:"total"`
	Created   int64             `json:"created"`
	Updated   int64             `json:"updated"`
	Conflicts int64             `json:"version_conflicts"` // tweets the destination already held (kept as they were)
	Failures  []json.RawMessage `json:"failures"`
}

// ReindexLegacy copies the index from (a 2016-style index: string dates, text fields, maybe
// Logstash's reduced documents) into to, created with the tweet mapping when it does not exist,
// through Elasticsearch's _reindex, waiting for it to finish. Documents the destination already
// holds (the service's own, with their external versions) are kept: op_type create, conflicts
// proceed.
func ReindexLegacy(ctx context.Context, es *elasticsearch.Client, from, to, analyzer string) (ReindexResult, error) {
	var out ReindexResult
	if from == "" || to == "" || from == to {
		return out, fmt.Errorf("reindex-legacy: --from and --to must name two different indexes")
	}
	body, _ := json.Marshal(esdoc.IndexBody(esdoc.TweetMapping(analyzer)))
	res, err := es.Indices.Create(to, es.Indices.Create.WithBody(bytes.NewReader(body)), es.Indices.Create.WithContext(ctx))
	if err != nil {
		return out, err
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.IsError() && !bytes.Contains(b, []byte("resource_already_exists_exception")) {
		return out, fmt.Errorf("create %s: %s %s", to, res.Status(), b)
	}
	req, _ := json.Marshal(map[string]any{
		"conflicts": "proceed",
		"source":    map[string]any{"index": from},
		"dest":      map[string]any{"index": to, "op_type": "create"},
		"script":    map[string]any{"lang": "painless", "source": legacyScript},
	})
	res, err = es.Reindex(bytes.NewReader(req), es.Reindex.WithContext(ctx), es.Reindex.WithWaitForCompletion(true),
		es.Reindex.WithRefresh(true))
	if err != nil {
		return out, err
	}
	defer res.Body.Close()
	b, _ = io.ReadAll(res.Body)
	if res.IsError() {
		return out, fmt.Errorf("reindex %s into %s: %s %s", from, to, res.Status(), b)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, fmt.Errorf("reindex %s into %s: %w", from, to, err)
	}
	if len(out.Failures) > 0 {
		return out, fmt.Errorf("reindex %s into %s: %d failures, first: %s", from, to, len(out.Failures), out.Failures[0])
	}
	return out, nil
}
