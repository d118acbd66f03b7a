package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/httpapi"
	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/pages"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/server"
)

// Fault injection for the exactly-once tests: the service runs on a pool whose queries are traced,
// and one request at a time can be armed to meet a fault at a named step.
//
//   - before:      the client goes away before the handler starts;
//   - query:       the client goes away as the statement containing match is sent (the key
//     taken: the give about to start; the give's own statement: during the give);
//   - commit:      the client goes away as COMMIT is sent;
//   - commit_lost: COMMIT reaches the database and commits, but its reply never reaches the app
//     (the database connection breaks), and the client goes away: the case that gave twice;
//   - committed:   the client goes away after COMMIT succeeded, before the answer is written;
//   - hold:        the request stops as the statement containing match is sent, reports its
//     database backend's pid, and waits until released (a frozen or killed instance).
//
// "The client goes away" is what net/http does when it notices: the request's context is
// cancelled (here at once, so the test does not race the server's read loop) and the client's
// TCP connection is closed.
type faults struct {
	t      *testing.T
	mu     sync.Mutex
	step   string // armed step for the next request with an Idempotency-Key; "" none
	match  string
	live   bool // the armed request is running
	struck bool
	cancel context.CancelFunc
	client net.Conn
	pid    chan uint32   // hold: the held backend's pid
	resume chan struct{} // hold: closed to let the held request go on
	done   chan struct{} // closed when the armed request's handler has returned
}

type faultKey struct{}

func (f *faults) arm(step, match string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.step, f.match, f.live, f.struck = step, match, false, false
	f.pid, f.resume, f.done = make(chan uint32, 1), make(chan struct{}), make(chan struct{})
}

// strike cuts the client off; f.mu is held.
func (f *faults) strike() {
	f.struck = true
	if f.cancel != nil {
		f.cancel()
	}
	if f.client != nil {
		f.client.Close()
	}
}

func (f *faults) armedFor(ctx context.Context) bool { return ctx.Value(faultKey{}) != nil }

func (f *faults) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if !f.armedFor(ctx) {
		return ctx
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.struck {
		return ctx
	}
	sql := strings.TrimSpace(strings.ToLower(data.SQL))
	switch {
	case f.step == "query" && strings.Contains(data.SQL, f.match):
		f.strike()
	case f.step == "commit" && sql == "commit":
		f.strike()
	case f.step == "commit_lost" && sql == "commit":
		cc, ok := conn.PgConn().Conn().(*cutConn)
		if !ok {
			f.t.Errorf("database connection is a %T, not the test's", conn.PgConn().Conn())
			return ctx
		}
		f.struck = true
		cc.armed.Store(f)
	case f.step == "hold" && strings.Contains(data.SQL, f.match):
		f.struck = true
		f.pid <- conn.PgConn().PID()
		resume := f.resume
		f.mu.Unlock()
		<-resume
		f.mu.Lock()
	}
	return ctx
}

func (f *faults) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	if !f.armedFor(ctx) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.step == "committed" && !f.struck && data.Err == nil && strings.EqualFold(data.CommandTag.String(), "commit") {
		f.strike()
	}
}

// cutConn is the app's side of a database connection. Once armed (as COMMIT is sent), the first
// bytes the database sends back prove the COMMIT arrived; they are dropped, the connection is
// closed and the client cut off.
type cutConn struct {
	net.Conn
	armed syncPointer
}

type syncPointer struct {
	mu sync.Mutex
	f  *faults
}

func (p *syncPointer) Store(f *faults) { p.mu.Lock(); p.f = f; p.mu.Unlock() }
func (p *syncPointer) Take() *faults {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.f
	p.f = nil
	return f
}

func (c *cutConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		if f := c.armed.Take(); f != nil {
			f.mu.Lock()
			f.strike()
			f.mu.Unlock()
			c.Conn.Close()
			return 0, errors.New("test: connection to the database lost after COMMIT was sent")
		}
	}
	return n, err
}

// newFaultEnv is newEnv on a traced pool behind a server that can be armed with a fault.
func newFaultEnv(t *testing.T) (*env, *faults) {
	t.Helper()
	t.Parallel()
	f := &faults{t: t}
	cfg, err := pgxpool.ParseConfig(pgtest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 20
	cfg.ConnConfig.Tracer = f
	dialer := &net.Dialer{}
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &cutConn{Conn: c}, nil
	}
	cfg.ConnConfig.TLSConfig = nil
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	e, _, err := server.Mount(httpapi.Config{IngestToken: ingestToken, ClaimsPerMinute: 6000}, httpapi.Deps{
		Pool: pool, Giveaway: giveaway.New(pool), Auth: auth.New(pool, adminToken, time.Hour),
		Ingest: ingest.New(pool, nil), Registry: prometheus.NewRegistry(),
	}, pages.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		armed := f.step != "" && !f.live && r.Header.Get("Idempotency-Key") != ""
		if !armed {
			f.mu.Unlock()
			e.ServeHTTP(w, r)
			return
		}
		f.live = true
		defer close(f.done)
		ctx, cancel := context.WithCancel(context.WithValue(r.Context(), faultKey{}, true))
		defer cancel()
		f.cancel = cancel
		if f.step == "before" {
			f.strike()
		}
		f.mu.Unlock()
		e.ServeHTTP(w, r.WithContext(ctx))
	}))
	t.Cleanup(srv.Close)
	return &env{t: t, pool: pool, srv: srv}, f
}

// send makes the armed request on a connection of its own, which the fault may cut. It answers
// what the client saw: a reply, or an error when it was cut off.
func (f *faults) send(e *env, r req) (reply, error) {
	tr := &http.Transport{DisableKeepAlives: true, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			f.mu.Lock()
			f.client = c
			f.mu.Unlock()
		}
		return c, err
	}}
	defer tr.CloseIdleConnections()
	var body io.Reader
	if r.body != nil {
		b, _ := json.Marshal(r.body)
		body = bytes.NewReader(b)
	}
	hr, err := http.NewRequest(r.method, e.srv.URL+r.path, body)
	if err != nil {
		return reply{}, err
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Authorization", "Bearer "+r.bearer)
	for k, v := range r.headers {
		hr.Header.Set(k, v)
	}
	resp, err := (&http.Client{Transport: tr}).Do(hr)
	// What the server did after the client went away is part of the step: wait for it.
	defer func() { <-f.done }()
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	out := reply{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	json.Unmarshal(raw, &out.Body)
	return out, nil
}
