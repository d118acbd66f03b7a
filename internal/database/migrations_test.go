package database_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/tern/v2/migrate"

	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/migrations"
)

// A database that stored posts before migration 008 keeps their raw JSON, in tweet_raw, and
// gets it back inline when the migration is rolled back.
func TestRawPostsMoveToTheirOwnTableAndBack(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	m, err := migrate.NewMigrator(ctx, conn, "schema_version")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.LoadMigrations(migrations.FS); err != nil {
		t.Fatal(err)
	}
	if err := m.MigrateTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO tweets (id, version_id, handle, handle_norm, created_at, text, raw)
		VALUES ('1', '1', 'Kim', 'kim', now(), 'hello', '{"id_str":"1","text":"hello"}'),
		       ('2', '2', 'Lee', 'lee', now(), 'no raw', NULL)`); err != nil {
		t.Fatal(err)
	}

	if err := m.MigrateTo(ctx, 8); err != nil {
		t.Fatal(err)
	}
	var ids, text string
	if err := conn.QueryRow(ctx, `SELECT string_agg(id, ','), max(raw ->> 'text') FROM tweet_raw`).Scan(&ids, &text); err != nil {
		t.Fatal(err)
	}
	if ids != "1" || text != "hello" {
		t.Fatalf("after 008: tweet_raw holds %q with text %q; want post 1's raw JSON only", ids, text)
	}
	var inline bool
	conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.columns
		WHERE table_name = 'tweets' AND column_name = 'raw')`).Scan(&inline)
	if inline {
		t.Fatal("after 008 tweets still has a raw column")
	}

	if err := m.MigrateTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	var back int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM tweets WHERE id = '1' AND raw ->> 'text' = 'hello'`).Scan(&back); err != nil {
		t.Fatal(err)
	}
	if back != 1 {
		t.Fatal("rolling back 008 lost the raw JSON")
	}
}
