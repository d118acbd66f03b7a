// Package source is the contract of the readers that pull posts from a network (the X stream,
// Mastodon, Bluesky): each is a Source handing its posts to the one ingest path (ingest.Sink),
// reporting one Status, and sharing the HTTP client for long-lived streams, the bounded line
// reader and the metrics helper here. Their backoff is internal/retry's; their campaign notices
// come from internal/notify; one instance reads each (internal/leader).
package source

import (
	"context"
	"encoding/json"
	"maps"
	"time"
)

// Source is one network the service pulls posts from.
type Source interface {
	// Name is the source's key in /readyz and its label in the logs.
	Name() string
	// Run takes part in the election for the reader and reads while this instance holds it; it
	// returns when ctx ends, after handing what was read to the sink.
	Run(ctx context.Context) error
	// CampaignsChanged asks the reader, if this instance runs it, to re-read the campaigns now
	// instead of at its next periodic re-read. It never blocks.
	CampaignsChanged()
	// Status is a snapshot of the source's state.
	Status() Status
}

// Status is a source's state for /readyz: what every source can say, and the figures of its own
// (rules, streams, cursor …) in Detail, which the JSON shows beside the others.
type Status struct {
	Leader         bool      `json:"leader"`    // this instance is the one reading
	Connected      bool      `json:"connected"` // the network's stream is open
	ConnectedSince time.Time `json:"connected_since,omitzero"`
	Reconnects     int64     `json:"reconnects"`
	Pending        int       `json:"pending"` // posts read but not yet accepted by the sink
	LastError      string    `json:"last_error,omitempty"`
	NextAttempt    time.Time `json:"next_attempt,omitzero"`
	// Degraded says, in words for the organiser, what the source may be missing now (a setting
	// that loses posts on reconnect, an account that filters, a window it could not catch up).
	Degraded []string `json:"degraded,omitempty"`

	Detail map[string]any `json:"-"`
}

// MarshalJSON writes the common fields and Detail's as one object; a common field wins.
func (s Status) MarshalJSON() ([]byte, error) {
	type common Status // without this method
	b, err := json.Marshal(common(s))
	if err != nil || len(s.Detail) == 0 {
		return b, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(fields)+len(s.Detail))
	maps.Copy(out, s.Detail)
	for k, v := range fields {
		out[k] = v
	}
	return json.Marshal(out)
}
