package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/testkit"
)

// The binary as an operator runs it: the schema check, migrate, serve, /readyz, /metrics, and a
// SIGTERM that lets an in-flight request finish.
func TestBinaryServesAndShutsDownGracefully(t *testing.T) {
	bin := buildBinary(t)
	dbURL := pgtest.NewURL(t)
	// An empty schema: serve must refuse and say how to migrate.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	conn.Exec(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`)
	conn.Close(ctx)

	addr := freeAddr(t)
	env := append(os.Environ(), "DATABASE_URL="+dbURL, "LISTEN_ADDR="+addr, "ADMIN_TOKEN=adm",
		"INGEST_TOKEN=ing", "X_BEARER_TOKEN=")
	out, err := runBin(env, bin, "serve")
	if err == nil || !strings.Contains(out, "giveaway migrate") {
		t.Fatalf("serve on an empty schema: err %v, output %s", err, out)
	}
	// Every line is JSON, the fatal one included.
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var l struct{ Level, Msg string }
		if err := json.Unmarshal([]byte(line), &l); err != nil || l.Level == "" {
			t.Errorf("log line is not JSON: %s", line)
		}
	}
	if v, err := runBin(env, bin, "--version"); err != nil || !strings.HasPrefix(v, "giveaway version ") {
		t.Errorf("--version: %v %s", err, v)
	}
	if out, err := runBin(env, bin, "migrate"); err != nil {
		t.Fatalf("migrate: %v %s", err, out)
	}
	if out, err := runBin(env, bin, "migrate"); err != nil {
		t.Fatalf("migrate twice: %v %s", err, out)
	}

	srv := exec.Command(bin, "serve")
	srv.Env = env
	var logs bytes.Buffer
	srv.Stdout, srv.Stderr = &logs, &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Process.Kill()
	base := "http://" + addr
	testkit.WaitHTTP(t, base+"/readyz")
	if body := get(t, base+"/readyz"); !strings.Contains(body, `"database":"ok"`) {
		t.Fatalf("readyz: %s", body)
	}
	if out, err := runBin(env, bin, "healthcheck"); err != nil {
		t.Fatalf("healthcheck of a running server: %v %s", err, out)
	}
	post(t, base+"/api/v1/campaigns", "adm", `{"slug":"pycon","name":"PyCon","required_hashtags":["PyConAPAC","Elastic"],
		"starts_at":"2016-08-13T00:00:00+09:00","ends_at":"2099-01-01T00:00:00Z","time_zone":"Asia/Seoul",
		"prizes":[{"key":"tshirt","name":"T-shirt","stock":5}]}`)
	post(t, base+"/api/v1/ingest/tweets", "ing", `{"id_str":"1","created_at":"Sat Aug 13 05:00:00 +0000 2016","text":"#PyConAPAC #Elastic","user":{"screen_name":"a"}}`)
	metrics := get(t, base+"/metrics")
	for _, want := range []string{`giveaway_posts_ingested_total{outcome="stored"} 1`, "giveaway_http_requests_total",
		"giveaway_claims_created_total 0", `giveaway_build_info{goversion="go`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// An attendee's page holds a live-update stream open; shutdown must not wait for it.
	claim := postJSON(t, base+"/api/v1/campaigns/pycon/claims", "", `{"handle":"sse_user"}`)
	metrics = get(t, base+"/metrics")
	for _, want := range []string{"giveaway_claims_created_total 1", "giveaway_claim_batch_size_count 1"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics after a claim lacks %s", want)
		}
	}
	sse, err := http.Get(base + "/claims/" + claim["token"].(string) + "/events")
	if err != nil || sse.StatusCode != 200 {
		t.Fatalf("claim events: %v %v", err, sse)
	}
	defer sse.Body.Close()

	// A slow upload is in flight when SIGTERM arrives; it must still be answered.
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", base+"/api/v1/ingest/tweets", pr)
		req.Header.Set("Authorization", "Bearer ing")
		req.Header.Set("Content-Type", "application/x-ndjson")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	fmt.Fprintln(pw, `{"id_str":"2","created_at":"Sat Aug 13 05:00:00 +0000 2016","text":"#PyConAPAC","user":{"screen_name":"b"}}`)
	// Real time on purpose: the other process gives no signal that the line was read, and the
	// test is that a request still being sent when SIGTERM arrives is served in full.
	time.Sleep(300 * time.Millisecond)
	srv.Process.Signal(syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond) // SIGTERM lands while the body is still open
	pw.Close()
	if code := <-done; code != 200 {
		t.Fatalf("in-flight request during shutdown answered %d\n%s", code, logs.String())
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("serve still running 10 s after SIGTERM (an open event stream holds it?)\n%s", logs.String())
	}
	if out, err := runBin(env, bin, "healthcheck"); err == nil {
		t.Errorf("healthcheck passed with the server gone: %s", out)
	}
	// One JSON access line per request, naming its id; never the claim's token from its URL.
	if !strings.Contains(logs.String(), `"msg":"request","request_id":"`) ||
		!strings.Contains(logs.String(), `"route":"/claims/:token/events"`) ||
		strings.Contains(logs.String(), claim["token"].(string)) {
		t.Errorf("access log:\n%s", logs.String())
	}
}

func postJSON(t *testing.T, url, token, body string) map[string]any {
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode >= 300 {
		t.Fatalf("POST %s: %d %v %v", url, resp.StatusCode, out, err)
	}
	return out
}

func runBin(env []string, bin string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func get(t *testing.T, url string) string {
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func post(t *testing.T, url, token, body string) {
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, b)
	}
}

// buildBinary builds the giveaway binary, as an operator would run it, into a temporary folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "giveaway")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}
