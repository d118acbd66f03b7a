package pages

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/apperr"
)

// wallStore reads the wall's posts and writes moderation. Every change is one transaction that
// records it in the audit log and notifies every instance (giveaway_wall) on commit.
type wallStore struct {
	pool *pgxpool.Pool
}

// WallPost is a post as a wall shows it: public data only.
type WallPost struct {
	Key      string    `json:"key"` // network:id, the handle walls remove it by
	Network  string    `json:"network"`
	ID       string    `json:"id"`
	Handle   string    `json:"handle"`
	Text     string    `json:"text"`
	At       time.Time `json:"at"`
	Hashtags []string  `json:"hashtags"`
	Approved bool      `json:"-"`
}

type wallSettings struct {
	Mode   string // auto | manual
	Killed bool
}

// wallChange is the giveaway_wall payload.
type wallChange struct {
	CampaignID int64  `json:"campaign_id"`
	Action     string `json:"action"` // hide, approve, block, unblock, settings
	Network    string `json:"network,omitempty"`
	ID         string `json:"id,omitempty"`
	Handle     string `json:"handle,omitempty"` // normalized
	Mode       string `json:"mode,omitempty"`
	Killed     bool   `json:"killed,omitempty"`
}

func (w *wallStore) settings(ctx context.Context, campaignID int64) (wallSettings, error) {
	var s wallSettings
	err := w.pool.QueryRow(ctx, qWallSettings, campaignID).Scan(&s.Mode, &s.Killed)
	return s, err
}

func scanPosts(rows pgx.Rows) ([]WallPost, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (WallPost, error) {
		var p WallPost
		err := r.Scan(&p.Network, &p.ID, &p.Handle, &p.Text, &p.At, &p.Hashtags, &p.Approved)
		p.Key = p.Network + ":" + p.ID
		return p, err
	})
}

// latest returns the newest posts of the campaign; which is all, approved or unapproved.
func (w *wallStore) latest(ctx context.Context, campaignID int64, limit int, which string) ([]WallPost, error) {
	rows, err := w.pool.Query(ctx, qWallLatest, campaignID, limit, which)
	if err != nil {
		return nil, err
	}
	return scanPosts(rows)
}

func (w *wallStore) postsByID(ctx context.Context, campaignID int64, networks, ids []string) ([]WallPost, error) {
	rows, err := w.pool.Query(ctx, qWallPostsByID, campaignID, networks, ids)
	if err != nil {
		return nil, err
	}
	return scanPosts(rows)
}

type wallCounts struct {
	Posts int64 `json:"posts"`
	Given int64 `json:"given"`
}

func (w *wallStore) counts(ctx context.Context, campaignID int64) (wallCounts, error) {
	var c wallCounts
	err := w.pool.QueryRow(ctx, qWallCounts, campaignID).Scan(&c.Posts, &c.Given)
	return c, err
}

type tagCount struct {
	Tag   string `json:"tag"`
	Count int64  `json:"count"`
}

func (w *wallStore) topHashtags(ctx context.Context, campaignID int64, n int) ([]tagCount, error) {
	rows, err := w.pool.Query(ctx, qTopHashtags, campaignID, n)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[tagCount])
}

type blockedPerson struct {
	Network, Handle string
	At              time.Time
	By              string
}

func (w *wallStore) blocked(ctx context.Context, campaignID int64) ([]blockedPerson, error) {
	rows, err := w.pool.Query(ctx, qBlockedPeople, campaignID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[blockedPerson])
}

// change runs one moderation change: the write, its audit row and the notification, together.
func (w *wallStore) change(ctx context.Context, ch wallChange, actor, action string, details map[string]any,
	write func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, w.pool, func(tx pgx.Tx) error {
		if err := write(tx); err != nil {
			return err
		}
		d, _ := json.Marshal(details)
		if _, err := tx.Exec(ctx, qAudit, ch.CampaignID, actor, action, d); err != nil {
			return err
		}
		payload, _ := json.Marshal(ch)
		_, err := tx.Exec(ctx, qNotifyWall, string(payload))
		return err
	})
}

// post reads post (network, id) for moderating campaignID's wall: its author, and whether it
// belongs on that wall. A post that is not stored is refused.
func (w *wallStore) post(ctx context.Context, tx pgx.Tx, campaignID int64, network, id string) (string, bool, error) {
	var handle string
	var onWall bool
	err := tx.QueryRow(ctx, qWallPost, campaignID, network, id).Scan(&handle, &onWall)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, apperr.New(apperr.Unprocessable, "post_not_found",
			"there is no stored %s post with this id", network).With("field", "id")
	}
	return handle, onWall, err
}

func (w *wallStore) hide(ctx context.Context, campaignID int64, network, id, actor string) error {
	ch := wallChange{CampaignID: campaignID, Action: "hide", Network: network, ID: id}
	details := map[string]any{"network": network, "tweet_id": id}
	return w.change(ctx, ch, actor, "hidden", details, func(tx pgx.Tx) error {
		handle, _, err := w.post(ctx, tx, campaignID, network, id)
		if err != nil {
			return err
		}
		details["handle"] = handle
		_, err = tx.Exec(ctx, qHidePost, campaignID, network, id, actor)
		return err
	})
}

// approve lets a post onto the wall; only a post that belongs on it, so approval cannot put
// an unrelated, reposted or out-of-window post on the booth's screen.
func (w *wallStore) approve(ctx context.Context, campaignID int64, network, id, actor string) error {
	ch := wallChange{CampaignID: campaignID, Action: "approve", Network: network, ID: id}
	return w.change(ctx, ch, actor, "wall_approved", map[string]any{"network": network, "tweet_id": id},
		func(tx pgx.Tx) error {
			_, onWall, err := w.post(ctx, tx, campaignID, network, id)
			if err != nil {
				return err
			}
			if !onWall {
				return apperr.New(apperr.Unprocessable, "post_not_on_wall", "this post does not belong on the "+
					"campaign's wall: it lacks the campaign's hashtags, is a repost, or was posted outside the campaign's dates")
			}
			_, err = tx.Exec(ctx, qApprovePost, campaignID, network, id, actor)
			return err
		})
}

// normHandle is how handles compare (as the domain and ingest store them).
func normHandle(h string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "@"))
}

func (w *wallStore) block(ctx context.Context, campaignID int64, network, handle, actor string, on bool) error {
	handle = normHandle(handle)
	action, q := "blocked", qBlockPerson
	args := []any{campaignID, network, handle, actor}
	if !on {
		action, q, args = "unblocked", qUnblockPerson, args[:3]
	}
	ch := wallChange{CampaignID: campaignID, Action: strings.TrimSuffix(action, "ed"), Network: network, Handle: handle}
	return w.change(ctx, ch, actor, action, map[string]any{"network": network, "handle": handle},
		func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, q, args...)
			return err
		})
}

func (w *wallStore) setSettings(ctx context.Context, campaignID int64, s wallSettings, actor string) error {
	ch := wallChange{CampaignID: campaignID, Action: "settings", Mode: s.Mode, Killed: s.Killed}
	return w.change(ctx, ch, actor, "wall_settings", map[string]any{"mode": s.Mode, "killed": s.Killed},
		func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, qSetWallSettings, campaignID, s.Mode, s.Killed, actor)
			return err
		})
}
