package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/testkit"
)

var tourBlock = regexp.MustCompile("(?s)## A five-minute tour\n.*?```sh\n(.*?)```")

// The README's tour runs as written: its shell block, against the built binary (started here
// instead of `make run`, on a free port instead of 8080, with the development tokens make run
// uses), from the repository's root, where the sample posts file lives. A step that fails stops
// the script (curl --fail-with-body, set -e) and fails the test; at the end the attendee's claim
// is verified by the sample post.
func TestTheReadmeTourRunsAsWritten(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("the tour needs curl (.ci/run installs it)")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := tourBlock.FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no tour block")
	}
	script := string(m[1])
	if !strings.HasPrefix(script, "make run &\n") {
		t.Fatalf("the tour no longer starts with make run: %q", script)
	}

	bin := buildBinary(t)
	dbURL := pgtest.NewURL(t)
	addr := freeAddr(t)
	env := append(os.Environ(), "DATABASE_URL="+dbURL, "LISTEN_ADDR="+addr, "ADMIN_TOKEN=dev-admin-token",
		"INGEST_TOKEN=dev-ingest-token", "PUBLIC_BASE_URL=http://"+addr, "X_BEARER_TOKEN=")
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
	testkit.WaitHTTP(t, "http://"+addr+"/healthz")

	script = strings.TrimPrefix(script, "make run &\n")
	script = strings.ReplaceAll(script, "localhost:8080", addr)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	sh := exec.Command("bash", "-euo", "pipefail", "-c", script)
	sh.Dir = root
	out, err := sh.CombinedOutput()
	if err != nil {
		t.Fatalf("the tour failed: %v\n%s\nserver:\n%s", err, out, logs.String())
	}
	for _, want := range []string{`"slug":"pyconapac2016"`, `"name":"Janis"`, `"status":"pending"`, `"stored":5`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the tour's output lacks %s:\n%s", want, out)
		}
	}
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var status, proof string
	if err := conn.QueryRow(context.Background(), `SELECT status, coalesce(verified_by, '') FROM claims
		WHERE handle_norm = 'kimjmin'`).Scan(&status, &proof); err != nil {
		t.Fatal(err)
	}
	if status != "verified" || proof != "handle" {
		t.Fatalf("after the tour @kimjmin's claim is %s by %q, want verified by handle", status, proof)
	}
}
