// Package testkit holds the waiting helpers the tests share: a condition polled until a
// deadline, and a server polled until it answers. A test waits for what it can observe, never
// for a fixed time.
package testkit

import (
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Deadline bounds every wait: long enough for a loaded CI machine running packages in parallel
// under -race, short enough that a real hang fails the test instead of the CI job.
const Deadline = 30 * time.Second

// Eventually polls cond until it holds, failing the test with what if Deadline passes first.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	EventuallyDescribed(t, cond, func() string { return what })
}

// EventuallyDescribed is Eventually with a message computed when it fails (the state seen last).
func EventuallyDescribed(t testing.TB, cond func() bool, describe func() string) {
	t.Helper()
	poll(t, Deadline, cond, describe)
}

func poll(t testing.TB, within time.Duration, cond func() bool, describe func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", describe())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitHTTP waits until url answers at all (any status): a server started by the test is up.
func WaitHTTP(t testing.TB, url string) {
	t.Helper()
	c := &http.Client{Timeout: time.Second}
	Eventually(t, url+" to answer", func() bool {
		resp, err := c.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})
}

// SQLFiles calls each with the path and text of every .sql file of the repository (migrations,
// queries), for tests that check Go constants against what the SQL spells out. The walk starts
// two levels up, where a package under internal/ finds the repository's root.
func SQLFiles(t testing.TB, each func(path, text string)) {
	t.Helper()
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".sql") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		each(path, string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
