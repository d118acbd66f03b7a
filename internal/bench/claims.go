package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

const (
	claimRate     = 1000 // requests a second, open loop
	claimDuration = 10 * time.Second
	closedWorkers = 32
	closedFor     = 5 * time.Second
)

func init() {
	Register(Benchmark{Name: "claims", Run: runClaims})
}

// claimTargeter makes every request a new person, as at the booth.
func claimTargeter(url, prefix string) vegeta.Targeter {
	var n atomic.Int64
	hdr := http.Header{"Content-Type": {"application/json"}}
	return func(t *vegeta.Target) error {
		t.Method, t.URL, t.Header = "POST", url, hdr
		t.Body = []byte(`{"handle":"` + prefix + strconv.FormatInt(n.Add(1), 36) + `"}`)
		return nil
	}
}

func attack(tr vegeta.Targeter, pace vegeta.Pacer, d time.Duration, opts ...func(*vegeta.Attacker)) vegeta.Metrics {
	var m vegeta.Metrics
	a := vegeta.NewAttacker(append([]func(*vegeta.Attacker){vegeta.KeepAlive(true), vegeta.Timeout(5 * time.Second)}, opts...)...)
	for r := range a.Attack(tr, pace, d, "claims") {
		m.Add(r)
	}
	m.Close()
	return m
}

func runClaims(ctx context.Context, env *Env) ([]Result, error) {
	s, err := newService(ctx, env)
	if err != nil {
		return nil, err
	}
	defer s.close()
	if err := s.campaign("bench", 10); err != nil {
		return nil, err
	}
	url := s.srv.URL + "/api/v1/campaigns/bench/claims"

	// A booth's service is warm: its connection pools are open before the queue forms. Without
	// this second, the first requests of the measured run pay for dialling and preparing.
	attack(claimTargeter(url, "w"), vegeta.Rate{Freq: claimRate, Per: time.Second}, 2*time.Second)
	env.Logf("claims: open loop, %d/s for %s", claimRate, claimDuration)
	open := attack(claimTargeter(url, "o"), vegeta.Rate{Freq: claimRate, Per: time.Second}, claimDuration)
	if open.Success < 0.999 {
		return nil, fmt.Errorf("claims: only %.1f%% succeeded: %v", open.Success*100, open.Errors)
	}

	env.Logf("claims: closed loop, %d workers for %s, against the floor", closedWorkers, closedFor)
	max := func(a *vegeta.Attacker) { vegeta.MaxWorkers(closedWorkers)(a); vegeta.Workers(closedWorkers)(a) }
	closed := attack(claimTargeter(url, "c"), vegeta.Rate{Freq: 0}, closedFor, max)

	floorURL, stop, err := floorServer(ctx, s)
	if err != nil {
		return nil, err
	}
	defer stop()
	floor := attack(claimTargeter(floorURL, "f"), vegeta.Rate{Freq: 0}, closedFor, max)
	if closed.Success < 0.999 || floor.Success < 0.999 {
		return nil, fmt.Errorf("claims: closed loop success %.3f, floor %.3f: %v %v", closed.Success, floor.Success,
			closed.Errors, floor.Errors)
	}
	return []Result{
		{"claim_p99_ms", fmt.Sprintf("%.2f", float64(open.Latencies.P99.Microseconds())/1000)},
		{"claim_p50_ms", fmt.Sprintf("%.2f", float64(open.Latencies.P50.Microseconds())/1000)},
		{"claim_closed_per_s", fmt.Sprintf("%.0f", closed.Throughput)},
		{"claim_floor_per_s", fmt.Sprintf("%.0f", floor.Throughput)},
		{"claim_vs_floor", fmt.Sprintf("%.2f", closed.Throughput/floor.Throughput)},
	}, nil
}

func floorCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 6)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}

// floorServer is the least this stack can do for a claim: a bare Echo handler decoding the same
// JSON and running one INSERT ... ON CONFLICT into a table shaped like claims.
func floorServer(ctx context.Context, s *service) (string, func(), error) {
	if _, err := s.pool.Exec(ctx, `CREATE TABLE claims_floor (LIKE claims INCLUDING ALL)`); err != nil {
		return "", nil, err
	}
	e := echo.New()
	e.POST("/floor", func(c echo.Context) error {
		var in struct {
			Handle string `json:"handle"`
		}
		if err := json.NewDecoder(c.Request().Body).Decode(&in); err != nil {
			return err
		}
		// Each claim needs its own short code, as in the real endpoint.
		_, err := s.pool.Exec(c.Request().Context(), `INSERT INTO claims_floor (campaign_id, network, handle, handle_norm, code)
			VALUES (1, 'twitter', $1, $2, $3) ON CONFLICT DO NOTHING`,
			in.Handle, strings.ToLower(in.Handle), floorCode())
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, map[string]string{"handle": in.Handle})
	})
	srv := httptest.NewServer(e)
	return srv.URL + "/floor", srv.Close, nil
}
