// Package moderation is the booth wall's moderation: which posts a campaign's wall shows, and the
// changes staff make to it (hide, approve, block, unblock, settings). Every change is one
// transaction that also writes its audit row, queues the posts it touches for the index (the
// outbox, in the change's own statement) and notifies every instance's walls on commit.
package moderation

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/store"
)

// Walls reads the walls' posts and writes moderation.
type Walls struct {
	pool *pgxpool.Pool
	q    *store.Queries
}

// New returns Walls on pool.
func New(pool *pgxpool.Pool) *Walls { return &Walls{pool: pool, q: store.New(pool)} }

// Post is a post as a wall shows it: public data only.
type Post struct {
	Key      string    `json:"key"` // network:id, the handle walls remove it by
	Network  string    `json:"network"`
	ID       string    `json:"id"`
	Handle   string    `json:"handle"`
	Text     string    `json:"text"`
	At       time.Time `json:"at"`
	Hashtags []string  `json:"hashtags"`
	Approved bool      `json:"-"`
}

// Settings are a wall's mode and kill switch.
type Settings struct {
	Mode   string // auto | manual
	Killed bool
}

// Change is the giveaway_wall (notify.Wall) payload.
type Change struct {
	CampaignID int64  `json:"campaign_id"`
	Action     string `json:"action"` // hide, approve, block, unblock, settings
	Network    string `json:"network,omitempty"`
	ID         string `json:"id,omitempty"`
	Handle     string `json:"handle,omitempty"` // normalized
	Mode       string `json:"mode,omitempty"`
	Killed     bool   `json:"killed,omitempty"`
}

// Counts are a wall's counters.
type Counts struct {
	Posts int64 `json:"posts"`
	Given int64 `json:"given"`
}

// TagCount is a hashtag and how often the wall's posts carry it.
type TagCount struct {
	Tag   string `json:"tag"`
	Count int64  `json:"count"`
}

// Blocked is a person blocked from a wall.
type Blocked struct {
	Network, Handle string
	At              time.Time
	By              string
}

// Which posts Latest returns.
const (
	All        = "all"
	Approved   = "approved"
	Unapproved = "unapproved"
)

// Settings returns the wall's settings; a campaign without any is automatic and live.
func (w *Walls) Settings(ctx context.Context, campaignID int64) (Settings, error) {
	r, err := w.q.WallSettings(ctx, campaignID)
	return Settings{Mode: r.Mode, Killed: r.Killed}, err
}

func post(network, id, handle, text string, at time.Time, tags []string, approved bool) Post {
	return Post{Key: network + ":" + id, Network: network, ID: id, Handle: handle, Text: text, At: at,
		Hashtags: tags, Approved: approved}
}

// Latest returns the newest posts of the campaign; which is All, Approved or Unapproved.
func (w *Walls) Latest(ctx context.Context, campaignID int64, limit int, which string) ([]Post, error) {
	rows, err := w.q.WallLatest(ctx, store.WallLatestParams{CampaignID: campaignID, Lim: int32(limit), Which: which})
	if err != nil {
		return nil, err
	}
	posts := make([]Post, len(rows))
	for i, r := range rows {
		posts[i] = post(r.Network, r.ID, r.Handle, r.Text, r.CreatedAt, r.Hashtags, r.Approved)
	}
	return posts, nil
}

// PostsByID returns the named posts as the campaign's wall may show them.
func (w *Walls) PostsByID(ctx context.Context, campaignID int64, networks, ids []string) ([]Post, error) {
	rows, err := w.q.WallPostsByID(ctx, store.WallPostsByIDParams{CampaignID: campaignID, Networks: networks, Ids: ids})
	if err != nil {
		return nil, err
	}
	posts := make([]Post, len(rows))
	for i, r := range rows {
		posts[i] = post(r.Network, r.ID, r.Handle, r.Text, r.CreatedAt, r.Hashtags, r.Approved)
	}
	return posts, nil
}

// Counts returns the wall's counters.
func (w *Walls) Counts(ctx context.Context, campaignID int64) (Counts, error) {
	r, err := w.q.WallCounts(ctx, campaignID)
	return Counts{Posts: r.Posts, Given: r.Given}, err
}

// TopHashtags returns at most n of the wall's most used hashtags.
func (w *Walls) TopHashtags(ctx context.Context, campaignID int64, n int) ([]TagCount, error) {
	rows, err := w.q.WallTopHashtags(ctx, store.WallTopHashtagsParams{CampaignID: campaignID, Lim: int32(n)})
	if err != nil {
		return nil, err
	}
	tags := make([]TagCount, len(rows))
	for i, r := range rows {
		tags[i] = TagCount{Tag: r.Tag, Count: r.N}
	}
	return tags, nil
}

// Blocked returns who is blocked from the wall, newest first.
func (w *Walls) Blocked(ctx context.Context, campaignID int64) ([]Blocked, error) {
	rows, err := w.q.BlockedPeople(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	people := make([]Blocked, len(rows))
	for i, r := range rows {
		people[i] = Blocked{Network: r.Network, Handle: r.HandleNorm, At: r.BlockedAt, By: r.BlockedBy}
	}
	return people, nil
}

// change runs one moderation change: the write, its audit row and the notification, together.
func (w *Walls) change(ctx context.Context, ch Change, actor, action string, details map[string]any,
	write func(q *store.Queries) error) error {
	return pgx.BeginFunc(ctx, w.pool, func(tx pgx.Tx) error {
		return changeIn(ctx, w.q.WithTx(tx), ch, actor, action, details, write)
	})
}

// changeIn is change in the caller's transaction.
func changeIn(ctx context.Context, q *store.Queries, ch Change, actor, action string, details map[string]any,
	write func(q *store.Queries) error) error {
	if err := write(q); err != nil {
		return err
	}
	d, _ := json.Marshal(details)
	if err := q.AddModeration(ctx, store.AddModerationParams{CampaignID: &ch.CampaignID, Actor: actor,
		Action: action, Details: d}); err != nil {
		return err
	}
	payload, _ := json.Marshal(ch)
	return q.NotifyWall(ctx, string(payload))
}

// wallPost reads post (network, id) for moderating campaignID's wall: its author, and whether it
// belongs on that wall. A post that is not stored is refused.
func wallPost(ctx context.Context, q *store.Queries, campaignID int64, network, id string) (store.WallPostRow, error) {
	r, err := q.WallPost(ctx, store.WallPostParams{CampaignID: campaignID, Network: network, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return r, apperr.New(apperr.Unprocessable, "post_not_found",
			"there is no stored %s post with this id", network).With("field", "id")
	}
	return r, err
}

// Hide takes a post off the campaign's wall.
func (w *Walls) Hide(ctx context.Context, campaignID int64, network, id, actor string) error {
	ch := Change{CampaignID: campaignID, Action: "hide", Network: network, ID: id}
	details := map[string]any{"network": network, "tweet_id": id}
	return w.change(ctx, ch, actor, "hidden", details, func(q *store.Queries) error {
		p, err := wallPost(ctx, q, campaignID, network, id)
		if err != nil {
			return err
		}
		details["handle"] = p.Handle
		return q.HideWallPost(ctx, store.HideWallPostParams{CampaignID: campaignID, Network: network, PostID: id, HiddenBy: actor})
	})
}

// Approve lets a post onto the wall; only a post that belongs on it, so approval cannot put
// an unrelated, reposted or out-of-window post on the booth's screen.
func (w *Walls) Approve(ctx context.Context, campaignID int64, network, id, actor string) error {
	ch := Change{CampaignID: campaignID, Action: "approve", Network: network, ID: id}
	return w.change(ctx, ch, actor, "wall_approved", map[string]any{"network": network, "tweet_id": id},
		func(q *store.Queries) error {
			p, err := wallPost(ctx, q, campaignID, network, id)
			if err != nil {
				return err
			}
			if !p.OnWall {
				return apperr.New(apperr.Unprocessable, "post_not_on_wall", "this post does not belong on the "+
					"campaign's wall: it lacks the campaign's hashtags, is a repost, or was posted outside the campaign's dates")
			}
			return q.ApproveWallPost(ctx, store.ApproveWallPostParams{CampaignID: campaignID, Network: network,
				PostID: id, ApprovedBy: actor})
		})
}

// NormHandle is how handles compare (as the domain and ingest store them).
func NormHandle(h string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "@"))
}

// Block blocks a person from the campaign's wall (on) or lets them back (!on).
func (w *Walls) Block(ctx context.Context, campaignID int64, network, handle, actor string, on bool) error {
	handle = NormHandle(handle)
	action := "blocked"
	if !on {
		action = "unblocked"
	}
	ch := Change{CampaignID: campaignID, Action: strings.TrimSuffix(action, "ed"), Network: network, Handle: handle}
	return w.change(ctx, ch, actor, action, map[string]any{"network": network, "handle": handle},
		func(q *store.Queries) error {
			if on {
				return q.BlockPerson(ctx, store.BlockPersonParams{CampaignID: campaignID, Network: network,
					HandleNorm: handle, BlockedBy: actor})
			}
			return q.UnblockPerson(ctx, store.UnblockPersonParams{CampaignID: campaignID, Network: network, HandleNorm: handle})
		})
}

// SetSettings changes the wall's mode and kill switch.
func (w *Walls) SetSettings(ctx context.Context, campaignID int64, s Settings, actor string) error {
	return pgx.BeginFunc(ctx, w.pool, func(tx pgx.Tx) error {
		return SetSettingsIn(ctx, w.q.WithTx(tx), campaignID, s, actor)
	})
}

// SetSettingsIn is SetSettings in the caller's transaction (the console's campaign edit).
func SetSettingsIn(ctx context.Context, q *store.Queries, campaignID int64, s Settings, actor string) error {
	ch := Change{CampaignID: campaignID, Action: "settings", Mode: s.Mode, Killed: s.Killed}
	return changeIn(ctx, q, ch, actor, "wall_settings", map[string]any{"mode": s.Mode, "killed": s.Killed},
		func(q *store.Queries) error {
			return q.SetWallSettings(ctx, store.SetWallSettingsParams{CampaignID: campaignID, Mode: s.Mode,
				Killed: s.Killed, UpdatedBy: actor})
		})
}
