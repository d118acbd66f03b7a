package httpapi

import (
	"encoding/json"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/edge"
)

// answer turns a handler outcome into the bytes an idempotency key stores: an error as the edge
// renders it.
func answer(c echo.Context, status int, v any, err error) (int, []byte) {
	if err != nil {
		return edge.ErrorJSON(c, err)
	}
	b, _ := json.Marshal(v)
	return status, b
}
