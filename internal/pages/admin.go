package pages

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/draws"
	"github.com/boothgiveaway/giveaway/internal/edge"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/moderation"
	"github.com/boothgiveaway/giveaway/internal/source"
)

// The organiser's console (issue 12): pages for staff with the admin role. They only read; every
// form posts to the JSON API's own route (internal/httpapi, form.go there), which answers a form
// with 303 back here and the outcome as the console's flash.

// adminOnly shows a browser without a session the console's login form (which comes back to the
// page asked for), and a member without the admin role a 403 page.
func (p *Pages) adminOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, ok := p.identity(c)
		if !ok {
			return p.adminLogin(c)
		}
		if !id.IsAdmin() {
			return apperr.New(apperr.Forbidden, "admin_only", "the console is for organisers (the admin role)")
		}
		return next(c)
	}
}

type adminLoginData struct {
	Next  string
	Flash *flashView
}

func (p *Pages) adminLogin(c echo.Context) error {
	s, err := p.site()
	if err != nil {
		return err
	}
	next := c.Request().URL.RequestURI()
	if !edge.IsConsoleURL(next) {
		next = edge.ConsolePath
	}
	return p.page(c, http.StatusOK, "admin_login", "admin_login_title", "console",
		adminLoginData{Next: next, Flash: p.takeFlash(c, s.msgs[p.lang(c)])})
}

// consoleFlash is the flash of the console: a dry run's verdict is worded here, in the reader's
// language, from the reason codes the API left.
type consoleFlash struct {
	Kind, Text string
	Items      []string
}

func (p *Pages) consoleFlash(c echo.Context, msgs map[string]string) *consoleFlash {
	raw, _ := url.ParseQuery(edge.Value(c, edge.FlashCookie))
	f := p.takeFlash(c, msgs)
	if f == nil {
		return nil
	}
	out := &consoleFlash{Kind: f.Kind, Text: f.Text}
	if f.Kind == "dry" {
		for _, code := range strings.Fields(raw.Get("a_reasons")) {
			item := msgs["dry_"+code]
			if item == "" {
				item = code
			}
			out.Items = append(out.Items, strings.ReplaceAll(item, "{missing}", strings.TrimSpace(raw.Get("a_missing"))))
		}
		if len(out.Items) == 0 {
			out.Kind = "ok"
		} else {
			out.Kind = "err"
		}
	}
	return out
}

type adminListData struct {
	Who       auth.Identity
	Campaigns []giveaway.CampaignSummary
	Flash     *consoleFlash
	Zones     []string
	Now, Week string // the create form's default window, in UTC
}

// adminHome lists the campaigns with their counts and the form to create one.
func (p *Pages) adminHome(c echo.Context) error {
	s, err := p.site()
	if err != nil {
		return err
	}
	list, err := p.deps.Giveaway.ListCampaigns(c.Request().Context())
	if err != nil {
		return err
	}
	id, _ := p.identity(c)
	now := time.Now().UTC()
	return p.page(c, http.StatusOK, "admin", "admin_title", "console", adminListData{Who: id, Campaigns: list,
		Flash: p.consoleFlash(c, s.msgs[p.lang(c)]), Zones: zones,
		Now: now.Format(localInput), Week: now.Add(7 * 24 * time.Hour).Format(localInput)})
}

// localInput is how <input type="datetime-local"> writes a time (in the form's time_zone).
const localInput = "2006-01-02T15:04"

// zones offered by the forms (any IANA zone may be typed through the API).
var zones = []string{"UTC", "Asia/Seoul", "Asia/Tokyo", "Asia/Singapore", "Asia/Kolkata", "Australia/Sydney",
	"Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles"}

type adminCampaignData struct {
	Who      auth.Identity
	Campaign *giveaway.Campaign
	Counts   giveaway.CampaignSummary
	Open     bool
	Starts   string
	Ends     string
	Hashtags string
	Kibana   string
	Flash    *consoleFlash
	Zones    []string
	Audit    []giveaway.AuditEntry
	Filter   url.Values
	Loc      *time.Location
	Back     string
	Wall     moderation.Settings
	Draws    []*draws.Draw      // oldest first (the admin_draws block)
	Gaps     []source.GapRecord // recorded gaps that overlap the campaign's window
	Degraded []source.Named     // the sources that say they may be missing posts now
}

// adminCampaign is one campaign: its counts and links, its settings, prizes, the dry run and the
// audit log (filtered by the query: action, staff, since, until as local times).
func (p *Pages) adminCampaign(c echo.Context) error {
	s, err := p.site()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	slug := c.Param("slug")
	// An admin scoped to campaigns sees only theirs, as the API lets them change only theirs.
	who, _ := p.identity(c)
	if err := p.deps.Auth.CheckCampaign(ctx, who, slug); err != nil {
		return err
	}
	camp, err := p.deps.Giveaway.Campaign(ctx, slug)
	if err != nil {
		return err
	}
	loc := camp.Location()
	d := adminCampaignData{Campaign: camp, Loc: loc, Zones: zones, Back: edge.ConsolePath + "/c/" + slug,
		Starts: camp.StartsAt.In(loc).Format(localInput), Ends: camp.EndsAt.In(loc).Format(localInput),
		Hashtags: strings.Join(camp.RequiredHashtags, " "), Filter: c.QueryParams()}
	if !slices.Contains(zones, camp.TimeZone) {
		d.Zones = append([]string{camp.TimeZone}, zones...)
	}
	d.Who = who
	now := time.Now()
	d.Open = !now.Before(camp.StartsAt) && now.Before(camp.EndsAt)
	counts, err := p.deps.Giveaway.CampaignCounts(ctx, slug)
	if err != nil {
		return err
	}
	d.Counts = *counts
	if c.QueryParam("part") == "counts" {
		return p.fragment(c, "admin_campaign", "counts", d)
	}
	if k := strings.TrimRight(p.deps.KibanaURL, "/"); k != "" {
		d.Kibana = k + "/app/dashboards#/view/giveaway-dashboard?_a=" +
			url.QueryEscape("(query:(language:kuery,query:'campaign:\""+slug+"\"'))")
	}
	f := giveaway.AuditFilter{Action: c.QueryParam("action"), Staff: strings.TrimSpace(c.QueryParam("staff")), Limit: 100}
	if t, err := time.ParseInLocation(localInput, c.QueryParam("since"), loc); err == nil {
		f.Since = t
	}
	if t, err := time.ParseInLocation(localInput, c.QueryParam("until"), loc); err == nil {
		f.Until = t
	}
	if d.Audit, err = p.deps.Giveaway.Audit(ctx, slug, f); err != nil {
		return err
	}
	if d.Wall, err = p.walls.Settings(ctx, camp.ID); err != nil {
		return err
	}
	if d.Draws, err = p.draws.OfCampaign(ctx, camp.ID); err != nil {
		return err
	}
	if d.Gaps, err = source.GapsDuring(ctx, p.deps.Pool, camp.StartsAt, camp.EndsAt); err != nil {
		return err
	}
	for _, src := range p.deps.Sources {
		if st := src.Status(); len(st.Degraded) > 0 {
			d.Degraded = append(d.Degraded, source.Named{Name: src.Name(), Status: st})
		}
	}
	d.Flash = p.consoleFlash(c, s.msgs[p.lang(c)])
	return p.page(c, http.StatusOK, "admin_campaign", camp.Name, "console", d)
}

type adminStaffData struct {
	Who       auth.Identity
	Staff     []auth.Member
	Campaigns []giveaway.CampaignSummary
	Flash     *consoleFlash
}

// adminStaff lists the staff with the forms to add one, reset a PIN, change the role and the
// campaigns, deactivate and end sessions.
func (p *Pages) adminStaff(c echo.Context) error {
	s, err := p.site()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	members, err := p.deps.Auth.ListStaff(ctx)
	if err != nil {
		return err
	}
	list, err := p.deps.Giveaway.ListCampaigns(ctx)
	if err != nil {
		return err
	}
	d := adminStaffData{Staff: members, Campaigns: list, Flash: p.consoleFlash(c, s.msgs[p.lang(c)])}
	d.Who, _ = p.identity(c)
	return p.page(c, http.StatusOK, "admin_staff", "admin_staff_title", "console", d)
}

type adminSourcesData struct {
	Who      auth.Identity
	Overview source.Overview
	Flash    *consoleFlash
}

// adminSources shows each source's state and what it may be missing now, and the gaps recorded
// in the last week: what GET /api/v1/sources answers, for the organiser.
func (p *Pages) adminSources(c echo.Context) error {
	s, err := p.site()
	if err != nil {
		return err
	}
	d := adminSourcesData{Flash: p.consoleFlash(c, s.msgs[p.lang(c)])}
	if d.Overview, err = source.Describe(c.Request().Context(), p.deps.Pool, p.deps.Sources,
		time.Now().Add(-source.OverviewSince)); err != nil {
		return err
	}
	d.Who, _ = p.identity(c)
	return p.page(c, http.StatusOK, "admin_sources", "admin_sources_title", "console", d)
}
