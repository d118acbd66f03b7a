// Package httpapi is the JSON API: every /api route in one table (routes), thin handlers that
// decode, call the domain and encode. Sessions, CSRF, staff, rate budgets and the error renderer
// are the edge's (internal/edge).
package httpapi

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/draws"
	"github.com/boothgiveaway/giveaway/internal/edge"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/idempotency"
	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/source"
	"github.com/boothgiveaway/giveaway/internal/webhook"
)

// Config is what the HTTP layer needs besides the services.
type Config struct {
	IngestToken string
	// IngestSecret lets senders sign ingest pushes instead of sending the token (webhook.Sign);
	// XWebhookSecret is the X app's consumer secret, for X's own webhook deliveries and CRC.
	IngestSecret    string
	XWebhookSecret  string
	SignatureWindow time.Duration // how old a signed timestamp may be; default webhook.DefaultWindow
	// TrustedProxies are the CIDRs of the load balancers whose X-Forwarded-For we believe; empty
	// means clients connect directly and the socket address is the client.
	TrustedProxies []string
	// ClaimsPerMinute is the claim budget of one client address; a venue NAT puts a crowd behind
	// one address, so it must stay well above 60.
	ClaimsPerMinute int
	// SecureCookies marks cookies Secure (set when PUBLIC_BASE_URL is https).
	SecureCookies bool
	// AccessLog gets the edge's line per request (nil: none).
	AccessLog *slog.Logger
	// PublicBaseURL is where attendees reach the service: a re-issued claim link points there.
	// Empty: the request's own scheme and host.
	PublicBaseURL string
	SessionTTL    time.Duration
	// XPricePerPost is the USD the X API bills per post read, for the report's spend estimate.
	XPricePerPost float64
	// CSRFKey signs the CSRF tokens bound to staff sessions; instances behind one load balancer
	// share it. Empty: a random key for this process.
	CSRFKey []byte
}

// Deps are the services the handlers call.
type Deps struct {
	Pool     *pgxpool.Pool
	Giveaway *giveaway.Service
	Auth     *auth.Service
	Ingest   *ingest.Service
	Registry *prometheus.Registry
	// Ready adds checks to /readyz (the database is always checked).
	Ready func(ctx context.Context) map[string]any
	// Sources are the readers this process runs, for GET /api/v1/sources.
	Sources []source.Source
}

type server struct {
	cfg  Config
	deps Deps
	keys *idempotency.Keys
	edge *edge.Edge
	// draws runs the fair draws (its own package: they need nothing of the giveaway service).
	draws *draws.Service
}

// Register adds the API's routes to e, on the edge x (internal/server.Mount mounts the API and
// the pages on one edge).
func Register(e *echo.Echo, x *edge.Edge, cfg Config, deps Deps) {
	if cfg.ClaimsPerMinute <= 0 {
		cfg.ClaimsPerMinute = 300
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.SignatureWindow <= 0 {
		cfg.SignatureWindow = webhook.DefaultWindow
	}
	s := &server{cfg: cfg, deps: deps, keys: idempotency.New(deps.Pool), edge: x, draws: draws.New(deps.Pool)}
	e.Pre(formMethod)
	s.routes(e)
}

// routes is the table of contents of the HTTP API. Middleware is attached per route, not per
// group, so an unknown path is a plain 404 rather than a 401 from a group's guard.
func (s *server) routes(e *echo.Echo) {
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.deps.Registry, promhttp.HandlerOpts{})))

	body := middleware.BodyLimit("64KiB")
	public := []echo.MiddlewareFunc{body, edge.PerAddress(s.cfg.ClaimsPerMinute)}
	staff := []echo.MiddlewareFunc{body, s.edge.APICSRF(), s.edge.StaffOnly}
	// The console's forms post to the admin routes too (form.go): consoleForms answers their
	// refusals, the guards' included, on the console page.
	admin := []echo.MiddlewareFunc{s.consoleForms, body, s.edge.APICSRF(), s.edge.AdminOnly}

	e.GET("/api/v1/campaigns/:slug", s.getCampaign)
	e.POST("/api/v1/campaigns/:slug/claims", s.createClaim, public...)
	e.GET("/api/v1/claims/:token", s.getClaim, public...)
	e.POST("/api/v1/auth/login", s.login, body, edge.PerAddress(120))
	e.POST("/api/v1/auth/logout", s.logout, body, s.edge.APICSRF())
	e.GET("/api/v1/auth/session", s.session, staff...)

	e.POST("/api/v1/campaigns", s.createCampaign, admin...)
	e.GET("/api/v1/campaigns", s.listCampaigns, admin...)
	e.PATCH("/api/v1/campaigns/:slug", s.updateCampaign, admin...)
	e.POST("/api/v1/campaigns/:slug/prizes", s.addPrize, admin...)
	e.PATCH("/api/v1/campaigns/:slug/prizes/:key", s.updatePrize, admin...)
	e.POST("/api/v1/campaigns/:slug/dry-run", s.dryRun, admin...)
	e.GET("/api/v1/campaigns/:slug/audit", s.campaignAudit, admin...)
	e.POST("/api/v1/staff", s.createStaff, admin...)
	e.GET("/api/v1/staff", s.listStaff, admin...)
	e.GET("/api/v1/sources", s.sources, admin...)
	e.PATCH("/api/v1/staff/:id", s.updateStaff, admin...)
	e.POST("/api/v1/staff/:id/sessions/end", s.endStaffSessions, admin...)

	e.GET("/api/v1/campaigns/:slug/claims", s.listClaims, staff...)
	e.POST("/api/v1/campaigns/:slug/manual-claims", s.manualClaim, staff...)
	e.POST("/api/v1/claims/:id/give", s.give, staff...)
	e.POST("/api/v1/claims/:id/undo", s.undo, staff...)
	e.POST("/api/v1/claims/:id/approve", s.approve, staff...)
	e.POST("/api/v1/claims/:id/reject", s.reject, staff...)
	e.POST("/api/v1/claims/:id/reissue", s.reissue, staff...)
	e.GET("/api/v1/campaigns/:slug/report", s.report, staff...)

	// Fair draws: the organiser defines, commits and reveals; staff confirm winners; anyone reads.
	e.POST("/api/v1/campaigns/:slug/draws", s.createDraw, admin...)
	e.GET("/api/v1/campaigns/:slug/draws", s.listDraws, staff...)
	e.POST("/api/v1/draws/:id/commit", s.commitDraw, admin...)
	e.POST("/api/v1/draws/:id/reveal", s.revealDraw, admin...)
	// The console's present/absent buttons post forms: consoleForms answers them as it does the
	// organiser's routes.
	decide := append([]echo.MiddlewareFunc{s.consoleForms}, staff...)
	e.POST("/api/v1/draws/:id/winners/:n/present", s.drawPresent, decide...)
	e.POST("/api/v1/draws/:id/winners/:n/absent", s.drawAbsent, decide...)
	e.GET("/api/v1/draws/:id", s.getDraw, edge.PerAddress(60))

	e.POST("/api/v1/ingest/tweets", s.ingestTweets, middleware.BodyLimit(maxIngestBody), s.ingestOnly)
	e.GET("/api/v1/ingest/tweets", s.webhookCRC, edge.PerAddress(60))
}
