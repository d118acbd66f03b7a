// Package purge removes the personal data of a finished campaign so organisers can keep their
// retention promise, leaving the anonymous counts the report needs.
package purge

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/store"
)

// Result counts what was removed.
type Result struct {
	Claims int64
	Tokens int64
	Posts  int64
}

// Campaign purges one campaign in a single transaction. It refuses a campaign still running
// unless force is set. Elasticsearch keeps its copy: delete the campaign's indexes there too.
func Campaign(ctx context.Context, pool *pgxpool.Pool, slug string, force bool) (Result, error) {
	var res Result
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		c, err := q.CampaignBySlug(ctx, slug)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.New(apperr.NotFound, "campaign_not_found", "no campaign %q", slug)
		}
		if err != nil {
			return err
		}
		if !force && time.Now().Before(c.EndsAt) {
			return apperr.New(apperr.Conflict, "campaign_running", "campaign %q ends at %s; use --force to purge earlier",
				slug, c.EndsAt.Format(time.RFC3339))
		}
		if res.Claims, err = q.AnonymiseClaims(ctx, c.ID); err != nil {
			return err
		}
		if res.Tokens, err = q.DeleteClaimTokens(ctx, c.ID); err != nil {
			return err
		}
		if res.Posts, err = q.AnonymiseTweets(ctx, c.ID); err != nil {
			return err
		}
		if _, err = q.DeleteIdempotencyKeysOfCampaign(ctx, c.ID); err != nil {
			return err
		}
		return q.MarkCampaignPurged(ctx, c.ID)
	})
	return res, err
}
