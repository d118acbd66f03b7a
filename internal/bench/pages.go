package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/boothgiveaway/giveaway/internal/app"
	"github.com/boothgiveaway/giveaway/internal/database"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
)

// The pages benchmark: how many live walls one instance feeds (a post must reach every open
// SSE connection within a second), and what the claim page weighs on a phone.
const (
	pagesSlug   = "benchpages"
	pagesIngest = "bench-pages-ingest"
	sseDeadline = time.Second
)

// sseSteps are the connection counts tried in turn; the last that passes is the figure.
var sseSteps = []int{1000, 2500, 5000, 7500, 9000}

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
	clients, err := sseClients(ctx, env, s)
	if err != nil {
		return nil, err
	}
	return []Result{
		{Key: "claim_page_bytes", Value: strconv.Itoa(weight)},
		{Key: "sse_clients", Value: strconv.Itoa(clients)},
	}, nil
}

// raiseFileLimit lifts the soft open-files limit to the hard one: every connection costs a
// descriptor on each side.
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

// sseClients opens walls in steps and, at each step, ingests one post and times its arrival at
// every wall. The answer is the largest step where all got it within sseDeadline.
func sseClients(ctx context.Context, env *Env, s *pagesServer) (int, error) {
	var (
		mu      sync.Mutex
		arrived []chan time.Time
		conns   []net.Conn
	)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	best := 0
	for step, target := range sseSteps {
		for len(conns) < target {
			c, got, err := openWall(s.addr)
			if err != nil {
				env.Logf("pages: opening SSE connection %d: %v", len(conns)+1, err)
				return best, nil
			}
			mu.Lock()
			conns, arrived = append(conns, c), append(arrived, got)
			mu.Unlock()
		}
		time.Sleep(200 * time.Millisecond) // let the last subscriptions register
		start := time.Now()
		if err := ingestPost(s.addr, step); err != nil {
			return best, err
		}
		var slowest time.Duration
		reached := 0
		deadline := time.After(5 * time.Second)
	wait:
		for _, ch := range arrived {
			select {
			case at := <-ch:
				reached++
				slowest = max(slowest, at.Sub(start))
			case <-deadline:
				break wait
			}
		}
		env.Logf("pages: %d SSE connections: %d got the post, the last after %s", target, reached, slowest)
		if reached < target || slowest > sseDeadline {
			break
		}
		best = target
	}
	return best, nil
}

// openWall opens one wall's event stream on a bare connection (far lighter than an HTTP client
// per connection) and reports each post's arrival time.
func openWall(addr string) (net.Conn, chan time.Time, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(c, "GET /c/%s/wall/events HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n", pagesSlug)
	r := bufio.NewReaderSize(c, 1024)
	status, err := r.ReadString('\n')
	if err != nil || !strings.Contains(status, " 200 ") {
		c.Close()
		return nil, nil, fmt.Errorf("wall stream answered %q: %v", strings.TrimSpace(status), err)
	}
	got := make(chan time.Time, 16)
	go func() {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(line, "event: post") {
				select {
				case got <- time.Now():
				default:
				}
			}
		}
	}()
	return c, got, nil
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
