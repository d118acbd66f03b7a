package importer_test

import (
	"context"
	"testing"

	"github.com/boothgiveaway/giveaway/internal/importer"
	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/tweet"
)

// The import through the real ingest path: the database, not a fake, decides what is new.
func TestImportIntoTheDatabase(t *testing.T) {
	pool := pgtest.New(t)
	svc := ingest.New(pool, nil)
	sink := func(ctx context.Context, items []tweet.Item) (int, int, error) {
		r, err := svc.Ingest(ctx, items)
		return r.Stored, r.Duplicates, err
	}
	path := writeFile(t, "twitter.log.gz", event, true)
	ctx := context.Background()
	sum, err := importer.Import(ctx, sink, []string{path}, importer.Options{BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Imported != 4 || sum.Duplicates != 1 || sum.Deletes != 1 || sum.Bad != 2 || sum.Lines != 9 {
		t.Errorf("summary %+v", sum)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM tweets").Scan(&n); err != nil {
		t.Fatal(err)
	}
	// Post 2 was deleted by line 8.
	if n != 3 {
		t.Errorf("%d tweets stored, want 3", n)
	}
	// Again: nothing new.
	sum, err = importer.Import(ctx, sink, []string{path}, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Imported != 0 {
		t.Errorf("second import stored %d", sum.Imported)
	}
}
