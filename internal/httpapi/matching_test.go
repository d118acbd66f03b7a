package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/httpapi"
)

func TestClaimThenTweetVerifiesInTheIngestTransaction(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	c := e.claim("pycon", "@KimJMin")
	if c.Status != 201 || c.Body["status"] != "pending" {
		t.Fatalf("claim: %d %s", c.Status, c.Raw)
	}
	got := e.ingest(v1("766000000000000001", "kimjmin", "Booth! #PyConAPAC #Elastic", during, "PyConAPAC", "Elastic"))
	if got.Body["stored"] != 1.0 || got.Body["eligible"] != 1.0 || got.Body["matched"] != 1.0 {
		t.Fatalf("ingest answer %s", got.Raw)
	}
	if s := e.claimStatus(c.Body["token"].(string)); s != "verified" {
		t.Fatalf("status %q after the tweet, want verified", s)
	}
}

func TestTweetThenClaimIsVerifiedAtOnce(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	e.ingest(v2("766000000000000002", "Elastic_Korea", "#pyconapac 부스에 오세요 #ELASTIC", during, map[string]any{
		"entities": map[string]any{"hashtags": []map[string]any{{"tag": "pyconapac"}, {"tag": "ELASTIC"}}}}))
	c := e.claim("pycon", "elastic_korea")
	if c.Status != 201 || c.Body["status"] != "verified" || c.Body["tweet_id"] != "766000000000000002" {
		t.Fatalf("claim after tweet: %d %s", c.Status, c.Raw)
	}
}

func TestHashtagsMatchAcrossWidthCaseAndScript(t *testing.T) {
	e := newEnv(t)
	e.campaign("kr", campaignOpts{tags: []string{"파이콘", "Elastic"}})
	// No entities: the hashtags come from the text, full-width ＃ and letters included.
	line := `{"id_str":"766000000000000003","created_at":"Sat Aug 13 05:00:00 +0000 2016",` +
		`"text":"오늘 #파이콘 에서 ＃ＥＬＡＳＴＩＣ 스티커 받았어요","user":{"screen_name":"minji"}}`
	if r := e.ingest(line); r.Body["eligible"] != 1.0 {
		t.Fatalf("full-width/Korean tags not eligible: %s", r.Raw)
	}
	if c := e.claim("kr", "MINJI"); c.Body["status"] != "verified" {
		t.Fatalf("claim: %s", c.Raw)
	}
}

func TestOnlyTheAuthorsOwnPostCounts(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	retweet := `{"id_str":"766000000000000010","created_at":"Sat Aug 13 05:00:00 +0000 2016",` +
		`"text":"RT @kimjmin: Booth! #PyConAPAC #Elastic","user":{"screen_name":"fan1"},` +
		`"entities":{"hashtags":[{"text":"PyConAPAC"},{"text":"Elastic"}]},` +
		`"retweeted_status":{"id_str":"766000000000000001","text":"Booth! #PyConAPAC #Elastic","user":{"screen_name":"kimjmin"},` +
		`"created_at":"Sat Aug 13 04:00:00 +0000 2016","entities":{"hashtags":[{"text":"PyConAPAC"},{"text":"Elastic"}]}}}`
	v2Retweet := v2("766000000000000011", "fan2", "RT @kimjmin: Booth! #PyConAPAC #Elastic", during, map[string]any{
		"referenced_tweets": []map[string]any{{"type": "retweeted", "id": "766000000000000001"}},
		"entities":          map[string]any{"hashtags": []map[string]any{{"tag": "PyConAPAC"}, {"tag": "Elastic"}}}})
	quoteOwnTags := v2("766000000000000012", "fan3", "Going! #PyConAPAC #Elastic", during, map[string]any{
		"referenced_posts": []map[string]any{{"type": "quoted", "id": "766000000000000001"}},
		"entities":         map[string]any{"hashtags": []map[string]any{{"tag": "PyConAPAC"}, {"tag": "Elastic"}}}})
	quoteBorrowedTags := v2("766000000000000013", "fan4", "this!", during, map[string]any{
		"referenced_tweets": []map[string]any{{"type": "quoted", "id": "766000000000000001"}}})
	r := e.ingest(retweet, v2Retweet, quoteOwnTags, quoteBorrowedTags)
	if r.Body["stored"] != 4.0 || r.Body["eligible"] != 1.0 {
		t.Fatalf("want 4 stored, 1 eligible (the quote with its own tags): %s", r.Raw)
	}
	for handle, want := range map[string]string{"fan1": "pending", "fan2": "pending", "fan3": "verified", "fan4": "pending"} {
		if c := e.claim("pycon", handle); c.Body["status"] != want {
			t.Errorf("%s: status %v, want %s", handle, c.Body["status"], want)
		}
	}
}

func TestLongPostTextCounts(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	extended := `{"id_str":"766000000000000020","created_at":"Sat Aug 13 05:00:00 +0000 2016","truncated":true,` +
		`"text":"A long story about the booth… https://t.co/x","user":{"screen_name":"longv1"},` +
		`"entities":{"hashtags":[]},"extended_tweet":{"full_text":"A long story about the booth at #PyConAPAC with #Elastic",` +
		`"entities":{"hashtags":[{"text":"PyConAPAC"},{"text":"Elastic"}]}}}`
	note := v2("766000000000000021", "longv2", "A long story about the booth…", during, map[string]any{
		"note_tweet": map[string]any{"text": "A long story about the booth at #PyConAPAC with #Elastic",
			"entities": map[string]any{"hashtags": []map[string]any{{"tag": "PyConAPAC"}, {"tag": "Elastic"}}}}})
	if r := e.ingest(extended, note); r.Body["eligible"] != 2.0 {
		t.Fatalf("long posts not eligible: %s", r.Raw)
	}
	var text string
	e.pool.QueryRow(context.Background(), `SELECT text FROM tweets WHERE id = '766000000000000021'`).Scan(&text)
	if text != "A long story about the booth at #PyConAPAC with #Elastic" {
		t.Fatalf("stored text %q, want the note_tweet text", text)
	}
}

func TestDuplicateDeliveriesAreCountedNotStored(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	line := v1("766000000000000030", "dup", "#PyConAPAC #Elastic", during, "PyConAPAC", "Elastic")
	first := e.ingest(line, line)
	if first.Body["received"] != 2.0 || first.Body["stored"] != 1.0 || first.Body["duplicates"] != 1.0 {
		t.Fatalf("first batch: %s", first.Raw)
	}
	again := e.ingest(line)
	if again.Body["stored"] != 0.0 || again.Body["duplicates"] != 1.0 {
		t.Fatalf("replay: %s", again.Raw)
	}
	var rows, outbox int
	e.pool.QueryRow(context.Background(), `SELECT count(*) FROM tweets`).Scan(&rows)
	e.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE kind = 'tweet'`).Scan(&outbox)
	if rows != 1 || outbox != 1 {
		t.Fatalf("tweets %d, outbox rows %d; want 1 and 1", rows, outbox)
	}
}

func TestAnEditIsTheSameEntry(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	first := v2("766000000000000040", "editor", "Booth #PyConAPAC", during, nil)
	edit := v2("766000000000000041", "editor", "Booth #PyConAPAC #Elastic", during.Add(time.Minute), map[string]any{
		"edit_history_tweet_ids": []string{"766000000000000040", "766000000000000041"}})
	e.ingest(first)
	if r := e.ingest(edit); r.Body["stored"] != 0.0 || r.Body["eligible"] != 1.0 || r.Body["duplicates"] != 1.0 {
		t.Fatalf("edit: %s", r.Raw)
	}
	var n int
	var text string
	e.pool.QueryRow(context.Background(), `SELECT count(*), max(text) FROM tweets`).Scan(&n, &text)
	if n != 1 || text != "Booth #PyConAPAC #Elastic" {
		t.Fatalf("%d rows, text %q; want one entry with the edited text", n, text)
	}
	// The raw post kept is the edit's, and a late copy of the first version does not bring it back.
	e.ingest(first)
	var raws int
	var rawText string
	e.pool.QueryRow(context.Background(), `SELECT count(*), max(raw -> 'data' ->> 'text') FROM tweet_raw`).Scan(&raws, &rawText)
	if raws != 1 || rawText != "Booth #PyConAPAC #Elastic" {
		t.Fatalf("%d raw posts, text %q; want the edit's", raws, rawText)
	}
	if c := e.claim("pycon", "editor"); c.Body["status"] != "verified" {
		t.Fatalf("the edit added the tags, claim should verify: %s", c.Raw)
	}
}

func TestDeleteNoticesAreHonoured(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	c := e.claim("pycon", "regret")
	e.ingest(v1("766000000000000050", "regret", "#PyConAPAC #Elastic", during, "PyConAPAC", "Elastic"))
	tok := c.Body["token"].(string)
	if s := e.claimStatus(tok); s != "verified" {
		t.Fatalf("status %s", s)
	}
	r := e.ingest(`{"delete":{"status":{"id":766000000000000050,"id_str":"766000000000000050","user_id_str":"1"}}}`)
	if r.Body["deleted"] != 1.0 {
		t.Fatalf("delete: %s", r.Raw)
	}
	if s := e.claimStatus(tok); s != "pending" {
		t.Fatalf("after the only post was deleted the claim is %s, want pending", s)
	}
	var raws int
	e.pool.QueryRow(context.Background(), `SELECT count(*) FROM tweet_raw WHERE id = '766000000000000050'`).Scan(&raws)
	if raws != 0 {
		t.Fatalf("the deleted post's raw JSON is still stored")
	}
	// A late copy of the deleted post is not stored again.
	if r := e.ingest(v1("766000000000000050", "regret", "#PyConAPAC #Elastic", during, "PyConAPAC", "Elastic")); r.Body["stored"] != 0.0 {
		t.Fatalf("deleted post came back: %s", r.Raw)
	}
	// A delete that arrives before its post keeps the post out too.
	e.ingest(`{"delete":{"status":{"id_str":"766000000000000051"}}}`)
	if r := e.ingest(v1("766000000000000051", "regret", "#PyConAPAC #Elastic", during, "PyConAPAC", "Elastic")); r.Body["stored"] != 0.0 {
		t.Fatalf("post deleted in advance was stored: %s", r.Raw)
	}
	if s := e.claimStatus(tok); s != "pending" {
		t.Fatalf("claim is %s, want pending", s)
	}
}

func TestOutsideTheWindowDoesNotCount(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{starts: during.Add(time.Hour)})
	if r := e.ingest(v1("766000000000000060", "early", "#PyConAPAC #Elastic", during, "PyConAPAC", "Elastic")); r.Body["eligible"] != 0.0 {
		t.Fatalf("a post before the window is eligible: %s", r.Raw)
	}
	if c := e.claim("pycon", "early"); c.Body["status"] != "pending" {
		t.Fatalf("claim verified by a post before the window: %s", c.Raw)
	}
}

// Claiming again returns the claim to the device that holds its token, and to nobody else.
func TestClaimingAgainReturnsTheSameClaimToItsDevice(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	a := e.claim("pycon", "twice")
	token := a.Body["token"].(string)
	if b := e.claim("pycon", "@TWICE"); b.Status != http.StatusConflict || b.code() != "already_claimed" {
		t.Fatalf("another device: %d %s", b.Status, b.Raw)
	}
	b := e.call(req{method: "POST", path: "/api/v1/campaigns/pycon/claims", body: map[string]any{"handle": "@TWICE"},
		headers: map[string]string{httpapi.ClaimTokenHeader: token}})
	if b.Status != 200 || b.Body["id"] != a.Body["id"] || b.Body["code"] != a.Body["code"] || b.Body["token"] != token {
		t.Fatalf("second claim: %d %s, first %s", b.Status, b.Raw, a.Raw)
	}
	e.claimStatus(token)
	var n int
	e.pool.QueryRow(context.Background(), `SELECT count(*) FROM claims`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d claims, want 1", n)
	}
}

// A claim and its post committing at the same moment must still find each other.
func TestClaimAndPostArrivingTogetherAlwaysMatch(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	const n = 40
	tokens := make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(2)
		handle := fmt.Sprintf("racer%d", i)
		go func() {
			defer wg.Done()
			tokens[i] = e.claim("pycon", handle).Body["token"].(string)
		}()
		go func() {
			defer wg.Done()
			e.ingest(v1(fmt.Sprintf("7669%015d", i), handle, "#PyConAPAC #Elastic", during, "PyConAPAC", "Elastic"))
		}()
	}
	wg.Wait()
	for i, tok := range tokens {
		if s := e.claimStatus(tok); s != "verified" {
			t.Errorf("racer%d: %s", i, s)
		}
	}
}

// Claims made at the same moment are written together (giveaway.claimQueue); each request still
// gets its own answer: a new claim, the person's existing one, or the post that verifies it.
func TestConcurrentClaimsEachGetTheirOwnAnswer(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	e.ingest(v1("766000000000000070", "early_bird", "#PyConAPAC #Elastic", during, "PyConAPAC", "Elastic"))
	const people, taps = 30, 8
	handles := []string{"early_bird"}
	for i := range people {
		handles = append(handles, fmt.Sprintf("person%d", i))
	}
	for range taps { // one attendee tapping the button again and again
		handles = append(handles, "@Impatient")
	}
	replies := e.claimAll("pycon", handles)

	ids := map[string]any{}
	created := map[string]int{}
	refused := 0
	for i, r := range replies {
		// The impatient attendee's other taps hold no token: they are refused, not handed the claim.
		if handles[i] == "@Impatient" && r.Status == http.StatusConflict && r.code() == "already_claimed" {
			refused++
			continue
		}
		if r.Status != 201 {
			t.Fatalf("%s: %d %s", handles[i], r.Status, r.Raw)
		}
		h := r.Body["handle"].(string)
		if h != strings.TrimPrefix(handles[i], "@") {
			t.Fatalf("claim for %s answered with %s's claim", handles[i], h)
		}
		if r.Status == 201 {
			created[h]++
		}
		if id, seen := ids[h]; seen && id != r.Body["id"] {
			t.Fatalf("%s got claims %v and %v", h, id, r.Body["id"])
		}
		ids[h] = r.Body["id"]
		// Every device's token shows its own person's claim.
		got := e.must(200, req{method: "GET", path: "/api/v1/claims/" + r.Body["token"].(string)})
		if got.Body["id"] != r.Body["id"] || got.Body["handle"] != h {
			t.Fatalf("token of %s shows %s", h, got.Raw)
		}
	}
	if len(ids) != people+2 {
		t.Fatalf("%d people got claims, want %d", len(ids), people+2)
	}
	for h, n := range created {
		if n != 1 {
			t.Fatalf("%s: %d claims created, want 1", h, n)
		}
	}
	if created["Impatient"] != 1 {
		t.Fatalf("the impatient attendee's claim was never created: %v", created)
	}
	if s := e.claimStatus(replies[0].Body["token"].(string)); s != "verified" {
		t.Fatalf("the claim whose post came first is %s, want verified", s)
	}
	var claims, events, tokens int
	ctx := context.Background()
	e.pool.QueryRow(ctx, `SELECT count(*) FROM claims`).Scan(&claims)
	e.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'claimed'`).Scan(&events)
	e.pool.QueryRow(ctx, `SELECT count(*) FROM claim_tokens`).Scan(&tokens)
	if claims != people+2 || events != people+2 || tokens != people+2 || refused != taps-1 {
		t.Fatalf("%d claims, %d claimed events, %d tokens, %d refused; want %d, %d, %d, %d", claims, events, tokens,
			refused, people+2, people+2, people+2, taps-1)
	}
}

// A claim the database refuses fails alone: the claims written in the same batch are not lost.
func TestAFailingClaimDoesNotFailItsBatch(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	if _, err := e.pool.Exec(context.Background(), `
		CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.handle_norm LIKE 'boom%' THEN RAISE EXCEPTION 'refused'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER refuse_boom BEFORE INSERT ON claims FOR EACH ROW EXECUTE FUNCTION refuse_boom();`); err != nil {
		t.Fatal(err)
	}
	var handles []string
	for i := range 30 {
		if i%10 == 0 {
			handles = append(handles, fmt.Sprintf("boom%d", i))
		}
		handles = append(handles, fmt.Sprintf("fine%d", i))
	}
	replies := e.claimAll("pycon", handles)
	for i, r := range replies {
		want := 201
		if strings.HasPrefix(handles[i], "boom") {
			want = 500
		}
		if r.Status != want {
			t.Errorf("%s: %d %s, want %d", handles[i], r.Status, r.Raw, want)
		}
	}
	var n int
	e.pool.QueryRow(context.Background(), `SELECT count(*) FROM claims`).Scan(&n)
	if n != 30 {
		t.Fatalf("%d claims stored, want the 30 fine ones", n)
	}
}

// claimAll makes the claims all at once and returns the replies in the order of handles.
func (e *env) claimAll(slug string, handles []string) []reply {
	replies := make([]reply, len(handles))
	var wg sync.WaitGroup
	for i, h := range handles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = e.claim(slug, h)
		}()
	}
	wg.Wait()
	return replies
}
