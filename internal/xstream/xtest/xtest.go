// Package xtest is a local stand-in for the parts of the X API v2 the stream client uses: the
// filtered stream, scriptable per connection, and the stream rules endpoints, kept in memory.
// It answers with X's request and response shapes so the client is tested against the protocol.
package xtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// End says how a scripted stream connection finishes after its steps.
type End int

const (
	Close End = iota // the response ends cleanly (the client reads EOF)
	Drop             // the connection is cut without ending the response (unexpected EOF)
	Hold             // stays open until the client leaves, with keep-alives if KeepAliveEvery is set
)

// Step writes Data (verbatim; nothing is added) after waiting Wait.
type Step struct {
	Wait time.Duration
	Data string
}

// Line is a stream line as X sends it, "\r\n"-terminated.
func Line(s string) Step { return Step{Data: s + "\r\n"} }

// KeepAlive is X's heartbeat: an empty line.
func KeepAlive() Step { return Step{Data: "\r\n"} }

// Partial writes s without a line end, e.g. before a Drop.
func Partial(s string) Step { return Step{Data: s} }

// Pause waits d.
func Pause(d time.Duration) Step { return Step{Wait: d} }

// Conn scripts one stream connection.
type Conn struct {
	Status int // when set and not 200, the connection is refused with X's error body for it
	// RateLimitReset, with Status 429, is sent as x-rate-limit-reset: the Unix second the
	// window ends, as X sends it on every answer.
	RateLimitReset time.Time
	Steps          []Step
	End            End
	KeepAliveEvery time.Duration // with Hold; zero means silence (a stall)
}

// Rule is a stream rule as stored by the server.
type Rule struct {
	ID    string `json:"id"`
	Value string `json:"value"`
	Tag   string `json:"tag,omitempty"`
}

// Server is the fake X API. Script connections with Script; others get Default.
type Server struct {
	*httptest.Server
	Token string
	// MaxConnections is how many streams may be open at once (X allows one per project). As X
	// does now, a new connection beyond it is accepted and the oldest open one is closed (X used
	// to refuse the new one with 429 TooManyConnections).
	MaxConnections int
	// BackfillRefused answers a stream request with backfill_minutes as X answers an access
	// level that may not use it: 400 Invalid Request.
	BackfillRefused bool
	Default         Conn

	mu        sync.Mutex
	script    []Conn
	rules     []Rule
	nextID    int64
	connects  int
	replaced  int
	open      []*openConn // oldest first
	active    int
	maxActive int
	queries   []url.Values
	posts     int      // POSTs to the rules endpoint
	unsent    []string // Send's lines a closed connection never wrote
	done      chan struct{}
}

// New starts a server accepting token. By default a connection is held open with keep-alives.
func New(token string) *Server {
	s := &Server{
		Token:          token,
		MaxConnections: 1,
		Default:        Conn{End: Hold, KeepAliveEvery: 50 * time.Millisecond},
		nextID:         1000,
		done:           make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2/tweets/search/stream", s.stream)
	mux.HandleFunc("GET /2/tweets/search/stream/rules", s.getRules)
	mux.HandleFunc("POST /2/tweets/search/stream/rules", s.postRules)
	s.Server = httptest.NewServer(s.auth(mux))
	return s
}

// Close ends held streams, then the server.
func (s *Server) Close() {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.Server.CloseClientConnections()
	s.Server.Close()
}

// Script queues connections, served in order before Default.
func (s *Server) Script(conns ...Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, conns...)
}

// Send writes a stream line (e.g. Post's) on the newest open held connection, as X delivers a post
// to whichever client holds the stream now; false when no stream is open or its queue is full
// (the caller decides whether the post is lost, as it would be with X, or retried).
func (s *Server) Send(line string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.open) == 0 {
		return false
	}
	select {
	case s.open[len(s.open)-1].lines <- line:
		return true
	default:
		return false
	}
}

// Connects is how many stream requests arrived (refused ones included).
func (s *Server) Connects() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connects
}

// Replaced is how many open streams were closed because a new connection took their place.
func (s *Server) Replaced() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.replaced
}

// openConn is one held stream; closed is closed when a newer connection replaces it.
type openConn struct {
	closed chan struct{}
	lines  chan string // Send's lines, written by a held connection
}

// Active is how many streams are open now; MaxActive the most ever open at once.
func (s *Server) Active() (active, maxActive int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active, s.maxActive
}

// Queries returns the query of each stream request in order.
func (s *Server) Queries() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.queries...)
}

// SetRules replaces the stored rules (e.g. another tool's rules), giving each an id if missing.
func (s *Server) SetRules(rules ...Rule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = nil
	for _, r := range rules {
		if r.ID == "" {
			r.ID = s.newID()
		}
		s.rules = append(s.rules, r)
	}
}

// Rules returns the stored rules.
func (s *Server) Rules() []Rule {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Rule(nil), s.rules...)
}

// RulesPosts is how many changes (POSTs) the rules endpoint received.
func (s *Server) RulesPosts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.posts
}

func (s *Server) newID() string {
	s.nextID++
	return strconv.FormatInt(s.nextID, 10)
}

func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+s.Token {
			writeJSON(w, http.StatusUnauthorized, map[string]any{
				"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.connects++
	s.queries = append(s.queries, r.URL.Query())
	if s.BackfillRefused && r.URL.Query().Has("backfill_minutes") {
		s.mu.Unlock()
		// The outer problem is the shape X's invalid-request answers have (as reported for
		// backfill_minutes in xdevplatform/twitter-api-typescript-sdk#46); the inner message is ours.
		writeJSON(w, http.StatusBadRequest, map[string]any{
			"errors": []any{map[string]any{"parameters": map[string]any{"backfill_minutes": []string{r.URL.Query().Get("backfill_minutes")}},
				"message": "The backfill_minutes query parameter is not available for your account."}},
			"title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
			"type": "https://api.twitter.com/2/problems/invalid-request"})
		return
	}
	c := s.Default
	if len(s.script) > 0 {
		c, s.script = s.script[0], s.script[1:]
	}
	if c.Status != 0 && c.Status != http.StatusOK {
		s.mu.Unlock()
		if !c.RateLimitReset.IsZero() {
			w.Header().Set("x-rate-limit-reset", strconv.FormatInt(c.RateLimitReset.Unix(), 10))
		}
		writeError(w, c.Status)
		return
	}
	for len(s.open) > 0 && len(s.open) >= max(s.MaxConnections, 1) {
		old := s.open[0]
		s.open = s.open[1:]
		close(old.closed)
		s.active--
		s.replaced++
	}
	me := &openConn{closed: make(chan struct{}), lines: make(chan string, 4096)}
	for len(s.unsent) > 0 && len(me.lines) < cap(me.lines) {
		me.lines <- s.unsent[0]
		s.unsent = s.unsent[1:]
	}
	s.open = append(s.open, me)
	s.active++
	s.maxActive = max(s.maxActive, s.active)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if i := slices.Index(s.open, me); i >= 0 {
			s.open = slices.Delete(s.open, i, i+1)
			s.active--
		}
		// Lines sent to this connection but never written go to the next one.
		for len(me.lines) > 0 {
			s.unsent = append(s.unsent, <-me.lines)
		}
		s.mu.Unlock()
	}()

	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	flush := func() { http.NewResponseController(w).Flush() }
	flush()
	wait := func(d time.Duration) bool {
		if d <= 0 {
			return true
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-r.Context().Done():
		case <-s.done:
		case <-me.closed:
		}
		return false
	}
	for _, st := range c.Steps {
		if !wait(st.Wait) {
			return
		}
		if st.Data != "" {
			if _, err := w.Write([]byte(st.Data)); err != nil {
				return
			}
			flush()
		}
	}
	switch c.End {
	case Drop:
		// Cuts the connection without the final chunk, as a network drop would.
		panic(http.ErrAbortHandler)
	case Hold:
		var tick <-chan time.Time
		if c.KeepAliveEvery > 0 {
			t := time.NewTicker(c.KeepAliveEvery)
			defer t.Stop()
			tick = t.C
		}
		for {
			select {
			case <-tick:
				if _, err := w.Write([]byte("\r\n")); err != nil {
					return
				}
				flush()
			case l := <-me.lines:
				if _, err := w.Write([]byte(l + "\r\n")); err != nil {
					return
				}
				flush()
			case <-r.Context().Done():
				return
			case <-s.done:
				return
			case <-me.closed:
				return // replaced by a newer connection: the response ends
			}
		}
	}
}

func (s *Server) getRules(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	rules := append([]Rule{}, s.rules...)
	s.mu.Unlock()
	meta := map[string]any{"sent": sent(), "result_count": len(rules)}
	if len(rules) == 0 {
		writeJSON(w, http.StatusOK, map[string]any{"meta": meta})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": rules, "meta": meta})
}

func (s *Server) postRules(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Add    []Rule `json:"add"`
		Delete *struct {
			IDs []string `json:"ids"`
		} `json:"delete"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || (body.Add == nil) == (body.Delete == nil) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []map[string]any{{
			"message": "Request must have exactly one of add or delete"}},
			"title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
			"type": "https://api.twitter.com/2/problems/invalid-request"})
		return
	}
	dry := r.URL.Query().Get("dry_run") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posts++
	var errs []map[string]any
	if body.Delete != nil {
		deleted := 0
		for _, id := range body.Delete.IDs {
			i := s.indexByID(id)
			if i < 0 {
				errs = append(errs, map[string]any{"value": id, "title": "RuleNotFound",
					"detail": "Rule does not exist", "type": "https://api.twitter.com/2/problems/resource-not-found"})
				continue
			}
			deleted++
			if !dry {
				s.rules = append(s.rules[:i], s.rules[i+1:]...)
			}
		}
		resp := map[string]any{"meta": map[string]any{"sent": sent(),
			"summary": map[string]int{"deleted": deleted, "not_deleted": len(body.Delete.IDs) - deleted}}}
		if errs != nil {
			resp["errors"] = errs
		}
		writeJSON(w, http.StatusOK, resp)
		return
	}
	var created []Rule
	seen := map[string]bool{}
	for _, r := range s.rules {
		seen[r.Value] = true
	}
	for _, add := range body.Add {
		switch {
		case strings.TrimSpace(add.Value) == "" || utf8.RuneCountInString(add.Value) > 512:
			errs = append(errs, map[string]any{"value": add.Value, "title": "UnprocessableEntity",
				"details": []string{"Rules must be 1 to 512 characters"},
				"type":    "https://api.twitter.com/2/problems/invalid-rules"})
		case seen[add.Value]:
			errs = append(errs, map[string]any{"value": add.Value, "id": s.idByValue(add.Value),
				"title": "DuplicateRule", "type": "https://api.twitter.com/2/problems/duplicate-rules"})
		default:
			seen[add.Value] = true
			nr := Rule{ID: s.newID(), Value: add.Value, Tag: add.Tag}
			created = append(created, nr)
			if !dry {
				s.rules = append(s.rules, nr)
			}
		}
	}
	resp := map[string]any{"meta": map[string]any{"sent": sent(), "summary": map[string]int{
		"created": len(created), "not_created": len(body.Add) - len(created),
		"valid": len(created), "invalid": len(body.Add) - len(created)}}}
	if created != nil {
		resp["data"] = created
	}
	if errs != nil {
		resp["errors"] = errs
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) indexByID(id string) int {
	for i, r := range s.rules {
		if r.ID == id {
			return i
		}
	}
	return -1
}

func (s *Server) idByValue(v string) string {
	for _, r := range s.rules {
		if r.Value == v {
			return r.ID
		}
	}
	return ""
}

func writeError(w http.ResponseWriter, status int) {
	if status == http.StatusTooManyRequests {
		writeJSON(w, status, map[string]any{
			"title": "Too Many Requests", "detail": "Too Many Requests",
			"type": "about:blank", "status": status})
		return
	}
	writeJSON(w, status, map[string]any{"title": http.StatusText(status),
		"detail": http.StatusText(status), "type": "about:blank", "status": status})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func sent() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z") }

// OperationalDisconnect is the in-band errors object X sends before closing a stream.
const OperationalDisconnect = `{"errors":[{"title":"operational-disconnect","disconnect_type":"UpstreamOperationalDisconnect","detail":"This stream has been disconnected upstream for operational reasons.","type":"https://api.twitter.com/2/problems/operational-disconnect"}]}`

var hashtagRE = regexp.MustCompile(`[#＃]([\p{L}\p{M}\p{N}_]+)`)

// Post returns a stream line for a post by username with the hashtags found in text, shaped as
// the client asks for it (tweet.fields, the author_id expansion and matching_rules).
func Post(id, username, text string) string {
	type tag struct {
		Start int    `json:"start"`
		End   int    `json:"end"`
		Tag   string `json:"tag"`
	}
	tags := []tag{}
	for _, m := range hashtagRE.FindAllStringSubmatchIndex(text, -1) {
		tags = append(tags, tag{
			Start: utf8.RuneCountInString(text[:m[0]]),
			End:   utf8.RuneCountInString(text[:m[1]]),
			Tag:   text[m[2]:m[3]],
		})
	}
	authorID := "9" + id
	data := map[string]any{
		"id":                     id,
		"text":                   text,
		"author_id":              authorID,
		"created_at":             time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"edit_history_tweet_ids": []string{id},
		"lang":                   "en",
		"public_metrics":         map[string]int{"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0},
	}
	if len(tags) > 0 {
		data["entities"] = map[string]any{"hashtags": tags}
	}
	b, err := json.Marshal(map[string]any{
		"data": data,
		"includes": map[string]any{"users": []map[string]string{{
			"id": authorID, "username": username, "name": username, "created_at": "2012-03-04T05:06:07.000Z"}}},
		"matching_rules": []map[string]string{{"id": "1", "tag": "giveaway:test:any"}},
	})
	if err != nil {
		panic(fmt.Sprint("xtest: ", err))
	}
	return string(b)
}
