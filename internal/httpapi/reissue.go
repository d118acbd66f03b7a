package httpapi

import (
	stdctx "context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/edge"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
)

// reissueAnswer is a re-issued claim link as the tablet shows it: the attendee scans the QR.
type reissueAnswer struct {
	*giveaway.Reissued
	StatusURL string `json:"status_url"`
	// QRPNG is a data: URL of a PNG QR code of StatusURL.
	QRPNG string `json:"qr_png"`
}

// reissue gives a claim a new link and revokes the old ones, for an attendee staff have checked
// at the booth. With an Idempotency-Key a retry answers the same new token instead of another.
func (s *server) reissue(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	base := s.cfg.PublicBaseURL
	if base == "" {
		base = c.Scheme() + "://" + c.Request().Host
	}
	return s.idempotent(c, "reissue", strconv.AppendInt(nil, id, 10), func(ctx stdctx.Context) (int, any, error) {
		r, err := s.deps.Giveaway.Reissue(ctx, id, edge.Actor(c))
		if err != nil {
			return 0, nil, err
		}
		out := reissueAnswer{Reissued: r, StatusURL: edge.ClaimStatusURL(base, r.Token)}
		if out.QRPNG, err = edge.QRDataURL(out.StatusURL); err != nil {
			return 0, nil, err
		}
		return http.StatusOK, out, nil
	})
}
