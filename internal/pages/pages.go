// Package pages serves the HTML people touch: the attendee's claim page and claim status, the
// booth poster, the staff tablet and the live wall. Pages are rendered on the server from web/
// and work without JavaScript; small scripts add live updates (Server-Sent Events fed by
// PostgreSQL LISTEN/NOTIFY), copying, scanning and the tablet's offline queue.
package pages

import (
	"context"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/web"
)

// Deps is what the pages need.
type Deps struct {
	Pool     *pgxpool.Pool
	Giveaway *giveaway.Service
	Auth     *auth.Service
	// PublicBaseURL is where attendees reach the service; QR codes point there.
	PublicBaseURL string
	// SecureCookies marks cookies Secure (PUBLIC_BASE_URL is https).
	SecureCookies bool
	// ClaimsPerMinute is the claim form's budget per client address (default 300).
	ClaimsPerMinute int
	// UndoWindow is how far back the tablet lists gives with an undo button (default 10m).
	UndoWindow time.Duration
	// WebDir, when set, reads templates and static files from disk on every request (live
	// reload while developing); otherwise they come from the binary.
	WebDir string
}

// Pages holds the running pages: call Run to feed them live updates.
type Pages struct {
	deps  Deps
	embed *site
	hub   *Hub
	walls *wallStore
	live  *live
	// limiter budgets the public claim form per address.
	limiter echo.MiddlewareFunc
	siteMu  sync.Mutex
	ready   chan struct{}
	once    sync.Once
}

// Register adds every page route to e.
func Register(e *echo.Echo, deps Deps) (*Pages, error) {
	if deps.ClaimsPerMinute <= 0 {
		deps.ClaimsPerMinute = 300
	}
	if deps.UndoWindow <= 0 {
		deps.UndoWindow = 10 * time.Minute
	}
	deps.PublicBaseURL = strings.TrimRight(deps.PublicBaseURL, "/")
	s, err := loadSite(web.FS)
	if err != nil {
		return nil, err
	}
	p := &Pages{deps: deps, embed: s, hub: NewHub(64), walls: &wallStore{pool: deps.Pool}, ready: make(chan struct{})}
	p.live = newLive(p.hub, p.walls, newFilter(defaultBlocklist))
	p.limiter = rateLimit(deps.ClaimsPerMinute)
	p.routes(e)
	return p, nil
}

// routes is the table of contents of the pages.
func (p *Pages) routes(e *echo.Echo) {
	e.GET("/static/*", p.static)

	g := e.Group("", p.headers, p.csrf())
	g.GET("/c/:slug", p.claimPage)
	g.POST("/c/:slug", p.claimSubmit, p.limiter)
	g.GET("/c/:slug/poster", p.poster)
	g.GET("/c/:slug/poster/qr.png", p.posterQR)
	g.GET("/c/:slug/wall", p.wall)
	g.GET("/c/:slug/wall/events", p.wallEvents)
	g.GET("/c/:slug/wall/posts", p.wallPosts)

	g.GET("/claims/:token", p.claimStatus)
	g.GET("/claims/:token/qr.png", p.claimQR)
	g.GET("/claims/:token/events", p.claimEvents)

	g.GET("/staff", p.staff)
	g.POST("/staff/login", p.staffLogin, p.limiter)
	g.POST("/staff/logout", p.staffLogout)
	staff := g.Group("/staff", p.staffOnly)
	staff.GET("/live", p.staffLive)
	staff.GET("/events", p.staffEvents)
	staff.POST("/claims/:id/give", p.staffGive)
	staff.POST("/claims/:id/undo", p.staffUndo)
	staff.POST("/claims/:id/approve", p.staffApprove)
	staff.POST("/claims/:id/reject", p.staffReject)
	staff.POST("/manual", p.staffManual)
	staff.POST("/block", p.staffBlock)
	staff.POST("/wall", p.staffWallSettings)
	staff.POST("/wall/hide", p.staffHide)
	staff.POST("/wall/approve", p.staffApprovePost)
}

// Run feeds the pages live updates until ctx ends: one LISTEN connection for this instance.
func (p *Pages) Run(ctx context.Context) {
	go p.live.runWorker(ctx)
	listen(ctx, p.deps.Pool, p.live.handle, func(first bool) {
		if first {
			p.once.Do(func() { close(p.ready) })
			return
		}
		p.live.resync()
	})
}

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
