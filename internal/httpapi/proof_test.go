package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/store"
	"github.com/boothgiveaway/giveaway/internal/tweet"
)

// proofOf is the claim as its owner's page reads it: status, verified_by and the post it names.
func (e *env) proofOf(token string) (status, by, tweetID string) {
	e.t.Helper()
	r := e.must(http.StatusOK, req{method: "GET", path: "/api/v1/claims/" + token})
	by, _ = r.Body["verified_by"].(string)
	tweetID, _ = r.Body["tweet_id"].(string)
	return r.Body["status"].(string), by, tweetID
}

func TestAPostWithTheClaimsCodeVerifiesItByCode(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	i := 0
	for _, tc := range []struct {
		handle, text, want string
	}{
		// The code pre-filled by the status page's link, as a whole word in any case.
		{"codey", "#PyConAPAC #Elastic {code}", "code"},
		{"lower", "got it! {lower} #PyConAPAC #Elastic", "code"},
		{"hashed", "#PyConAPAC #Elastic #{code}.", "code"},
		// No code, or the code inside a longer word: only the handle is proven.
		{"plain", "#PyConAPAC #Elastic at the booth", "handle"},
		{"inside", "#PyConAPAC #Elastic X{code}9", "handle"},
	} {
		i++
		c := e.claim("pycon", tc.handle)
		code := c.Body["code"].(string)
		text := strings.NewReplacer("{code}", code, "{lower}", strings.ToLower(code)).Replace(tc.text)
		e.ingest(v1(fmt.Sprintf("76600000000010%04d", i), tc.handle, text, during, "PyConAPAC", "Elastic"))
		if st, by, _ := e.proofOf(c.Body["token"].(string)); st != "verified" || by != tc.want {
			t.Errorf("%s (%q): %s by %q, want verified by %s", tc.handle, text, st, by, tc.want)
		}
	}
}

func TestAHandleProvenClaimIsUpgradedByALaterPostWithItsCode(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	c := e.claim("pycon", "minho")
	tok, code := c.Body["token"].(string), c.Body["code"].(string)
	e.ingest(v1("766000000000100001", "minho", "#PyConAPAC #Elastic hello", during, "PyConAPAC", "Elastic"))
	if st, by, id := e.proofOf(tok); st != "verified" || by != "handle" || id != "766000000000100001" {
		t.Fatalf("first post: %s by %q (%s)", st, by, id)
	}
	e.ingest(v1("766000000000100002", "minho", "#PyConAPAC #Elastic "+code, during.Add(time.Minute), "PyConAPAC", "Elastic"))
	if st, by, id := e.proofOf(tok); st != "verified" || by != "code" || id != "766000000000100002" {
		t.Fatalf("after the code post: %s by %q (%s), want verified by code, the code post", st, by, id)
	}
	// A later handle-only post does not downgrade it.
	e.ingest(v1("766000000000100003", "minho", "#PyConAPAC #Elastic again", during.Add(2*time.Minute), "PyConAPAC", "Elastic"))
	if _, by, id := e.proofOf(tok); by != "code" || id != "766000000000100002" {
		t.Fatalf("after another plain post: by %q (%s)", by, id)
	}
	// The upgrade is in the audit log, saying how.
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'verified'
		AND details->>'verified_by' = 'code' AND details->>'tweet_id' = '766000000000100002'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("upgrade events: %d %v", n, err)
	}
}

func TestAGivenClaimIsNotUpgraded(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	c := e.claim("pycon", "sora")
	e.ingest(v1("766000000000200001", "sora", "#PyConAPAC #Elastic", during, "PyConAPAC", "Elastic"))
	s := e.staff("Janis")
	e.must(http.StatusOK, req{method: "POST", path: fmt.Sprintf("/api/v1/claims/%v/give", c.Body["id"]), bearer: s,
		body: map[string]any{"prize": "tshirt", "account_checked": true}})
	e.ingest(v1("766000000000200002", "sora", "#PyConAPAC #Elastic "+c.Body["code"].(string), during, "PyConAPAC", "Elastic"))
	if st, by, _ := e.proofOf(c.Body["token"].(string)); st != "given" || by != "handle" {
		t.Fatalf("given claim after a code post: %s by %q, want given by handle (what staff decided on)", st, by)
	}
}

func TestACodePostWinsOverAnEarlierHandleOnlyPostInOneBatch(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	c := e.claim("pycon", "jiwoo")
	e.ingest(v1("766000000000300001", "jiwoo", "#PyConAPAC #Elastic", during, "PyConAPAC", "Elastic"),
		v1("766000000000300002", "jiwoo", "#PyConAPAC #Elastic "+c.Body["code"].(string), during.Add(time.Hour), "PyConAPAC", "Elastic"))
	if st, by, id := e.proofOf(c.Body["token"].(string)); st != "verified" || by != "code" || id != "766000000000300002" {
		t.Fatalf("%s by %q (%s), want verified by code with the code post", st, by, id)
	}
}

func TestRequireCodeVerifiesOnlyPostsWithTheCode(t *testing.T) {
	e := newEnv(t)
	e.campaign("strict", campaignOpts{requireCode: true})
	if r := e.must(http.StatusOK, req{method: "GET", path: "/api/v1/campaigns/strict"}); r.Body["require_code"] != true {
		t.Fatalf("campaign answer: %s", r.Raw)
	}
	// A post before the claim, without the code: the claim stays pending.
	e.ingest(v1("766000000000400001", "hana", "#PyConAPAC #Elastic", during, "PyConAPAC", "Elastic"))
	c := e.claim("strict", "hana")
	if c.Body["status"] != "pending" {
		t.Fatalf("claim after a plain post under require_code: %s", c.Raw)
	}
	tok := c.Body["token"].(string)
	// After the claim, without the code: still pending.
	e.ingest(v1("766000000000400002", "hana", "#PyConAPAC #Elastic booth", during.Add(time.Minute), "PyConAPAC", "Elastic"))
	if st, _, _ := e.proofOf(tok); st != "pending" {
		t.Fatalf("plain post after the claim under require_code: %s", st)
	}
	e.ingest(v1("766000000000400003", "hana", "#PyConAPAC #Elastic "+c.Body["code"].(string), during.Add(2*time.Minute), "PyConAPAC", "Elastic"))
	if st, by, id := e.proofOf(tok); st != "verified" || by != "code" || id != "766000000000400003" {
		t.Fatalf("code post under require_code: %s by %q (%s)", st, by, id)
	}
	// Deleting the code post takes the claim back to pending: the plain posts still do not count.
	e.ingest(`{"delete":{"status":{"id_str":"766000000000400003","user_id_str":"1"}}}`)
	if st, _, _ := e.proofOf(tok); st != "pending" {
		t.Fatalf("after the code post's delete: %s, want pending", st)
	}
}

// A stored post that already carries the code (claim-after-post) verifies by code, preferred to an
// earlier plain post; the statement is called directly because a claim's code is random.
func TestAClaimFindsAStoredPostWithItsCode(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	e.campaign("strict", campaignOpts{requireCode: true})
	e.ingest(v1("766000000000500001", "yuna", "#PyConAPAC #Elastic", during, "PyConAPAC", "Elastic"),
		v1("766000000000500002", "yuna", "#PyConAPAC #Elastic k7p2qx", during.Add(time.Minute), "PyConAPAC", "Elastic"),
		v1("766000000000500003", "bora", "#PyConAPAC #Elastic", during, "PyConAPAC", "Elastic"))
	ctx := context.Background()
	var ids []int64
	for _, slug := range []string{"pycon", "strict"} {
		var id int64
		if err := e.pool.QueryRow(ctx, `SELECT id FROM campaigns WHERE slug = $1`, slug).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows, err := store.New(e.pool).CreateClaims(ctx, store.CreateClaimsParams{
		Idx:        []int32{0, 1, 2, 3},
		CampaignID: []int64{ids[0], ids[0], ids[1], ids[1]},
		Network:    []string{"twitter", "twitter", "twitter", "twitter"},
		HandleNorm: []string{"yuna", "bora", "yuna", "bora"},
		Handle:     []string{"yuna", "bora", "yuna", "bora"},
		PostUrl:    []string{"", "", "", ""},
		Code:       []string{"K7P2QX", "B2B2B2", "K7P2QX", "C3C3C3"},
		TokenHash:  [][]byte{giveaway.HashToken("a"), giveaway.HashToken("b"), giveaway.HashToken("c"), giveaway.HashToken("d")},
		MatchPosts: []bool{true, true, true, true},
		Now:        time.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int32]string{0: "code 766000000000500002", 1: "handle 766000000000500003", 2: "code 766000000000500002", 3: "pending"}
	for _, r := range rows {
		got := r.Status
		if r.Status == "verified" {
			got = deref(r.VerifiedBy) + " " + deref(r.TweetID)
		}
		if got != want[r.Idx] {
			t.Errorf("request %d: %q, want %q", r.Idx, got, want[r.Idx])
		}
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows", len(rows))
	}
	// The verification events say how, as the post side's do.
	var n int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'verified'
		AND details->>'verified_by' IN ('code', 'handle')`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("%d verification events saying how (%v), want 3", n, err)
	}
}

// Mastodon and Bluesky posts reach the same matching: the same code rule.
func TestMastodonAndBlueskyPostsFollowTheCodeRule(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	e.campaign("strict", campaignOpts{requireCode: true})
	ing := ingest.New(e.pool, nil)
	post := func(network, id, handle, text string) {
		t.Helper()
		if _, err := ing.Ingest(context.Background(), []tweet.Item{{Post: &tweet.Post{Network: network, ID: id, VersionID: id,
			Handle: handle, CreatedAt: during, Text: text, Hashtags: []string{"PyConAPAC", "Elastic"}}}}); err != nil {
			t.Fatal(err)
		}
	}
	claim := func(slug, network, handle string) reply {
		return e.must(http.StatusCreated, req{method: "POST", path: "/api/v1/campaigns/" + slug + "/claims",
			body: map[string]any{"network": network, "handle": handle}})
	}
	for _, p := range []struct{ network, handle, id string }{
		{"mastodon", "jisu@mastodon.social", "1101"},
		{"bluesky", "jisu.bsky.social", "at://did:plc:jisu/app.bsky.feed.post/3k1"},
	} {
		byCode := claim("pycon", p.network, p.handle)
		strict := claim("strict", p.network, p.handle)
		post(p.network, p.id+"0", p.handle, "#PyConAPAC #Elastic")
		if st, by, _ := e.proofOf(byCode.Body["token"].(string)); st != "verified" || by != "handle" {
			t.Errorf("%s plain post: %s by %q, want by handle", p.network, st, by)
		}
		if st, _, _ := e.proofOf(strict.Body["token"].(string)); st != "pending" {
			t.Errorf("%s plain post under require_code: %s", p.network, st)
		}
		post(p.network, p.id+"1", p.handle, "#PyConAPAC #Elastic "+byCode.Body["code"].(string)+" "+strict.Body["code"].(string))
		for name, c := range map[string]reply{"upgrade": byCode, "require_code": strict} {
			if st, by, _ := e.proofOf(c.Body["token"].(string)); st != "verified" || by != "code" {
				t.Errorf("%s %s: %s by %q, want verified by code", p.network, name, st, by)
			}
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// The organiser turns require_code on for a running campaign: from then on only code posts verify.
func TestRequireCodeCanBeTurnedOnByTheAdminOnly(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	staff := e.staff("Janis")
	path := "/api/v1/campaigns/pycon"
	if r := e.call(req{method: "PATCH", path: path, bearer: staff, body: map[string]any{"require_code": true}}); r.Status != http.StatusForbidden {
		t.Fatalf("staff changed the campaign: %d %s", r.Status, r.Raw)
	}
	if r := e.call(req{method: "PATCH", path: path, bearer: adminToken, body: map[string]any{}}); r.Status != http.StatusBadRequest || r.code() != "nothing_to_change" {
		t.Fatalf("empty change: %d %s", r.Status, r.Raw)
	}
	if r := e.call(req{method: "PATCH", path: "/api/v1/campaigns/nope", bearer: adminToken, body: map[string]any{"require_code": true}}); r.Status != http.StatusNotFound {
		t.Fatalf("unknown campaign: %d %s", r.Status, r.Raw)
	}
	r := e.must(http.StatusOK, req{method: "PATCH", path: path, bearer: adminToken, body: map[string]any{"require_code": true}})
	if r.Body["require_code"] != true {
		t.Fatalf("answer %s", r.Raw)
	}
	c := e.claim("pycon", "taeyang")
	e.ingest(v1("766000000000600001", "taeyang", "#PyConAPAC #Elastic", during, "PyConAPAC", "Elastic"))
	if st, _, _ := e.proofOf(c.Body["token"].(string)); st != "pending" {
		t.Fatalf("plain post after require_code was turned on: %s", st)
	}
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'campaign_changed'
		AND details->>'require_code' = 'true'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("audit: %d %v", n, err)
	}
}
