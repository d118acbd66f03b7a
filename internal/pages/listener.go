package pages

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Channels the pages listen on. giveaway_events is written by the domain with every claim
// event, giveaway_posts by the ingest path (internal/ingest/wall.go), giveaway_wall by moderation.
const (
	chanEvents = "giveaway_events"
	chanPosts  = "giveaway_posts"
	chanWall   = "giveaway_wall"
)

// listen holds one connection per instance on LISTEN and hands every notification to handle.
// listening is called each time LISTEN is in place; after a reconnect (first false) the pages
// must resync, since notifications sent in the gap are gone for good.
func listen(ctx context.Context, pool *pgxpool.Pool, handle func(channel, payload string), listening func(first bool)) {
	backoff := 100 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		err := listenOnce(ctx, pool, handle, func() {
			backoff = 100 * time.Millisecond
			listening(first)
			first = false
		})
		if ctx.Err() != nil {
			return
		}
		slog.Warn("pages: live-update listener lost its connection; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func listenOnce(ctx context.Context, pool *pgxpool.Pool, handle func(channel, payload string), ready func()) error {
	// A connection of its own: LISTEN ties up the session for as long as it runs.
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, ch := range []string{chanEvents, chanPosts, chanWall} {
		if _, err := conn.Exec(ctx, "LISTEN "+ch); err != nil {
			return err
		}
	}
	ready()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		handle(n.Channel, n.Payload)
	}
}
