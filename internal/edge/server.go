package edge

import (
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boothgiveaway/giveaway/internal/textguard"
)

// ServerConfig is what the rules of every answer need.
type ServerConfig struct {
	// Secure adds HSTS and marks every cookie Secure (PUBLIC_BASE_URL is https).
	Secure bool
	// TrustedProxies are the CIDRs of the load balancers whose X-Forwarded-For we believe; empty
	// means clients connect directly and the socket address is the client.
	TrustedProxies []string
	// Registry gets the request metrics; nil: none registered.
	Registry prometheus.Registerer
	// AccessLog gets one line per request; nil: none (tests).
	AccessLog *slog.Logger
}

// NewEcho returns the server with the rules of every answer, API and pages alike, and the one
// error renderer; the route tables (httpapi, pages) are added to it.
func NewEcho(cfg ServerConfig) (*echo.Echo, error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = HandleError
	extractor, err := ipExtractor(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	e.IPExtractor = extractor
	// Outermost, the access log and the metrics see every answer as the client gets it, pages
	// and panics included; the request id is set before anything can fail.
	e.Use(accessLog(cfg.AccessLog))
	e.Use(requestMetrics(cfg.Registry))
	e.Use(middleware.Recover())
	if cfg.Secure {
		e.Use(HTTPS)
	}
	e.Use(cleanInput, noStoreAPI)
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection: "0", ContentTypeNosniff: "nosniff", XFrameOptions: "DENY",
		ReferrerPolicy: "same-origin",
	}))
	return e, nil
}

// cleanInput answers 400 invalid_input to a path or query holding a NUL or bytes that are not
// UTF-8, before any handler passes them to PostgreSQL (which refuses them, a 500). It runs after
// routing, for every route of the API and the pages.
func cleanInput(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if badInput(c.Request()) {
			return textguard.ErrInvalidInput()
		}
		return next(c)
	}
}

// badInput is cleanInput's check, apart from it to keep the frame every open event stream holds
// small (see pages' pump).
//
//go:noinline
func badInput(r *http.Request) bool {
	bad := textguard.BadText(r.URL.Path) || textguard.BadText(r.URL.RawQuery)
	for k, vs := range r.URL.Query() {
		bad = bad || textguard.BadText(k)
		for _, v := range vs {
			bad = bad || textguard.BadText(v)
		}
	}
	return bad
}

// noStoreAPI keeps every API answer out of caches: logins, claims, claim status and sessions
// carry tokens. A handler may still choose otherwise.
func noStoreAPI(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.HasPrefix(c.Request().URL.Path, "/api/") {
			c.Response().Header().Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

func ipExtractor(cidrs []string) (echo.IPExtractor, error) {
	if len(cidrs) == 0 {
		// Echo would otherwise believe X-Forwarded-For from anyone.
		return echo.ExtractIPDirect(), nil
	}
	var opts []echo.TrustOption
	opts = append(opts, echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false))
	for _, c := range cidrs {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			return nil, err
		}
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...), nil
}
