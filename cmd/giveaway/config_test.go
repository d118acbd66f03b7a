package main

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v3"

	"github.com/boothgiveaway/giveaway/internal/app"
)

// The README's configuration table is the operator's contract: every variable in it has a flag of
// serve named after it in kebab case, reading that variable.
func TestEveryConfigVariableHasItsFlag(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(readme), "## Configuration")
	table, _, _ = strings.Cut(table, "\n## ")
	envOf := map[string][]string{} // flag name → its variables
	for _, f := range append(newApp().Flags, serveCommand().Flags...) {
		if ef, ok := f.(interface{ GetEnvVars() []string }); ok {
			envOf[f.Names()[0]] = ef.GetEnvVars()
		}
	}
	names := regexp.MustCompile("`([A-Z][A-Z0-9_]+)`")
	n := 0
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		for _, m := range names.FindAllStringSubmatch(cells[1], -1) {
			n++
			v := m[1]
			flag := strings.ToLower(strings.ReplaceAll(v, "_", "-"))
			if !strings.Contains(" "+strings.Join(envOf[flag], " ")+" ", " "+v+" ") {
				t.Errorf("README lists %s, but serve has no --%s reading it", v, flag)
			}
		}
	}
	if n < 20 {
		t.Fatalf("read only %d variables from the README's configuration table", n)
	}
}

// A source's setting given as a flag reaches the source: the flags, not the sources, read the
// environment.
func TestSourceFlagsReachTheSources(t *testing.T) {
	var got app.Sources
	cmd := &cli.Command{Name: "t", Flags: sourceFlags(), Action: func(_ context.Context, cmd *cli.Command) error {
		got = sourceConfigFrom(cmd)
		return nil
	}}
	t.Setenv("X_PRICE_PER_POST", "0.25")
	t.Setenv("MASTODON_TOKEN", "from-env")
	if err := cmd.Run(context.Background(), []string{"t", "--x-price-per-post", "0.01", "--x-bearer-token", " tok ",
		"--mastodon-url", "https://m.example", "--bluesky-jetstream-url", "wss://j.example/subscribe"}); err != nil {
		t.Fatal(err)
	}
	if got.X.PricePerPost != 0.01 || got.X.BearerToken != "tok" || got.X.BaseURL != "https://api.x.com" ||
		got.Mastodon.BaseURL != "https://m.example" || got.Mastodon.Token != "from-env" ||
		got.Bluesky.JetstreamURL != "wss://j.example/subscribe" || got.Bluesky.AppViewURL != "https://public.api.bsky.app" {
		t.Errorf("%+v", got)
	}
	for _, on := range []func() (bool, error){got.X.Enabled, got.Mastodon.Enabled, got.Bluesky.Enabled} {
		if ok, err := on(); !ok || err != nil {
			t.Errorf("enabled %v, err %v", ok, err)
		}
	}
}
