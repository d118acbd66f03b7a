package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// make run tells a newcomer, before it serves, the development tokens it uses, how to create the
// first organiser and where to go; a token the operator set is never printed.
func TestMakeRunPrintsTheDevelopmentTokensButNeverTheOperators(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make run needs make")
	}
	// make -n run: the commands make run would run, the banner's echoes among them, as make run
	// itself expands them (not through a sub-make, which would see every token as set outside).
	banner := func(env ...string) string {
		t.Helper()
		cmd := exec.Command("make", "-n", "run")
		cmd.Dir = "../.."
		// What make run's shell sees: none of the variables the banner reads come from outside.
		for _, kv := range os.Environ() {
			switch strings.SplitN(kv, "=", 2)[0] {
			case "ADMIN_TOKEN", "INGEST_TOKEN", "LISTEN_ADDR", "PUBLIC_BASE_URL", "MAKEFLAGS", "MAKELEVEL":
				continue
			}
			cmd.Env = append(cmd.Env, kv)
		}
		cmd.Env = append(cmd.Env, env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make banner: %v\n%s", err, out)
		}
		return string(out)
	}

	dev := banner()
	for _, want := range []string{"ADMIN_TOKEN=dev-admin-token", "INGEST_TOKEN=dev-ingest-token",
		"admin create --name", "--pin -", "http://localhost:8080/"} {
		if !strings.Contains(dev, want) {
			t.Errorf("the development banner lacks %q:\n%s", want, dev)
		}
	}

	own := banner("ADMIN_TOKEN=operators-admin-secret", "INGEST_TOKEN=operators-ingest-secret",
		"LISTEN_ADDR=127.0.0.1:9090")
	for _, secret := range []string{"operators-admin-secret", "operators-ingest-secret", "dev-admin-token"} {
		if strings.Contains(own, secret) {
			t.Errorf("the banner printed %q, which the operator set:\n%s", secret, own)
		}
	}
	if !strings.Contains(own, "http://127.0.0.1:9090/") {
		t.Errorf("the banner does not point at LISTEN_ADDR:\n%s", own)
	}
}
