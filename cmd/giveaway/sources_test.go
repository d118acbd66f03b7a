package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/bluesky/blueskytest"
	"github.com/boothgiveaway/giveaway/internal/estest"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/mastodon/mastodontest"
	"github.com/boothgiveaway/giveaway/internal/notify"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/testkit"
)

// The open networks through the binary as an operator configures it: Mastodon and Bluesky posts
// verify the attendees' claims, show on the live wall, and the sources report in /readyz.
func TestServeReadsMastodonAndBluesky(t *testing.T) {
	bin := buildBinary(t)
	dbURL := pgtest.NewURL(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	// The campaign exists before serve starts, so the sources follow its hashtag at once.
	if _, err := giveaway.New(pool).CreateCampaign(ctx, giveaway.CampaignInput{Slug: "pycon", Name: "PyCon",
		RequiredHashtags: []string{"PyConAPAC", "Elastic"}, StartsAt: time.Now().Add(-time.Hour),
		EndsAt: time.Now().Add(24 * time.Hour), TimeZone: "Asia/Seoul",
		Prizes: []giveaway.PrizeInput{{Key: "tshirt", Name: "T-shirt", Stock: 5}}}); err != nil {
		t.Fatal(err)
	}

	masto := mastodontest.New("masto-token")
	defer masto.Close()
	sky := blueskytest.New(t)
	sky.SetProfile("did:plc:jisu", "jisu.bsky.social")

	es := estest.New(t)

	addr := freeAddr(t)
	env := append(os.Environ(), "DATABASE_URL="+dbURL, "LISTEN_ADDR="+addr, "ADMIN_TOKEN=adm", "X_BEARER_TOKEN=",
		"ELASTICSEARCH_URL="+es.URL, "MASTODON_URL="+masto.URL, "MASTODON_TOKEN=masto-token",
		"BLUESKY_JETSTREAM_URL="+sky.JetstreamURL(), "BLUESKY_APPVIEW_URL="+sky.AppViewURL())
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

	mastoClaim := postJSON(t, base+"/api/v1/campaigns/pycon/claims", "", `{"network":"mastodon","handle":"@minji@mastodon.example"}`)
	skyClaim := postJSON(t, base+"/api/v1/campaigns/pycon/claims", "", `{"network":"bluesky","handle":"jisu"}`)

	testkit.Eventually(t, "the Mastodon hashtag stream is open", func() bool { return masto.StreamsOpen("pyconapac") > 0 })
	masto.Publish(masto.Toot("minji", "Elastic 부스 최고 #PyConAPAC #Elastic"))
	masto.Publish(masto.Toot("other", "only one tag #PyConAPAC"))

	if !sky.WaitSubscribes(1, 30*time.Second) {
		t.Fatalf("Bluesky Jetstream never subscribed; logs:\n%s", logs.String())
	}
	text := "블루스카이에서 인사 #PyConAPAC #Elastic"
	sky.Push(blueskytest.Create("did:plc:jisu", "3kpost1", blueskytest.Post{Type: "app.bsky.feed.post",
		CreatedAt: time.Now().UTC().Format(time.RFC3339Nano), Text: text, Langs: []string{"ko"},
		Facets: blueskytest.TagFacets(text, "PyConAPAC", "Elastic")}))

	for _, c := range []map[string]any{mastoClaim, skyClaim} {
		tok := c["token"].(string)
		testkit.Eventually(t, c["network"].(string)+" claim verified", func() bool {
			return strings.Contains(get(t, base+"/api/v1/claims/"+tok), `"status":"verified"`)
		})
	}
	wall := get(t, base+"/c/pycon/wall")
	for _, want := range []string{"Elastic 부스 최고", "블루스카이에서 인사", "minji@mastodon.example", "jisu.bsky.social"} {
		if !strings.Contains(wall, want) {
			t.Errorf("the wall lacks %q", want)
		}
	}
	if strings.Contains(wall, "only one tag") {
		t.Error("a post lacking a hashtag reached the wall")
	}
	// A campaign created while the service runs is followed at once, not at the next minute's
	// re-read: the creation's notice reaches the sources.
	postJSON(t, base+"/api/v1/campaigns", "adm", `{"slug":"devfest","name":"DevFest","required_hashtags":["DevFest"],
		"starts_at":"2016-08-13T00:00:00+09:00","ends_at":"2099-01-01T00:00:00Z","time_zone":"Asia/Seoul",
		"prizes":[{"key":"mug","name":"Mug","stock":5}]}`)
	testkit.Eventually(t, "the new campaign's hashtag stream is open", func() bool { return masto.StreamsOpen("devfest") > 0 })

	ready := get(t, base+"/readyz")
	for _, want := range []string{`"mastodon":{`, `"bluesky":{`} {
		if !strings.Contains(ready, want) {
			t.Errorf("/readyz lacks %s: %s", want, ready)
		}
	}
	// The pages, the sources and the Elasticsearch feeder share the process's one LISTEN
	// session: the feeder drains the outbox, and no other session ever ran LISTEN.
	testkit.Eventually(t, "the feeder drained the outbox", func() bool {
		var pending int
		return pool.QueryRow(ctx, "SELECT count(*) FROM outbox WHERE done_at IS NULL").Scan(&pending) == nil && pending == 0
	})
	var listeners, others int
	if err := pool.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE application_name = $1),
		       count(*) FILTER (WHERE application_name <> $1 AND query ILIKE 'LISTEN%')
		FROM pg_stat_activity WHERE datname = current_database()`, notify.ApplicationName).Scan(&listeners, &others); err != nil {
		t.Fatal(err)
	}
	if listeners != 1 || others != 0 {
		t.Errorf("LISTEN sessions: %d of the listener and %d others, want 1 and 0", listeners, others)
	}
	if t.Failed() {
		t.Logf("service logs:\n%s", logs.String())
	}
}
