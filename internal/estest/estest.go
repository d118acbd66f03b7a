// Package estest is an Elasticsearch 8 protocol double for tests: a real HTTP server answering the
// endpoints the feed uses with the shapes Elasticsearch 8 gives, keeping documents by index and
// _id with external-version semantics, and failing on demand.
//
// Differences from Elasticsearch worth knowing: documents are searchable at once (no refresh
// interval), delete tombstones are kept forever (Elasticsearch forgets them after
// index.gc_deletes, 60 s by default), and mappings are stored but not enforced.
package estest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Doc is a stored document.
type Doc struct {
	Version int64
	SeqNo   int64
	Source  json.RawMessage
	Deleted bool // a delete tombstone: keeps its version so a stale write stays out
}

type index struct {
	body json.RawMessage
	docs map[string]*Doc
}

// Op is one bulk operation as received.
type Op struct {
	Action  string
	Index   string
	ID      string
	Version int64 // 0: none given
	Status  int   // the status the double answered
}

// Server is the double. The zero value is not usable; call New or Start.
type Server struct {
	*httptest.Server

	mu        sync.Mutex
	indices   map[string]*index
	templates map[string]json.RawMessage
	seqNo     int64

	failRequests int // answer the next n requests with failStatus
	failStatus   int
	down         int // non-zero: answer every request with this status
	failBulks    int
	bulkStatus   int
	failItems    int
	itemStatus   int
	reject       func(index, id string, source []byte) bool
	bulkDelay    time.Duration
	onBulk       func(ops []Op)

	requests  map[string]int // by endpoint: "bulk", "info", "template", ...
	reindexes []Reindex
	ops       []Op
	inFlight  map[string]int // "index/id/version" of bulk ops being handled
	overlaps  int            // ops received while the same op was in flight in another request
}

// Reindex is one _reindex request as received.
type Reindex struct {
	Query url.Values
	Body  json.RawMessage
}

// Reindexes returns the _reindex requests received.
func (s *Server) Reindexes() []Reindex {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Reindex(nil), s.reindexes...)
}

// reindex answers POST /_reindex the way Elasticsearch 8 does with wait_for_completion=true:
// source.index's documents are copied to dest.index. The double cannot run the request's
// painless script; it applies the one thing the scripts of this project do to every document
// that has it, _id = id_str, and honours dest.op_type create (an existing document is a version
// conflict) with conflicts=proceed.
func (s *Server) reindex(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req struct {
		Conflicts string `json:"conflicts"`
		Source    struct {
			Index string `json:"index"`
		} `json:"source"`
		Dest struct {
			Index  string `json:"index"`
			OpType string `json:"op_type"`
		} `json:"dest"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Source.Index == "" || req.Dest.Index == "" {
		writeError(w, 400, "action_request_validation_exception", "source.index and dest.index are required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reindexes = append(s.reindexes, Reindex{Query: r.URL.Query(), Body: body})
	src := s.indices[req.Source.Index]
	if src == nil {
		writeJSON(w, 404, map[string]any{"error": map[string]any{"type": "index_not_found_exception",
			"reason": "no such index [" + req.Source.Index + "]"}, "status": 404})
		return
	}
	dst := s.indices[req.Dest.Index]
	if dst == nil {
		dst = &index{docs: map[string]*Doc{}}
		s.indices[req.Dest.Index] = dst
	}
	ids := make([]string, 0, len(src.docs))
	for id := range src.docs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	created, conflicts := 0, 0
	for _, id := range ids {
		d := src.docs[id]
		if d.Deleted {
			continue
		}
		var doc struct {
			IDStr string `json:"id_str"`
		}
		json.Unmarshal(d.Source, &doc)
		if doc.IDStr != "" {
			id = doc.IDStr
		}
		if old := dst.docs[id]; old != nil && !old.Deleted && req.Dest.OpType == "create" {
			conflicts++
			continue
		}
		s.seqNo++
		dst.docs[id] = &Doc{Version: 1, SeqNo: s.seqNo, Source: d.Source}
		created++
	}
	if conflicts > 0 && req.Conflicts != "proceed" {
		writeJSON(w, 409, map[string]any{"took": 1, "timed_out": false, "total": created + conflicts,
			"created": created, "version_conflicts": conflicts, "failures": []any{map[string]any{"status": 409}}})
		return
	}
	writeJSON(w, 200, map[string]any{"took": 1, "timed_out": false, "total": created + conflicts,
		"created": created, "updated": 0, "deleted": 0, "batches": 1, "version_conflicts": conflicts,
		"noops": 0, "failures": []any{}})
}

// TB is the part of testing.TB the double needs.
type TB interface {
	Cleanup(func())
	Helper()
}

// New starts a double that closes when the test ends.
func New(t TB) *Server {
	t.Helper()
	s := Start()
	t.Cleanup(s.Close)
	return s
}

// Start starts a double; Close it when done.
func Start() *Server {
	s := &Server{
		indices:   map[string]*index{},
		templates: map[string]json.RawMessage{},
		requests:  map[string]int{},
		inFlight:  map[string]int{},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// FailRequests answers the next n requests of any kind with status (a whole-request failure).
func (s *Server) FailRequests(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failRequests, s.failStatus = n, status
}

// SetDown answers every request with status until SetDown(0).
func (s *Server) SetDown(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = status
}

// FailBulks answers the next n _bulk requests with status as a whole.
func (s *Server) FailBulks(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failBulks, s.bulkStatus = n, status
}

// FailItems answers the next n bulk items with status (429: es_rejected_execution_exception,
// otherwise unavailable_shards_exception), the rest of the request succeeding.
func (s *Server) FailItems(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failItems, s.itemStatus = n, status
}

// Reject makes index/create items whose document pred matches fail with a 400 mapping error;
// nil stops it.
func (s *Server) Reject(pred func(index, id string, source []byte) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = pred
}

// SetBulkDelay makes every _bulk request take at least d, widening race windows.
func (s *Server) SetBulkDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bulkDelay = d
}

// OnBulk calls f with the operations of each _bulk request before it is answered.
func (s *Server) OnBulk(f func(ops []Op)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onBulk = f
}

// Requests returns how many requests of a kind arrived ("bulk", "info", "health", "template_get",
// "template_put", "index_create", "get", "count", "refresh", "other"), failed ones included.
func (s *Server) Requests(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[kind]
}

// Ops returns every bulk operation received so far, in order.
func (s *Server) Ops() []Op {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Op(nil), s.ops...)
}

// Overlaps counts operations (same index, _id and version) that arrived while an identical one
// was still being handled in another request: two senders racing on one row.
func (s *Server) Overlaps() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.overlaps
}

// Doc returns the live document index/id.
func (s *Server) Doc(idx, id string) (Doc, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ix := s.indices[idx]; ix != nil {
		if d := ix.docs[id]; d != nil && !d.Deleted {
			return *d, true
		}
	}
	return Doc{}, false
}

// Count returns the number of live documents in index.
func (s *Server) Count(idx string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.countLocked(idx)
}

func (s *Server) countLocked(pattern string) int {
	n := 0
	for name, ix := range s.indices {
		if !matchAny(pattern, name) {
			continue
		}
		for _, d := range ix.docs {
			if !d.Deleted {
				n++
			}
		}
	}
	return n
}

// Indices lists the indices that exist.
func (s *Server) Indices() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for name := range s.indices {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// IndexBody returns the body an index was created with (explicitly or from a template).
func (s *Server) IndexBody(idx string) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indices[idx]
	if ix == nil {
		return nil, false
	}
	return ix.body, true
}

// Template returns an installed index template.
func (s *Server) Template(name string) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.templates[name]
	return b, ok
}

func matchAny(pattern, name string) bool {
	for _, p := range strings.Split(pattern, ",") {
		if p == "_all" || p == name {
			return true
		}
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	// The client refuses any answer without this header.
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json")
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) == 1 && parts[0] == "" {
		parts = nil
	}
	kind := classify(r.Method, parts)

	s.mu.Lock()
	s.requests[kind]++
	status := 0
	switch {
	case s.down != 0:
		status = s.down
	case s.failRequests > 0:
		s.failRequests--
		status = s.failStatus
	case kind == "bulk" && s.failBulks > 0:
		s.failBulks--
		status = s.bulkStatus
	}
	s.mu.Unlock()
	if status != 0 {
		io.Copy(io.Discard, r.Body)
		typ := "unavailable_shards_exception"
		if status == http.StatusTooManyRequests {
			typ = "es_rejected_execution_exception"
		}
		writeError(w, status, typ, "injected failure")
		return
	}

	switch kind {
	case "info":
		writeJSON(w, 200, map[string]any{
			"name": "estest", "cluster_name": "estest", "cluster_uuid": "estest-uuid",
			"version": map[string]any{
				"number": "8.15.0", "build_flavor": "default", "build_type": "docker",
				"lucene_version": "9.11.1", "minimum_wire_compatibility_version": "7.17.0",
				"minimum_index_compatibility_version": "7.0.0",
			},
			"tagline": "You Know, for Search",
		})
	case "health":
		s.mu.Lock()
		n := len(s.indices)
		s.mu.Unlock()
		writeJSON(w, 200, map[string]any{
			"cluster_name": "estest", "status": "green", "timed_out": false, "number_of_nodes": 1,
			"number_of_data_nodes": 1, "active_primary_shards": n, "active_shards": n,
			"relocating_shards": 0, "initializing_shards": 0, "unassigned_shards": 0,
			"delayed_unassigned_shards": 0, "number_of_pending_tasks": 0,
			"number_of_in_flight_fetch": 0, "task_max_waiting_in_queue_millis": 0,
			"active_shards_percent_as_number": 100.0,
		})
	case "template_put":
		body, _ := io.ReadAll(r.Body)
		if !json.Valid(body) {
			writeError(w, 400, "x_content_parse_exception", "invalid JSON")
			return
		}
		s.mu.Lock()
		s.templates[parts[1]] = body
		s.mu.Unlock()
		writeJSON(w, 200, map[string]any{"acknowledged": true})
	case "template_get":
		s.mu.Lock()
		b, ok := s.templates[parts[1]]
		s.mu.Unlock()
		if !ok {
			writeError(w, 404, "resource_not_found_exception",
				fmt.Sprintf("index template matching [%s] not found", parts[1]))
			return
		}
		writeJSON(w, 200, map[string]any{"index_templates": []any{
			map[string]any{"name": parts[1], "index_template": json.RawMessage(b)}}})
	case "template_delete":
		s.mu.Lock()
		_, ok := s.templates[parts[1]]
		delete(s.templates, parts[1])
		s.mu.Unlock()
		if !ok {
			writeError(w, 404, "resource_not_found_exception",
				fmt.Sprintf("index template matching [%s] not found", parts[1]))
			return
		}
		writeJSON(w, 200, map[string]any{"acknowledged": true})
	case "index_create":
		body, _ := io.ReadAll(r.Body)
		if len(body) > 0 && !json.Valid(body) {
			writeError(w, 400, "x_content_parse_exception", "invalid JSON")
			return
		}
		s.mu.Lock()
		_, exists := s.indices[parts[0]]
		if !exists {
			s.indices[parts[0]] = &index{body: body, docs: map[string]*Doc{}}
		}
		s.mu.Unlock()
		if exists {
			writeError(w, 400, "resource_already_exists_exception",
				fmt.Sprintf("index [%s/estest] already exists", parts[0]))
			return
		}
		writeJSON(w, 200, map[string]any{"acknowledged": true, "shards_acknowledged": true, "index": parts[0]})
	case "index_exists":
		s.mu.Lock()
		_, ok := s.indices[parts[0]]
		s.mu.Unlock()
		if ok {
			w.WriteHeader(200)
		} else {
			w.WriteHeader(404)
		}
	case "index_delete":
		s.mu.Lock()
		_, ok := s.indices[parts[0]]
		delete(s.indices, parts[0])
		s.mu.Unlock()
		if !ok {
			writeError(w, 404, "index_not_found_exception", "no such index ["+parts[0]+"]")
			return
		}
		writeJSON(w, 200, map[string]any{"acknowledged": true})
	case "get":
		s.mu.Lock()
		var d *Doc
		if ix := s.indices[parts[0]]; ix != nil {
			d = ix.docs[parts[2]]
		}
		var res map[string]any
		if d != nil && !d.Deleted {
			res = map[string]any{"_index": parts[0], "_id": parts[2], "_version": d.Version,
				"_seq_no": d.SeqNo, "_primary_term": 1, "found": true, "_source": d.Source}
		}
		_, indexExists := s.indices[parts[0]]
		s.mu.Unlock()
		switch {
		case res != nil:
			writeJSON(w, 200, res)
		case !indexExists:
			writeError(w, 404, "index_not_found_exception", "no such index ["+parts[0]+"]")
		default:
			writeJSON(w, 404, map[string]any{"_index": parts[0], "_id": parts[2], "found": false})
		}
	case "count":
		s.mu.Lock()
		n := s.countLocked(parts[0])
		s.mu.Unlock()
		writeJSON(w, 200, map[string]any{"count": n,
			"_shards": map[string]any{"total": 1, "successful": 1, "skipped": 0, "failed": 0}})
	case "refresh":
		writeJSON(w, 200, map[string]any{"_shards": map[string]any{"total": 1, "successful": 1, "failed": 0}})
	case "bulk":
		s.bulk(w, r, parts)
	case "reindex":
		s.reindex(w, r)
	default:
		io.Copy(io.Discard, r.Body)
		writeError(w, 400, "illegal_argument_exception",
			fmt.Sprintf("estest does not handle %s %s", r.Method, r.URL.Path))
	}
}

func classify(method string, parts []string) string {
	n := len(parts)
	switch {
	case n == 0 && (method == "GET" || method == "HEAD"):
		return "info"
	case n == 2 && parts[0] == "_cluster" && parts[1] == "health":
		return "health"
	case n == 1 && parts[0] == "_reindex" && method == "POST":
		return "reindex"
	case n == 2 && parts[0] == "_index_template" && (method == "PUT" || method == "POST"):
		return "template_put"
	case n == 2 && parts[0] == "_index_template" && method == "GET":
		return "template_get"
	case n == 2 && parts[0] == "_index_template" && method == "DELETE":
		return "template_delete"
	case (n == 1 && parts[0] == "_bulk" || n == 2 && parts[1] == "_bulk") && (method == "POST" || method == "PUT"):
		return "bulk"
	case n >= 1 && parts[n-1] == "_refresh":
		return "refresh"
	case n == 2 && parts[1] == "_count":
		return "count"
	case n == 3 && parts[1] == "_doc" && method == "GET":
		return "get"
	case n == 1 && !strings.HasPrefix(parts[0], "_") && method == "PUT":
		return "index_create"
	case n == 1 && !strings.HasPrefix(parts[0], "_") && method == "HEAD":
		return "index_exists"
	case n == 1 && !strings.HasPrefix(parts[0], "_") && method == "DELETE":
		return "index_delete"
	}
	return "other"
}

type bulkMeta struct {
	Index       string `json:"_index"`
	ID          string `json:"_id"`
	Version     *int64 `json:"version"`
	VersionType string `json:"version_type"`
}

func (s *Server) bulk(w http.ResponseWriter, r *http.Request, parts []string) {
	defaultIndex := ""
	if len(parts) == 2 {
		defaultIndex = parts[0]
	}
	type line struct {
		action string
		meta   bulkMeta
		source []byte
	}
	var lines []line
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(make([]byte, 0, 1<<20), 100<<20)
	for sc.Scan() {
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		// A struct, not a map: this parse is most of the double's cost in the feed benchmark.
		var action struct {
			Index, Create, Delete, Update *bulkMeta
		}
		if err := json.Unmarshal(b, &action); err != nil {
			writeError(w, 400, "illegal_argument_exception", "Malformed action/metadata line")
			return
		}
		var l line
		n := 0
		for name, m := range map[string]*bulkMeta{"index": action.Index, "create": action.Create,
			"delete": action.Delete, "update": action.Update} {
			if m != nil {
				l.action, l.meta = name, *m
				n++
			}
		}
		if n != 1 {
			writeError(w, 400, "illegal_argument_exception", "Malformed action/metadata line")
			return
		}
		if l.meta.Index == "" {
			l.meta.Index = defaultIndex
		}
		switch l.action {
		case "index", "create":
			if !sc.Scan() {
				writeError(w, 400, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]")
				return
			}
			l.source = append([]byte(nil), sc.Bytes()...)
		case "delete":
		default:
			writeError(w, 400, "illegal_argument_exception", "Malformed action/metadata line, expected one of [create, delete, index, update] but found ["+l.action+"]")
			return
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		writeError(w, 400, "parse_exception", err.Error())
		return
	}
	if len(lines) == 0 {
		writeError(w, 400, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
		return
	}
	start := time.Now()

	s.mu.Lock()
	delay, hook := s.bulkDelay, s.onBulk
	keys := make([]string, len(lines))
	for i, l := range lines {
		var v int64
		if l.meta.Version != nil {
			v = *l.meta.Version
		}
		keys[i] = l.meta.Index + "/" + l.meta.ID + "/" + strconv.FormatInt(v, 10)
		if s.inFlight[keys[i]] > 0 {
			s.overlaps++
		}
		s.inFlight[keys[i]]++
	}
	s.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}

	s.mu.Lock()
	defer func() {
		for _, k := range keys {
			if s.inFlight[k]--; s.inFlight[k] == 0 {
				delete(s.inFlight, k)
			}
		}
		s.mu.Unlock()
	}()
	f := parseFilter(r.URL.Query().Get("filter_path"))
	responses := make([]itemResponse, len(lines))
	errors := false
	items := make([]Op, len(lines))
	for i, l := range lines {
		responses[i] = s.apply(l.action, l.meta, l.source)
		errors = errors || responses[i].errType != ""
		var v int64
		if l.meta.Version != nil {
			v = *l.meta.Version
		}
		items[i] = Op{Action: l.action, Index: l.meta.Index, ID: l.meta.ID, Version: v, Status: responses[i].status}
	}
	s.ops = append(s.ops, items...)
	res := make([]byte, 0, 64+len(lines)*200)
	res = append(res, '{')
	sep := ""
	if f.keep("took") {
		res = fmt.Appendf(res, `"took":%d`, time.Since(start).Milliseconds())
		sep = ","
	}
	if f.keep("errors") {
		res = fmt.Appendf(res, `%s"errors":%t`, sep, errors)
		sep = ","
	}
	if f.within("items") {
		res = append(append(res, sep...), `"items":[`...)
		for i, r := range responses {
			if i > 0 {
				res = append(res, ',')
			}
			res = appendItem(res, r, f)
		}
		res = append(res, ']')
	}
	res = append(res, '}')
	if hook != nil {
		hook(items)
	}
	w.WriteHeader(200)
	w.Write(res)
}

// itemResponse is one bulk response item.
type itemResponse struct {
	action, index, id string
	version, seqNo    int64 // written when result is set
	result            string
	status            int
	errType, errRsn   string // a failed item
}

// apply performs one operation under s.mu.
func (s *Server) apply(action string, m bulkMeta, source []byte) itemResponse {
	r := itemResponse{action: action, index: m.Index, id: m.ID}
	itemErr := func(status int, typ, reason string) itemResponse {
		r.status, r.errType, r.errRsn = status, typ, reason
		return r
	}
	if m.Index == "" {
		return itemErr(400, "action_request_validation_exception", "Validation Failed: 1: index is missing;")
	}
	external := m.VersionType == "external" || m.VersionType == "external_gte"
	if external && (m.Version == nil || m.ID == "") {
		return itemErr(400, "action_request_validation_exception", "Validation Failed: 1: an id and a version are required with version_type external;")
	}
	if s.failItems > 0 {
		s.failItems--
		if s.itemStatus == http.StatusTooManyRequests {
			return itemErr(429, "es_rejected_execution_exception",
				"rejected execution of coordinating operation [estest], queue capacity exceeded")
		}
		return itemErr(s.itemStatus, "unavailable_shards_exception", "[estest][0] primary shard is not active")
	}
	if action != "delete" && (len(source) < 2 || source[0] != '{' || source[len(source)-1] != '}') {
		return itemErr(400, "document_parsing_exception", "[1:1] failed to parse: not a JSON object")
	}
	if action != "delete" && s.reject != nil && s.reject(m.Index, m.ID, source) {
		return itemErr(400, "document_parsing_exception",
			"[1:2] failed to parse field [text] of type [text] in document with id '"+m.ID+"'")
	}
	ix := s.indices[m.Index]
	if ix == nil {
		if action == "delete" {
			return itemErr(404, "index_not_found_exception", "no such index ["+m.Index+"]")
		}
		ix = &index{body: s.templateBodyLocked(m.Index), docs: map[string]*Doc{}}
		s.indices[m.Index] = ix
	}
	if r.id == "" {
		s.seqNo++
		r.id = "auto-" + strconv.FormatInt(s.seqNo, 10)
	}
	cur := ix.docs[r.id]
	if external && cur != nil && *m.Version <= cur.Version {
		return itemErr(409, "version_conflict_engine_exception",
			fmt.Sprintf("[%s]: version conflict, current version [%d] is higher or equal to the one provided [%d]",
				r.id, cur.Version, *m.Version))
	}
	if action == "create" && cur != nil && !cur.Deleted {
		return itemErr(409, "version_conflict_engine_exception",
			fmt.Sprintf("[%s]: version conflict, document already exists (current version [%d])", r.id, cur.Version))
	}
	var version int64 = 1
	switch {
	case external:
		version = *m.Version
	case cur != nil:
		version = cur.Version + 1
	}
	s.seqNo++
	r.version, r.seqNo, r.result, r.status = version, s.seqNo, "created", 201
	if action == "delete" {
		r.result, r.status = "deleted", 200
		if cur == nil || cur.Deleted {
			r.result, r.status = "not_found", 404
		}
		ix.docs[r.id] = &Doc{Version: version, SeqNo: s.seqNo, Deleted: true}
	} else {
		if cur != nil && !cur.Deleted {
			r.result, r.status = "updated", 200
		}
		ix.docs[r.id] = &Doc{Version: version, SeqNo: s.seqNo, Source: source}
	}
	return r
}

// filter is a parsed filter_path: comma-separated dotted patterns where * matches one field
// name and ** any number; a pattern keeps the whole subtree it names.
type filter [][]string

func parseFilter(q string) filter {
	var f filter
	for _, p := range strings.Split(q, ",") {
		if p = strings.TrimSpace(p); p != "" {
			f = append(f, strings.Split(p, "."))
		}
	}
	return f
}

// keep reports whether path is kept: some pattern matches it or one of its ancestors.
func (f filter) keep(path ...string) bool {
	if len(f) == 0 {
		return true
	}
	for _, p := range f {
		if matchPath(p, path, false) {
			return true
		}
	}
	return false
}

// within reports whether some pattern reaches below path (so path's object must be written).
func (f filter) within(path ...string) bool {
	if len(f) == 0 {
		return true
	}
	for _, p := range f {
		if matchPath(p, path, true) {
			return true
		}
	}
	return false
}

func matchPath(p, path []string, within bool) bool {
	for i, seg := range path {
		if i >= len(p) {
			return true // p names an ancestor of path: its whole subtree is kept
		}
		if p[i] == "**" {
			return true
		}
		if p[i] != "*" && p[i] != seg {
			return false
		}
	}
	return within || len(p) == len(path)
}

func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendItem writes r as Elasticsearch 8 does, keeping only what f keeps.
func appendItem(b []byte, r itemResponse, f filter) []byte {
	a := r.action
	b = append(b, '{')
	b = appendString(b, a)
	b = append(b, ":{"...)
	n := 0
	field := func(name string) bool {
		if !f.keep("items", a, name) {
			return false
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendString(b, name)
		b = append(b, ':')
		return true
	}
	if field("_index") {
		b = appendString(b, r.index)
	}
	if field("_id") {
		b = appendString(b, r.id)
	}
	if r.result != "" {
		if field("_version") {
			b = strconv.AppendInt(b, r.version, 10)
		}
		if field("result") {
			b = appendString(b, r.result)
		}
		if field("_shards") {
			b = append(b, `{"total":2,"successful":1,"failed":0}`...)
		}
		if field("_seq_no") {
			b = strconv.AppendInt(b, r.seqNo, 10)
		}
		if field("_primary_term") {
			b = append(b, '1')
		}
	}
	if field("status") {
		b = strconv.AppendInt(b, int64(r.status), 10)
	}
	if r.errType != "" && f.within("items", a, "error") {
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = append(b, `"error":{`...)
		m := 0
		for _, kv := range [][2]string{{"type", r.errType}, {"reason", r.errRsn}, {"index_uuid", "estest"},
			{"shard", "0"}, {"index", r.index}} {
			if f.keep("items", a, "error", kv[0]) {
				if m > 0 {
					b = append(b, ',')
				}
				m++
				b = appendString(b, kv[0])
				b = append(b, ':')
				b = appendString(b, kv[1])
			}
		}
		b = append(b, '}')
	}
	return append(b, "}}"...)
}

// templateBodyLocked returns the "template" part of the highest-priority template matching idx.
func (s *Server) templateBodyLocked(idx string) json.RawMessage {
	var best json.RawMessage
	bestPrio := -1
	for _, b := range s.templates {
		var t struct {
			IndexPatterns []string        `json:"index_patterns"`
			Priority      int             `json:"priority"`
			Template      json.RawMessage `json:"template"`
		}
		if json.Unmarshal(b, &t) != nil {
			continue
		}
		for _, p := range t.IndexPatterns {
			if ok, _ := path.Match(p, idx); ok && t.Priority > bestPrio {
				best, bestPrio = t.Template, t.Priority
			}
		}
	}
	return best
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.WriteHeader(status)
	w.Write(b)
}

func writeError(w http.ResponseWriter, status int, typ, reason string) {
	cause := map[string]any{"type": typ, "reason": reason}
	writeJSON(w, status, map[string]any{
		"error":  map[string]any{"root_cause": []any{cause}, "type": typ, "reason": reason},
		"status": status,
	})
}
