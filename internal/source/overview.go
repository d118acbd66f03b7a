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

// OverviewGaps bounds the gaps an overview lists.
const OverviewGaps = 200

// Describe gathers the overview: the sources of this process (their state is this instance's
// view; only the leader reads) and the gaps stored since since.
func Describe(ctx context.Context, db store.DBTX, sources []Source, since time.Time) (Overview, error) {
	out := Overview{Sources: []Named{}, Gaps: []GapRecord{}}
	for _, s := range sources {
		out.Sources = append(out.Sources, Named{Name: s.Name(), Status: s.Status()})
	}
	rows, err := store.New(db).RecentSourceGaps(ctx, store.RecentSourceGapsParams{Since: since, MaxRows: OverviewGaps})
	for _, r := range rows {
		out.Gaps = append(out.Gaps, GapRecord{Source: r.Source, Kind: r.Kind, From: r.FromAt, To: r.ToAt,
			Detail: r.Detail, RecordedAt: r.RecordedAt})
	}
	return out, err
}
