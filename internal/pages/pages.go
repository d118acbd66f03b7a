// Package pages serves the HTML people touch: the attendee's claim page and claim status, the
// booth poster, the staff tablet and the live wall. Pages are rendered on the server from web/
// and work without JavaScript; small scripts add live updates (Server-Sent Events fed by
// PostgreSQL LISTEN/NOTIFY), copying, scanning and the tablet's offline queue.
package pages

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/draws"
	"github.com/boothgiveaway/giveaway/internal/edge"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/idempotency"
	"github.com/boothgiveaway/giveaway/internal/moderation"
	"github.com/boothgiveaway/giveaway/internal/notify"
	"github.com/boothgiveaway/giveaway/internal/oauth"
	"github.com/boothgiveaway/giveaway/internal/source"
	"github.com/boothgiveaway/giveaway/web"
)

// Deps is what the pages need.
type Deps struct {
	Pool     *pgxpool.Pool
	Giveaway *giveaway.Service
	Auth     *auth.Service
	// Notices is the process's LISTEN connection (internal/notify), shared with the feeder and
	// the sources; nil: Run opens one of its own (tests, the bench).
	Notices *notify.Listener
	// PublicBaseURL is where attendees reach the service; QR codes point there.
	PublicBaseURL string
	// ClaimsPerMinute is the claim form's budget per client address (default 300).
	ClaimsPerMinute int
	// StatusPerMinute is the budget per client address of the claim status page, its QR code
	// and its event stream together (default 3×ClaimsPerMinute: one view is three requests, and
	// a phone's page reconnects whenever it wakes).
	StatusPerMinute int
	// LoginPerMinute is the login form's own budget per address (default 120, as the JSON API's
	// login has), so a crowd claiming behind the venue NAT cannot lock staff out.
	LoginPerMinute int
	// StreamsPerAddress caps the public event streams (wall, claim status) one client address
	// holds open at once (default 50: a venue NAT puts a crowd behind one address).
	StreamsPerAddress int
	// OAuth runs "Sign in with X/Mastodon" on the claim's page; nil or unconfigured providers
	// offer nothing.
	OAuth *oauth.Service
	// SignInsPerMinute is the budget per client address of sign-in starts and callbacks together
	// (default 60): each makes outbound requests to a provider.
	SignInsPerMinute int
	// Edge is the process's edge, shared with the JSON API (set by internal/server.Mount).
	Edge *edge.Edge
	// XPricePerPost is the USD the X API bills per post read, for the report's spend estimate.
	XPricePerPost float64
	// UndoWindow is how far back the tablet lists gives with an undo button (default 10m).
	UndoWindow time.Duration
	// Sources are the readers this process runs: the console shows their state and gaps.
	Sources []source.Source
	// KibanaURL is the Kibana the console links each campaign's dashboard to; empty: no link.
	KibanaURL string
	// WebDir, when set, reads templates and static files from disk on every request (live
	// reload while developing); otherwise they come from the binary.
	WebDir string
}

// Pages holds the running pages: call Run to feed them live updates.
type Pages struct {
	deps  Deps
	edge  *edge.Edge
	embed *site
	hub   *Hub
	walls *moderation.Walls
	keys  *idempotency.Keys // the tablet's re-issue form, done once per key
	draws *draws.Service
	live  *live
	// Budgets per client address. The login form has its own, so a crowd claiming behind the
	// venue's NAT cannot lock staff out.
	claimLimiter, loginLimiter, statusLimiter, signInLimiter echo.MiddlewareFunc

	siteMu sync.Mutex
	ready  chan struct{}
	once   sync.Once
	// stopping ends when Run ends, so open event streams end and a graceful shutdown need not
	// wait for phones that never hang up.
	stopping context.Context
	stop     context.CancelFunc
}

// Register adds every page route to e.
func Register(e *echo.Echo, deps Deps) (*Pages, error) {
	if deps.ClaimsPerMinute <= 0 {
		deps.ClaimsPerMinute = 300
	}
	if deps.LoginPerMinute <= 0 {
		deps.LoginPerMinute = 120
	}
	if deps.StatusPerMinute <= 0 {
		deps.StatusPerMinute = 3 * deps.ClaimsPerMinute
	}
	if deps.UndoWindow <= 0 {
		deps.UndoWindow = 10 * time.Minute
	}
	if deps.SignInsPerMinute <= 0 {
		deps.SignInsPerMinute = 60
	}
	if deps.StreamsPerAddress <= 0 {
		deps.StreamsPerAddress = 50
	}
	deps.PublicBaseURL = strings.TrimRight(deps.PublicBaseURL, "/")
	s, err := loadSite(web.FS)
	if err != nil {
		return nil, err
	}
	if deps.Edge == nil {
		return nil, errors.New("pages: no edge; mount the pages with internal/server.Mount")
	}
	p := &Pages{deps: deps, edge: deps.Edge, embed: s, hub: NewHub(64), walls: moderation.New(deps.Pool), ready: make(chan struct{})}
	p.stopping, p.stop = context.WithCancel(context.Background())
	p.keys = idempotency.New(deps.Pool)
	p.draws = draws.New(deps.Pool)
	p.live = newLive(p.hub, p.walls, newFilter(defaultBlocklist))
	p.claimLimiter = edge.PerAddress(deps.ClaimsPerMinute)
	p.loginLimiter = edge.PerAddress(deps.LoginPerMinute)
	p.statusLimiter = edge.PerAddress(deps.StatusPerMinute)
	p.signInLimiter = edge.PerAddress(deps.SignInsPerMinute)
	p.routes(e)
	return p, nil
}

// routes is the table of contents of the pages. Middleware is attached per route, never to a
// group: Echo routes every request that matches no route through a group's middleware (it adds
// catch-all routes), which would change 404s and 405s for the whole server, /api/v1 included.
func (p *Pages) routes(e *echo.Echo) {
	// Outermost, errors are answered in the route's format (edge.Errors); then the security
	// headers, then CSRF.
	csrf := p.csrf()
	page := []echo.MiddlewareFunc{edge.Errors(p.showError), p.headers, csrf}
	data := []echo.MiddlewareFunc{edge.Errors(nil), p.headers, csrf}
	with := func(base []echo.MiddlewareFunc, m ...echo.MiddlewareFunc) []echo.MiddlewareFunc {
		return slices.Concat(base, m)
	}
	status := with(page, p.statusLimiter)
	streams := p.streamCap() // one count for all public streams
	staff := with(page, p.staffOnly)

	e.GET("/static/*", p.static, edge.Errors(p.showError))

	e.GET("/", p.home, page...)

	e.GET("/c/:slug", p.claimPage, page...)
	e.POST("/c/:slug", p.claimSubmit, with(page, p.claimLimiter)...)
	e.GET("/c/:slug/poster", p.poster, page...)
	e.GET("/c/:slug/poster/qr.png", p.posterQR, page...)
	e.GET("/c/:slug/wall", p.wall, page...)
	e.GET("/c/:slug/wall/events", p.wallEvents, with(page, streams)...)
	e.GET("/c/:slug/wall/posts", p.wallPosts, data...)
	e.GET("/c/:slug/wall/draw", p.wallDraw, page...)
	e.GET("/draws/:id", p.drawPage, page...)
	// The printable report is the JSON report's page: staff by session or bearer token, and the
	// JSON API's errors, as when it was on the API's table.
	e.GET("/c/:slug/report", p.reportPage, middleware.BodyLimit("64KiB"), p.edge.APICSRF(), p.edge.StaffOnly)

	e.GET("/claims/:token", p.claimStatus, status...)
	e.GET("/claims/:token/qr.png", p.claimQR, status...)
	e.GET("/claims/:token/events", p.claimEvents, with(status, streams)...)
	// Sign in with X or Mastodon (signin.go): each start and callback calls the provider.
	e.POST("/claims/:token/signin/:provider", p.signInStart, with(page, p.signInLimiter)...)
	e.GET("/oauth/callback/:provider", p.signInFinish, with(page, p.signInLimiter)...)

	// The organiser's console (admin.go): pages that read; its forms post to the JSON API.
	console := with(page, p.adminOnly)
	e.GET("/admin", p.adminHome, console...)
	e.GET("/admin/c/:slug", p.adminCampaign, console...)
	e.GET("/admin/staff", p.adminStaff, console...)
	e.GET("/admin/sources", p.adminSources, console...)

	e.GET("/staff", p.staff, with(page, p.scope)...)
	// The tablet as an installable app (pwa.go): public, nothing in them is anyone's.
	e.GET("/staff/sw.js", p.staffSW, edge.Errors(p.showError), p.headers)
	e.GET("/staff/manifest.webmanifest", p.staffManifest, edge.Errors(p.showError), p.headers)
	e.GET("/staff/icons/:file", p.staffIcon, edge.Errors(p.showError), p.headers)
	e.POST("/staff/login", p.staffLogin, with(page, p.loginLimiter)...)
	e.POST("/staff/logout", p.staffLogout, page...)
	e.GET("/staff/live", p.staffLive, staff...)
	e.GET("/staff/events", p.staffEvents, staff...)
	e.POST("/staff/claims/:id/give", p.staffGive, staff...)
	e.POST("/staff/claims/:id/undo", p.staffUndo, staff...)
	e.POST("/staff/claims/:id/approve", p.staffApprove, staff...)
	e.POST("/staff/claims/:id/reject", p.staffReject, staff...)
	e.POST("/staff/claims/:id/reissue", p.staffReissue, staff...)
	e.POST("/staff/manual", p.staffManual, staff...)
	e.POST("/staff/block", p.staffBlock, staff...)
	e.POST("/staff/wall", p.staffWallSettings, staff...)
	e.POST("/staff/wall/hide", p.staffHide, staff...)
	e.POST("/staff/wall/approve", p.staffApprovePost, staff...)
}

// Run feeds the pages live updates until ctx ends, from the notices of the claim events, the
// stored posts and the wall's moderation. A Resync (notices were lost: the connection was made
// again, or the pages fell behind) tells every open page to read its state again.
func (p *Pages) Run(ctx context.Context) {
	defer func() {
		p.stop()
		p.hub.WakeAll() // open streams see that they are over
	}()
	go p.live.runWorker(ctx)
	l, wait := notify.OrOwn(ctx, p.deps.Notices, p.deps.Pool)
	defer wait()
	sub := l.Subscribe(notifyBuffer, notify.Events, notify.Posts, notify.Wall, notify.Draws)
	defer sub.Close()
	ready := sub.Ready()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ready:
			p.once.Do(func() { close(p.ready) })
			ready = nil
		case n := <-sub.C():
			if n.Resync {
				p.live.resync()
			} else {
				p.live.handle(n.Channel, n.Payload)
			}
		}
	}
}

// notifyBuffer is how many notices the pages may fall behind before they are dropped for one
// resync: handling one only publishes to the hub (database reads go to the posts worker).
const notifyBuffer = 4096

// Ready is closed once live updates flow (the first LISTEN is in place).
func (p *Pages) Ready() <-chan struct{} { return p.ready }

// site returns the templates: from the binary, or fresh from disk in development.
func (p *Pages) site() (*site, error) {
	if p.deps.WebDir == "" {
		return p.embed, nil
	}
	p.siteMu.Lock()
	defer p.siteMu.Unlock()
	return loadSite(os.DirFS(p.deps.WebDir))
}

func (p *Pages) staticFS() fs.FS {
	if p.deps.WebDir != "" {
		return os.DirFS(p.deps.WebDir + "/static")
	}
	return p.embed.static
}
