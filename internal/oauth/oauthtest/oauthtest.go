// Package oauthtest is a local stand-in for X's and Mastodon's OAuth 2.0 servers that speaks the
// real protocols, strictly: the authorize pages redirect back with a code and the state, the
// token endpoints check the grant type, the redirect URI, the client's authentication and the
// PKCE verifier against the S256 challenge, and the account endpoints want the bearer token.
// Faults are switched on per test.
package oauthtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is the double. Set the fields before the flow they affect.
type Server struct {
	*httptest.Server

	// XClientID and XClientSecret are the X app's credentials; an empty secret makes it a
	// public client, which sends client_id in the token request's body.
	XClientID, XClientSecret string

	mu sync.Mutex
	// XUser is who signs in at X's authorize page; MastodonUser (a local acct) at Mastodon's.
	XUser, MastodonUser string
	// Deny makes the authorize pages answer error=access_denied, as when the user cancels.
	Deny bool
	// FailToken makes the token endpoints answer 503.
	FailToken bool
	// Slow delays every answer.
	Slow time.Duration
	// Huge makes the account endpoints pad their answer to 1 MiB.
	Huge bool

	codes  map[string]grant  // authorization code → grant, used once
	tokens map[string]string // access token → user
	apps   map[string]app    // Mastodon client_id → app

	// Requests counts every request the double received; Registrations counts POST /api/v1/apps.
	Requests, Registrations atomic.Int64
}

type grant struct {
	clientID, redirectURI, challenge, user string
}

type app struct {
	secret, redirectURI, scopes string
}

// New starts the double; it stops with the test server's Close.
func New() *Server {
	s := &Server{XClientID: "x-client", XUser: "carol_v", MastodonUser: "jisu",
		codes: map[string]grant{}, tokens: map[string]string{}, apps: map[string]app{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /i/oauth2/authorize", s.xAuthorize)
	mux.HandleFunc("POST /2/oauth2/token", s.xToken)
	mux.HandleFunc("GET /2/users/me", s.xMe)
	mux.HandleFunc("POST /api/v1/apps", s.mastodonApps)
	mux.HandleFunc("GET /oauth/authorize", s.mastodonAuthorize)
	mux.HandleFunc("POST /oauth/token", s.mastodonToken)
	mux.HandleFunc("GET /api/v1/accounts/verify_credentials", s.mastodonMe)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Requests.Add(1)
		s.mu.Lock()
		slow := s.Slow
		s.mu.Unlock()
		if slow > 0 {
			select {
			case <-time.After(slow):
			case <-r.Context().Done():
				return
			}
		}
		mux.ServeHTTP(w, r)
	}))
	return s
}

// Set changes the double's switches under its lock.
func (s *Server) Set(fn func(s *Server)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s)
}

func secret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// authorize is what both authorize pages do once the user has said yes (or no): send the
// browser back to the redirect URI with a one-use code and the state.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, clientID, user string, pkceRequired bool) {
	q := r.URL.Query()
	if q.Get("response_type") != "code" || q.Get("state") == "" {
		http.Error(w, "response_type=code and state are required", http.StatusBadRequest)
		return
	}
	challenge := q.Get("code_challenge")
	if challenge != "" && q.Get("code_challenge_method") != "S256" {
		http.Error(w, "code_challenge_method must be S256", http.StatusBadRequest)
		return
	}
	if pkceRequired && challenge == "" {
		http.Error(w, "code_challenge is required", http.StatusBadRequest)
		return
	}
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || back.Host == "" {
		http.Error(w, "redirect_uri is required", http.StatusBadRequest)
		return
	}
	v := back.Query()
	v.Set("state", q.Get("state"))
	s.mu.Lock()
	if s.Deny {
		v.Set("error", "access_denied")
	} else {
		code := secret()
		s.codes[code] = grant{clientID: clientID, redirectURI: q.Get("redirect_uri"), challenge: challenge, user: user}
		v.Set("code", code)
	}
	s.mu.Unlock()
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token redeems a code for the client that authenticated (clientID), once.
func (s *Server) token(w http.ResponseWriter, r *http.Request, clientID string) {
	s.mu.Lock()
	fail := s.FailToken
	g, ok := s.codes[r.PostForm.Get("code")]
	delete(s.codes, r.PostForm.Get("code"))
	s.mu.Unlock()
	switch {
	case fail:
		oauthError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "try later")
	case r.PostForm.Get("grant_type") != "authorization_code":
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code")
	case !ok || g.clientID != clientID:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown, used or foreign code")
	case r.PostForm.Get("redirect_uri") != g.redirectURI:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request's")
	case g.challenge != "" && s256(r.PostForm.Get("code_verifier")) != g.challenge:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge")
	default:
		tok := secret()
		s.mu.Lock()
		s.tokens[tok] = g.user
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"token_type": "bearer", "access_token": tok, "expires_in": 7200,
			"scope": "users.read tweet.read", "created_at": time.Now().Unix()})
	}
}

func s256(verifier string) string {
	h := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// bearer answers the user an access token belongs to.
func (s *Server) bearer(r *http.Request) (string, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.tokens[tok]
	return u, ok
}

func (s *Server) xAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != s.XClientID {
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	}
	if !strings.Contains(" "+q.Get("scope")+" ", " users.read ") {
		http.Error(w, "users.read scope is needed for /2/users/me", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	user := s.XUser
	s.mu.Unlock()
	s.authorize(w, r, s.XClientID, user, true) // X requires PKCE
}

// xToken authenticates the client as X does: HTTP Basic for a confidential client, client_id in
// the body for a public one.
func (s *Server) xToken(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	id, sec, basic := r.BasicAuth()
	switch {
	case s.XClientSecret != "" && (!basic || id != s.XClientID || sec != s.XClientSecret):
		oauthError(w, http.StatusUnauthorized, "invalid_client", "confidential clients authenticate with Basic")
		return
	case s.XClientSecret == "" && r.PostForm.Get("client_id") != s.XClientID:
		oauthError(w, http.StatusUnauthorized, "invalid_client", "public clients send client_id")
		return
	}
	s.token(w, r, s.XClientID)
}

func (s *Server) xMe(w http.ResponseWriter, r *http.Request) {
	u, ok := s.bearer(r)
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]any{"title": "Unauthorized", "status": 401})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"data": map[string]string{"id": "2244994945", "name": u, "username": u},
		"padding": s.padding()})
}

// mastodonApps registers a client as Mastodon's POST /api/v1/apps does (form or JSON body;
// scopes default to "read"; 422 without a name or redirect URI).
func (s *Server) mastodonApps(w http.ResponseWriter, r *http.Request) {
	s.Registrations.Add(1)
	r.ParseForm()
	name, redirect, scopes := r.PostForm.Get("client_name"), r.PostForm.Get("redirect_uris"), r.PostForm.Get("scopes")
	if name == "" || redirect == "" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		json.NewEncoder(w).Encode(map[string]string{"error": "Validation failed: Application name can't be blank, Redirect URI can't be blank"})
		return
	}
	if scopes == "" {
		scopes = "read"
	}
	id, sec := secret(), secret()
	s.mu.Lock()
	s.apps[id] = app{secret: sec, redirectURI: redirect, scopes: scopes}
	n := len(s.apps)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"id": n, "name": name, "website": r.PostForm.Get("website"),
		"redirect_uri": redirect, "redirect_uris": []string{redirect}, "scopes": strings.Fields(scopes),
		"client_id": id, "client_secret": sec, "vapid_key": "BCk-QqERU0q-CfYZjcuB6lnyyOYfJ2AifKqfeGIm7Z-HiTU5T9eTG5GxVA0_OH5mMlI4UkkDTpaZwozy0TzdZ2M="})
}

// scopeCovers: Mastodon refuses an authorization for scopes the app was not registered with;
// "read" covers "read:accounts".
func scopeCovers(registered, asked string) bool {
	for _, a := range strings.Fields(asked) {
		ok := false
		for _, g := range strings.Fields(registered) {
			ok = ok || g == a || strings.HasPrefix(a, g+":")
		}
		if !ok {
			return false
		}
	}
	return true
}

func (s *Server) mastodonAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	a, ok := s.apps[q.Get("client_id")]
	user := s.MastodonUser
	s.mu.Unlock()
	switch {
	case !ok:
		http.Error(w, "The client application is unknown", http.StatusUnauthorized)
		return
	case q.Get("redirect_uri") != a.redirectURI:
		http.Error(w, "The redirect uri included is not valid.", http.StatusBadRequest)
		return
	case !scopeCovers(a.scopes, q.Get("scope")):
		http.Error(w, "The requested scope is invalid, unknown, or malformed.", http.StatusBadRequest)
		return
	}
	s.authorize(w, r, q.Get("client_id"), user, false) // PKCE is optional on Mastodon (4.3+)
}

// mastodonToken authenticates the client as Doorkeeper does: client_id and client_secret in the
// body, or HTTP Basic.
func (s *Server) mastodonToken(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	id, sec, basic := r.BasicAuth()
	if !basic {
		id, sec = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	s.mu.Lock()
	a, ok := s.apps[id]
	s.mu.Unlock()
	if !ok || a.secret != sec {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	}
	s.token(w, r, id)
}

func (s *Server) mastodonMe(w http.ResponseWriter, r *http.Request) {
	u, ok := s.bearer(r)
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{"error": "The access token is invalid"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"id": "109", "username": u, "acct": u, "display_name": u,
		"url": "https://" + r.Host + "/@" + u, "note": s.padding()})
}

func (s *Server) padding() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.Huge {
		return ""
	}
	return strings.Repeat("x", 1<<20)
}
