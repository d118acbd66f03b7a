package esfeed

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/estest"
	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/report"
	"github.com/boothgiveaway/giveaway/internal/tweet"
)

// ingestLines stores v1.1 statuses through the one ingest path, as the HTTP endpoint does.
func ingestLines(t *testing.T, svc *ingest.Service, lines ...string) {
	t.Helper()
	items := make([]tweet.Item, len(lines))
	for i, l := range lines {
		it, err := tweet.Parse([]byte(l))
		if err != nil {
			t.Fatalf("parse %s: %v", l, err)
		}
		items[i] = it
	}
	if _, err := svc.Ingest(context.Background(), items); err != nil {
		t.Fatal(err)
	}
}

// status is a v1.1 status; extra is spliced in as more top-level fields.
func status(id, handle, text string, at time.Time, extra string) string {
	return fmt.Sprintf(`{"id_str":%q,"created_at":%q,"text":%q,"user":{"id_str":"9%s","screen_name":%q},"lang":"en"%s}`,
		id, at.Format(time.RubyDate), text, id, handle, extra)
}

// retweetOf is a v1.1 retweet of id embedding the original's retweet count, as the stream sends it.
func retweetOf(id, orig, origHandle string, count int, at time.Time) string {
	return status(id, "fan"+id, "RT @"+origHandle+": #PyConAPAC #Elastic booth", at,
		fmt.Sprintf(`,"retweet_count":%d,"retweeted_status":{"id_str":%q,"retweet_count":%d,"user":{"screen_name":%q}}`,
			count, orig, count, origHandle))
}

func docField(t *testing.T, s *estest.Server, index, id string, path ...string) any {
	t.Helper()
	d, ok := s.Doc(index, id)
	if !ok {
		t.Fatalf("%s/%s not indexed", index, id)
	}
	var v any
	if err := json.Unmarshal(d.Source, &v); err != nil {
		t.Fatal(err)
	}
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

func mostRetweeted(t *testing.T, r *report.Report) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, m := range r.MostRetweeted {
		out[m.ID] = m.Retweets
	}
	return out
}

// The bug of issue 13: a retweet carrying retweeted_status.retweet_count left the stored original
// at 0 in the index and out of the report. Counts now flow to both, only ever rise, and survive
// edits and the retweets' deletes; an original arriving after its retweets starts at their count.
func TestRetweetCountsFlow(t *testing.T) {
	pool := pgtest.New(t)
	s := estest.New(t)
	addCampaign(t, pool, "c1", "", "pyconapac", "elastic")
	svc := ingest.New(pool, nil)
	f := newFeeder(t, pool, s.URL, fastOptions())
	ctx := context.Background()
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	seoul, _ := time.LoadLocation("Asia/Seoul")
	day := at.In(seoul).Format("2006-01-02")
	rep := func() map[string]int64 {
		t.Helper()
		if _, err := f.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		r, err := report.BuildQuery(ctx, pool, "c1", day, "", "", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return mostRetweeted(t, r)
	}

	ingestLines(t, svc, status("1001", "kimjmin", "#PyConAPAC #Elastic booth", at, `,"retweet_count":0`))
	ingestLines(t, svc, retweetOf("2001", "1001", "kimjmin", 5, at.Add(time.Minute)))
	if got := rep(); got["1001"] != 5 {
		t.Fatalf("most_retweeted %v, want 1001 with 5", got)
	}
	if got := docField(t, s, "twitter-c1", "1001", "retweet_count"); got != 5.0 {
		t.Fatalf("original's document retweet_count %v, want 5", got)
	}
	if got := docField(t, s, "twitter-c1", "2001", "retweeted_status", "retweet_count"); got != 5.0 {
		t.Fatalf("retweet's document retweeted_status.retweet_count %v, want 5", got)
	}

	// A later retweet carrying an older, lower count never lowers it; an edit of the original
	// (a newer version with no count of its own) keeps it too.
	ingestLines(t, svc, retweetOf("2002", "1001", "kimjmin", 3, at.Add(2*time.Minute)))
	ingestLines(t, svc, status("1009", "kimjmin", "#PyConAPAC #Elastic booth (edited)", at,
		`,"retweet_count":0,"edit_history":{"initial_tweet_id":"1001"}`))
	if got := rep(); got["1001"] != 5 {
		t.Fatalf("after a lower count and an edit: %v, want 1001 with 5", got)
	}
	if got := docField(t, s, "twitter-c1", "1001", "text"); got != "#PyConAPAC #Elastic booth (edited)" {
		t.Fatalf("edit not indexed: %v", got)
	}

	// A quote raises quote_count the same way.
	ingestLines(t, svc, status("3001", "quoter", "so true #PyConAPAC", at.Add(3*time.Minute),
		`,"quoted_status_id_str":"1001","quoted_status":{"id_str":"1001","quote_count":2,"user":{"screen_name":"kimjmin"}}`))
	rep()
	if got := docField(t, s, "twitter-c1", "1001", "quote_count"); got != 2.0 {
		t.Fatalf("original's quote_count %v, want 2", got)
	}

	// Retweets first, original later (and in one batch with another retweet): the highest wins.
	ingestLines(t, svc, retweetOf("2101", "1101", "alice", 7, at.Add(time.Minute)))
	ingestLines(t, svc, status("1101", "alice", "#PyConAPAC #Elastic hello", at, `,"retweet_count":1`),
		retweetOf("2102", "1101", "alice", 8, at.Add(2*time.Minute)))
	if got := rep(); got["1101"] != 8 {
		t.Fatalf("late original: %v, want 1101 with 8", got)
	}

	// Deleting a retweet keeps the original's count (the count is X's, not ours); deleting the
	// original takes it out, and a late retweet cannot bring it back.
	ingestLines(t, svc, `{"delete":{"status":{"id_str":"2001"}}}`)
	if got := rep(); got["1001"] != 5 {
		t.Fatalf("after deleting a retweet: %v, want 1001 with 5", got)
	}
	ingestLines(t, svc, `{"delete":{"status":{"id_str":"1001"}}}`)
	ingestLines(t, svc, retweetOf("2003", "1001", "kimjmin", 9, at.Add(4*time.Minute)))
	got := rep()
	if _, ok := got["1001"]; ok {
		t.Fatalf("deleted original still reported: %v", got)
	}
	if _, ok := s.Doc("twitter-c1", "1001"); ok {
		t.Fatal("deleted original still indexed")
	}
}
