// Package idempotency makes a retried request return the first answer: the first request with a
// key reserves it, runs, and stores its answer; a retry with the same key and body gets that
// answer, a retry with another body is refused, and one that arrives while the first still runs
// is told so instead of running twice.
package idempotency

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/store"
)

// Keys stores idempotency keys in PostgreSQL, so every instance behind a load balancer agrees.
type Keys struct {
	pool *pgxpool.Pool
	// lease is how long a reserved key waits for its answer before a retry may take it over
	// (the first request died).
	lease time.Duration
}

// New returns the key store.
func New(pool *pgxpool.Pool) *Keys { return &Keys{pool: pool, lease: 30 * time.Second} }

// Answer is a stored HTTP answer.
type Answer struct {
	Status int
	Body   []byte
}

// Do runs fn once per (scope, key). fn's answer is stored unless its status is 5xx, in which case
// the key is released so the client's retry runs again.
func (k *Keys) Do(ctx context.Context, scope, key string, requestHash []byte, fn func(context.Context) Answer) (Answer, error) {
	if len(key) > 200 {
		return Answer{}, apperr.New(apperr.Invalid, "invalid_idempotency_key", "Idempotency-Key is at most 200 characters")
	}
	q := store.New(k.pool)
	_, err := q.ReserveIdempotencyKey(ctx, store.ReserveIdempotencyKeyParams{Scope: scope, Key: key,
		RequestHash: requestHash, LeaseSecs: k.lease.Seconds()})
	if errors.Is(err, pgx.ErrNoRows) {
		prev, err := q.GetIdempotencyKey(ctx, store.GetIdempotencyKeyParams{Scope: scope, Key: key})
		if err != nil {
			return Answer{}, err
		}
		if subtle.ConstantTimeCompare(prev.RequestHash, requestHash) != 1 {
			return Answer{}, apperr.New(apperr.Unprocessable, "idempotency_key_reused",
				"this Idempotency-Key was used for a different request")
		}
		if prev.StatusCode != nil {
			return Answer{Status: int(*prev.StatusCode), Body: prev.Response}, nil
		}
		if !prev.Abandoned {
			return Answer{}, apperr.New(apperr.Conflict, "request_in_flight",
				"a request with this Idempotency-Key is still running; retry shortly")
		}
		if _, err := q.RetakeIdempotencyKey(ctx, store.RetakeIdempotencyKeyParams{Scope: scope, Key: key,
			LeaseSecs: k.lease.Seconds()}); errors.Is(err, pgx.ErrNoRows) {
			return Answer{}, apperr.New(apperr.Conflict, "request_in_flight",
				"a request with this Idempotency-Key is still running; retry shortly")
		} else if err != nil {
			return Answer{}, err
		}
	} else if err != nil {
		return Answer{}, err
	}
	a := fn(ctx)
	// The answer must be kept even if the client went away, or its retry would run again.
	ctx = context.WithoutCancel(ctx)
	if a.Status >= 500 {
		return a, q.ReleaseIdempotencyKey(ctx, store.ReleaseIdempotencyKeyParams{Scope: scope, Key: key})
	}
	status := int32(a.Status)
	return a, q.CompleteIdempotencyKey(ctx, store.CompleteIdempotencyKeyParams{Scope: scope, Key: key,
		StatusCode: &status, Response: a.Body})
}
