package pgtest

import (
	"context"
	"testing"
)

func TestFreshDatabasesAreMigratedAndSeparate(t *testing.T) {
	a, b := New(t), New(t)
	ctx := context.Background()
	if _, err := a.Exec(ctx, `INSERT INTO staff (name, pin_hash, role) VALUES ('Janis', 'x', 'staff')`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRow(ctx, `SELECT count(*) FROM staff`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("second database sees %d staff rows from the first", n)
	}
}
