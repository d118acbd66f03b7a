package pages

import (
	"testing"
)

func TestHubReplayAndSlowClients(t *testing.T) {
	h := NewHub(2)
	start := h.LastID("wall:1")
	a, _, ok := h.Subscribe("wall:1", "")
	if !ok {
		t.Fatal("a fresh subscription is not caught up")
	}
	h.Publish("wall:1", "post", []byte("1"))
	h.Publish("wall:1", "post", []byte("2"))
	// A reconnect from where the page started gets both events back.
	b, replay, ok := h.Subscribe("wall:1", start)
	if !ok || len(replay) != 2 || string(replay[1].Data) != "2" {
		t.Fatalf("replay %v %v", replay, ok)
	}
	h.Unsubscribe(b)
	// a has not read its two events; a third would block it, so it is dropped.
	h.Publish("wall:1", "post", []byte("3"))
	n := 0
	for range a.C {
		n++
	}
	if n != 2 {
		t.Errorf("slow subscriber got %d events before being dropped", n)
	}
	if h.Subscribers("wall:1") != 0 {
		t.Error("the slow subscriber is still subscribed")
	}
	h.Unsubscribe(a) // safe after the drop
	// An id from another instance, or one older than the ring, cannot be replayed.
	if _, _, ok := h.Subscribe("wall:1", "elsewhere-3"); ok {
		t.Error("a foreign id counts as caught up")
	}
	for range ringLen + 5 {
		h.Publish("wall:1", "post", nil)
	}
	if _, _, ok := h.Subscribe("wall:1", start); ok {
		t.Error("an id older than the ring counts as caught up")
	}
	// Nobody ever watched it: publishing costs nothing and keeps nothing.
	h.Publish("claim:9", "changed", nil)
	if len(h.topics) != 1 {
		t.Errorf("%d topics", len(h.topics))
	}
}

func TestHubWakesWithoutBlockingOrResurrecting(t *testing.T) {
	h := NewHub(2)
	a, _, _ := h.Subscribe("claim:1", "")
	b, _, _ := h.Subscribe("wall:1", "")
	// A wake-up is no event: it never reaches a page, only its reader.
	a.Wake()
	if ev := <-a.C; ev != wakeUp {
		t.Fatalf("woken with %+v", ev)
	}
	// A full buffer is not blocked on, and does not count as a slow reader: the reader is awake.
	h.Publish("claim:1", "changed", nil)
	h.Publish("claim:1", "changed", nil)
	a.Wake()
	if len(a.C) != 2 || h.Subscribers("claim:1") != 1 {
		t.Fatalf("buffer %d, subscribers %d", len(a.C), h.Subscribers("claim:1"))
	}
	// The instance stops: every stream is woken, and one that was dropped stays closed.
	h.Unsubscribe(a)
	h.WakeAll()
	a.Wake()
	if ev := <-b.C; ev != wakeUp {
		t.Fatalf("WakeAll sent %+v", ev)
	}
	n := 0
	for range a.C {
		n++
	}
	if n != 2 {
		t.Errorf("the dropped subscription got %d events after its two", n-2)
	}
}
