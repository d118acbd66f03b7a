package ingest

import (
	"context"

	"github.com/boothgiveaway/giveaway/internal/tweet"
)

// Sink is what every source hands its posts to: the one ingest path (*Service), which stores each
// post once, honours deletes and matches claims. Tests wrap it to fail or hold a batch.
type Sink interface {
	Ingest(ctx context.Context, items []tweet.Item) (Result, error)
}

var _ Sink = (*Service)(nil)
