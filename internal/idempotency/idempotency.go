// Package idempotency makes a request with an Idempotency-Key happen exactly once, whatever the
// network does, and makes every retry answer what the first try did.
//
// The key's row, the request's effect and its answer are written in one transaction, on a
// context the client cannot cancel: they commit together or not at all. A retry inserts the same
// key and, while the first try's transaction is open, waits on the primary key for its outcome:
// committed means replay the stored answer; rolled back (an error, a killed instance, a broken
// connection) means run the request itself. There is no lease: a key whose holder died is free
// as soon as PostgreSQL has rolled the holder back. A retry that would wait longer than Wait is
// told request_in_flight instead.
package idempotency

import (
	"context"
	"crypto/subtle"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/store"
)

const (
	// DefaultWait is how long a retry waits for the first try still running before answering
	// request_in_flight. A give holds its key for milliseconds; a tablet retries after seconds.
	DefaultWait = 2 * time.Second
	// DefaultTimeout bounds a request once started: the client going away does not end it, this does.
	DefaultTimeout = 15 * time.Second
)

// Keys stores idempotency keys in PostgreSQL, so every instance behind a load balancer agrees.
type Keys struct {
	pool    *pgxpool.Pool
	wait    time.Duration
	timeout time.Duration
}

// New returns the key store.
func New(pool *pgxpool.Pool) *Keys {
	return &Keys{pool: pool, wait: DefaultWait, timeout: DefaultTimeout}
}

// Answer is a stored HTTP answer.
type Answer struct {
	Status int
	Body   []byte
}

type txKey struct{}

// Tx is the transaction of the request Do is running, for the domain to do its work in (so
// that the work and the answer commit together); nil outside Do.
func Tx(ctx context.Context) pgx.Tx {
	tx, _ := ctx.Value(txKey{}).(pgx.Tx)
	return tx
}

// Detach is the context a request runs on once started: the client cannot cancel it, the
// server-side timeout ends it.
func (k *Keys) Detach(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), k.timeout)
}

// Do runs fn at most once per (scope, key) and answers what it answered; a retry with the same
// key and request hash replays that answer. fn does its writes in Tx(ctx), inside a savepoint:
//   - 2xx and 3xx: the effect, the key and the answer commit together;
//   - 4xx (a refusal): the effect is rolled back, the key and the answer commit, so the retry
//     hears the same refusal;
//   - 5xx: everything is rolled back and nothing is stored, so the retry runs again.
//
// An error from Do itself (the database failed, even at COMMIT) says nothing about whether fn's
// work committed: the client's retry finds out.
func (k *Keys) Do(ctx context.Context, scope, key string, requestHash []byte, fn func(context.Context) Answer) (Answer, error) {
	if len(key) > 200 {
		return Answer{}, apperr.New(apperr.Invalid, "invalid_idempotency_key", "Idempotency-Key is at most 200 characters")
	}
	ctx, cancel := k.Detach(ctx)
	defer cancel()
	tx, err := k.pool.Begin(ctx)
	if err != nil {
		return Answer{}, err
	}
	defer tx.Rollback(ctx) // a no-op once committed
	q := store.New(tx)
	mine, err := k.take(ctx, q, scope, key, requestHash)
	if err != nil || !mine {
		if err != nil {
			return Answer{}, err
		}
		return k.replay(ctx, q, scope, key, requestHash)
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		return Answer{}, err
	}
	a := fn(context.WithValue(ctx, txKey{}, sp))
	switch {
	case a.Status >= 500:
		return a, nil
	case a.Status >= 400:
		if err := sp.Rollback(ctx); err != nil {
			return Answer{}, err
		}
	}
	status := int32(a.Status)
	if err := q.AnswerIdempotencyKey(ctx, store.AnswerIdempotencyKeyParams{Scope: scope, Key: key,
		StatusCode: &status, Response: a.Body}); err != nil {
		return Answer{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return Answer{}, err
	}
	return a, nil
}

// take inserts the key in the transaction, waiting at most k.wait for a transaction that holds it;
// false when a committed row has it.
func (k *Keys) take(ctx context.Context, q *store.Queries, scope, key string, requestHash []byte) (bool, error) {
	wait := strconv.FormatInt(max(k.wait.Milliseconds(), 1), 10)
	if err := q.LimitLockWait(ctx, wait); err != nil {
		return false, err
	}
	_, err := q.InsertIdempotencyKey(ctx, store.InsertIdempotencyKeyParams{Scope: scope, Key: key, RequestHash: requestHash})
	var pg *pgconn.PgError
	switch {
	case errors.As(err, &pg) && pg.Code == "55P03": // lock_not_available: the first try still runs
		return false, inFlight()
	case errors.Is(err, pgx.ErrNoRows):
		return false, nil
	case err != nil:
		return false, err
	}
	// The request's own statements wait for locks as long as they always did.
	return true, q.RestoreLockWait(ctx)
}

func (k *Keys) replay(ctx context.Context, q *store.Queries, scope, key string, requestHash []byte) (Answer, error) {
	prev, err := q.GetIdempotencyKey(ctx, store.GetIdempotencyKeyParams{Scope: scope, Key: key})
	if err != nil {
		return Answer{}, err
	}
	if subtle.ConstantTimeCompare(prev.RequestHash, requestHash) != 1 {
		return Answer{}, apperr.New(apperr.Unprocessable, "idempotency_key_reused",
			"this Idempotency-Key was used for a different request")
	}
	if prev.StatusCode == nil { // committed keys always carry their answer; this is a safety net
		return Answer{}, inFlight()
	}
	return Answer{Status: int(*prev.StatusCode), Body: prev.Response}, nil
}

func inFlight() error {
	return apperr.New(apperr.Conflict, "request_in_flight",
		"a request with this Idempotency-Key is still running; retry shortly")
}
