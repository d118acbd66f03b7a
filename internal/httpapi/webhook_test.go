package httpapi_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/app"
	"github.com/boothgiveaway/giveaway/internal/webhook"
)

const (
	signingSecret = "logstash-shared-secret"
	xSecret       = "x-consumer-secret"
)

func withSecrets(c *app.Config) {
	c.IngestSecret, c.XWebhookSecret = signingSecret, xSecret
}

func (e *env) tweetCount() int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(e.t.Context(), "SELECT count(*) FROM tweets").Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// A push signed with the shared secret is taken like one with the token; a wrong, missing or
// stale signature is 401 and stores nothing.
func TestSignedIngest(t *testing.T) {
	e := newEnv(t, withSecrets)
	e.campaign("pycon", campaignOpts{})
	tok := e.must(http.StatusCreated, req{method: "POST", path: "/api/v1/campaigns/pycon/claims",
		body: map[string]any{"handle": "kimjmin"}}).Body["token"].(string)
	during := time.Now().Add(-time.Hour)
	body := []byte(v1("766000000000000001", "kimjmin", "Booth! #PyConAPAC #Elastic", during, "PyConAPAC", "Elastic"))
	push := func(h map[string]string, b []byte) reply {
		return e.call(req{method: "POST", path: "/api/v1/ingest/tweets", body: b, contentType: "application/x-ndjson", headers: h})
	}
	signed := func(secret string, at time.Time, b []byte) map[string]string {
		ts, sig := webhook.Sign([]byte(secret), at, b)
		return map[string]string{webhook.TimestampHeader: ts, webhook.SignatureHeader: sig}
	}

	refused := []struct {
		name, code string
		h          map[string]string
	}{
		{"no credentials", "invalid_ingest_token", nil},
		{"wrong secret", "invalid_signature", signed("guess", time.Now(), body)},
		{"signed another body", "invalid_signature", signed(signingSecret, time.Now(), []byte(`{}`))},
		{"stale", "stale_signature", signed(signingSecret, time.Now().Add(-10*time.Minute), body)},
		{"timestamp moved forward", "invalid_signature", func() map[string]string {
			h := signed(signingSecret, time.Now().Add(-10*time.Minute), body)
			h[webhook.TimestampHeader] = strconv.FormatInt(time.Now().Unix(), 10)
			return h
		}()},
		{"no timestamp", "invalid_signature", map[string]string{webhook.SignatureHeader: signed(signingSecret, time.Now(), body)[webhook.SignatureHeader]}},
		{"X header with our secret", "invalid_signature", map[string]string{webhook.XSignatureHeader: webhook.XSign([]byte(signingSecret), body)}},
	}
	for _, r := range refused {
		got := push(r.h, body)
		if got.Status != http.StatusUnauthorized || got.code() != r.code {
			t.Errorf("%s: %d %s, want 401 %s", r.name, got.Status, got.Raw, r.code)
		}
	}
	if n := e.tweetCount(); n != 0 {
		t.Fatalf("%d tweets stored by refused pushes", n)
	}
	if s := e.claimStatus(tok); s != "pending" {
		t.Fatalf("claim %s after refused pushes", s)
	}

	got := push(signed(signingSecret, time.Now(), body), body)
	if got.Status != http.StatusOK || got.Body["stored"] != 1.0 || got.Body["matched"] != 1.0 {
		t.Fatalf("signed push: %d %s", got.Status, got.Raw)
	}
	if s := e.claimStatus(tok); s != "verified" {
		t.Errorf("claim %s after the signed push, want verified", s)
	}
	// The same signed request again within the window: accepted, and nothing is stored twice.
	got = push(signed(signingSecret, time.Now(), body), body)
	if got.Body["duplicates"] != 1.0 || e.tweetCount() != 1 {
		t.Errorf("replay: %s", got.Raw)
	}
}

// X's webhooks: the CRC challenge, signed Account Activity deliveries, and replays that store
// nothing new since the signature carries no time.
func TestXWebhook(t *testing.T) {
	e := newEnv(t, withSecrets)
	e.campaign("pycon", campaignOpts{})
	tok := e.must(http.StatusCreated, req{method: "POST", path: "/api/v1/campaigns/pycon/claims",
		body: map[string]any{"handle": "jisu"}}).Body["token"].(string)

	crc := e.must(http.StatusOK, req{method: "GET", path: "/api/v1/ingest/tweets?crc_token=czNjcmV0LWNoYWxsZW5nZQ"})
	if want := webhook.CRCResponse([]byte(xSecret), "czNjcmV0LWNoYWxsZW5nZQ"); crc.Body["response_token"] != want {
		t.Errorf("CRC answer %s, want %s", crc.Raw, want)
	}
	// A "challenge" shaped like a post would make the answer a valid signature for that post.
	if r := e.call(req{method: "GET", path: `/api/v1/ingest/tweets?crc_token={"id_str":"1"}`}); r.Status != http.StatusBadRequest || r.code() != "invalid_crc_token" {
		t.Errorf("post-shaped challenge: %d %s", r.Status, r.Raw)
	}

	at := time.Now().Add(-time.Hour).UTC().Format("Mon Jan 02 15:04:05 -0700 2006")
	delivery := []byte(`{"for_user_id":"2244994945","tweet_create_events":[{"created_at":"` + at + `",
	  "id":766000000000000009,"id_str":"766000000000000009","text":"부스 #PyConAPAC #Elastic",
	  "user":{"id_str":"9","screen_name":"jisu"},
	  "entities":{"hashtags":[{"text":"PyConAPAC"},{"text":"Elastic"}]}}]}`)
	deliver := func(sig string, b []byte) reply {
		return e.call(req{method: "POST", path: "/api/v1/ingest/tweets", body: b,
			headers: map[string]string{webhook.XSignatureHeader: sig}})
	}
	if r := deliver(webhook.XSign([]byte("not-the-secret"), delivery), delivery); r.Status != http.StatusUnauthorized {
		t.Fatalf("wrong X signature: %d %s", r.Status, r.Raw)
	}
	if e.tweetCount() != 0 {
		t.Fatal("a badly signed delivery stored a tweet")
	}
	r := deliver(webhook.XSign([]byte(xSecret), delivery), delivery)
	if r.Status != http.StatusOK || r.Body["stored"] != 1.0 || r.Body["matched"] != 1.0 {
		t.Fatalf("delivery: %d %s", r.Status, r.Raw)
	}
	if s := e.claimStatus(tok); s != "verified" {
		t.Errorf("claim %s, want verified", s)
	}
	// X retries, and an attacker may replay a captured delivery: the post is stored once.
	r = deliver(webhook.XSign([]byte(xSecret), delivery), delivery)
	if r.Body["stored"] != 0.0 || r.Body["duplicates"] != 1.0 || e.tweetCount() != 1 {
		t.Errorf("replayed delivery: %s", r.Raw)
	}
	// Likes and follows are acknowledged and ignored.
	likes := []byte(`{"for_user_id":"2244994945","favorite_events":[{"id":"a"}]}`)
	if r := deliver(webhook.XSign([]byte(xSecret), likes), likes); r.Status != http.StatusOK || r.Body["received"] != 0.0 {
		t.Errorf("likes: %d %s", r.Status, r.Raw)
	}
	// A delete event removes the post.
	del := []byte(`{"for_user_id":"2244994945","tweet_delete_events":[{"status":{"id":"766000000000000009","user_id":"9"},"timestamp_ms":"1"}]}`)
	if r := deliver(webhook.XSign([]byte(xSecret), del), del); r.Body["deleted"] != 1.0 || e.tweetCount() != 0 {
		t.Errorf("delete: %s", r.Raw)
	}
}

// Without X_WEBHOOK_SECRET there is no CRC answer and X-signed deliveries are refused.
func TestXWebhookOff(t *testing.T) {
	e := newEnv(t)
	if r := e.call(req{method: "GET", path: "/api/v1/ingest/tweets?crc_token=abc"}); r.Status != http.StatusNotFound || r.code() != "x_webhook_off" {
		t.Errorf("CRC: %d %s", r.Status, r.Raw)
	}
	body := []byte(`{"for_user_id":"1","tweet_create_events":[]}`)
	if r := e.call(req{method: "POST", path: "/api/v1/ingest/tweets", body: body,
		headers: map[string]string{webhook.XSignatureHeader: webhook.XSign(nil, body)}}); r.Status != http.StatusUnauthorized {
		t.Errorf("delivery with no secret configured: %d %s", r.Status, r.Raw)
	}
}
