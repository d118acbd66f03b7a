package app_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/boothgiveaway/giveaway/internal/app"
	"github.com/boothgiveaway/giveaway/internal/bluesky"
	"github.com/boothgiveaway/giveaway/internal/mastodon"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/xstream"
)

// A source configured by half fails the build, so a typo is found at boot, not on the day.
func TestNewRefusesAHalfConfiguredSource(t *testing.T) {
	t.Parallel()
	_, err := app.New(pgtest.New(t), app.Config{Sources: app.Sources{Mastodon: mastodon.Config{BaseURL: "https://m.example"}}})
	if err == nil || !strings.Contains(err.Error(), "MASTODON_TOKEN") {
		t.Fatalf("err %v, want one naming MASTODON_TOKEN", err)
	}
}

// The sources cfg turns on report in /readyz under their names, and into the shared metric
// families labelled by source.
func TestSourcesReportInReadyzAndMetrics(t *testing.T) {
	t.Parallel()
	a, err := app.New(pgtest.New(t), app.Config{Sources: app.Sources{
		X:       xstream.Config{BearerToken: "tok"},
		Bluesky: bluesky.Config{JetstreamURL: "wss://jetstream.example/subscribe"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Sources) != 2 {
		t.Fatalf("%d sources, want X and Bluesky", len(a.Sources))
	}
	srv := httptest.NewServer(a.Echo)
	defer srv.Close()
	get := func(path string) string {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	ready := get("/readyz")
	for _, want := range []string{`"x_stream":{`, `"bluesky":{`, `"rules":0`, `"posts_kept":0`, `"leader":false`} {
		if !strings.Contains(ready, want) {
			t.Errorf("/readyz lacks %s: %s", want, ready)
		}
	}
	metrics := get("/metrics")
	for _, want := range []string{`giveaway_source_leader{source="x_stream"} 0`, `giveaway_source_connected{source="bluesky"} 0`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
