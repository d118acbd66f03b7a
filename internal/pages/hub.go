package pages

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
)

// Event is one Server-Sent Event. ID is "<boot>-<seq>", seq counting every event of this hub: a
// reconnecting client names the last one it saw, and the hub replays what followed if this
// instance still holds it.
type Event struct {
	ID   string
	Name string
	Data []byte
	wire []byte // the event as sent, encoded once by Publish for every subscriber
}

// Hub fans events out to the SSE connections of one instance. Publishing never waits for a
// client: a subscriber whose buffer is full is dropped (its channel closed), and the browser
// reconnects with Last-Event-ID to catch up.
type Hub struct {
	boot   string
	mu     sync.Mutex
	seq    uint64
	topics map[string]*topic
	bufLen int
}

type topic struct {
	since   uint64 // the hub's seq when the topic was created: what came before is unknown
	last    uint64 // seq of the topic's latest event (or since)
	evicted uint64 // seq of the newest event that fell out of the ring
	ring    []Event
	seqs    []uint64 // seq of each ring event
	subs    map[*Sub]struct{}
}

// Sub is one open connection's subscription. Its channel carries pointers to the one published
// event: a buffer of 64 events costs 512 bytes per open page rather than 3.5 KiB.
type Sub struct {
	C     chan *Event
	topic string
	hub   *Hub
}

// wakeUp is what Wake sends: no event, only a reason for the reader to look at its stream again.
var wakeUp = &Event{}

// Wake puts a wake-up in the subscription's buffer, unless the buffer is full (its reader is
// awake then anyway) or the hub dropped it. Heartbeats and hang-ups wake an event stream this
// way, so that its goroutine waits on one channel alone (see pump).
func (s *Sub) Wake() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if t := h.topics[s.topic]; t != nil {
		if _, ok := t.subs[s]; ok {
			select {
			case s.C <- wakeUp:
			default:
			}
		}
	}
}

const ringLen = 128

// NewHub returns an empty hub; each subscriber may fall bufLen events behind before it is dropped.
func NewHub(bufLen int) *Hub {
	b := make([]byte, 4)
	rand.Read(b)
	return &Hub{boot: hex.EncodeToString(b), topics: map[string]*topic{}, bufLen: bufLen}
}

func (h *Hub) topic(name string) *topic {
	t := h.topics[name]
	if t == nil {
		t = &topic{subs: map[*Sub]struct{}{}, since: h.seq, last: h.seq, evicted: h.seq}
		h.topics[name] = t
	}
	return t
}

// Publish sends an event to every subscriber of the topic and keeps it for replay.
func (h *Hub) Publish(topicName, name string, data []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topics[topicName]
	if t == nil {
		return // nobody ever watched it: nothing to deliver or replay
	}
	h.seq++
	t.last = h.seq
	ev := Event{ID: h.boot + "-" + strconv.FormatUint(h.seq, 10), Name: name, Data: data}
	ev.wire = ev.encode()
	if len(t.ring) == ringLen {
		t.evicted = t.seqs[0]
		t.ring, t.seqs = t.ring[1:], t.seqs[1:]
	}
	t.ring, t.seqs = append(t.ring, ev), append(t.seqs, h.seq)
	shared := &ev
	for s := range t.subs {
		select {
		case s.C <- shared:
		default:
			// Too slow: let it go rather than hold up everyone else.
			h.remove(t, s)
		}
	}
}

// remove ends a subscription. A topic nobody watches is forgotten, so one per claim page costs
// nothing once the page closes; a wall reconnecting to a forgotten topic is told to reload.
func (h *Hub) remove(t *topic, s *Sub) {
	delete(t.subs, s)
	close(s.C)
	if len(t.subs) == 0 {
		delete(h.topics, s.topic)
	}
}

// LastID is the id of the topic's latest event, for a page to hand to its event stream so
// nothing published between rendering and connecting is missed.
func (h *Hub) LastID(topicName string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topic(topicName)
	return h.boot + "-" + strconv.FormatUint(t.last, 10)
}

// Subscribe opens a subscription. With lastID it also returns the events after it; caughtUp is
// false when the hub cannot tell what the client missed (another instance's id, or too old), and
// the client must then reload its state.
func (h *Hub) Subscribe(topicName, lastID string) (s *Sub, replay []Event, caughtUp bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topic(topicName)
	s = &Sub{C: make(chan *Event, h.bufLen), topic: topicName, hub: h}
	t.subs[s] = struct{}{}
	if lastID == "" {
		return s, nil, true
	}
	boot, seqStr, _ := strings.Cut(lastID, "-")
	seq, err := strconv.ParseUint(seqStr, 10, 64)
	if boot != h.boot || err != nil || seq > h.seq || seq < t.since || seq < t.evicted {
		return s, nil, false
	}
	for i, n := range t.seqs {
		if n > seq {
			replay = append(replay, t.ring[i])
		}
	}
	return s, replay, true
}

// WakeAll wakes every subscription (see Sub.Wake): the instance is stopping.
func (h *Hub) WakeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, t := range h.topics {
		for s := range t.subs {
			select {
			case s.C <- wakeUp:
			default:
			}
		}
	}
}

// Unsubscribe ends a subscription; it is safe after the hub dropped it.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t := h.topics[s.topic]; t != nil {
		if _, ok := t.subs[s]; ok {
			h.remove(t, s)
		}
	}
}

// Subscribers counts the open subscriptions of a topic.
func (h *Hub) Subscribers(topicName string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t := h.topics[topicName]; t != nil {
		return len(t.subs)
	}
	return 0
}

// Topics lists topics with a prefix that have subscribers.
func (h *Hub) Topics(prefix string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for name, t := range h.topics {
		if len(t.subs) > 0 && strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	return out
}
