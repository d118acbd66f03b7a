package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/app"
	"github.com/boothgiveaway/giveaway/internal/draw"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
)

// record is a revealed draw's public record as the API writes it (the pool last).
func record(t *testing.T, n int) []byte {
	t.Helper()
	pool := make([]string, n)
	for i := range pool {
		s := sha256.Sum256(fmt.Appendf(nil, "%d", i))
		pool[i] = hex.EncodeToString(s[:8])
	}
	slices.Sort(pool)
	seed := bytes.Repeat([]byte{3}, 32)
	r := draw.Draw(pool, draw.Key(seed, "round 7"), 2, 2)
	h, _ := draw.PoolHash(pool)
	picks := func(ids []string) []map[string]string {
		out := []map[string]string{}
		for _, id := range ids {
			out = append(out, map[string]string{"entry_id": id})
		}
		return out
	}
	head, _ := json.Marshal(map[string]any{"state": "revealed", "algorithm": draw.Algorithm, "entrants": n,
		"pool_hash": h, "seed_commit": draw.Commit(seed), "seed": hex.EncodeToString(seed), "beacon": "round 7",
		"winners": picks(r.Winners), "backups": picks(r.Backups)})
	p, _ := json.Marshal(pool)
	return append(append(head[:len(head)-1], `,"pool":`...), append(p, '}')...)
}

// giveaway draw verify exits 0 (the command returns nil) only when everything recomputes, from a
// file or a URL, and says what failed otherwise.
func TestDrawVerifyCommand(t *testing.T) {
	good := record(t, 2000)
	dir := t.TempDir()
	file := filepath.Join(dir, "draw.json")
	os.WriteFile(file, good, 0o600)
	run := func(src string) (string, error) {
		var out bytes.Buffer
		app := newApp()
		app.Writer = &out
		err := app.Run(context.Background(), []string{"giveaway", "draw", "verify", src})
		return out.String(), err
	}
	if out, err := run(file); err != nil || !strings.Contains(out, "draw verified: 2000 entrants") {
		t.Fatalf("an honest record: %v %s", err, out)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(good) }))
	defer srv.Close()
	if out, err := run(srv.URL + "/api/v1/draws/1"); err != nil || !strings.Contains(out, "draw verified") {
		t.Fatalf("the same record by URL: %v %s", err, out)
	}
	var doc map[string]any
	json.Unmarshal(good, &doc)
	entry := doc["pool"].([]any)[100].(string)
	for name, bad := range map[string][]byte{
		"an entry changed": bytes.Replace(good, []byte(`"`+entry+`"`), []byte(`"`+entry[:15]+`z"`), 1),
		"the seed changed": bytes.Replace(good, []byte(`"seed":"03`), []byte(`"seed":"04`), 1),
		"the beacon":       bytes.Replace(good, []byte(`"beacon":"round 7"`), []byte(`"beacon":"round 8"`), 1),
		"cut short":        good[:len(good)/2],
	} {
		if bytes.Equal(bad, good) {
			t.Fatalf("%s: the tampering changed nothing", name)
		}
		os.WriteFile(file, bad, 0o600)
		if out, err := run(file); err == nil || strings.Contains(out, "draw verified") {
			t.Errorf("%s: verified (%s)", name, out)
		}
	}
	if _, err := run(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file verified")
	}
}

// The record the service publishes verifies with the command, fetched by URL as an onlooker would.
func TestDrawVerifyAgainstTheService(t *testing.T) {
	pool := pgtest.New(t)
	a, err := app.New(pool, app.Config{AdminToken: "test-admin-token-for-the-draw-verify", ClaimsPerMinute: 6000, SessionTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Echo)
	defer srv.Close()
	call := func(path, body string) map[string]any {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer test-admin-token-for-the-draw-verify")
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		json.NewDecoder(res.Body).Decode(&out)
		if res.StatusCode >= 300 {
			t.Fatalf("%s: %d %v", path, res.StatusCode, out)
		}
		return out
	}
	call("/api/v1/campaigns", `{"slug":"booth","name":"Booth","required_hashtags":["PyConAPAC"],
		"starts_at":"2026-01-01T00:00:00Z","ends_at":"2099-01-01T00:00:00Z","time_zone":"UTC",
		"prizes":[{"key":"tshirt","name":"T-shirt","stock":10}]}`)
	for i := range 30 {
		call("/api/v1/campaigns/booth/manual-claims", fmt.Sprintf(`{"network":"twitter","handle":"fan%d"}`, i))
	}
	id := fmt.Sprint(call("/api/v1/campaigns/booth/draws", `{"prize":"Keyboard","winners":2,"backups":2}`)["id"])
	call("/api/v1/draws/"+id+"/commit", "")
	call("/api/v1/draws/"+id+"/reveal", `{"beacon":"drand 5150"}`)
	var out bytes.Buffer
	if err := verifyDraw(context.Background(), srv.URL+"/api/v1/draws/"+id, &out); err != nil || !strings.Contains(out.String(), "30 entrants") {
		t.Fatalf("the service's record: %v %s", err, out.String())
	}
}
