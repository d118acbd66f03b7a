package pages

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/moderation"
)

const wallSize = 20

// wallState is what a wall shows at one moment; the page renders it and the script fetches it
// again when it cannot tell what it missed.
type wallState struct {
	Killed bool                  `json:"killed"`
	Posts  []moderation.Post     `json:"posts"`
	Counts moderation.Counts     `json:"counts"`
	Tags   []moderation.TagCount `json:"tags"`
	Since  string                `json:"since"` // the event id the state is as of
}

type wallData struct {
	Campaign *giveaway.Campaign
	State    wallState
	Tags     string
	Draw     wallDrawData
}

func (p *Pages) wallState(ctx context.Context, campaignID int64) (wallState, error) {
	// The event id first: anything after it reaches the wall through its stream.
	st := wallState{Since: p.hub.LastID(wallTopic(campaignID)), Posts: []moderation.Post{}}
	set, err := p.walls.Settings(ctx, campaignID)
	if err != nil {
		return st, err
	}
	st.Killed = set.Killed
	if st.Counts, err = p.walls.Counts(ctx, campaignID); err != nil {
		return st, err
	}
	if st.Tags, err = p.walls.TopHashtags(ctx, campaignID, 8); err != nil {
		return st, err
	}
	if set.Killed {
		return st, nil
	}
	which := moderation.All
	if set.Mode == "manual" {
		which = moderation.Approved
	}
	posts, err := p.walls.Latest(ctx, campaignID, 2*wallSize, which)
	if err != nil {
		return st, err
	}
	for _, post := range posts {
		if len(st.Posts) < wallSize && p.live.visible(set, post, false) {
			st.Posts = append(st.Posts, post)
		}
	}
	return st, nil
}

// wall is the big screen at the booth.
func (p *Pages) wall(c echo.Context) error {
	camp, err := p.deps.Giveaway.Campaign(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	st, err := p.wallState(c.Request().Context(), camp.ID)
	if err != nil {
		return err
	}
	d, err := p.latestDraw(c.Request().Context(), camp.ID)
	if err != nil {
		return err
	}
	return p.page(c, http.StatusOK, "wall", camp.Name, "wallpage", wallData{Campaign: camp, State: st, Tags: tagLine(camp),
		Draw: wallDrawData{Draw: d}})
}

// wallPosts is JSON for the wall's script: errors are returned for jsonErrors to answer.
func (p *Pages) wallPosts(c echo.Context) error {
	camp, err := p.deps.Giveaway.Campaign(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	st, err := p.wallState(c.Request().Context(), camp.ID)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, st)
}

// wallEvents streams posts, removals and counters. A wall that reconnects gets what it missed
// from this instance's memory, or "reset" to fetch its state again.
func (p *Pages) wallEvents(c echo.Context) error {
	s, sub, err := p.openWallEvents(c)
	if sub == nil {
		return err
	}
	defer p.hub.Unsubscribe(sub)
	return s.pump(c, p.stopping, sub, func(ev *Event) (*Event, error) { return ev, nil })
}

// openWallEvents subscribes and sends what the wall missed; no subscription: nothing to pump.
// Apart from wallEvents to keep the idle stream's frames small (see pump).
//
//go:noinline
func (p *Pages) openWallEvents(c echo.Context) (*sseStream, *Sub, error) {
	camp, err := p.deps.Giveaway.Campaign(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return nil, nil, err
	}
	sub, replay, caughtUp := p.hub.Subscribe(wallTopic(camp.ID), lastEventID(c))
	s := openSSE(c)
	if !caughtUp {
		if err := s.send(Event{ID: p.hub.LastID(wallTopic(camp.ID)), Name: "reset"}); err != nil {
			p.hub.Unsubscribe(sub)
			return nil, nil, nil
		}
	}
	for _, ev := range replay {
		if err := s.send(ev); err != nil {
			p.hub.Unsubscribe(sub)
			return nil, nil, nil
		}
	}
	return s, sub, nil
}
