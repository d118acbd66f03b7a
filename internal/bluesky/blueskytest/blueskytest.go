// Package blueskytest is a local stand-in for the two Bluesky services the reader uses: a
// Jetstream websocket (GET /subscribe) that honours wantedCollections and replays its event log
// from a cursor, and an AppView answering app.bsky.actor.getProfiles. It speaks the real wire
// shapes, so the reader is tested against the protocol, and it can drop connections, refuse
// handshakes, fail lookups and record what it was asked.
package blueskytest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Event is a Jetstream message.
type Event struct {
	Did      string    `json:"did"`
	TimeUS   int64     `json:"time_us"`
	Kind     string    `json:"kind"`
	Commit   *Commit   `json:"commit,omitempty"`
	Identity *Identity `json:"identity,omitempty"`
	Account  *Account  `json:"account,omitempty"`
}

// Commit is a record created, updated or deleted in a repo.
type Commit struct {
	Rev        string          `json:"rev"`
	Operation  string          `json:"operation"`
	Collection string          `json:"collection"`
	RKey       string          `json:"rkey"`
	Record     json.RawMessage `json:"record,omitempty"`
	CID        string          `json:"cid,omitempty"`
}

// Identity announces a DID's (new) handle.
type Identity struct {
	Did    string `json:"did"`
	Handle string `json:"handle,omitempty"`
	Seq    int64  `json:"seq"`
	Time   string `json:"time"`
}

// Account announces an account's status.
type Account struct {
	Active bool   `json:"active"`
	Did    string `json:"did"`
	Seq    int64  `json:"seq"`
	Time   string `json:"time"`
	Status string `json:"status,omitempty"`
}

// Post is an app.bsky.feed.post record.
type Post struct {
	Type      string          `json:"$type"`
	CreatedAt string          `json:"createdAt"`
	Text      string          `json:"text"`
	Langs     []string        `json:"langs,omitempty"`
	Facets    []Facet         `json:"facets,omitempty"`
	Tags      []string        `json:"tags,omitempty"`
	Reply     *Reply          `json:"reply,omitempty"`
	Embed     json.RawMessage `json:"embed,omitempty"`
}

// Facet annotates a UTF-8 byte range of a post's text.
type Facet struct {
	Index    ByteSlice `json:"index"`
	Features []Feature `json:"features"`
}

// ByteSlice is a facet's range, in UTF-8 bytes.
type ByteSlice struct {
	ByteStart int `json:"byteStart"`
	ByteEnd   int `json:"byteEnd"`
}

// Feature is a facet's meaning: a tag, a link or a mention.
type Feature struct {
	Type string `json:"$type"`
	Tag  string `json:"tag,omitempty"`
	URI  string `json:"uri,omitempty"`
	Did  string `json:"did,omitempty"`
}

// Reply names the post replied to and its thread's root.
type Reply struct {
	Parent StrongRef `json:"parent"`
	Root   StrongRef `json:"root"`
}

// StrongRef points at one version of a record.
type StrongRef struct {
	URI string `json:"uri"`
	CID string `json:"cid"`
}

// TagFacets returns a tag facet for each "#tag" in text, with byte offsets the way the Bluesky
// app computes them.
func TagFacets(text string, tags ...string) []Facet {
	var fs []Facet
	for _, t := range tags {
		i := strings.Index(text, "#"+t)
		if i < 0 {
			panic(fmt.Sprintf("blueskytest: %q not in %q", "#"+t, text))
		}
		fs = append(fs, Facet{Index: ByteSlice{ByteStart: i, ByteEnd: i + 1 + len(t)},
			Features: []Feature{{Type: "app.bsky.richtext.facet#tag", Tag: t}}})
	}
	return fs
}

// QuoteEmbed is an app.bsky.embed.record embed quoting uri.
func QuoteEmbed(uri string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"$type": "app.bsky.embed.record",
		"record": StrongRef{URI: uri, CID: "bafyreiquoted"}})
	return b
}

// PostURI is the at-uri of a post.
func PostURI(did, rkey string) string { return "at://" + did + "/app.bsky.feed.post/" + rkey }

// Create is a commit creating the post; an empty CreatedAt becomes now.
func Create(did, rkey string, p Post) Event { return commit(did, rkey, "create", &p) }

// Update is a commit replacing the post.
func Update(did, rkey string, p Post) Event { return commit(did, rkey, "update", &p) }

// Delete is a commit deleting the post.
func Delete(did, rkey string) Event { return commit(did, rkey, "delete", nil) }

func commit(did, rkey, op string, p *Post) Event {
	c := &Commit{Rev: "3l3qo2vutsw2b", Operation: op, Collection: "app.bsky.feed.post", RKey: rkey}
	if p != nil {
		p.Type = "app.bsky.feed.post"
		if p.CreatedAt == "" {
			p.CreatedAt = time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
		}
		c.Record, _ = json.Marshal(p)
		c.CID = "bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi"
	}
	return Event{Did: did, Kind: "commit", Commit: c}
}

// Like is a commit of another collection, which wantedCollections=app.bsky.feed.post filters out.
func Like(did, rkey, subject string) Event {
	rec, _ := json.Marshal(map[string]any{"$type": "app.bsky.feed.like", "createdAt": time.Now().UTC().Format(time.RFC3339),
		"subject": StrongRef{URI: subject, CID: "bafyreisubject"}})
	return Event{Did: did, Kind: "commit", Commit: &Commit{Rev: "3l3qo2vutsw2b", Operation: "create",
		Collection: "app.bsky.feed.like", RKey: rkey, Record: rec, CID: "bafyreilike"}}
}

// IdentityEvent announces did's handle ("" for an event without one).
func IdentityEvent(did, handle string) Event {
	return Event{Did: did, Kind: "identity", Identity: &Identity{Did: did, Handle: handle, Seq: 1409752997,
		Time: time.Now().UTC().Format("2006-01-02T15:04:05.000Z")}}
}

// AccountEvent announces did's account status.
func AccountEvent(did string, active bool) Event {
	return Event{Did: did, Kind: "account", Account: &Account{Active: active, Did: did, Seq: 1409753013,
		Time: time.Now().UTC().Format("2006-01-02T15:04:05.000Z")}}
}

type logged struct {
	timeUS     int64
	collection string // commits only: identity and account events go to every subscriber
	data       []byte
}

type subscriber struct {
	wanted []string
	send   chan []byte
	conn   *websocket.Conn
}

// Server is the fake Jetstream and AppView.
type Server struct {
	*httptest.Server
	// Window is how far back events are kept (Jetstream's event TTL, 36 h by default). As
	// Jetstream does, a cursor older than that replays from the oldest event kept, without
	// saying anything was skipped.
	Window time.Duration

	mu          sync.Mutex
	log         []logged
	lastUS      int64
	subs        map[*subscriber]bool
	subscribes  []url.Values
	refuse      int // handshakes still to refuse
	profiles    map[string]string
	failLookups int
	lookups     [][]string
	changed     chan struct{}
}

// New starts a server; it is closed when the test ends.
func New(t interface{ Cleanup(func()) }) *Server {
	s := &Server{Window: 36 * time.Hour, subs: map[*subscriber]bool{}, profiles: map[string]string{}, changed: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /subscribe", s.subscribe)
	mux.HandleFunc("GET /xrpc/app.bsky.actor.getProfiles", s.getProfiles)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// Close drops every subscriber, then stops the server.
func (s *Server) Close() {
	s.Drop()
	s.Server.Close()
}

// JetstreamURL is the subscribe endpoint, as BLUESKY_JETSTREAM_URL would name it.
func (s *Server) JetstreamURL() string {
	return "ws" + strings.TrimPrefix(s.URL, "http") + "/subscribe"
}

// AppViewURL is the AppView base URL.
func (s *Server) AppViewURL() string { return s.URL }

// SetProfile makes the AppView know did by handle.
func (s *Server) SetProfile(did, handle string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.profiles[did] = handle
}

// FailLookups makes the next n getProfiles calls answer 502.
func (s *Server) FailLookups(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLookups = n
}

// Lookups returns the actors of each getProfiles call so far.
func (s *Server) Lookups() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.lookups)
}

// RefuseHandshakes makes the next n subscribe requests answer 503 instead of upgrading.
func (s *Server) RefuseHandshakes(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = n
}

// Subscribes returns the query of each subscribe request so far, refused ones included.
func (s *Server) Subscribes() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.subscribes)
}

// Subscribers is how many connections are open.
func (s *Server) Subscribers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}

// WaitSubscribes blocks until n subscribe requests have come, or d has passed; it reports
// whether they came.
func (s *Server) WaitSubscribes(n int, d time.Duration) bool {
	deadline := time.After(d)
	for {
		s.mu.Lock()
		got, ch := len(s.subscribes), s.changed
		open := len(s.subs)
		s.mu.Unlock()
		if got >= n && open > 0 {
			return true
		}
		select {
		case <-ch:
		case <-deadline:
			return false
		}
	}
}

// notify wakes waiters; s.mu is held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Push appends events to the log, giving each a time_us (now, and after the last one) unless it
// has one, and sends them to the subscribers that want them. It returns the events as sent.
func (s *Server) Push(evs ...Event) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range evs {
		if evs[i].TimeUS == 0 {
			evs[i].TimeUS = max(time.Now().UnixMicro(), s.lastUS+1)
		}
		s.lastUS = max(s.lastUS, evs[i].TimeUS)
		b, err := json.Marshal(evs[i])
		if err != nil {
			panic(err)
		}
		l := logged{timeUS: evs[i].TimeUS, data: b}
		if evs[i].Commit != nil {
			l.collection = evs[i].Commit.Collection
		}
		s.log = append(s.log, l)
		for sub := range s.subs {
			s.deliver(sub, l)
		}
	}
	return evs
}

// PushRaw sends msg verbatim to every open connection (it is not logged, so not replayed).
func (s *Server) PushRaw(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sub := range s.subs {
		s.enqueue(sub, []byte(msg))
	}
}

// Drop cuts every open connection without a close handshake.
func (s *Server) Drop() {
	s.mu.Lock()
	subs := make([]*subscriber, 0, len(s.subs))
	for sub := range s.subs {
		subs = append(subs, sub)
	}
	s.mu.Unlock()
	for _, sub := range subs {
		sub.conn.CloseNow()
	}
}

// deliver sends l when the subscriber wants its collection; s.mu is held.
func (s *Server) deliver(sub *subscriber, l logged) {
	if l.collection != "" && len(sub.wanted) > 0 && !wants(sub.wanted, l.collection) {
		return
	}
	s.enqueue(sub, l.data)
}

// enqueue drops a subscriber too slow to keep up, as Jetstream does; s.mu is held.
func (s *Server) enqueue(sub *subscriber, b []byte) {
	select {
	case sub.send <- b:
	default:
		delete(s.subs, sub)
		go sub.conn.CloseNow()
	}
}

// wants matches a collection against wantedCollections, which may end in ".*".
func wants(wanted []string, collection string) bool {
	for _, w := range wanted {
		if p, ok := strings.CutSuffix(w, ".*"); ok && strings.HasPrefix(collection, p+".") || w == collection {
			return true
		}
	}
	return false
}

func (s *Server) subscribe(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.subscribes = append(s.subscribes, q)
	refuse := s.refuse > 0
	if refuse {
		s.refuse--
	}
	s.notify()
	s.mu.Unlock()
	if refuse {
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return
	}
	var cursor int64
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			http.Error(w, "invalid cursor", http.StatusBadRequest)
			return
		}
		cursor = n
	}
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	sub := &subscriber{wanted: q["wantedCollections"], send: make(chan []byte, 10000), conn: conn}
	s.mu.Lock()
	// Replay and registration under one lock: no event is missed or sent twice between them.
	// A cursor in the future, or none, is a live tail.
	if cursor > 0 {
		oldest := time.Now().Add(-s.Window).UnixMicro()
		for _, l := range s.log {
			if l.timeUS >= cursor && l.timeUS >= oldest {
				s.deliver(sub, l)
			}
		}
	}
	s.subs[sub] = true
	s.notify()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.subs, sub)
		s.notify()
		s.mu.Unlock()
		conn.CloseNow()
	}()
	ctx := conn.CloseRead(context.Background())
	for {
		select {
		case b := <-sub.send:
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := conn.Write(wctx, websocket.MessageText, b)
			cancel()
			if err != nil {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

func (s *Server) getProfiles(w http.ResponseWriter, r *http.Request) {
	actors := r.URL.Query()["actors"]
	s.mu.Lock()
	s.lookups = append(s.lookups, actors)
	fail := s.failLookups > 0
	if fail {
		s.failLookups--
	}
	type profile struct {
		Did         string `json:"did"`
		Handle      string `json:"handle"`
		DisplayName string `json:"displayName,omitempty"`
	}
	ans := struct {
		Profiles []profile `json:"profiles"`
	}{Profiles: []profile{}}
	for _, a := range actors {
		if h, ok := s.profiles[a]; ok {
			ans.Profiles = append(ans.Profiles, profile{Did: a, Handle: h})
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case fail:
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte(`{"error":"UpstreamFailure","message":"upstream failed"}`))
		return
	case len(actors) == 0 || len(actors) > 25:
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":"InvalidRequest","message":"actors must have between 1 and 25 items"}`))
		return
	}
	var buf bytes.Buffer
	json.NewEncoder(&buf).Encode(ans)
	w.Write(buf.Bytes())
}
