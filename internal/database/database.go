// Package database opens the PostgreSQL pool, applies the embedded migrations with tern, and
// refuses to serve on a schema that is behind.
package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"

	"github.com/boothgiveaway/giveaway/internal/devdb"
	"github.com/boothgiveaway/giveaway/internal/store"
	"github.com/boothgiveaway/giveaway/migrations"
)

const versionTable = "schema_version"

// ErrSchemaBehind means the database needs `giveaway migrate` before the service may use it.
var ErrSchemaBehind = errors.New("database schema is behind")

// ResolveURL returns url, or when it is empty the development database of the project-local
// cluster (started if needed, database created if missing).
func ResolveURL(ctx context.Context, url string) (string, error) {
	if url != "" {
		return url, nil
	}
	root, err := devdb.RepoRoot()
	if err != nil {
		return "", err
	}
	admin, err := devdb.Ensure(ctx, filepath.Join(root, ".devdb"))
	if err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	exists, err := store.New(conn).DatabaseExists(ctx, devdb.DatabaseName)
	if err != nil {
		return "", err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+devdb.DatabaseName); err != nil {
			return "", err
		}
	}
	slog.Info("using the project-local development database; set DATABASE_URL for a real one",
		"database", devdb.DatabaseName, "port", devdb.Port)
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", devdb.Port, devdb.DatabaseName), nil
}

// Open connects a pool sized for many concurrent staff gives and ingest batches.
func Open(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database: %w", err)
	}
	return pool, nil
}

func migrator(ctx context.Context, conn *pgx.Conn) (*migrate.Migrator, error) {
	m, err := migrate.NewMigrator(ctx, conn, versionTable)
	if err != nil {
		return nil, err
	}
	if err := m.LoadMigrations(migrations.FS); err != nil {
		return nil, err
	}
	return m, nil
}

// Migrate brings the schema up to the newest embedded migration. It is safe to run from several
// instances at once: tern holds an advisory lock while it works.
func Migrate(ctx context.Context, pool *pgxpool.Pool) (from, to int32, err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Release()
	m, err := migrator(ctx, conn.Conn())
	if err != nil {
		return 0, 0, err
	}
	from, err = m.GetCurrentVersion(ctx)
	if err != nil {
		return 0, 0, err
	}
	if err := m.Migrate(ctx); err != nil {
		return from, 0, fmt.Errorf("migrate: %w", err)
	}
	to, err = m.GetCurrentVersion(ctx)
	return from, to, err
}

// Check returns ErrSchemaBehind (wrapped with the versions) unless the schema is current.
func Check(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	m, err := migrator(ctx, conn.Conn())
	if err != nil {
		return err
	}
	have, err := m.GetCurrentVersion(ctx)
	if err != nil {
		return err
	}
	want := int32(len(m.Migrations))
	if have < want {
		return fmt.Errorf("%w: at version %d of %d; run `giveaway migrate`", ErrSchemaBehind, have, want)
	}
	if have > want {
		return fmt.Errorf("database schema is at version %d, newer than this binary knows (%d)", have, want)
	}
	return nil
}
