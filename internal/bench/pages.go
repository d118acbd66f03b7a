package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/boothgiveaway/giveaway/internal/app"
	"github.com/boothgiveaway/giveaway/internal/database"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/ssecrowd"
)

// The pages benchmark: how many live walls one instance feeds (a post must reach every open
// SSE connection within a second), and what the claim page weighs on a phone.
const (
	pagesSlug   = "benchpages"
	pagesIngest = "bench-pages-ingest"
	sseDeadline = time.Second
)

// sseSteps are the connection counts tried in turn; the last that passes is the figure.
var sseSteps = []int{1000, 2500, 5000, 7500, 10000, 12500, 15000, 17500}

func init() {
	Register(Benchmark{Name: "pages", Run: runPages})
}

type pagesServer struct {
	addr string
	stop func()
}

func startPages(ctx context.Context, env *Env) (*pagesServer, error) {
	url, err := env.NewDatabase(ctx)
	if err != nil {
		return nil, err
	}
	pool, err := database.Open(ctx, url, 40)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	// Every client is on this machine's one address: the per-address budgets would measure
	// themselves, not the pages.
	a, err := app.New(pool, app.Config{IngestToken: pagesIngest, ClaimsPerMinute: 1 << 30, StreamsPerAddress: 1 << 30,
		PublicBaseURL: "http://" + l.Addr().String(), SessionTTL: time.Hour})
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: a.Echo}
	go srv.Serve(l)
	rctx, cancel := context.WithCancel(ctx)
	go a.Run(rctx)
	<-a.Pages.Ready()
	ga := a.Giveaway
	now := time.Now()
	if _, err := ga.CreateCampaign(ctx, giveaway.CampaignInput{Slug: pagesSlug, Name: "Bench", TimeZone: "Asia/Seoul",
		RequiredHashtags: []string{"PyConAPAC", "Elastic"}, StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour),
		Prizes: []giveaway.PrizeInput{{Key: "tshirt", Name: "T-shirt", Stock: 100}}}); err != nil {
		cancel()
		return nil, err
	}
	return &pagesServer{addr: l.Addr().String(), stop: func() { cancel(); srv.Close(); pool.Close() }}, nil
}

func runPages(ctx context.Context, env *Env) ([]Result, error) {
	raiseFileLimit(env)
	s, err := startPages(ctx, env)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	weight, err := claimPageBytes("http://" + s.addr + "/c/" + pagesSlug)
	if err != nil {
		return nil, err
	}
	env.Logf("claim page: %d bytes (HTML + CSS + JS, uncompressed)", weight)
	clients, kib, err := sseClients(ctx, env, s)
	if err != nil {
		return nil, err
	}
	res := []Result{
		{Key: "claim_page_bytes", Value: strconv.Itoa(weight)},
		{Key: "sse_clients", Value: strconv.Itoa(clients)},
		{Key: "sse_kib_per_client", Value: strconv.FormatFloat(kib, 'f', 1, 64)},
	}
	if clients > 0 {
		floor, err := sseFloorKiB(ctx, clients)
		if err != nil {
			return nil, err
		}
		env.Logf("pages: a bare net/http stream holds %.1f KiB at %d streams", floor, clients)
		res = append(res, Result{Key: "sse_floor_kib_per_client", Value: strconv.FormatFloat(floor, 'f', 1, 64)})
	}
	return res, nil
}

// raiseFileLimit lifts the soft open-files limit to the hard one: every connection costs the
// server a descriptor (the crowd holds the other end in its own process).
func raiseFileLimit(env *Env) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		env.Logf("pages: cannot raise the open-files limit: %v", err)
	}
}

var assetRef = regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`)

// claimPageBytes is what a phone downloads for the claim page: the HTML and every stylesheet and
// script it names, uncompressed.
func claimPageBytes(url string) (int, error) {
	get := func(u string) ([]byte, error) {
		res, err := http.Get(u)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		if res.StatusCode != 200 {
			return nil, fmt.Errorf("GET %s: %d", u, res.StatusCode)
		}
		return io.ReadAll(res.Body)
	}
	html, err := get(url)
	if err != nil {
		return 0, err
	}
	total := len(html)
	base := url[:strings.Index(url[len("http://"):], "/")+len("http://")]
	for _, m := range assetRef.FindAllStringSubmatch(string(html), -1) {
		b, err := get(base + strings.ReplaceAll(m[1], "&amp;", "&"))
		if err != nil {
			return 0, err
		}
		total += len(b)
	}
	return total, nil
}

// sseClients opens walls in steps from a crowd process of their own and, at each step, ingests
// one post and times its arrival at every wall. The answer is the largest step where all got it
// within sseDeadline, and the server's resident memory per open stream at that step.
func sseClients(ctx context.Context, env *Env, s *pagesServer) (best int, kibPer float64, err error) {
	var (
		mu      sync.Mutex
		arrived []time.Time // each stream's first post of this step
		reached int
	)
	crowd, err := ssecrowd.Start(ctx, func(ev ssecrowd.Event) {
		if ev.Name != "post" {
			return
		}
		mu.Lock()
		if ev.Stream < len(arrived) && arrived[ev.Stream].IsZero() {
			arrived[ev.Stream] = ev.At
			reached++
		}
		mu.Unlock()
	})
	if err != nil {
		return 0, 0, err
	}
	defer crowd.Close()
	base := idleRSSKiB()
	url := "http://" + s.addr + "/c/" + pagesSlug + "/wall/events"
	opened := 0
	for step, target := range sseSteps {
		for ; opened < target; opened++ {
			if err := crowd.Open(opened, 0, "", url); err != nil {
				return best, kibPer, err
			}
		}
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		err := crowd.WaitUp(wctx, target)
		cancel()
		if err != nil {
			env.Logf("pages: opening %d SSE connections: %v", target, err)
			break
		}
		// Up means the handler subscribed and answered; measured idle, before the post.
		kib := float64(idleRSSKiB()-base) / float64(target)
		mu.Lock()
		arrived, reached = make([]time.Time, target), 0
		mu.Unlock()
		start := time.Now()
		if err := ingestPost(s.addr, step); err != nil {
			return best, kibPer, err
		}
		for wait := time.Now(); time.Since(wait) < 5*time.Second; time.Sleep(10 * time.Millisecond) {
			mu.Lock()
			n := reached
			mu.Unlock()
			if n == target {
				break
			}
		}
		mu.Lock()
		var took []time.Duration
		for _, at := range arrived {
			if !at.IsZero() {
				took = append(took, at.Sub(start))
			}
		}
		got := reached
		mu.Unlock()
		slices.Sort(took)
		var slowest, half time.Duration
		if len(took) > 0 {
			slowest, half = took[len(took)-1], took[len(took)/2]
		}
		env.Logf("pages: %d SSE connections (%.1f KiB each on the server): %d got the post, half after %s, the last after %s",
			target, kib, got, half.Round(time.Millisecond), slowest.Round(time.Millisecond))
		if got < target || slowest > sseDeadline {
			break
		}
		best, kibPer = target, kib
	}
	return best, kibPer, nil
}

// sseFloorKiB is the floor for sse_kib_per_client: the same growth for n streams held by a bare
// net/http handler (headers, one flush, then a wait for the client to leave) in this process.
func sseFloorKiB(ctx context.Context, n int) (float64, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})}
	go srv.Serve(l)
	defer srv.Close()
	crowd, err := ssecrowd.Start(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer crowd.Close()
	base := idleRSSKiB()
	for i := range n {
		if err := crowd.Open(i, 0, "", "http://"+l.Addr().String()+"/"); err != nil {
			return 0, err
		}
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := crowd.WaitUp(wctx, n); err != nil {
		return 0, err
	}
	return float64(idleRSSKiB()-base) / float64(n), nil
}

// idleRSSKiB is this process's resident memory after collections have handed what they freed
// back to the system: what the open streams hold, not garbage awaiting the scavenger, nor buffers
// that earlier streams left in net/http's pools (a pool lets go of them at the second collection).
func idleRSSKiB() int64 {
	runtime.GC()
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

var benchPostSeq atomic.Int64

func ingestPost(addr string, step int) error {
	id := fmt.Sprintf("18%017d", time.Now().UnixNano()%1e17+benchPostSeq.Add(1))
	body := fmt.Sprintf(`{"id":%q,"text":"Live on the wall, step %d #PyConAPAC #Elastic","author_id":"42","created_at":%q,`+
		`"edit_history_tweet_ids":[%q],"author":{"id":"42","username":"benchuser"}}`,
		id, step, time.Now().UTC().Format(time.RFC3339), id)
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/ingest/tweets", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+pagesIngest)
	req.Header.Set("Content-Type", "application/x-ndjson")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		return fmt.Errorf("ingest: %d %s", res.StatusCode, b)
	}
	return nil
}
