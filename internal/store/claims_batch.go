package store

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Batcher is a pool, connection or transaction that can pipeline statements.
type Batcher interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// CreateClaimsLocked takes the people's matching locks (and the capped addresses' and devices'
// locks, keyed the same way) and creates the claims in one round trip
// (the busiest public endpoint). pgx sends a batch as one implicit transaction, and under READ
// COMMITTED each statement takes its own snapshot, so CreateClaims sees every post committed by
// whoever held a lock before. It uses the statements sqlc generated from claims.sql.
func CreateClaimsLocked(ctx context.Context, db Batcher, people []string, arg CreateClaimsParams) ([]CreateClaimsRow, error) {
	b := &pgx.Batch{}
	b.Queue(lockPeople, people)
	b.Queue(createClaims, arg.Idx, arg.CampaignID, arg.Network, arg.HandleNorm, arg.Handle, arg.PostUrl, arg.Code,
		arg.TokenHash, arg.MatchPosts, arg.HeldHash, arg.ClientAddr, arg.DeviceHash, arg.Now, arg.MaxPending,
		arg.MaxPendingDevice)
	br := db.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := []CreateClaimsRow{}
	for rows.Next() {
		var i CreateClaimsRow
		if err := rows.Scan(&i.Idx, &i.ID, &i.Code, &i.Status, &i.Handle, &i.PostUrl, &i.TweetID, &i.VerifiedAt,
			&i.VerifiedBy, &i.CreatedAt, &i.Created, &i.Owned, &i.Capped, &i.Notified); err != nil {
			return nil, err
		}
		items = append(items, i)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return items, br.Close()
}
