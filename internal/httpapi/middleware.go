package httpapi

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"io"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/edge"
	"github.com/boothgiveaway/giveaway/internal/webhook"
)

// ingestOnly admits the ingest token, or a body signed with the ingest secret (the service's
// scheme, with a timestamp) or with the X app's secret (X's webhook deliveries).
func (s *server) ingestOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header
		var verify func(body []byte) error
		switch token := edge.Bearer(c); {
		case token != "":
			if s.cfg.IngestToken == "" || subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.IngestToken)) != 1 {
				return apperr.New(apperr.Unauthorized, "invalid_ingest_token", "the ingest token is wrong")
			}
			return next(c)
		case h.Get(webhook.SignatureHeader) != "" && s.cfg.IngestSecret != "":
			verify = func(body []byte) error {
				return webhook.Verify([]byte(s.cfg.IngestSecret), h, body, time.Now(), s.cfg.SignatureWindow)
			}
		case h.Get(webhook.XSignatureHeader) != "" && s.cfg.XWebhookSecret != "":
			verify = func(body []byte) error { return webhook.VerifyX([]byte(s.cfg.XWebhookSecret), h, body) }
		default:
			return apperr.New(apperr.Unauthorized, "invalid_ingest_token",
				"send the ingest token as Authorization: Bearer, or sign the body (%s)", webhook.SignatureHeader)
		}
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err // the body limit: 413
		}
		switch err := verify(body); {
		case errors.Is(err, webhook.ErrStale):
			return apperr.New(apperr.Unauthorized, "stale_signature",
				"%s is more than %s away from the server's clock", webhook.TimestampHeader, s.cfg.SignatureWindow)
		case err != nil:
			return apperr.New(apperr.Unauthorized, "invalid_signature", "%v", err)
		}
		c.Request().Body = io.NopCloser(bytes.NewReader(body))
		return next(c)
	}
}
