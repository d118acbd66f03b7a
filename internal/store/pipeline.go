package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Conn is one pooled connection that queries run on and batches pipeline through.
type Conn interface {
	DBTX
	Batcher
	Conn() *pgx.Conn
}

// Begin runs a query with BEGIN in front of it, in one round trip: store.New(Begin(c)).X(...)
// opens a transaction on c and runs X in it. End the transaction with Commit or Abandon.
func Begin(c Conn) DBTX { return pipelined{Conn: c, before: "begin"} }

// Commit runs a query with COMMIT behind it, in one round trip: the locks the query takes are held
// while PostgreSQL commits, not across another round trip to the caller and back. When the query
// fails, PostgreSQL skips the COMMIT and the transaction stays open, aborted: Abandon it.
func Commit(c Conn) DBTX { return pipelined{Conn: c, after: "commit"} }

// Abandon rolls back whatever transaction Begin left open on c (none once Commit succeeded).
func Abandon(ctx context.Context, c Conn) error {
	if c.Conn().PgConn().TxStatus() == 'I' {
		return nil
	}
	_, err := c.Exec(ctx, "rollback")
	return err
}

// pipelined sends each QueryRow and Exec in a batch between before and after; Query and CopyFrom
// are c's.
type pipelined struct {
	Conn
	before, after string
}

func (p pipelined) send(ctx context.Context, sql string, args []any) pgx.BatchResults {
	b := &pgx.Batch{}
	if p.before != "" {
		b.Queue(p.before)
	}
	b.Queue(sql, args...)
	if p.after != "" {
		b.Queue(p.after)
	}
	return p.SendBatch(ctx, b)
}

func (p pipelined) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return batchRow{p: p, br: p.send(ctx, sql, args)}
}

func (p pipelined) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	var tag pgconn.CommandTag
	err := p.read(p.send(ctx, sql, args), func(br pgx.BatchResults) (err error) {
		tag, err = br.Exec()
		return err
	})
	return tag, err
}

type batchRow struct {
	p  pipelined
	br pgx.BatchResults
}

func (r batchRow) Scan(dest ...any) error {
	return r.p.read(r.br, func(br pgx.BatchResults) error { return br.QueryRow().Scan(dest...) })
}

// read reads the statements around the query's result; the first error is the answer (a query
// with no row is pgx.ErrNoRows, as QueryRow says, once the COMMIT behind it has run).
func (p pipelined) read(br pgx.BatchResults, query func(pgx.BatchResults) error) error {
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	if p.before != "" {
		_, err := br.Exec()
		keep(err)
	}
	if first == nil {
		keep(query(br))
	}
	if p.after != "" && (first == nil || errors.Is(first, pgx.ErrNoRows)) {
		tag, err := br.Exec()
		keep(err)
		if err == nil && tag.String() == "ROLLBACK" {
			keep(pgx.ErrTxCommitRollback)
		}
	}
	keep(br.Close())
	return first
}
