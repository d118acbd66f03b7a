package pages

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/edge"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/idempotency"
)

type reissuedData struct {
	Claim *giveaway.Claim
	URL   string       // the claim's new status page
	QR    template.URL // a data: URL of its QR code, for the attendee to scan
	Back  string
}

func newFormKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// staffReissue gives a claim a new link for an attendee staff have checked at the booth, and
// shows it as a QR code to scan. The form's idempotency_key (rendered with the tablet page) makes
// a double tap or a resent form answer the same link instead of revoking the one just shown.
func (p *Pages) staffReissue(c echo.Context) error {
	id, ok := formID(c)
	if !ok {
		return back(c)
	}
	a, _ := p.actor(c)
	r, err := p.reissueOnce(c.Request().Context(), id, a, c.FormValue("idempotency_key"))
	if err != nil {
		return p.failed(c, err)
	}
	statusURL := edge.ClaimStatusURL(p.deps.PublicBaseURL, r.Token)
	qr, err := edge.QRDataURL(statusURL)
	if err != nil {
		return err
	}
	return p.page(c, http.StatusOK, "reissued", "reissued_title", "staff", reissuedData{Claim: r.Claim, URL: statusURL,
		QR: template.URL(qr), Back: backURL(c)})
}

// reissueOnce runs the re-issue at most once per key (the JSON API's idempotency store): its answer
// is kept with the key, so a retry shows the same token; a refusal is replayed as the same refusal.
func (p *Pages) reissueOnce(ctx context.Context, id int64, by giveaway.Actor, key string) (*giveaway.Reissued, error) {
	if key == "" {
		ctx, cancel := p.keys.Detach(ctx)
		defer cancel()
		return p.deps.Giveaway.Reissue(ctx, id, by)
	}
	request := sha256.Sum256(strconv.AppendInt([]byte("tablet_reissue\x00"), id, 10))
	var failed error // a failure that is not a refusal: nothing is stored, the retry runs again
	ans, err := p.keys.Do(ctx, "tablet_reissue", key, request[:], func(ctx context.Context) idempotency.Answer {
		r, err := p.deps.Giveaway.Reissue(ctx, id, by)
		if e, ok := apperr.As(err); ok {
			b, _ := json.Marshal(e)
			return idempotency.Answer{Status: http.StatusConflict, Body: b}
		}
		if err != nil {
			failed = err
			return idempotency.Answer{Status: http.StatusInternalServerError}
		}
		b, _ := json.Marshal(r)
		return idempotency.Answer{Status: http.StatusOK, Body: b}
	})
	switch {
	case err != nil:
		return nil, err
	case failed != nil:
		return nil, failed
	case ans.Status != http.StatusOK:
		var e apperr.Error
		if err := json.Unmarshal(ans.Body, &e); err != nil || e.Code == "" {
			return nil, apperr.New(apperr.Conflict, "idempotency_key_reused", "this form was already sent for another claim")
		}
		return nil, &e
	}
	var r giveaway.Reissued
	if err := json.Unmarshal(ans.Body, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
