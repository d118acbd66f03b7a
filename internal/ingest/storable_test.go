package ingest_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/tweet"
)

// Sources that build posts themselves (Mastodon, Bluesky) can carry a NUL that PostgreSQL
// refuses; that post is dropped, and the rest of its batch is stored.
func TestAPostPostgreSQLCannotStoreDoesNotFailItsBatch(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	post := func(id, handle, text string) tweet.Item {
		raw, _ := json.Marshal(map[string]string{"id": id, "content": text})
		return tweet.Item{Post: &tweet.Post{Network: "mastodon", ID: id, VersionID: id, Handle: handle,
			CreatedAt: time.Now().UTC(), Text: text, Raw: raw}}
	}
	items := []tweet.Item{post("1", "ok@example.social", "fine"), post("2", "nul@example.social", "a\x00b"),
		post("3", "bad\xffutf@example.social", "x"), post("4", "ok2@example.social", "also fine")}
	res, err := ingest.New(pool, nil).Ingest(context.Background(), items)
	if err != nil {
		t.Fatalf("the batch failed: %v", err)
	}
	if res.Stored != 2 {
		t.Errorf("stored %d, want 2: %+v", res.Stored, res)
	}
}
