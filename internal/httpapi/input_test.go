package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/boothgiveaway/giveaway/internal/httpapi"
)

// Every refused request answers its 4xx with a stable code and leaves the database as it was.
func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	staff := e.staff("Janis")
	id := e.verifiedClaim("pycon", "someone", 1)
	claimPath := "/api/v1/campaigns/pycon/claims"
	giveP := fmt.Sprintf("/api/v1/claims/%v/give", id)
	big := strings.Repeat(`{"id_str":"1","text":"x"}`+"\n", 16<<20/26+10)
	cases := []struct {
		name   string
		r      req
		status int
		code   string
	}{
		{"malformed json", req{method: "POST", path: claimPath, body: `{"handle": "a"`}, 400, "malformed_json"},
		{"empty body", req{method: "POST", path: claimPath, body: ``}, 400, "malformed_json"},
		{"two objects", req{method: "POST", path: claimPath, body: `{"handle":"a"}{"handle":"b"}`}, 400, "malformed_json"},
		{"wrong content type", req{method: "POST", path: claimPath, body: `handle=a`, contentType: "application/x-www-form-urlencoded"}, 400, "unsupported_media_type"},
		{"unknown field", req{method: "POST", path: claimPath, body: `{"handle":"a","admin":true}`}, 400, "unknown_field"},
		{"wrong type", req{method: "POST", path: claimPath, body: `{"handle":42}`}, 400, "invalid_field"},
		{"handle too long", req{method: "POST", path: claimPath, body: `{"handle":"abcdefghijklmnop"}`}, 400, "invalid_handle"},
		{"handle with space", req{method: "POST", path: claimPath, body: `{"handle":"a b"}`}, 400, "invalid_handle"},
		{"unknown network", req{method: "POST", path: claimPath, body: `{"network":"myspace","handle":"a"}`}, 400, "invalid_network"},
		{"instagram without url", req{method: "POST", path: claimPath, body: `{"network":"instagram","handle":"a"}`}, 400, "post_url_required"},
		{"mastodon without instance", req{method: "POST", path: claimPath, body: `{"network":"mastodon","handle":"@jisu"}`}, 400, "invalid_handle"},
		{"bluesky not a domain", req{method: "POST", path: claimPath, body: `{"network":"bluesky","handle":"jisu..social"}`}, 400, "invalid_handle"},
		{"http url", req{method: "POST", path: claimPath, body: `{"network":"instagram","handle":"a","post_url":"http://instagram.com/p/x"}`}, 400, "invalid_post_url"},
		{"url on another site", req{method: "POST", path: claimPath, body: `{"network":"instagram","handle":"a","post_url":"https://evil.example/instagram.com/p/x"}`}, 400, "invalid_post_url"},
		{"unknown campaign", req{method: "POST", path: "/api/v1/campaigns/nope/claims", body: `{"handle":"a"}`}, 404, "campaign_not_found"},
		{"oversized body", req{method: "POST", path: claimPath, body: `{"handle":"` + strings.Repeat("a", 70<<10) + `"}`}, 413, "body_too_large"},
		{"give without auth", req{method: "POST", path: giveP, body: `{"prize":"tshirt"}`}, 401, "unauthenticated"},
		{"give with a wrong token", req{method: "POST", path: giveP, bearer: "guess", body: `{"prize":"tshirt"}`}, 401, "session_expired"},
		{"give with bad id", req{method: "POST", path: "/api/v1/claims/-3/give", bearer: staff, body: `{"prize":"tshirt"}`}, 400, "invalid_id"},
		{"give without prize", req{method: "POST", path: giveP, bearer: staff, body: `{}`}, 400, "prize_required"},
		{"create campaign as staff", req{method: "POST", path: "/api/v1/campaigns", bearer: staff, body: `{}`}, 403, "admin_only"},
		{"campaign with bad slug", req{method: "POST", path: "/api/v1/campaigns", bearer: adminToken,
			body: `{"slug":"Bad Slug","name":"x","required_hashtags":["a"],"starts_at":"2016-08-13T00:00:00Z","ends_at":"2016-08-14T00:00:00Z","prizes":[{"key":"a","name":"A","stock":1}]}`}, 400, "invalid_slug"},
		{"campaign with bad time", req{method: "POST", path: "/api/v1/campaigns", bearer: adminToken, body: `{"starts_at":"yesterday"}`}, 400, "invalid_time"},
		{"campaign taken", req{method: "POST", path: "/api/v1/campaigns", bearer: adminToken,
			body: `{"slug":"pycon","name":"x","required_hashtags":["a"],"starts_at":"2016-08-13T00:00:00Z","ends_at":"2016-08-14T00:00:00Z","prizes":[{"key":"a","name":"A","stock":1}]}`}, 409, "slug_taken"},
		{"campaign with negative stock", req{method: "POST", path: "/api/v1/campaigns", bearer: adminToken,
			body: `{"slug":"neg","name":"x","required_hashtags":["a"],"starts_at":"2016-08-13T00:00:00Z","ends_at":"2016-08-14T00:00:00Z","prizes":[{"key":"a","name":"A","stock":-1}]}`}, 400, "invalid_prizes"},
		{"staff with short pin", req{method: "POST", path: "/api/v1/staff", bearer: adminToken, body: `{"name":"x","pin":"12"}`}, 400, "invalid_pin"},
		{"ingest without token", req{method: "POST", path: "/api/v1/ingest/tweets", body: `{}`}, 401, "invalid_ingest_token"},
		{"ingest with the admin token", req{method: "POST", path: "/api/v1/ingest/tweets", bearer: adminToken, body: `{}`}, 401, "invalid_ingest_token"},
		{"ingest garbage only", req{method: "POST", path: "/api/v1/ingest/tweets", bearer: ingestToken, body: "nope\n", contentType: "application/x-ndjson"}, 400, "invalid_tweet"},
		{"ingest wrong type", req{method: "POST", path: "/api/v1/ingest/tweets", bearer: ingestToken, body: "x", contentType: "text/plain"}, 400, "unsupported_media_type"},
		{"ingest over 16 MiB", req{method: "POST", path: "/api/v1/ingest/tweets", bearer: ingestToken, body: big, contentType: "application/x-ndjson"}, 413, "body_too_large"},
		{"unknown claim token", req{method: "GET", path: "/api/v1/claims/not-a-token"}, 404, "claim_not_found"},
		{"unknown route", req{method: "GET", path: "/api/v1/nothing"}, 404, "not_found"},
	}
	before := e.counts()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := e.call(c.r)
			if got.Status != c.status || got.code() != c.code {
				t.Fatalf("got %d %q, want %d %q: %.300s", got.Status, got.code(), c.status, c.code, got.Raw)
			}
			if got.Body["error"].(map[string]any)["message"] == "" {
				t.Fatal("error without a message")
			}
		})
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("refused requests changed the database:\nbefore %v\nafter  %v", before, after)
	}
}

func TestIngestTakesOnePrettyObjectOrABatchWithBadLines(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	pretty := "{\n  \"id_str\": \"766000000000000070\",\n  \"created_at\": \"Sat Aug 13 05:00:00 +0000 2016\",\n" +
		"  \"text\": \"#PyConAPAC #Elastic\",\n  \"user\": {\"screen_name\": \"pretty\"}\n}"
	if r := e.must(http.StatusOK, req{method: "POST", path: "/api/v1/ingest/tweets", bearer: ingestToken, body: pretty}); r.Body["stored"] != 1.0 {
		t.Fatalf("pretty object: %s", r.Raw)
	}
	batch := strings.Join([]string{
		v1("766000000000000071", "a", "#PyConAPAC", during, "PyConAPAC"),
		`{"broken": `,
		v1("766000000000000072", "b", "#Elastic", during, "Elastic"),
	}, "\n")
	r := e.must(http.StatusOK, req{method: "POST", path: "/api/v1/ingest/tweets", bearer: ingestToken, body: batch,
		contentType: "application/x-ndjson"})
	errs := r.Body["errors"].([]any)
	if r.Body["received"] != 3.0 || r.Body["stored"] != 2.0 || r.Body["invalid"] != 1.0 ||
		len(errs) != 1 || errs[0].(map[string]any)["line"] != 2.0 {
		t.Fatalf("batch with a broken line: %s", r.Raw)
	}
}

// Mastodon and Bluesky claims name an account, which the service checks itself: no post link is
// needed, and the handle is kept in the form the sources store posts under.
func TestOpenNetworkClaimsNameAnAccount(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	claimPath := "/api/v1/campaigns/pycon/claims"
	cases := []struct{ network, handle, want string }{
		{"mastodon", "@Jisu@Mastodon.Social", "Jisu@Mastodon.Social"},
		{"bluesky", "@jisu", "jisu.bsky.social"},
		{"bluesky", "ko.example.kr", "ko.example.kr"},
	}
	first := map[string]string{}
	for _, c := range cases {
		r := e.must(http.StatusCreated, req{method: "POST", path: claimPath,
			body: map[string]any{"network": c.network, "handle": c.handle}})
		if first[c.network] == "" {
			first[c.network], _ = r.Body["token"].(string)
		}
		if r.Body["handle"] != c.want || r.Body["status"] != "pending" || r.Body["network"] != c.network {
			t.Errorf("%s %s: %s", c.network, c.handle, r.Raw)
		}
	}
	// The same person again, spelled differently: the same claim (to the device that holds it).
	if r := e.call(req{method: "POST", path: claimPath,
		body: map[string]any{"network": "mastodon", "handle": "jisu@mastodon.social"}}); r.code() != "already_claimed" {
		t.Fatalf("another device: %d %s", r.Status, r.Raw)
	}
	again := e.must(http.StatusOK, req{method: "POST", path: claimPath,
		body:    map[string]any{"network": "mastodon", "handle": "jisu@mastodon.social"},
		headers: map[string]string{httpapi.ClaimTokenHeader: first["mastodon"]}})
	var norm string
	if err := e.pool.QueryRow(t.Context(), "SELECT handle_norm FROM claims WHERE id = $1", int64(again.Body["id"].(float64))).Scan(&norm); err != nil {
		t.Fatal(err)
	}
	if norm != "jisu@mastodon.social" {
		t.Errorf("stored as %q", norm)
	}
}
