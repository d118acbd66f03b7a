package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	_ "image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/boothgiveaway/giveaway/internal/httpapi"
)

func reissuePath(id any) string { return fmt.Sprintf("/api/v1/claims/%v/reissue", id) }

func decodeQRDataURL(t *testing.T, data string) string {
	t.Helper()
	b64, ok := strings.CutPrefix(data, "data:image/png;base64,")
	if !ok {
		t.Fatalf("not a PNG data URL: %.40q", data)
	}
	png, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	r, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r.GetText()
}

// An attendee who lost their page gets a new link at the booth: the old token stops working,
// a retry of the same re-issue answers the same new token, and the audit log says who did it.
func TestStaffReissueAClaimsLinkAndTheOldOneStops(t *testing.T) {
	e := newEnv(t)
	e.campaign("pycon", campaignOpts{})
	staff := e.staff("Janis")
	carol := e.claim("pycon", "carol_v")
	old, id := carol.Body["token"].(string), carol.Body["id"]

	if r := e.call(req{method: "POST", path: reissuePath(id)}); r.Status != http.StatusUnauthorized {
		t.Fatalf("re-issue without a session: %d %s", r.Status, r.Raw)
	}
	key := map[string]string{"Idempotency-Key": "reissue-carol-1"}
	r := e.must(http.StatusOK, req{method: "POST", path: reissuePath(id), bearer: staff, headers: key})
	token, _ := r.Body["token"].(string)
	if token == "" || token == old || len(token) < 40 {
		t.Fatalf("re-issue: %s", r.Raw)
	}
	url := r.Body["status_url"].(string)
	if url != e.srv.URL+"/claims/"+token {
		t.Errorf("status_url %q", url)
	}
	if got := decodeQRDataURL(t, r.Body["qr_png"].(string)); got != url {
		t.Errorf("the QR holds %q, want %q", got, url)
	}
	if cl := r.Body["claim"].(map[string]any); cl["id"] != id || cl["code"] != carol.Body["code"] {
		t.Errorf("claim: %v", cl)
	}
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
	}
	// The tablet's retry (the answer was lost): the same token, not another.
	again := e.must(http.StatusOK, req{method: "POST", path: reissuePath(id), bearer: staff, headers: key})
	if again.Body["token"] != token {
		t.Fatalf("a retry minted another token: %s", again.Raw)
	}
	if r := e.call(req{method: "GET", path: "/api/v1/claims/" + old}); r.Status != http.StatusNotFound {
		t.Errorf("old token: %d %s", r.Status, r.Raw)
	}
	if e.claimStatus(token) != "pending" {
		t.Error("the new token does not open the claim")
	}
	// The new holder claims again and keeps the claim; the old one is a stranger now.
	if r := e.call(req{method: "POST", path: claimPath("pycon"), body: map[string]any{"handle": "carol_v"},
		headers: map[string]string{httpapi.ClaimTokenHeader: old}}); r.code() != "already_claimed" {
		t.Errorf("old token claiming again: %d %s", r.Status, r.Raw)
	}
	e.must(http.StatusOK, req{method: "POST", path: claimPath("pycon"), body: map[string]any{"handle": "carol_v"},
		headers: map[string]string{httpapi.ClaimTokenHeader: token}})

	var n int
	var actor, details string
	if err := e.pool.QueryRow(t.Context(), `SELECT count(*) OVER (), actor, details::text FROM audit_log
		WHERE action = 'reissued' AND claim_id = $1`, id).Scan(&n, &actor, &details); err != nil {
		t.Fatal(err)
	}
	if n != 1 || actor != "Janis" || strings.Contains(details, token) || strings.Contains(details, old) {
		t.Errorf("audit: %d rows, actor %q, details %s", n, actor, details)
	}
	e.pool.QueryRow(t.Context(), `SELECT count(*) FROM claim_tokens`).Scan(&n)
	if n != 1 {
		t.Errorf("%d tokens, want the new one", n)
	}
	if r := e.call(req{method: "POST", path: reissuePath(999999), bearer: staff}); r.Status != 404 || r.code() != "claim_not_found" {
		t.Errorf("unknown claim: %d %s", r.Status, r.Raw)
	}
}

// Staff scoped to one campaign cannot re-issue another's claims.
func TestScopedStaffCannotReissueAnotherCampaignsClaim(t *testing.T) {
	d := newDoor(t)
	d.campaign("pycon", campaignOpts{})
	d.campaign("jsconf", campaignOpts{})
	mine := d.claim("pycon", "mine").Body["id"]
	theirs := d.claim("jsconf", "theirs")
	id := d.addStaff("Janis", "482193")
	d.must(200, req{method: "PATCH", path: fmt.Sprintf("/api/v1/staff/%v", id), bearer: adminToken,
		body: map[string]any{"campaigns": []string{"pycon"}}})
	tok := d.login("Janis", "482193").Body["token"].(string)
	if r := d.call(req{method: "POST", path: reissuePath(theirs.Body["id"]), bearer: tok}); r.Status != 403 || r.code() != "campaign_forbidden" {
		t.Fatalf("another campaign's claim: %d %s", r.Status, r.Raw)
	}
	if d.claimStatus(theirs.Body["token"].(string)) != "pending" {
		t.Fatal("a refused re-issue revoked the token")
	}
	d.must(200, req{method: "POST", path: reissuePath(mine), bearer: tok})
}
