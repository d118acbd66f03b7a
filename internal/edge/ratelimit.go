package edge

import (
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"github.com/boothgiveaway/giveaway/internal/apperr"
)

// RateRetryAfter is what a client refused by a rate budget is told to wait.
const RateRetryAfter = 10 * time.Second

// PerAddress allows perMinute requests a minute from one client address (echo's RealIP, which
// believes X-Forwarded-For only from trusted proxies), with a burst of a quarter minute's worth
// so a queue at the booth behind one venue NAT does not trip it. A refusal is an apperr (429
// rate_limited with RetryAfter), answered by the one error renderer in the route's format.
func PerAddress(perMinute int) echo.MiddlewareFunc {
	store := middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate: rate.Limit(float64(perMinute) / 60), Burst: max(perMinute/4, 10), ExpiresIn: 5 * time.Minute,
	})
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store:               store,
		IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			e := apperr.New(apperr.TooMany, "rate_limited", "too many requests from this address; wait a few seconds")
			e.RetryAfter = RateRetryAfter
			return e
		},
	})
}
