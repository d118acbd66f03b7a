package main

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/testkit"
)

const longToken = "0123456789abcdef0123456789abcdef-long"

// serveUntilExit runs serve and answers its output once it exits; a serve still running after
// the deadline is a serve that did not refuse.
func serveUntilExit(t *testing.T, bin string, env []string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("serve did not refuse to start:\n%s", out)
	}
	return string(out), err
}

// Behind a public URL, serve refuses the development tokens and short ones, naming the variable;
// on loopback (make run, the tests) anything goes.
func TestServeRefusesWeakTokensBehindAPublicURL(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dbURL := pgtest.NewURL(t)
	base := append(os.Environ(), "DATABASE_URL="+dbURL, "LISTEN_ADDR="+freeAddr(t), "X_BEARER_TOKEN=",
		"PUBLIC_BASE_URL=https://booth.example.org", "INGEST_SIGNING_SECRET=", "CSRF_KEY=")
	for _, c := range []struct {
		env  []string
		want string
	}{
		{[]string{"ADMIN_TOKEN=dev-admin-token", "INGEST_TOKEN=" + longToken}, "ADMIN_TOKEN"},
		{[]string{"ADMIN_TOKEN=short-but-random-8f3a", "INGEST_TOKEN=" + longToken}, "ADMIN_TOKEN"},
		{[]string{"ADMIN_TOKEN=" + longToken, "INGEST_TOKEN=dev-ingest-token"}, "INGEST_TOKEN"},
		{[]string{"ADMIN_TOKEN=" + longToken, "INGEST_TOKEN=" + longToken, "INGEST_SIGNING_SECRET=tiny"}, "INGEST_SIGNING_SECRET"},
		{[]string{"ADMIN_TOKEN=" + longToken, "INGEST_TOKEN=" + longToken, "CSRF_KEY=tiny"}, "CSRF_KEY"},
	} {
		out, err := serveUntilExit(t, bin, append(base, c.env...))
		if err == nil || !strings.Contains(out, c.want) || !strings.Contains(out, "32") {
			t.Errorf("serve with %v: err %v, output %s", c.env, err, out)
		}
	}
}

func TestLoopbackURLs(t *testing.T) {
	for u, want := range map[string]bool{"http://localhost:8080": true, "http://127.0.0.1:8080": true, "http://127.9.9.9": true,
		"http://[::1]:8080/": true, "https://booth.example.org": false, "http://10.0.0.5:8080": false,
		"http://localhost.evil.example": false, "": false} {
		if got := loopbackURL(u); got != want {
			t.Errorf("loopbackURL(%q) = %v", u, got)
		}
	}
}

// A slow-loris client (half a header, half a body) is cut off by the server's timeouts, while a
// live-update stream outlives them.
func TestServerTimeoutsCutSlowClientsButNotStreams(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dbURL := pgtest.NewURL(t)
	addr := freeAddr(t)
	env := append(os.Environ(), "DATABASE_URL="+dbURL, "LISTEN_ADDR="+addr, "X_BEARER_TOKEN=",
		"ADMIN_TOKEN="+longToken, "INGEST_TOKEN="+longToken, "PUBLIC_BASE_URL=https://booth.example.org",
		"READ_HEADER_TIMEOUT=300ms", "READ_TIMEOUT=600ms", "WRITE_TIMEOUT=600ms", "IDLE_TIMEOUT=600ms")
	if out, err := runBin(env, bin, "migrate"); err != nil {
		t.Fatalf("migrate: %v %s", err, out)
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
	testkit.WaitHTTP(t, base+"/healthz")
	post(t, base+"/api/v1/campaigns", longToken, `{"slug":"pycon","name":"PyCon","required_hashtags":["PyConAPAC"],
		"starts_at":"2016-08-13T00:00:00+09:00","ends_at":"2099-01-01T00:00:00Z","time_zone":"Asia/Seoul",
		"prizes":[{"key":"tshirt","name":"T-shirt","stock":5}]}`)

	// closedWithin sends the start of a request and reports whether the server hung up in time.
	closedWithin := func(start string) bool {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.Write([]byte(start))
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = conn.Read(make([]byte, 4096))
		for err == nil {
			_, err = conn.Read(make([]byte, 4096))
		}
		ne, ok := err.(net.Error)
		return !(ok && ne.Timeout())
	}
	if !closedWithin("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ") {
		t.Error("a half-sent header held its connection for 10 s")
	}
	if !closedWithin("POST /api/v1/campaigns/pycon/claims HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"han") {
		t.Error("a half-sent body held its connection for 10 s")
	}

	res, err := http.Get(base + "/c/pycon/wall/events")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("wall events: %v %v", err, res)
	}
	defer res.Body.Close()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// Outlive every timeout of the server, then publish.
	time.Sleep(1500 * time.Millisecond)
	post(t, base+"/api/v1/ingest/tweets", longToken, `{"id_str":"1","created_at":"`+time.Now().UTC().Format("Mon Jan 02 15:04:05 -0700 2006")+
		`","text":"#PyConAPAC","user":{"screen_name":"a"}}`)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the stream ended before the post arrived\n%s", logs.String())
			}
			if l == "event: posts" || l == "event: post" {
				return
			}
		case <-deadline:
			t.Fatalf("no post event on the stream\n%s", logs.String())
		}
	}
}
