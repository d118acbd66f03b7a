package pages

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"

	"github.com/boothgiveaway/giveaway/internal/moderation"
	"github.com/boothgiveaway/giveaway/internal/notify"
)

// Hub topics. A claim page watches its claim, the tablet its campaign, a wall its campaign's wall.
func claimTopic(id int64) string { return "claim:" + strconv.FormatInt(id, 10) }
func staffTopic(id int64) string { return "staff:" + strconv.FormatInt(id, 10) }
func wallTopic(id int64) string  { return "wall:" + strconv.FormatInt(id, 10) }

// live turns notifications into hub events. It runs on Pages.Run's goroutine, which must keep up
// with the notices, so anything that reads the database goes to the posts worker instead.
type live struct {
	hub    *Hub
	walls  *moderation.Walls
	filter *filter
	work   chan func(context.Context)
}

func newLive(hub *Hub, walls *moderation.Walls, f *filter) *live {
	return &live{hub: hub, walls: walls, filter: f, work: make(chan func(context.Context), 1024)}
}

// runWorker does the database reads that notifications call for, one at a time.
func (l *live) runWorker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case fn := <-l.work:
			fn(ctx)
		}
	}
}

func (l *live) later(fn func(context.Context)) {
	select {
	case l.work <- fn:
	default:
		// Behind by a thousand batches: a wall can skip some posts, the notices must not stall.
		slog.Warn("pages: live-update worker is behind; skipping a wall update")
	}
}

func (l *live) handle(channel, payload string) {
	switch channel {
	case notify.Events:
		l.claimEvent(payload)
	case notify.Posts:
		l.newPosts(payload)
	case notify.Wall:
		l.wallChange(payload)
	case notify.Draws:
		l.drawChange(payload)
	}
}

// resync tells every open page that notifications may have been lost.
func (l *live) resync() {
	for _, t := range l.hub.Topics("") {
		l.hub.Publish(t, "reset", nil)
	}
}

func (l *live) claimEvent(payload string) {
	var ev struct {
		CampaignID *int64 `json:"campaign_id"`
		ClaimID    *int64 `json:"claim_id"`
		Action     string `json:"action"`
	}
	if json.Unmarshal([]byte(payload), &ev) != nil || ev.CampaignID == nil {
		return
	}
	if ev.ClaimID != nil {
		// The claim page reads its own status again; the event says only that it changed.
		l.hub.Publish(claimTopic(*ev.ClaimID), "changed", nil)
	}
	l.hub.Publish(staffTopic(*ev.CampaignID), "claim", []byte(payload))
	switch ev.Action {
	case "given":
		l.hub.Publish(wallTopic(*ev.CampaignID), "given", []byte(`{"delta":1}`))
	case "undone":
		l.hub.Publish(wallTopic(*ev.CampaignID), "given", []byte(`{"delta":-1}`))
	}
}

// newPosts handles the trigger's notice of eligible posts: [{"c": campaign, "n": count,
// "p": [[network, id], ...]}].
func (l *live) newPosts(payload string) {
	var batches []struct {
		C int64       `json:"c"`
		N int64       `json:"n"`
		P [][2]string `json:"p"`
	}
	if json.Unmarshal([]byte(payload), &batches) != nil {
		return
	}
	for _, b := range batches {
		wall, staff := wallTopic(b.C), staffTopic(b.C)
		if l.hub.Subscribers(wall) == 0 && l.hub.Subscribers(staff) == 0 {
			continue
		}
		l.hub.Publish(wall, "posts", []byte(`{"delta":`+strconv.FormatInt(b.N, 10)+`}`))
		l.later(func(ctx context.Context) { l.showPosts(ctx, b.C, b.P, false) })
	}
}

// showPosts loads posts and puts those the wall may show on it. Staff approval (force) passes
// the automatic filter, since a person looked at the post.
func (l *live) showPosts(ctx context.Context, campaignID int64, refs [][2]string, force bool) {
	st, err := l.walls.Settings(ctx, campaignID)
	if err != nil {
		slog.Error("pages: wall settings", "err", err)
		return
	}
	networks, ids := make([]string, len(refs)), make([]string, len(refs))
	for i, r := range refs {
		networks[i], ids[i] = r[0], r[1]
	}
	posts, err := l.walls.PostsByID(ctx, campaignID, networks, ids)
	if err != nil {
		slog.Error("pages: wall posts", "err", err)
		return
	}
	waiting := false
	for _, p := range posts {
		if !l.visible(st, p, force) {
			waiting = waiting || (st.Mode == "manual" && !p.Approved)
			continue
		}
		b, _ := json.Marshal(p)
		l.hub.Publish(wallTopic(campaignID), "post", b)
	}
	if waiting {
		l.hub.Publish(staffTopic(campaignID), "moderation", nil)
	}
}

// visible is the wall's rule for one post that is neither hidden nor by a blocked author.
func (l *live) visible(st moderation.Settings, p moderation.Post, force bool) bool {
	switch {
	case st.Killed:
		return false
	case force || p.Approved:
		return true
	case st.Mode == "manual":
		return false
	}
	return l.filter.allowed(p.Text)
}

func (l *live) wallChange(payload string) {
	var ch moderation.Change
	if json.Unmarshal([]byte(payload), &ch) != nil || ch.CampaignID == 0 {
		return
	}
	l.hub.Publish(staffTopic(ch.CampaignID), "moderation", []byte(payload))
	if ch.Action == "approve" {
		l.later(func(ctx context.Context) {
			l.showPosts(ctx, ch.CampaignID, [][2]string{{ch.Network, ch.ID}}, true)
		})
		return
	}
	// hide, block, unblock and settings go to the walls as they are: hide and block remove posts
	// in place, the others make the wall reload its posts.
	l.hub.Publish(wallTopic(ch.CampaignID), ch.Action, []byte(payload))
}

// drawChange tells the campaign's walls that a draw moved; they fetch the draw's panel again.
func (l *live) drawChange(payload string) {
	var ch struct {
		CampaignID int64 `json:"campaign_id"`
	}
	if json.Unmarshal([]byte(payload), &ch) != nil || ch.CampaignID == 0 {
		return
	}
	l.hub.Publish(wallTopic(ch.CampaignID), "draw", []byte(payload))
}
