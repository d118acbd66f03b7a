package esfeed

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	pending   prometheus.Gauge
	dead      prometheus.Gauge
	lag       prometheus.Gauge
	rowsDone  prometheus.Counter
	rowsRetry prometheus.Counter
	rowsDead  prometheus.Counter
	items     *prometheus.CounterVec
	rounds    *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		pending: prometheus.NewGauge(prometheus.GaugeOpts{Name: "giveaway_esfeed_pending_rows",
			Help: "Outbox rows not yet confirmed by Elasticsearch."}),
		dead: prometheus.NewGauge(prometheus.GaugeOpts{Name: "giveaway_esfeed_dead_letters",
			Help: "Outbox rows whose items Elasticsearch rejected for good (see giveaway es status)."}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "giveaway_esfeed_lag_seconds",
			Help: "Age of the oldest pending outbox row."}),
		rowsDone: prometheus.NewCounter(prometheus.CounterOpts{Name: "giveaway_esfeed_rows_done_total",
			Help: "Outbox rows marked done after Elasticsearch confirmed them."}),
		rowsRetry: prometheus.NewCounter(prometheus.CounterOpts{Name: "giveaway_esfeed_rows_retried_total",
			Help: "Outbox rows left pending after a failed send (whole request or item 429/5xx)."}),
		rowsDead: prometheus.NewCounter(prometheus.CounterOpts{Name: "giveaway_esfeed_rows_dead_total",
			Help: "Outbox rows moved to the dead letters."}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "giveaway_esfeed_items_total",
			Help: "Bulk items by result: created, updated, deleted, stale (409 superseded), not_found, retry, dead."},
			[]string{"result"}),
		rounds: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "giveaway_esfeed_rounds_total",
			Help: "Feed rounds by outcome: ok, empty, failed."}, []string{"outcome"}),
	}
	if reg != nil {
		reg.MustRegister(m.pending, m.dead, m.lag, m.rowsDone, m.rowsRetry, m.rowsDead, m.items, m.rounds)
	}
	return m
}

func (f *Feeder) refreshGauges(ctx context.Context) {
	st, err := ReadStatus(ctx, f.pool)
	if err != nil {
		return
	}
	f.lastStatus = st.Now
	f.m.pending.Set(float64(st.Pending))
	f.m.dead.Set(float64(st.DeadLetters))
	f.m.lag.Set(st.Lag.Seconds())
}
