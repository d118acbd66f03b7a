package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
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

// pipelined sends each QueryRow in a batch between before and after; the other methods are c's.
type pipelined struct {
	Conn
	before, after string
}

func (p pipelined) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	b := &pgx.Batch{}
	if p.before != "" {
		b.Queue(p.before)
	}
	b.Queue(sql, args...)
	if p.after != "" {
		b.Queue(p.after)
	}
	return batchRow{br: p.SendBatch(ctx, b), before: p.before != "", after: p.after != ""}
}

type batchRow struct {
	br            pgx.BatchResults
	before, after bool
}

// Scan reads the query's row and the statements around it; the first error is the answer (a
// query with no row is pgx.ErrNoRows, as QueryRow says, once the COMMIT behind it has run).
func (r batchRow) Scan(dest ...any) error {
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	if r.before {
		_, err := r.br.Exec()
		keep(err)
	}
	if first == nil {
		keep(r.br.QueryRow().Scan(dest...))
	}
	if r.after && (first == nil || errors.Is(first, pgx.ErrNoRows)) {
		tag, err := r.br.Exec()
		keep(err)
		if err == nil && tag.String() == "ROLLBACK" {
			keep(pgx.ErrTxCommitRollback)
		}
	}
	keep(r.br.Close())
	return first
}
