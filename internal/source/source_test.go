package source

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// /readyz shows a source's own figures beside the common ones, and a Detail key cannot hide a
// common field.
func TestStatusJSON(t *testing.T) {
	since := time.Date(2016, 8, 13, 9, 0, 0, 0, time.UTC)
	b, err := json.Marshal(Status{Leader: true, Connected: true, ConnectedSince: since, Reconnects: 2,
		Detail: map[string]any{"rules": 4, "leader": "hidden"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"connected":true,"connected_since":"2016-08-13T09:00:00Z","leader":true,"pending":0,"reconnects":2,"rules":4}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	if b, _ := json.Marshal(Status{}); string(b) != `{"leader":false,"connected":false,"reconnects":0,"pending":0}` {
		t.Errorf("no detail: %s", b)
	}
}

// Every source of a process reports into the same families, told apart by the source label.
func TestMetricsAreSharedAndLabelled(t *testing.T) {
	reg := prometheus.NewRegistry()
	x, err := NewMetrics(reg, "x_stream")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMetrics(reg, "mastodon")
	if err != nil {
		t.Fatal(err)
	}
	x.Connected.Set(1)
	m.Reconnects.WithLabelValues("stall").Inc()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range mt.GetLabel() {
				key += " " + l.GetName() + "=" + l.GetValue()
			}
			got[key] = mt.GetGauge().GetValue() + mt.GetCounter().GetValue()
		}
	}
	for k, want := range map[string]float64{
		"giveaway_source_connected source=x_stream":                    1,
		"giveaway_source_connected source=mastodon":                    0,
		"giveaway_source_leader source=mastodon":                       0,
		"giveaway_source_reconnects_total cause=stall source=mastodon": 1,
	} {
		if v, ok := got[k]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v; all: %v", k, v, ok, want, got)
		}
	}
}
