// Package ratelimit is the per-address budget of the public routes, shared by the JSON API and
// the pages so both refuse the same way.
package ratelimit

import (
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"github.com/boothgiveaway/giveaway/internal/apperr"
)

// RetryAfter is what a refused client is told to wait.
const RetryAfter = 10 * time.Second

// PerAddress allows perMinute requests a minute from one client address (echo's RealIP, which
// believes X-Forwarded-For only from trusted proxies), with a burst of a quarter minute's worth
// so a queue at the booth behind one venue NAT does not trip it. A refusal is an apperr (429
// rate_limited with RetryAfter), so each route answers it in its own format.
func PerAddress(perMinute int) echo.MiddlewareFunc {
	store := middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate: rate.Limit(float64(perMinute) / 60), Burst: max(perMinute/4, 10), ExpiresIn: 5 * time.Minute,
	})
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store:               store,
		IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			e := apperr.New(apperr.TooMany, "rate_limited", "too many requests from this address; wait a few seconds")
			e.RetryAfter = RetryAfter
			return e
		},
	})
}
