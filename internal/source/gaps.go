package source

import (
	"context"
	"log/slog"
	"time"

	"github.com/boothgiveaway/giveaway/internal/store"
)

// The kinds of gap a source records (the source_gaps.kind check in 016_source_gaps.sql).
const (
	// GapReconnect: the stream was down and what was posted meanwhile was not replayed (X
	// without backfill, or down longer than its backfill reaches).
	GapReconnect = "reconnect"
	// GapCursorTooOld: the saved cursor was older than the server replays (Jetstream's window).
	GapCursorTooOld = "cursor_too_old"
	// GapFillIncomplete: catching up after a reconnect stopped before it reached the cursor.
	GapFillIncomplete = "fill_incomplete"
)

// Gap is a stretch of time in which a source could not read what was posted.
type Gap struct {
	Source   string // the source's Name
	Kind     string
	From, To time.Time
	Detail   string // why, for the organiser: the setting or limit that caused it
}

// RecordGap says that a source missed g: a warning in the log, the gap metrics, and a row in
// source_gaps that the report and GET /api/v1/sources show. A gap that cannot be stored is still
// logged and counted; an empty or reversed stretch is nothing to record.
func RecordGap(ctx context.Context, db store.DBTX, log *slog.Logger, m Metrics, g Gap) {
	if !g.To.After(g.From) {
		return
	}
	g.From, g.To = g.From.UTC().Truncate(time.Second), g.To.UTC().Add(time.Second-1).Truncate(time.Second)
	if len(g.Detail) > 500 {
		g.Detail = g.Detail[:500]
	}
	log.Warn("posts between these times could not be read", "kind", g.Kind,
		"from", g.From.Format(time.RFC3339), "to", g.To.Format(time.RFC3339), "why", g.Detail)
	if m.Gaps != nil {
		m.Gaps.WithLabelValues(g.Kind).Inc()
		m.GapSeconds.WithLabelValues(g.Kind).Add(g.To.Sub(g.From).Seconds())
	}
	if _, err := store.New(db).InsertSourceGap(ctx, store.InsertSourceGapParams{Source: g.Source, Kind: g.Kind,
		FromAt: g.From, ToAt: g.To, Detail: g.Detail}); err != nil {
		log.Error("the gap could not be stored; the report will not show it", "err", err)
	}
}
