// Package mastodontest is a local Mastodon for tests, speaking the parts of the protocol the
// reader uses: the instance description (/api/v2/instance, /api/v1/instance), hashtag streams as
// Mastodon's streaming server sends them (Server-Sent Events with ":)" and ":thump" heartbeats),
// and hashtag timelines with all[]/any[]/none[] filters and max_id/since_id/min_id paging, all but
// the instance description behind a bearer token. Tests post statuses, push raw events, cut
// streams and read the requests the client made.
package mastodontest

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/boothgiveaway/giveaway/internal/mastodon/tagname"
)

// Status is Mastodon's Status entity, as the REST API and the streaming server render it.
type Status struct {
	ID                 string       `json:"id"`
	CreatedAt          string       `json:"created_at"`
	InReplyToID        *string      `json:"in_reply_to_id"`
	InReplyToAccountID *string      `json:"in_reply_to_account_id"`
	Sensitive          bool         `json:"sensitive"`
	SpoilerText        string       `json:"spoiler_text"`
	Visibility         string       `json:"visibility"`
	Language           *string      `json:"language"`
	URI                string       `json:"uri"`
	URL                *string      `json:"url"`
	RepliesCount       int          `json:"replies_count"`
	ReblogsCount       int          `json:"reblogs_count"`
	FavouritesCount    int          `json:"favourites_count"`
	EditedAt           *string      `json:"edited_at"`
	Content            string       `json:"content"`
	Reblog             *Status      `json:"reblog"`
	Application        *Application `json:"application"`
	Account            Account      `json:"account"`
	MediaAttachments   []any        `json:"media_attachments"`
	Mentions           []any        `json:"mentions"`
	Tags               []Tag        `json:"tags"`
	Emojis             []any        `json:"emojis"`
	Card               any          `json:"card"`
	Poll               any          `json:"poll"`
}

// Account is Mastodon's Account entity.
type Account struct {
	ID             string  `json:"id"`
	Username       string  `json:"username"`
	Acct           string  `json:"acct"` // "user" on this instance, "user@domain" elsewhere
	DisplayName    string  `json:"display_name"`
	Locked         bool    `json:"locked"`
	Bot            bool    `json:"bot"`
	Discoverable   bool    `json:"discoverable"`
	Group          bool    `json:"group"`
	CreatedAt      string  `json:"created_at"`
	Note           string  `json:"note"`
	URL            string  `json:"url"`
	Avatar         string  `json:"avatar"`
	AvatarStatic   string  `json:"avatar_static"`
	Header         string  `json:"header"`
	HeaderStatic   string  `json:"header_static"`
	FollowersCount int     `json:"followers_count"`
	FollowingCount int     `json:"following_count"`
	StatusesCount  int     `json:"statuses_count"`
	LastStatusAt   *string `json:"last_status_at"`
	Emojis         []any   `json:"emojis"`
	Fields         []any   `json:"fields"`
}

// Tag is a status's hashtag, named as Mastodon's HashtagNormalizer names it (lower case, accents
// folded: see tagname).
type Tag struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Application is the client a status was posted with.
type Application struct {
	Name    string  `json:"name"`
	Website *string `json:"website"`
}

// Request is a request the server received.
type Request struct {
	Host          string
	Method        string
	Path          string
	Query         url.Values
	Authorization string
}

// Server is the fake instance. Its URL is the instance's web address.
type Server struct {
	*httptest.Server
	// Streaming serves the streaming API on a host of its own (like streaming.mastodon.social)
	// when made with SeparateStreaming; nil otherwise.
	Streaming *httptest.Server
	Domain    string // the local account domain, reported as the instance's domain

	mu        sync.Mutex
	token     string
	heartbeat time.Duration
	lastID    int64
	accounts  map[string]Account
	timeline  []Status // by id, oldest first
	conns     map[*conn]bool
	requests  []Request
	done      chan struct{}

	// What the token's account filters (see Mute, Block, BlockDomain, ChooseLanguages).
	mutes, blocks, domainBlocks []string
	languages                   []string
	// hashtagFeeds is timelines_access.hashtag_feeds (Mastodon 4.5): who may read local and
	// remote posts in hashtag feeds.
	hashtagFeeds struct{ local, remote string }
}

type options struct {
	domain    string
	separate  bool
	heartbeat time.Duration
}

// Option changes how New makes the server.
type Option func(*options)

// WithDomain sets the instance's account domain (default "mastodon.example").
func WithDomain(d string) Option { return func(o *options) { o.domain = d } }

// SeparateStreaming serves the streaming API from a second listener, announced in the instance
// description; the web host then answers 404 there, as when nginx does not proxy it.
func SeparateStreaming() Option { return func(o *options) { o.separate = true } }

// WithHeartbeat sets how often streams send a ":thump" comment (default 100 ms; Mastodon: 15 s);
// zero makes streams silent between events.
func WithHeartbeat(d time.Duration) Option { return func(o *options) { o.heartbeat = d } }

// New starts a server that accepts token.
func New(token string, opts ...Option) *Server {
	o := options{domain: "mastodon.example", heartbeat: 100 * time.Millisecond}
	for _, f := range opts {
		f(&o)
	}
	s := &Server{Domain: o.domain, token: token, heartbeat: o.heartbeat, accounts: map[string]Account{},
		conns: map[*conn]bool{}, done: make(chan struct{})}
	web := http.NewServeMux()
	web.HandleFunc("GET /api/v2/instance", s.instanceV2)
	web.HandleFunc("GET /api/v1/instance", s.instanceV1)
	web.HandleFunc("GET /api/v1/timelines/tag/{hashtag}", s.tagTimeline)
	web.HandleFunc("GET /api/v1/accounts/verify_credentials", s.verifyCredentials)
	web.HandleFunc("GET /api/v1/mutes", s.accountList(func() []string { return s.mutes }))
	web.HandleFunc("GET /api/v1/blocks", s.accountList(func() []string { return s.blocks }))
	web.HandleFunc("GET /api/v1/domain_blocks", s.domainBlockList)
	streaming := http.NewServeMux()
	streaming.HandleFunc("GET /api/v1/streaming/hashtag", s.streamHashtag)
	streaming.HandleFunc("GET /api/v1/streaming/health", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("OK"))
	})
	// Both servers are assigned before either starts: the handlers read their URLs, and a
	// request from another process gives the race detector no ordering to rely on.
	if o.separate {
		s.Streaming = httptest.NewUnstartedServer(s.record(streaming))
	} else {
		web.Handle("/api/v1/streaming/", streaming)
	}
	s.Server = httptest.NewUnstartedServer(s.record(web))
	s.Server.Start()
	if s.Streaming != nil {
		s.Streaming.Start()
	}
	return s
}

// Close ends open streams, then the servers.
func (s *Server) Close() {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	for _, srv := range []*httptest.Server{s.Streaming, s.Server} {
		if srv != nil {
			srv.CloseClientConnections()
			srv.Close()
		}
	}
}

// SetToken changes the token the server accepts.
func (s *Server) SetToken(token string) {
	s.mu.Lock()
	s.token = token
	s.mu.Unlock()
}

// Requests returns the requests received so far whose path starts with prefix, in order.
func (s *Server) Requests(prefix string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if strings.HasPrefix(r.Path, prefix) {
			out = append(out, r)
		}
	}
	return out
}

// StreamsOpen is how many hashtag streams for tag (any case) are open now.
func (s *Server) StreamsOpen(tag string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := range s.conns {
		if c.tag == tagname.Name(tag) {
			n++
		}
	}
	return n
}

func (s *Server) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, Request{Host: r.Host, Method: r.Method, Path: r.URL.Path,
			Query: r.URL.Query(), Authorization: r.Header.Get("Authorization")})
		s.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// authorized checks the bearer token (or the access_token parameter the streaming API also
// takes) and answers 401 with Mastodon's error body when it is missing or wrong.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, invalid string) bool {
	got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if got == "" {
		got = r.URL.Query().Get("access_token")
	}
	s.mu.Lock()
	ok := got != "" && got == s.token
	s.mu.Unlock()
	switch {
	case got == "":
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Missing access token"})
	case !ok:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": invalid})
	}
	return ok
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) streamingURL() string {
	u := s.URL
	if s.Streaming != nil {
		u = s.Streaming.URL
	}
	return "ws" + strings.TrimPrefix(u, "http")
}

func (s *Server) instanceV2(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"domain":      s.Domain,
		"title":       "Mastodon (test)",
		"version":     "4.5.0",
		"source_url":  "https://github.com/mastodon/mastodon",
		"description": "A local instance for tests.",
		"usage":       map[string]any{"users": map[string]any{"active_month": 2}},
		"thumbnail":   map[string]any{"url": s.URL + "/packs/media/images/preview.png"},
		"languages":   []string{"en", "ko"},
		"configuration": map[string]any{
			"urls":     map[string]any{"streaming": s.streamingURL(), "status": nil},
			"accounts": map[string]any{"max_featured_tags": 10, "max_pinned_statuses": 5},
			"statuses": map[string]any{"max_characters": 500, "max_media_attachments": 4,
				"characters_reserved_per_url": 23},
			"translation": map[string]any{"enabled": false},
			"timelines_access": map[string]any{
				"live_feeds":          map[string]any{"local": "public", "remote": "public"},
				"hashtag_feeds":       map[string]any{"local": s.feedAccess().local, "remote": s.feedAccess().remote},
				"trending_link_feeds": map[string]any{"local": "public", "remote": "public"},
			},
		},
		"registrations": map[string]any{"enabled": false, "approval_required": false, "message": nil},
		"contact":       map[string]any{"email": "admin@" + s.Domain, "account": nil},
		"rules":         []any{},
	})
}

func (s *Server) instanceV1(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"uri": s.Domain, "title": "Mastodon (test)", "version": "4.3.0",
		"urls": map[string]any{"streaming_api": s.streamingURL()},
	})
}

// conn is one open hashtag stream.
type conn struct {
	tag string
	out chan event // in order, so a drop comes after what was pushed before it
}

type event struct {
	raw  string
	drop bool
}

func (s *Server) streamHashtag(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, "Invalid access token") {
		return
	}
	// The streaming server names the channel with its own normalizeHashtag (streaming/index.js).
	tag := tagname.Name(r.URL.Query().Get("tag"))
	if tag == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "No tag for stream provided"})
		return
	}
	fl := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(":)\n"))
	fl.Flush()

	c := &conn{tag: tag, out: make(chan event, 1024)}
	s.mu.Lock()
	s.conns[c] = true
	hb := s.heartbeat
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	var tick <-chan time.Time
	if hb > 0 {
		t := time.NewTicker(hb)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case ev := <-c.out:
			if ev.drop {
				// Cut the connection without ending the chunked response: the client reads
				// an unexpected EOF, as when the network drops.
				panic(http.ErrAbortHandler)
			}
			w.Write([]byte(ev.raw))
			fl.Flush()
		case <-tick:
			w.Write([]byte(":thump\n"))
			fl.Flush()
		}
	}
}

// PushRaw writes raw, verbatim, to every open stream for tag.
func (s *Server) PushRaw(tag, raw string) { s.send(tagname.Name(tag), event{raw: raw}) }

// Push sends one event as Mastodon frames it ("event: name\ndata: payload\n\n") to every open
// stream for tag.
func (s *Server) Push(tag, name, payload string) {
	s.PushRaw(tag, "event: "+name+"\ndata: "+payload+"\n\n")
}

// DropStreams cuts every open stream, after what was pushed to it before.
func (s *Server) DropStreams() { s.send("", event{drop: true}) }

func (s *Server) send(tag string, ev event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if tag == "" || c.tag == tag {
			select {
			case c.out <- ev:
			default: // a stuck reader: Mastodon drops events too
			}
		}
	}
}

// Publish posts st: it joins the hashtag timelines and goes out as an "update" on the streams
// of its tags (a boost: on the streams of the tags it carries, and never to a timeline).
func (s *Server) Publish(st Status) {
	if st.Reblog == nil {
		s.Add(st)
	}
	s.pushStatus("update", st)
}

// Add puts st on the timelines only, as if it was posted while no stream was open.
func (s *Server) Add(st Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.timeline, func(o Status) bool { return o.ID == st.ID })
	if i >= 0 {
		s.timeline[i] = st
		return
	}
	s.timeline = append(s.timeline, st)
	slices.SortFunc(s.timeline, func(a, b Status) int { return compareIDs(a.ID, b.ID) })
}

// PublishEdit replaces the status (see Edit) and sends "status.update" on its tags' streams.
func (s *Server) PublishEdit(st Status) {
	s.Add(st)
	s.pushStatus("status.update", st)
}

// Delete removes st and sends "delete" with its id on its tags' streams.
func (s *Server) Delete(st Status) {
	s.mu.Lock()
	s.timeline = slices.DeleteFunc(s.timeline, func(o Status) bool { return o.ID == st.ID })
	s.mu.Unlock()
	for _, t := range st.Tags {
		s.Push(t.Name, "delete", st.ID)
	}
}

func (s *Server) pushStatus(name string, st Status) {
	if s.filtered(st) {
		return
	}
	b, err := json.Marshal(st)
	if err != nil {
		panic(err)
	}
	tags := st.Tags
	if len(tags) == 0 && st.Reblog != nil {
		tags = st.Reblog.Tags
	}
	for _, t := range tags {
		s.Push(t.Name, name, string(b))
	}
}

// Mute, Block and BlockDomain make the token's account mute or block accounts (acct, as Toot
// takes it) or domains; ChooseLanguages sets its chosen languages (Preferences, Other, Filter
// languages). As Mastodon's streaming server does, hashtag streams then leave out the statuses
// of those accounts and domains and those in other languages (a status without a language
// passes), and so does the hashtag timeline.
func (s *Server) Mute(accts ...string) {
	s.mu.Lock()
	s.mutes = append(s.mutes, accts...)
	s.mu.Unlock()
}

// Block: see Mute.
func (s *Server) Block(accts ...string) {
	s.mu.Lock()
	s.blocks = append(s.blocks, accts...)
	s.mu.Unlock()
}

// BlockDomain: see Mute.
func (s *Server) BlockDomain(domains ...string) {
	s.mu.Lock()
	s.domainBlocks = append(s.domainBlocks, domains...)
	s.mu.Unlock()
}

// ChooseLanguages: see Mute. The API shows them nowhere, as Mastodon's does not.
func (s *Server) ChooseLanguages(langs ...string) {
	s.mu.Lock()
	s.languages = langs
	s.mu.Unlock()
}

// LimitHashtagFeeds sets the instance's timelines_access.hashtag_feeds (Mastodon 4.5): "public",
// "authenticated" or "disabled" for local and remote posts. A disabled kind is left out of
// hashtag streams and timelines for a user token, as the server does for non-staff users.
func (s *Server) LimitHashtagFeeds(local, remote string) {
	s.mu.Lock()
	s.hashtagFeeds.local, s.hashtagFeeds.remote = local, remote
	s.mu.Unlock()
}

func (s *Server) feedAccess() struct{ local, remote string } {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.hashtagFeeds
	if a.local == "" {
		a.local = "public"
	}
	if a.remote == "" {
		a.remote = "public"
	}
	return a
}

// filtered says whether the token's account filters st out of its streams.
func (s *Server) filtered(st Status) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hidden(st)
}

// hidden: st is in a language the account did not choose, or its author is muted or blocked,
// or its domain blocked; s.mu is held.
func (s *Server) hidden(st Status) bool {
	if remote := strings.Contains(st.Account.Acct, "@"); (remote && s.hashtagFeeds.remote == "disabled") ||
		(!remote && s.hashtagFeeds.local == "disabled") {
		return true
	}
	if len(s.languages) > 0 && st.Language != nil && !slices.Contains(s.languages, *st.Language) {
		return true
	}
	acct := st.Account.Acct
	_, domain, _ := strings.Cut(acct, "@")
	return slices.Contains(s.mutes, acct) || slices.Contains(s.blocks, acct) ||
		(domain != "" && slices.Contains(s.domainBlocks, domain))
}

// verifyCredentials is the token's own account (a CredentialAccount, with its source).
func (s *Server) verifyCredentials(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, "The access token is invalid") {
		return
	}
	a := s.account("booth")
	writeJSON(w, http.StatusOK, map[string]any{
		"id": a.ID, "username": a.Username, "acct": a.Acct, "display_name": a.DisplayName, "locked": false,
		"bot": false, "created_at": a.CreatedAt, "note": "", "url": a.URL, "emojis": []any{}, "fields": []any{},
		"source": map[string]any{"privacy": "public", "sensitive": false, "language": "en", "note": "",
			"fields": []any{}, "follow_requests_count": 0},
	})
}

// limitOf reads ?limit= as Mastodon does: a default, and at most max.
func limitOf(r *http.Request, def, maxN int) int {
	if v, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && v > 0 {
		return min(v, maxN)
	}
	return def
}

// accountList serves /api/v1/mutes or /api/v1/blocks: the accounts, up to limit (default 40,
// at most 80).
func (s *Server) accountList(list func() []string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(w, r, "The access token is invalid") {
			return
		}
		s.mu.Lock()
		accts := slices.Clone(list())
		s.mu.Unlock()
		out := []Account{}
		for _, a := range accts[:min(len(accts), limitOf(r, 40, 80))] {
			out = append(out, s.account(a))
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// domainBlockList serves /api/v1/domain_blocks: the domains as strings, up to limit (default
// 100, at most 200).
func (s *Server) domainBlockList(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, "The access token is invalid") {
		return
	}
	s.mu.Lock()
	ds := slices.Clone(s.domainBlocks)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, append([]string{}, ds[:min(len(ds), limitOf(r, 100, 200))]...))
}

func compareIDs(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func (s *Server) tagTimeline(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, "The access token is invalid") {
		return
	}
	// The timeline finds tags by their normalized name (Tag.matching_name).
	tag := tagname.Name(r.PathValue("hashtag"))
	q := r.URL.Query()
	lower := func(vs []string) []string {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = tagname.Name(v)
		}
		return out
	}
	all, anyOf, none := lower(q["all[]"]), lower(q["any[]"]), lower(q["none[]"])
	limit := 20
	if v, err := strconv.Atoi(q.Get("limit")); err == nil && v > 0 {
		limit = min(v, 40)
	}
	minID, maxID, sinceID := q.Get("min_id"), q.Get("max_id"), q.Get("since_id")

	s.mu.Lock()
	var matching []Status // oldest first
	for _, st := range s.timeline {
		has := func(t string) bool {
			return slices.ContainsFunc(st.Tags, func(x Tag) bool { return x.Name == t })
		}
		if !has(tag) || !allOf(all, has) || (len(anyOf) > 0 && !slices.ContainsFunc(anyOf, has)) ||
			slices.ContainsFunc(none, has) || s.hidden(st) {
			continue
		}
		if maxID != "" && compareIDs(st.ID, maxID) >= 0 {
			continue
		}
		if sinceID != "" && compareIDs(st.ID, sinceID) <= 0 {
			continue
		}
		if minID != "" && compareIDs(st.ID, minID) <= 0 {
			continue
		}
		matching = append(matching, st)
	}
	s.mu.Unlock()
	var page []Status
	if minID != "" {
		// The page just after min_id: its oldest statuses, still answered newest first.
		page = matching[:min(limit, len(matching))]
	} else {
		page = matching[max(0, len(matching)-limit):]
	}
	page = slices.Clone(page)
	slices.Reverse(page)
	if len(page) > 0 {
		base := s.URL + r.URL.Path
		w.Header().Set("Link", fmt.Sprintf(`<%s?max_id=%s>; rel="next", <%s?min_id=%s>; rel="prev"`,
			base, page[len(page)-1].ID, base, page[0].ID))
	}
	if page == nil {
		page = []Status{}
	}
	writeJSON(w, http.StatusOK, page)
}

func allOf(tags []string, has func(string) bool) bool {
	for _, t := range tags {
		if !has(t) {
			return false
		}
	}
	return true
}

// newID makes an id the way Mastodon does: milliseconds since the epoch shifted left 16 bits,
// plus a sequence, so later statuses have larger ids.
func (s *Server) newID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastID = max(s.lastID+1, time.Now().UnixMilli()<<16)
	return strconv.FormatInt(s.lastID, 10)
}

const timeFormat = "2006-01-02T15:04:05.000Z"

func (s *Server) account(acct string) Account {
	s.mu.Lock()
	a, ok := s.accounts[acct]
	s.mu.Unlock()
	if ok {
		return a
	}
	user, domain, remote := strings.Cut(acct, "@")
	if !remote {
		domain = s.Domain
	}
	created := time.Date(2016, 3, 16, 0, 0, 0, 0, time.UTC).Format(timeFormat)
	a = Account{ID: s.newID(), Username: user, Acct: acct, DisplayName: user, Discoverable: true,
		CreatedAt: created, URL: "https://" + domain + "/@" + user, Emojis: []any{}, Fields: []any{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.accounts[acct]; ok {
		return old
	}
	s.accounts[acct] = a
	return a
}

// Toot makes a public status by acct ("jisu" for an account on this instance, "jisu@remote.example"
// for one elsewhere) saying text, rendered as Mastodon renders it: paragraphs at blank lines,
// <br /> at line ends, hashtags as tag links (and tags, named as Mastodon names them), links with their
// scheme hidden. It is not posted yet: see Publish and Add.
func (s *Server) Toot(acct, text string) Status {
	a := s.account(acct)
	id := s.newID()
	content, tags := s.render(text)
	_, domain, remote := strings.Cut(acct, "@")
	uri := "https://" + s.Domain + "/users/" + a.Username + "/statuses/" + id
	link := "https://" + s.Domain + "/@" + a.Username + "/" + id
	if remote {
		// Another server's post: its uri and url are that server's, its id here is local.
		uri = "https://" + domain + "/users/" + a.Username + "/statuses/9" + id[1:]
		link = "https://" + domain + "/@" + a.Username + "/9" + id[1:]
	}
	lang := "en"
	web := "https://joinmastodon.org"
	return Status{ID: id, CreatedAt: time.Now().UTC().Format(timeFormat), Visibility: "public", Language: &lang,
		URI: uri, URL: &link, Content: content, Application: &Application{Name: "Web", Website: &web},
		Account: a, MediaAttachments: []any{}, Mentions: []any{}, Tags: tags, Emojis: []any{}}
}

// Boost makes acct's reblog of st. Mastodon renders a reblog with empty content and tags; this
// one repeats the original's, as some other servers do, so that only its reblog field tells.
func (s *Server) Boost(acct string, st Status) Status {
	a := s.account(acct)
	id := s.newID()
	orig := st
	return Status{ID: id, CreatedAt: time.Now().UTC().Format(timeFormat), Visibility: "public",
		URI:     "https://" + s.Domain + "/users/" + a.Username + "/statuses/" + id + "/activity",
		Content: st.Content, Reblog: &orig, Account: a, MediaAttachments: []any{}, Mentions: []any{},
		Tags: st.Tags, Emojis: []any{}}
}

// Edit returns st as edited to say text now.
func (s *Server) Edit(st Status, text string) Status {
	st.Content, st.Tags = s.render(text)
	at := time.Now().UTC().Format(timeFormat)
	st.EditedAt = &at
	return st
}

// render turns plain text into Mastodon's HTML, and lists its hashtags.
func (s *Server) render(text string) (string, []Tag) {
	var b strings.Builder
	var tags []Tag
	for _, para := range strings.Split(text, "\n\n") {
		b.WriteString("<p>")
		for i, line := range strings.Split(para, "\n") {
			if i > 0 {
				b.WriteString("<br />")
			}
			tags = s.renderLine(&b, line, tags)
		}
		b.WriteString("</p>")
	}
	return b.String(), tags
}

func isTagRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r) || r == '_'
}

func (s *Server) renderLine(b *strings.Builder, line string, tags []Tag) []Tag {
	rs := []rune(line)
	for i := 0; i < len(rs); {
		rest := string(rs[i:])
		atBoundary := i == 0 || !isTagRune(rs[i-1]) && rs[i-1] != '/'
		switch {
		case atBoundary && (strings.HasPrefix(rest, "https://") || strings.HasPrefix(rest, "http://")):
			end := strings.IndexFunc(rest, unicode.IsSpace)
			if end < 0 {
				end = len(rest)
			}
			u := rest[:end]
			scheme, after, _ := strings.Cut(u, "://")
			fmt.Fprintf(b, `<a href="%s" target="_blank" rel="nofollow noopener noreferrer" translate="no">`+
				`<span class="invisible">%s://</span><span class="">%s</span><span class="invisible"></span></a>`,
				html.EscapeString(u), scheme, html.EscapeString(after))
			i += len([]rune(u))
		case rs[i] == '#' && atBoundary && i+1 < len(rs) && isTagRune(rs[i+1]):
			j := i + 1
			for j < len(rs) && isTagRune(rs[j]) {
				j++
			}
			name := string(rs[i+1 : j])
			if strings.IndexFunc(name, func(r rune) bool { return !unicode.IsDigit(r) }) < 0 {
				b.WriteString(html.EscapeString(string(rs[i:j])))
				i = j
				continue
			}
			// tags[] carries the name Mastodon stores (HashtagNormalizer), the link text the author's.
			lower := tagname.Name(name)
			tagURL := "https://" + s.Domain + "/tags/" + url.PathEscape(lower)
			fmt.Fprintf(b, `<a href="%s" class="mention hashtag" rel="tag">#<span>%s</span></a>`,
				tagURL, html.EscapeString(name))
			if !slices.ContainsFunc(tags, func(t Tag) bool { return t.Name == lower }) {
				tags = append(tags, Tag{Name: lower, URL: tagURL})
			}
			i = j
		default:
			b.WriteString(html.EscapeString(string(rs[i])))
			i++
		}
	}
	return tags
}
