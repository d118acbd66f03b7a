package source

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are what every source reports, in families shared by the sources and labelled by
// source name; a source's own figures (X's spend, Mastodon's statuses, Bluesky's cursor lag …)
// stay under its own prefix.
type Metrics struct {
	Leader     prometheus.Gauge       // 1 while this instance is the one reading
	Connected  prometheus.Gauge       // streams open now
	Reconnects *prometheus.CounterVec // by cause
	Gaps       *prometheus.CounterVec // stretches known to be missed, by kind (RecordGap)
	GapSeconds *prometheus.CounterVec // their length, by kind
}

// NewMetrics returns the shared metrics of the source called name, registering the families in
// reg on first use (every source of a process shares them). reg may be nil (nothing registered).
func NewMetrics(reg prometheus.Registerer, name string) (Metrics, error) {
	leader := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "giveaway_source_leader",
		Help: "1 while this instance holds the source's reader lock (only one instance reads each source)."}, []string{"source"})
	connected := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "giveaway_source_connected",
		Help: "Streams this instance has open to the source's network (X and Bluesky: one; Mastodon: one per hashtag)."},
		[]string{"source"})
	reconnects := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "giveaway_source_reconnects_total",
		Help: "Stream reconnects by source and cause (network, http, auth, rate_limited, stall, closed …)."},
		[]string{"source", "cause"})
	gaps := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "giveaway_source_gaps_total",
		Help: "Stretches of time the source knows it could not read (reconnect, cursor_too_old, fill_incomplete); the report lists them."},
		[]string{"source", "kind"})
	gapSeconds := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "giveaway_source_gap_seconds_total",
		Help: "Total length of those stretches, by source and kind."}, []string{"source", "kind"})
	var err error
	if gaps, err = shared(reg, gaps); err != nil {
		return Metrics{}, err
	}
	if gapSeconds, err = shared(reg, gapSeconds); err != nil {
		return Metrics{}, err
	}
	if leader, err = shared(reg, leader); err != nil {
		return Metrics{}, err
	}
	if connected, err = shared(reg, connected); err != nil {
		return Metrics{}, err
	}
	if reconnects, err = shared(reg, reconnects); err != nil {
		return Metrics{}, err
	}
	return Metrics{Leader: leader.WithLabelValues(name), Connected: connected.WithLabelValues(name),
		Reconnects: reconnects.MustCurryWith(prometheus.Labels{"source": name}),
		Gaps:       gaps.MustCurryWith(prometheus.Labels{"source": name}),
		GapSeconds: gapSeconds.MustCurryWith(prometheus.Labels{"source": name})}, nil
}

// shared registers c, or answers the collector of the same family another source registered.
func shared[T prometheus.Collector](reg prometheus.Registerer, c T) (T, error) {
	if reg == nil {
		return c, nil
	}
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(T); ok {
			return existing, nil
		}
	}
	return c, err
}

// Register registers a source's own collectors; reg may be nil.
func Register(reg prometheus.Registerer, cols ...prometheus.Collector) error {
	if reg == nil {
		return nil
	}
	for _, c := range cols {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
