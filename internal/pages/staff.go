package pages

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/edge"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/moderation"
	"github.com/boothgiveaway/giveaway/internal/store"
)

type campaignRef struct {
	Slug, Name string
}

type recentGive struct {
	ClaimID               int64
	Network, Handle, Code string
	Prize                 string
	GivenAt               time.Time
	GivenBy               string
}

// staffData is the tablet: the search, the queues and the wall's moderation of one campaign.
type staffData struct {
	Staff     giveaway.Actor
	Campaigns []campaignRef
	Campaign  *giveaway.Campaign
	Loc       *time.Location
	Q         string
	Searched  bool
	Results   []giveaway.StaffClaim
	Queue     []giveaway.StaffClaim // verified, waiting for a prize
	Pending   []giveaway.StaffClaim // other networks, waiting for a look at the post
	Recent    []recentGive          // given in the undo window
	Wall      moderation.Settings
	Posts     []moderation.Post // manual: waiting for approval; auto: on the wall now
	Blocked   []moderation.Blocked
	Flash     *flashView
	Slug      string // the campaign asked for, on the login form
	Networks  []string
	UndoMins  int
	At        time.Time // when the lists were read: the tablet says how old they are offline
}

// campaignFor picks the tablet's campaign: ?c=, the last one used, else the one running now.
func (p *Pages) campaignFor(c echo.Context, refs []campaignRef) string {
	slug := c.QueryParam("c")
	if slug == "" {
		slug = c.FormValue("c")
	}
	if slug == "" {
		slug = edge.Value(c, edge.StaffCampaignCookie)
	}
	for _, r := range refs {
		if r.Slug == slug {
			return slug
		}
	}
	if len(refs) > 0 {
		return refs[0].Slug
	}
	return ""
}

func (p *Pages) campaignRefs(ctx context.Context) ([]campaignRef, error) {
	rows, err := store.New(p.deps.Pool).TabletCampaigns(ctx)
	refs := make([]campaignRef, len(rows))
	for i, r := range rows {
		refs[i] = campaignRef{Slug: r.Slug, Name: r.Name}
	}
	return refs, err
}

func (p *Pages) staffData(c echo.Context, a giveaway.Actor) (*staffData, error) {
	ctx := c.Request().Context()
	refs, err := p.campaignRefs(ctx)
	if err != nil {
		return nil, err
	}
	d := &staffData{Staff: a, Campaigns: refs, Networks: giveaway.Networks, UndoMins: int(p.deps.UndoWindow.Minutes()), At: time.Now()}
	slug := p.campaignFor(c, refs)
	if slug == "" {
		return d, nil
	}
	p.edge.Cookies.SetStaffCampaign(c, slug)
	if d.Campaign, err = p.deps.Giveaway.Campaign(ctx, slug); err != nil {
		return nil, err
	}
	d.Loc = d.Campaign.Location()
	// ?code= is what the claim's QR holds, ?q= what staff type.
	d.Q = strings.TrimSpace(c.QueryParam("q"))
	if d.Q == "" {
		d.Q = strings.TrimSpace(c.QueryParam("code"))
	}
	if d.Q != "" {
		d.Searched = true
		if d.Results, err = p.deps.Giveaway.ListClaims(ctx, slug, giveaway.ListFilter{Query: d.Q, Limit: 20}); err != nil {
			return nil, err
		}
	}
	if d.Queue, err = p.deps.Giveaway.ListClaims(ctx, slug, giveaway.ListFilter{Status: "verified", Limit: 50}); err != nil {
		return nil, err
	}
	pending, err := p.deps.Giveaway.ListClaims(ctx, slug, giveaway.ListFilter{Status: "pending", Limit: 100})
	if err != nil {
		return nil, err
	}
	for _, cl := range pending {
		// Staff decide claims on networks the service does not read, and those that name a post
		// (the attendee can show it while a source is down); the rest wait for their post.
		if !giveaway.SelfVerified(cl.Network) || (cl.Network != "twitter" && cl.PostURL != nil) {
			d.Pending = append(d.Pending, cl)
		}
	}
	gives, err := store.New(p.deps.Pool).RecentGives(ctx, store.RecentGivesParams{CampaignID: d.Campaign.ID,
		Since: time.Now().Add(-p.deps.UndoWindow)})
	if err != nil {
		return nil, err
	}
	for _, g := range gives {
		d.Recent = append(d.Recent, recentGive{ClaimID: g.ClaimID, Network: g.Network, Handle: g.Handle, Code: g.Code,
			Prize: g.Name, GivenAt: g.GivenAt, GivenBy: g.GivenByName})
	}
	if d.Wall, err = p.walls.Settings(ctx, d.Campaign.ID); err != nil {
		return nil, err
	}
	which := moderation.All
	if d.Wall.Mode == "manual" {
		which = moderation.Unapproved
	}
	if d.Posts, err = p.walls.Latest(ctx, d.Campaign.ID, 20, which); err != nil {
		return nil, err
	}
	if d.Blocked, err = p.walls.Blocked(ctx, d.Campaign.ID); err != nil {
		return nil, err
	}
	return d, nil
}

// staff is the tablet page, or its login form.
func (p *Pages) staff(c echo.Context) error {
	s, err := p.site()
	if err != nil {
		return err
	}
	l := p.lang(c)
	a, ok := p.actor(c)
	if !ok {
		// Keep what the tablet was asked to find (a scanned QR opens /staff?c=..&code=..).
		q := c.QueryParam("q")
		if q == "" {
			q = c.QueryParam("code")
		}
		return p.page(c, http.StatusOK, "login", "staff_login_title", "staff",
			&staffData{Flash: p.takeFlash(c, s.msgs[l]), Q: q, Slug: c.QueryParam("c")})
	}
	d, err := p.staffData(c, a)
	if err != nil {
		return err
	}
	d.Flash = p.takeFlash(c, s.msgs[l])
	markShell(c, a)
	return p.page(c, http.StatusOK, "staff", "staff_title", "staff", d)
}

// staffLive is the live part of the tablet, for its script to swap in when something changes.
func (p *Pages) staffLive(c echo.Context) error {
	a, _ := p.actor(c)
	d, err := p.staffData(c, a)
	if err != nil {
		return err
	}
	markShell(c, a)
	return p.fragment(c, "staff", "live", d)
}

// staffEvents tells the tablet that its campaign changed; the script then fetches /staff/live.
// The campaign is chosen as for /staff/live, so the two always follow the same one.
func (p *Pages) staffEvents(c echo.Context) error {
	ctx := c.Request().Context()
	refs, err := p.campaignRefs(ctx)
	if err != nil {
		return err
	}
	camp, err := p.deps.Giveaway.Campaign(ctx, p.campaignFor(c, refs))
	if err != nil {
		return err
	}
	sub, _, _ := p.hub.Subscribe(staffTopic(camp.ID), "")
	defer p.hub.Unsubscribe(sub)
	s := openSSE(c)
	if err := s.send(Event{Name: "hello"}); err != nil {
		return nil
	}
	return s.pump(c, p.stopping, sub, func(ev *Event) (*Event, error) { return &Event{Name: ev.Name, Data: ev.Data}, nil })
}
