package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/httpapi"
)

func claimPath(slug string) string { return "/api/v1/campaigns/" + slug + "/claims" }

// A stranger who types a verified attendee's handle gets nothing of the claim: no id, code,
// status or token, and the same answer whether the person has claimed, been verified or won.
// The device that made the claim (X-Claim-Token) gets it back without a new token.
func TestAStrangerCannotTakeOverAClaimByItsHandle(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	staff := e.staff("Janis")
	carol := e.claim("pycon", "carol_v")
	token := carol.Body["token"].(string)
	id := carol.Body["id"]

	stranger := func(handle string) reply {
		return e.call(req{method: "POST", path: claimPath("pycon"), body: map[string]any{"handle": handle}})
	}
	var answers []reply
	answers = append(answers, stranger("carol_v")) // claimed
	e.ingest(v1("766100000000000001", "carol_v", "#PyConAPAC #Elastic", during, "PyConAPAC", "Elastic"))
	if s := e.claimStatus(token); s != "verified" {
		t.Fatalf("carol's claim is %s", s)
	}
	answers = append(answers, stranger("Carol_V")) // verified, spelled another way
	if r := e.give(staff, id, "tshirt", nil); r.Status != 200 {
		t.Fatalf("give: %d %s", r.Status, r.Raw)
	}
	answers = append(answers, stranger("@carol_v")) // won
	for i, r := range answers {
		if r.Status != http.StatusConflict || r.code() != "already_claimed" {
			t.Fatalf("stranger %d: %d %s", i, r.Status, r.Raw)
		}
		if string(r.Raw) != string(answers[0].Raw) {
			t.Errorf("stranger %d answer differs (an oracle): %s vs %s", i, r.Raw, answers[0].Raw)
		}
		for _, leak := range []string{carol.Body["code"].(string), fmt.Sprint(id), "token", "verified", "given", "status"} {
			if strings.Contains(string(r.Raw), `"`+leak) || strings.Contains(string(r.Raw), leak+`"`) {
				t.Errorf("stranger %d answer reveals %q: %s", i, leak, r.Raw)
			}
		}
	}
	var tokens int
	e.pool.QueryRow(t.Context(), "SELECT count(*) FROM claim_tokens").Scan(&tokens)
	if tokens != 1 {
		t.Errorf("%d tokens for carol's claim, want her one", tokens)
	}
	// A made-up token is a stranger too.
	r := e.call(req{method: "POST", path: claimPath("pycon"), body: map[string]any{"handle": "carol_v"},
		headers: map[string]string{httpapi.ClaimTokenHeader: "made-up"}})
	if r.Status != http.StatusConflict || string(r.Raw) != string(answers[0].Raw) {
		t.Errorf("a made-up token: %d %s", r.Status, r.Raw)
	}
	// Carol's own device claiming again gets her claim, and no new token.
	mine := e.must(http.StatusOK, req{method: "POST", path: claimPath("pycon"), body: map[string]any{"handle": "carol_v"},
		headers: map[string]string{httpapi.ClaimTokenHeader: token}})
	if mine.Body["id"] != id || mine.Body["status"] != "given" || mine.Body["token"] != token {
		t.Errorf("carol again: %s", mine.Raw)
	}
	e.pool.QueryRow(t.Context(), "SELECT count(*) FROM claim_tokens").Scan(&tokens)
	if tokens != 1 {
		t.Errorf("claiming again minted a token: %d", tokens)
	}
	// Her token for another campaign's claim does not open this one.
	e.campaign("jsconf", campaignOpts{})
	if r := e.call(req{method: "POST", path: claimPath("jsconf"), body: map[string]any{"handle": "carol_v"},
		headers: map[string]string{httpapi.ClaimTokenHeader: token}}); r.Status != http.StatusCreated {
		t.Fatalf("carol in jsconf: %d %s", r.Status, r.Raw)
	}
}

// Many strangers claiming one handle at once (the batched path): one claim, one token, and
// every other answer already_claimed.
func TestConcurrentClaimsOfOneHandleMakeOneClaimAndOneToken(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	var wg sync.WaitGroup
	statuses := make([]int, 20)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = e.call(req{method: "POST", path: claimPath("pycon"), body: map[string]any{"handle": "popular"}}).Status
		}()
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[http.StatusCreated] != 1 || count[http.StatusConflict] != 19 {
		t.Fatalf("answers: %v", count)
	}
	var tokens int
	e.pool.QueryRow(t.Context(), "SELECT count(*) FROM claim_tokens").Scan(&tokens)
	if tokens != 1 {
		t.Errorf("%d tokens, want 1", tokens)
	}
}

var _ = giveaway.MaxPendingPerDevice
