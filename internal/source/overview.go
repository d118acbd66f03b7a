package source

import (
	"context"
	"time"

	"github.com/boothgiveaway/giveaway/internal/store"
)

// Overview is what the organiser sees of the sources: each configured one with its state and
// what it may be missing now, and the gaps recorded since a time (by any instance, newest first).
type Overview struct {
	Sources []Named     `json:"sources"`
	Gaps    []GapRecord `json:"gaps"`
}

// Named is one source's state under its name.
type Named struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
}

// GapRecord is a recorded gap as the API shows it.
type GapRecord struct {
	Source     string    `json:"source"`
	Kind       string    `json:"kind"`
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	Detail     string    `json:"detail"`
	RecordedAt time.Time `json:"recorded_at"`
}

// OverviewSince is how far back an overview lists gaps (GET /api/v1/sources, the console's
// sources page): an event's days and more.
const OverviewSince = 7 * 24 * time.Hour

// OverviewGaps bounds the gaps an overview lists.
const OverviewGaps = 200

// Describe gathers the overview: the sources of this process (their state is this instance's
// view; only the leader reads) and the gaps stored since since.
func Describe(ctx context.Context, db store.DBTX, sources []Source, since time.Time) (Overview, error) {
	out := Overview{Sources: []Named{}, Gaps: []GapRecord{}}
	for _, s := range sources {
		out.Sources = append(out.Sources, Named{Name: s.Name(), Status: s.Status()})
	}
	var err error
	out.Gaps, err = gaps(ctx, db, since, time.Time{})
	return out, err
}

// GapsDuring are the recorded gaps that overlap [from, to) (a campaign's window), newest first:
// what the console warns of before winners are announced.
func GapsDuring(ctx context.Context, db store.DBTX, from, to time.Time) ([]GapRecord, error) {
	return gaps(ctx, db, from, to)
}

// gaps reads the gaps that end at or after since and, when before is set, begin before it.
func gaps(ctx context.Context, db store.DBTX, since, before time.Time) ([]GapRecord, error) {
	out := []GapRecord{}
	rows, err := store.New(db).RecentSourceGaps(ctx, store.RecentSourceGapsParams{Since: since, MaxRows: OverviewGaps})
	for _, r := range rows {
		if !before.IsZero() && !r.FromAt.Before(before) {
			continue
		}
		out = append(out, GapRecord{Source: r.Source, Kind: r.Kind, From: r.FromAt, To: r.ToAt,
			Detail: r.Detail, RecordedAt: r.RecordedAt})
	}
	return out, err
}
