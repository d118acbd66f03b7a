package source

import (
	"encoding/json"
	"testing"
	"time"
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
