package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/testkit"
)

// The first organiser is made on the service's machine, without the admin token: `giveaway admin
// create` (the PIN from standard input, so it stays out of the shell's history), who then logs in
// with name and PIN and may do what the admin token does. A short PIN is refused and says why.
func TestTheFirstAdminIsCreatedFromTheCommandLine(t *testing.T) {
	bin := buildBinary(t)
	dbURL := pgtest.NewURL(t)
	addr := freeAddr(t)
	env := append(os.Environ(), "DATABASE_URL="+dbURL, "LISTEN_ADDR="+addr, "ADMIN_TOKEN=", "INGEST_TOKEN=ing",
		"X_BEARER_TOKEN=")
	if out, err := runBin(env, bin, "migrate"); err != nil {
		t.Fatalf("migrate: %v %s", err, out)
	}
	create := func(pin string) (string, error) {
		cmd := exec.Command(bin, "admin", "create", "--name", "Ada", "--pin", "-")
		cmd.Env = env
		cmd.Stdin = strings.NewReader(pin + "\n")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := create("1234"); err == nil || !strings.Contains(out, "6") {
		t.Fatalf("a 4-digit PIN: err %v, output %s", err, out)
	}
	if out, err := create("135790"); err != nil || !strings.Contains(out, "admin Ada created") {
		t.Fatalf("admin create: %v %s", err, out)
	}

	srv := exec.Command(bin, "serve")
	srv.Env = env
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Process.Kill()
	base := "http://" + addr
	testkit.WaitHTTP(t, base+"/healthz")
	res, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"name":"Ada","pin":"135790"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Token string `json:"token"`
	}
	json.NewDecoder(res.Body).Decode(&login)
	res.Body.Close()
	if res.StatusCode != 200 || login.Token == "" {
		t.Fatalf("login as the new admin: %d", res.StatusCode)
	}
	post(t, base+"/api/v1/campaigns", login.Token, `{"slug":"first","name":"First","required_hashtags":["PyConAPAC"],
		"starts_at":"2026-01-01T00:00:00Z","ends_at":"2099-01-01T00:00:00Z","time_zone":"UTC",
		"prizes":[{"key":"tshirt","name":"T-shirt","stock":10}]}`)
}
