// Package pgtest gives each test a fresh, migrated PostgreSQL database of its own, so tests run in
// parallel against the real server with no set-up: the project-local cluster when DATABASE_URL is
// unset, or the server DATABASE_URL names (its role needs CREATEDB).
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/database"
	"github.com/boothgiveaway/giveaway/internal/devdb"
	"github.com/boothgiveaway/giveaway/migrations"
)

var (
	once     sync.Once
	adminURL string
	template string
	setupErr error
)

// New returns a pool on a new database cloned from a migrated template; it is dropped when the
// test ends.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	dbURL := NewURL(t)
	pool, err := database.Open(context.Background(), dbURL, 40)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// NewURL creates the database like New and returns its URL, for tests that run the binary.
func NewURL(t testing.TB) string {
	t.Helper()
	url, drop, err := Create(context.Background())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(drop)
	return url
}

// Create makes a fresh migrated database outside a test (benchmarks use it); drop removes it.
func Create(ctx context.Context) (url string, drop func(), err error) {
	once.Do(func() { setupErr = setup(ctx) })
	if setupErr != nil {
		return "", nil, setupErr
	}
	name := "test_" + randomHex(8)
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, template)); err != nil {
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	drop = func() {
		c, err := pgx.Connect(context.Background(), adminURL)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
	}
	return withDatabase(adminURL, name), drop, nil
}

func setup(ctx context.Context) error {
	adminURL = os.Getenv("DATABASE_URL")
	if adminURL == "" {
		root, err := devdb.RepoRoot()
		if err != nil {
			return err
		}
		if adminURL, err = devdb.Ensure(ctx, filepath.Join(root, ".devdb")); err != nil {
			return err
		}
	}
	// The template's name follows the migrations' content, so a changed schema gets a new template.
	sum, err := migrationsHash()
	if err != nil {
		return err
	}
	template = "tmpl_" + sum[:16]
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	// Parallel test binaries race to build the template; one builds it, the others wait.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(727274)"); err != nil {
		return err
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock(727274)")
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", template).
		Scan(&exists); err != nil || exists {
		return err
	}
	building := template + "_build"
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)")
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+building); err != nil {
		return err
	}
	pool, err := database.Open(ctx, withDatabase(adminURL, building), 2)
	if err != nil {
		return err
	}
	_, _, err = database.Migrate(ctx, pool)
	pool.Close()
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s", building, template))
	return err
}

func migrationsHash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, p)
		h.Write([]byte(p))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
