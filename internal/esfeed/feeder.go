// Package esfeed keeps the shared Elasticsearch indexes in step with PostgreSQL. Core code writes
// an outbox row in the transaction of every change (a tweet stored, updated or deleted; a
// giveaway event); the Feeder drains the outbox through one long-lived esutil.BulkIndexer,
// reading the current state of what each row names when it sends, and marks a row done only
// after Elasticsearch confirmed every item of it.
//
// Guarantees and how they are kept:
//   - Versions: every write uses version_type=external with the outbox id as version. Ids only
//     grow, so a late retry never overwrites newer data; its 409 means "already superseded" and
//     the row is done.
//   - Claiming: a round claims a batch (FOR UPDATE SKIP LOCKED, marking it done inside the
//     round's transaction) and holds that transaction until Elasticsearch has answered for every
//     item (the transport's retries are bounded by ClientConfig); rows that did not make it are
//     put back before the commit. Several instances may feed at once and never send one row
//     concurrently; a killed instance's claim rolls back with its connection, so a restart (or
//     another instance) resumes at once, with no lease to expire. The price is one open
//     transaction per lane while a bulk is in flight (bounded by the client's retries).
//   - Failures: whole-request failures and item 429/5xx leave the row pending (attempts+1,
//     last_error) and the feeder backs off; items that can never succeed (400 mapping errors
//     and the like) go to outbox_dead with the reason and the row is marked done so it stops
//     blocking. `giveaway es retry-dead` sends them again.
//   - Wake-ups: a notice on the outbox channel (internal/notify: the process's one LISTEN
//     connection) wakes the feeder early; polling every PollInterval stays, because a
//     notification sent while nobody listens is lost.
//   - Pruning: rows done more than Retention ago (default 7 days) are deleted every
//     PruneInterval. With no Elasticsearch configured no feeder runs and the outbox keeps every
//     row for a later backfill.
package esfeed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boothgiveaway/giveaway/internal/esdoc"
	"github.com/boothgiveaway/giveaway/internal/notify"
	"github.com/boothgiveaway/giveaway/internal/retry"
	"github.com/boothgiveaway/giveaway/internal/store"
)

// Options tune the feeder; the zero value gives the defaults.
type Options struct {
	BatchSize      int           // outbox rows per round (default 5000)
	Lanes          int           // rounds in flight at once, so reading PostgreSQL overlaps sending (default 2)
	PollInterval   time.Duration // wait between rounds when idle (default 1 s)
	NumWorkers     int           // bulk requests in flight at once (default 2)
	FlushBytes     int           // largest bulk request body (default 4 MiB)
	MaxBackoff     time.Duration // longest wait after failing rounds (default 30 s)
	Retention      time.Duration // done rows older than this are pruned (default 7 days)
	PruneInterval  time.Duration // how often to prune (default 1 h)
	StatusInterval time.Duration // how often Run refreshes the gauges (default 5 s)
	Analyzer       string        // text analyzer of the templates (default "cjk")
	// Notices is the process's LISTEN connection, shared with the pages and the sources; nil:
	// Run opens one of its own.
	Notices *notify.Listener
	// Registerer receives the feeder's metrics; nil registers none.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

func (o *Options) defaults() {
	if o.BatchSize <= 0 {
		o.BatchSize = 5000
	}
	if o.Lanes <= 0 {
		o.Lanes = 2
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.NumWorkers <= 0 {
		o.NumWorkers = 2
	}
	if o.FlushBytes <= 0 {
		o.FlushBytes = 4 << 20
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.Retention <= 0 {
		o.Retention = 7 * 24 * time.Hour
	}
	if o.PruneInterval <= 0 {
		o.PruneInterval = time.Hour
	}
	if o.StatusInterval <= 0 {
		o.StatusInterval = 5 * time.Second
	}
	if o.Analyzer == "" {
		o.Analyzer = esdoc.DefaultAnalyzer
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Feeder drains the outbox into Elasticsearch.
type Feeder struct {
	pool *pgxpool.Pool
	es   *elasticsearch.Client
	bi   esutil.BulkIndexer
	opts Options
	log  *slog.Logger
	m    *metrics

	templates  atomic.Bool // installed by this process
	tmplMu     sync.Mutex
	mu         sync.Mutex // guards ensured
	ensured    map[string]bool
	closeOnce  sync.Once
	closeErr   error
	patterns   []string
	lastStatus time.Time
	listening  chan struct{}
	heard      sync.Once
}

// New returns a feeder with its one long-lived bulk indexer: creating an indexer per batch
// starts workers and buffers each time and leaks them unless every one is closed.
func New(pool *pgxpool.Pool, es *elasticsearch.Client, opts Options) (*Feeder, error) {
	opts.defaults()
	f := &Feeder{
		pool: pool, es: es, opts: opts, log: opts.Logger.With("component", "esfeed"),
		ensured: map[string]bool{}, listening: make(chan struct{}),
	}
	for _, t := range esdoc.Templates(opts.Analyzer) {
		f.patterns = append(f.patterns, t.Patterns...)
	}
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{
		Client:     es,
		NumWorkers: opts.NumWorkers,
		FlushBytes: opts.FlushBytes,
		// Rounds flush explicitly; the timer only bounds how long a stray item could wait.
		FlushInterval: 5 * time.Second,
		// Only what classify reads: the full answer is several times larger and decoding it
		// costs more than building the request.
		FilterPath: []string{"errors", "items.*.status", "items.*.result", "items.*.error.type",
			"items.*.error.reason", "items.*.error.caused_by"},
		OnError: func(_ context.Context, err error) {
			f.log.Warn("bulk request failed", "error", err)
		},
	})
	if err != nil {
		return nil, err
	}
	f.bi = bi
	f.m = newMetrics(opts.Registerer)
	return f, nil
}

// Close flushes and stops the bulk indexer. Run calls it when it returns.
func (f *Feeder) Close(ctx context.Context) error {
	f.closeOnce.Do(func() { f.closeErr = f.bi.Close(ctx) })
	return f.closeErr
}

// Run feeds until ctx is done, then returns nil. It installs the index templates first
// (retrying while Elasticsearch is unreachable), wakes on NOTIFY outbox, polls every
// PollInterval, backs off after failing rounds and prunes old done rows. Lanes rounds run at
// once, each with its own claim, sharing the one bulk indexer.
func (f *Feeder) Run(ctx context.Context) error {
	defer f.Close(context.WithoutCancel(ctx))
	wakes := make([]chan struct{}, f.opts.Lanes)
	for i := range wakes {
		wakes[i] = make(chan struct{}, 1)
	}
	var wg sync.WaitGroup
	wg.Add(1 + len(wakes))
	go func() { defer wg.Done(); f.listen(ctx, wakes) }()
	for i, wake := range wakes {
		go func() { defer wg.Done(); f.lane(ctx, i == 0, wake) }()
	}
	wg.Wait()
	return nil
}

// lane runs rounds until ctx is done; the first lane also does the housekeeping.
func (f *Feeder) lane(ctx context.Context, housekeeping bool, wake <-chan struct{}) {
	// Failing rounds wait longer each time, with jitter so lanes and instances spread out.
	backoff := retry.Jittered(max(f.opts.PollInterval/4, 50*time.Millisecond), f.opts.MaxBackoff)
	nextPrune := time.Now()
	for ctx.Err() == nil {
		if housekeeping && time.Since(f.lastStatus) >= f.opts.StatusInterval {
			f.refreshGauges(ctx)
		}
		if housekeeping && !time.Now().Before(nextPrune) {
			if n, err := Prune(ctx, f.pool, f.opts.Retention); err != nil {
				f.log.Warn("prune failed", "error", err)
			} else if n > 0 {
				f.log.Info("pruned done outbox rows", "rows", n, "older_than", f.opts.Retention)
			}
			nextPrune = time.Now().Add(f.opts.PruneInterval)
		}

		st, err := f.Round(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil || st.Retry > 0:
			// Whole-request failures were already retried by the transport; item 429s mean the
			// cluster is overloaded. Either way wait before the next try, longer each time.
			if err != nil {
				f.log.Warn("feed round failed", "error", err)
			}
			sleep(ctx, backoff.NextBackOff(), nil)
		case st.Rows == f.opts.BatchSize:
			backoff.Reset() // a full batch: more is waiting
		default:
			backoff.Reset()
			sleep(ctx, f.opts.PollInterval, wake)
		}
	}
}

func sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-wake:
	}
}

// listen wakes every lane for each notice on the outbox channel (a Resync too: notices may have
// been lost), until ctx is done.
func (f *Feeder) listen(ctx context.Context, wakes []chan struct{}) {
	l, wait := notify.OrOwn(ctx, f.opts.Notices, f.pool)
	defer wait()
	sub := l.Subscribe(1, notify.Outbox)
	defer sub.Close()
	ready := sub.Ready()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ready:
			f.heard.Do(func() { close(f.listening) })
			ready = nil
		case <-sub.C():
			for _, wake := range wakes {
				select {
				case wake <- struct{}{}:
				default:
				}
			}
		}
	}
}

// Listening is closed once Run's wake-ups are on LISTEN: a notice on the outbox channel from
// then on wakes the feeder.
func (f *Feeder) Listening() <-chan struct{} { return f.listening }

// Drain runs rounds (Lanes at once) until no claimable row is left, without waiting between
// them; it returns the first error, or an error when rows were left pending. For backfill, tests
// and benchmarks; the service uses Run.
func (f *Feeder) Drain(ctx context.Context) (RoundStats, error) {
	var (
		mu       sync.Mutex
		total    RoundStats
		firstErr error
		wg       sync.WaitGroup
	)
	for range f.opts.Lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				st, err := f.Round(ctx)
				mu.Lock()
				total.add(st)
				if err == nil && st.Retry > 0 {
					err = fmt.Errorf("esfeed: %d rows left pending: %s", st.Retry, st.LastError)
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
				stop := firstErr != nil || st.Rows < f.opts.BatchSize
				mu.Unlock()
				if stop {
					return
				}
			}
		}()
	}
	wg.Wait()
	return total, firstErr
}

// RoundStats counts what one round (or several) did.
type RoundStats struct {
	Rows      int // outbox rows claimed
	Done      int // marked done (sent, superseded, or nothing to send)
	Retry     int // left pending for the next round
	Dead      int // moved to the dead letters
	Items     int // bulk items sent
	LastError string
}

func (s *RoundStats) add(o RoundStats) {
	s.Rows += o.Rows
	s.Done += o.Done
	s.Retry += o.Retry
	s.Dead += o.Dead
	s.Items += o.Items
	if o.LastError != "" {
		s.LastError = o.LastError
	}
}

type claimedRow struct {
	id                 int64
	kind, network, ref string
}

// outcome of a row, worst wins: a retry beats a dead letter (the retry sends everything again),
// a dead letter beats done.
const (
	outDone = iota
	outDead
	outRetry
)

type rowOutcome struct {
	state         int
	index, reason string
}

// sendItem is one bulk item and the rows whose fate depends on it.
type sendItem struct {
	action, index, id string
	version           int64
	body              []byte
	rows              []int
}

type itemResult struct {
	set  bool
	ok   bool
	resp esutil.BulkIndexerResponseItem
	err  error
}

// Round claims one batch, sends it and records the outcome of every row.
func (f *Feeder) Round(ctx context.Context) (RoundStats, error) {
	var st RoundStats
	if err := f.ensureTemplates(ctx); err != nil {
		f.m.rounds.WithLabelValues("failed").Inc()
		return st, fmt.Errorf("install index templates: %w", err)
	}
	tx, err := f.pool.Begin(ctx)
	if err != nil {
		return st, err
	}
	// Once rows are claimed the round finishes even if ctx ends: the items may already be on
	// their way, and the locks must be held until Elasticsearch answered for them.
	bg := context.WithoutCancel(ctx)
	defer tx.Rollback(bg)

	rows, err := claim(ctx, tx, f.opts.BatchSize)
	if err != nil {
		return st, fmt.Errorf("claim: %w", err)
	}
	st.Rows = len(rows)
	if len(rows) == 0 {
		f.m.rounds.WithLabelValues("empty").Inc()
		return st, tx.Commit(bg)
	}
	items, err := f.build(bg, tx, rows)
	if err != nil {
		return st, fmt.Errorf("read outbox state: %w", err)
	}
	st.Items = len(items)
	f.ensureIndices(bg, items)

	results := make([]itemResult, len(items))
	for i := range items {
		it := &items[i]
		v := it.version
		res := &results[i]
		bi := esutil.BulkIndexerItem{
			Index: it.index, Action: it.action, DocumentID: it.id, Version: &v, VersionType: "external",
			OnSuccess: func(_ context.Context, _ esutil.BulkIndexerItem, r esutil.BulkIndexerResponseItem) {
				*res = itemResult{set: true, ok: true, resp: r}
			},
			OnFailure: func(_ context.Context, _ esutil.BulkIndexerItem, r esutil.BulkIndexerResponseItem, err error) {
				*res = itemResult{set: true, resp: r, err: err}
			},
		}
		if it.body != nil {
			bi.Body = bytes.NewReader(it.body)
		}
		if err := f.bi.Add(bg, bi); err != nil {
			*res = itemResult{set: true, err: err}
		}
	}
	// Flush returns after every worker flushed, so every callback above has run.
	if err := f.bi.Flush(bg); err != nil {
		return st, fmt.Errorf("flush: %w", err)
	}

	outcomes := make([]rowOutcome, len(rows))
	for i, it := range items {
		state, reason := f.classify(it, results[i])
		for _, r := range it.rows {
			if state > outcomes[r].state {
				outcomes[r] = rowOutcome{state: state, index: it.index, reason: reason}
			}
		}
	}
	var doneIDs, retryIDs, deadIDs []int64
	var retryReasons, deadIndex, deadReasons []string
	for i, o := range outcomes {
		switch o.state {
		case outDone:
			doneIDs = append(doneIDs, rows[i].id)
		case outRetry:
			retryIDs = append(retryIDs, rows[i].id)
			retryReasons = append(retryReasons, o.reason)
			st.LastError = o.reason
		case outDead:
			deadIDs = append(deadIDs, rows[i].id)
			deadIndex = append(deadIndex, o.index)
			deadReasons = append(deadReasons, o.reason)
			f.log.Error("outbox row dead-lettered", "outbox_id", rows[i].id, "kind", rows[i].kind,
				"ref", rows[i].ref, "index", o.index, "reason", o.reason)
		}
	}
	// Done rows were marked so by the claim; the commit below publishes them.
	if len(retryIDs) > 0 {
		if err := store.New(tx).MarkOutboxRetry(bg, store.MarkOutboxRetryParams{Ids: retryIDs, Reasons: retryReasons}); err != nil {
			return st, fmt.Errorf("mark retry: %w", err)
		}
	}
	if len(deadIDs) > 0 {
		if err := store.New(tx).MarkOutboxDead(bg, store.MarkOutboxDeadParams{Ids: deadIDs, IndexNames: deadIndex,
			Reasons: deadReasons}); err != nil {
			return st, fmt.Errorf("mark dead: %w", err)
		}
	}
	if err := tx.Commit(bg); err != nil {
		return st, fmt.Errorf("commit: %w", err)
	}
	st.Done, st.Retry, st.Dead = len(doneIDs), len(retryIDs), len(deadIDs)
	f.m.rowsDone.Add(float64(st.Done))
	f.m.rowsRetry.Add(float64(st.Retry))
	f.m.rowsDead.Add(float64(st.Dead))
	if st.Retry > 0 {
		f.m.rounds.WithLabelValues("failed").Inc()
	} else {
		f.m.rounds.WithLabelValues("ok").Inc()
	}
	return st, nil
}

func claim(ctx context.Context, tx store.DBTX, batch int) ([]claimedRow, error) {
	rs, err := store.New(customPlan{tx}).ClaimOutbox(ctx, int32(batch))
	if err != nil {
		return nil, err
	}
	rows := make([]claimedRow, len(rs))
	for i, r := range rs {
		rows[i] = claimedRow{id: r.ID, kind: r.Kind, network: r.RefNetwork, ref: r.RefID}
	}
	return rows, nil
}

// customPlan runs statements unprepared (an unnamed statement each time), so PostgreSQL plans
// them for the arguments they carry: pgx's cached prepared statements may be switched to a
// generic plan, which cannot know the claim's LIMIT and may scan the whole outbox.
type customPlan struct{ store.DBTX }

func (c customPlan) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return c.DBTX.Query(ctx, sql, append([]any{pgx.QueryExecModeExec}, args...)...)
}

// classify decides a row's fate from one item's answer.
func (f *Feeder) classify(it sendItem, r itemResult) (int, string) {
	switch {
	case !r.set:
		f.m.items.WithLabelValues("retry").Inc()
		return outRetry, "no answer for the item"
	case r.ok:
		f.m.items.WithLabelValues(r.resp.Result).Inc()
		return outDone, ""
	case r.err != nil:
		// The whole request failed after the transport's retries (or never left).
		f.m.items.WithLabelValues("retry").Inc()
		return outRetry, truncate(r.err.Error())
	}
	s, typ := r.resp.Status, r.resp.Error.Type
	reason := truncate(fmt.Sprintf("%d %s: %s", s, typ, r.resp.Error.Reason))
	if r.resp.Error.Cause.Type != "" {
		reason = truncate(reason + " (caused by " + r.resp.Error.Cause.Type + ": " + r.resp.Error.Cause.Reason + ")")
	}
	switch {
	case s == 409 && typ == "version_conflict_engine_exception":
		// Elasticsearch holds this version or a newer one: nothing left to do.
		f.m.items.WithLabelValues("stale").Inc()
		return outDone, ""
	case it.action == "delete" && s == 404:
		// Not there (or no such index): the delete's goal holds.
		f.m.items.WithLabelValues("not_found").Inc()
		return outDone, ""
	case s == 429 || s >= 500 || s == 408 || s == 401 || s == 403 || s == 0:
		// Overload, shard trouble or credentials: all can pass, so the row waits for a later round.
		f.m.items.WithLabelValues("retry").Inc()
		return outRetry, reason
	default:
		// 400 mapping/parsing errors, illegal arguments and the like fail the same way every time.
		f.m.items.WithLabelValues("dead").Inc()
		return outDead, reason
	}
}

func truncate(s string) string {
	if len(s) > 1000 {
		return s[:1000]
	}
	return s
}

// ensureIndices creates, with our mappings, indexes that no template pattern covers (every
// tweets index: no template claims them) before documents go there. An index that exists already
// (created earlier, or a Logstash index a campaign names) is written into as it is.
func (f *Feeder) ensureIndices(ctx context.Context, items []sendItem) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, it := range items {
		if it.action != "index" || f.ensured[it.index] {
			continue
		}
		covered := false
		for _, p := range f.patterns {
			if ok, _ := path.Match(p, it.index); ok {
				covered = true
			}
		}
		if covered {
			f.ensured[it.index] = true
			continue
		}
		mapping := esdoc.TweetMapping(f.opts.Analyzer)
		if strings.HasPrefix(it.index, "giveaway-events-") {
			mapping = esdoc.EventMapping()
		}
		body, _ := json.Marshal(esdoc.IndexBody(mapping))
		res, err := f.es.Indices.Create(it.index, f.es.Indices.Create.WithBody(bytes.NewReader(body)),
			f.es.Indices.Create.WithContext(ctx))
		if err != nil {
			f.log.Warn("create index failed", "index", it.index, "error", err)
			continue
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !res.IsError() || bytes.Contains(b, []byte("resource_already_exists_exception")) {
			f.ensured[it.index] = true
		} else {
			f.log.Warn("create index failed", "index", it.index, "status", res.StatusCode, "body", string(b))
		}
	}
}

// ensureTemplates installs the templates once per process, before the first document: an index
// auto-created without them would get dynamic mappings (ids as text, no cjk analyzer).
func (f *Feeder) ensureTemplates(ctx context.Context) error {
	if f.templates.Load() {
		return nil
	}
	f.tmplMu.Lock()
	defer f.tmplMu.Unlock()
	if f.templates.Load() {
		return nil
	}
	return f.InstallTemplates(ctx)
}

// InstallTemplates puts the index templates whose installed version is older than this
// binary's (or whose analyzer differs); it is idempotent and safe from several instances.
func (f *Feeder) InstallTemplates(ctx context.Context) error {
	for _, t := range esdoc.Templates(f.opts.Analyzer) {
		res, err := f.es.Indices.GetIndexTemplate(f.es.Indices.GetIndexTemplate.WithName(t.Name),
			f.es.Indices.GetIndexTemplate.WithContext(ctx))
		if err != nil {
			return err
		}
		var got struct {
			IndexTemplates []struct {
				IndexTemplate struct {
					Version int `json:"version"`
					Meta    struct {
						Analyzer string `json:"analyzer"`
					} `json:"_meta"`
				} `json:"index_template"`
			} `json:"index_templates"`
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		switch {
		case res.StatusCode == 404:
		case res.IsError():
			return fmt.Errorf("get index template %s: %s", t.Name, res.Status())
		default:
			if err := json.Unmarshal(b, &got); err != nil {
				return fmt.Errorf("get index template %s: %w", t.Name, err)
			}
		}
		if len(got.IndexTemplates) > 0 {
			cur := got.IndexTemplates[0].IndexTemplate
			if cur.Version > esdoc.TemplateVersion {
				f.log.Warn("index template is newer than this binary; leaving it", "template", t.Name,
					"installed", cur.Version, "ours", esdoc.TemplateVersion)
				continue
			}
			if cur.Version == esdoc.TemplateVersion && cur.Meta.Analyzer == f.opts.Analyzer {
				continue
			}
		}
		body, _ := json.Marshal(t.Body)
		res, err = f.es.Indices.PutIndexTemplate(t.Name, bytes.NewReader(body),
			f.es.Indices.PutIndexTemplate.WithContext(ctx))
		if err != nil {
			return err
		}
		b, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if res.IsError() {
			return fmt.Errorf("put index template %s: %s %s", t.Name, res.Status(), b)
		}
		f.log.Info("index template installed", "template", t.Name, "version", esdoc.TemplateVersion)
	}
	if err := f.retireTemplates(ctx); err != nil {
		return err
	}
	f.templates.Store(true)
	return nil
}

// retireTemplates deletes the templates earlier versions installed that this one no longer
// wants (the twitter-* tweets template claimed Logstash's indexes too); only ours, by _meta.
func (f *Feeder) retireTemplates(ctx context.Context) error {
	for _, name := range esdoc.RetiredTemplates {
		res, err := f.es.Indices.GetIndexTemplate(f.es.Indices.GetIndexTemplate.WithName(name),
			f.es.Indices.GetIndexTemplate.WithContext(ctx))
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == 404 {
			continue
		}
		if res.IsError() {
			return fmt.Errorf("get index template %s: %s", name, res.Status())
		}
		if !bytes.Contains(b, []byte(`"managed_by":"giveaway"`)) {
			continue
		}
		res, err = f.es.Indices.DeleteIndexTemplate(name, f.es.Indices.DeleteIndexTemplate.WithContext(ctx))
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.IsError() && res.StatusCode != 404 {
			return fmt.Errorf("delete index template %s: %s", name, res.Status())
		}
		f.log.Info("index template retired", "template", name)
	}
	return nil
}

// AvgBulkBytes is the mean size of the bulk requests this feeder sent.
func (f *Feeder) AvgBulkBytes() float64 {
	s := f.bi.Stats()
	if s.NumRequests == 0 {
		return 0
	}
	return float64(s.FlushedBytes) / float64(s.NumRequests)
}
