// Package oauth signs attendees in to the account their claim names: X (OAuth 2.0 Authorization
// Code with PKCE) and Mastodon (the same flow against the attendee's instance, where the service
// registers itself once). It keeps the flow's state between the redirect and the callback and
// answers who signed in; what that proves is the giveaway's business.
package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/oauth2"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/store"
)

// Providers.
const (
	X        = "x"
	Mastodon = "mastodon"
)

// Network is the claim network each provider proves an account on.
var Network = map[string]string{X: "twitter", Mastodon: "mastodon"}

// StateTTL is how long a started sign-in may take to come back.
const StateTTL = 10 * time.Minute

// Config says which providers are on and where they are.
type Config struct {
	// PublicBaseURL is where the provider sends the browser back (PUBLIC_BASE_URL).
	PublicBaseURL string
	// XClientID turns "Sign in with X" on; XClientSecret makes it a confidential client.
	XClientID, XClientSecret string
	// X's endpoints; the defaults are X's own (tests point them at a double).
	XAuthorizeURL, XTokenURL, XAPIURL string
	// Mastodon turns "Sign in with Mastodon" on.
	Mastodon bool
	// MastodonURL gives an instance's base URL; default https://<instance> (tests map names to
	// a double).
	MastodonURL func(instance string) string
	// AllowPrivate lets outbound calls reach loopback and private addresses: tests only.
	AllowPrivate bool
	// Timeout bounds each outbound exchange (default 10s).
	Timeout time.Duration
}

// Service runs sign-ins.
type Service struct {
	cfg    Config
	pool   *pgxpool.Pool
	client *http.Client
	now    func() time.Time
}

// New returns a Service; the defaults fill what cfg leaves empty.
func New(pool *pgxpool.Pool, cfg Config) *Service {
	cfg.PublicBaseURL = strings.TrimRight(cfg.PublicBaseURL, "/")
	if cfg.XAuthorizeURL == "" {
		cfg.XAuthorizeURL = "https://x.com/i/oauth2/authorize"
	}
	if cfg.XTokenURL == "" {
		cfg.XTokenURL = "https://api.x.com/2/oauth2/token"
	}
	if cfg.XAPIURL == "" {
		cfg.XAPIURL = "https://api.x.com"
	}
	cfg.XAPIURL = strings.TrimRight(cfg.XAPIURL, "/")
	if cfg.MastodonURL == nil {
		cfg.MastodonURL = func(instance string) string { return "https://" + instance }
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	return &Service{cfg: cfg, pool: pool, client: newClient(cfg.Timeout, cfg.AllowPrivate), now: time.Now}
}

// Enabled says whether a provider is configured.
func (s *Service) Enabled(provider string) bool {
	if s == nil {
		return false
	}
	switch provider {
	case X:
		return s.cfg.XClientID != ""
	case Mastodon:
		return s.cfg.Mastodon
	}
	return false
}

// AuthorizeOrigin is the origin of the provider's authorize page (for Mastodon, the instance's),
// which the claim page's Content-Security-Policy must let its sign-in form reach: browsers apply
// form-action to every redirect that follows a form. Empty when there is none.
func (s *Service) AuthorizeOrigin(provider, instance string) string {
	if !s.Enabled(provider) {
		return ""
	}
	raw := s.cfg.XAuthorizeURL
	if provider == Mastodon {
		inst, err := Instance(instance)
		if err != nil {
			return ""
		}
		raw = s.cfg.MastodonURL(inst)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// HashBrowser is what is stored of the sign-in cookie that binds a flow to its browser.
func HashBrowser(cookie string) []byte {
	h := sha256.Sum256([]byte("giveaway_signin:" + cookie))
	return h[:]
}

// NewSecret is 256 bits from the CSPRNG, URL-safe: a state or a sign-in cookie.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashState(state string) []byte {
	h := sha256.Sum256([]byte(state))
	return h[:]
}

func (s *Service) redirectURI(provider string) string {
	return s.cfg.PublicBaseURL + "/oauth/callback/" + provider
}

var (
	errUnavailable = apperr.New(apperr.NotFound, "signin_unavailable", "this sign-in is not offered here")
	errUnreachable = apperr.New(apperr.Unprocessable, "instance_unreachable",
		"could not reach that Mastodon instance; check its name")
	errFailed = apperr.New(apperr.Unprocessable, "signin_failed",
		"the sign-in could not be completed; try again from your claim page")
	errExpired = apperr.New(apperr.Invalid, "signin_expired",
		"this sign-in was already used or has expired; start again from your claim page")
	errOtherBrowser = apperr.New(apperr.Forbidden, "signin_other_browser",
		"this sign-in was started in another browser; start again from your claim page on this one")
	errDenied = apperr.New(apperr.Forbidden, "signin_denied", "the sign-in was cancelled; nothing changed")
)

// Start begins a sign-in for a claim from the browser whose sign-in cookie hashes to browser,
// and answers the provider's page to send it to. Mastodon needs the attendee's instance; the
// first sign-in with an instance registers the service there (one outbound request).
func (s *Service) Start(ctx context.Context, claimID int64, provider, instance string, browser []byte) (string, error) {
	if !s.Enabled(provider) {
		return "", errUnavailable
	}
	conf := s.xConfig()
	if provider == Mastodon {
		var err error
		if instance, err = Instance(instance); err != nil {
			return "", err
		}
		if conf, err = s.mastodonConfig(ctx, instance); err != nil {
			return "", err
		}
	} else {
		instance = ""
	}
	state, verifier := NewSecret(), oauth2.GenerateVerifier()
	err := store.New(s.pool).InsertOAuthState(ctx, store.InsertOAuthStateParams{StateHash: hashState(state),
		ClaimID: claimID, Provider: provider, Instance: instance, CodeVerifier: verifier, BrowserHash: browser,
		ExpiresAt: s.now().Add(StateTTL)})
	if err != nil {
		return "", err
	}
	return conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), nil
}

// Result is who signed in, for which claim.
type Result struct {
	ClaimID  int64
	Provider string
	// Account is the X username, or the Mastodon user@instance.
	Account string
}

// Finish completes the sign-in the provider sent the browser back with (q is the callback's
// query). The state is used once whatever happens; it must come back to the browser that started
// it, within StateTTL. Then the code is exchanged with the PKCE verifier and the account read.
func (s *Service) Finish(ctx context.Context, provider string, q url.Values, browser []byte) (*Result, error) {
	if !s.Enabled(provider) {
		return nil, errUnavailable
	}
	state := q.Get("state")
	if state == "" || len(state) > 200 {
		return nil, errExpired
	}
	st, err := store.New(s.pool).TakeOAuthState(ctx, hashState(state))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errExpired
	}
	if err != nil {
		return nil, err
	}
	if st.Provider != provider || !s.now().Before(st.ExpiresAt) {
		return nil, errExpired
	}
	if len(browser) == 0 || subtle.ConstantTimeCompare(browser, st.BrowserHash) != 1 {
		return nil, errOtherBrowser
	}
	if q.Get("error") != "" {
		return nil, errDenied
	}
	code := q.Get("code")
	if code == "" || len(code) > 2000 {
		return nil, errFailed
	}
	res := &Result{ClaimID: st.ClaimID, Provider: provider}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.client)
	if provider == X {
		tok, err := s.xConfig().Exchange(ctx, code, oauth2.VerifierOption(st.CodeVerifier))
		if err != nil {
			return nil, s.failed("token", err)
		}
		var me struct {
			Data struct {
				Username string `json:"username"`
			} `json:"data"`
		}
		if err := s.getJSON(ctx, s.cfg.XAPIURL+"/2/users/me", tok, &me); err != nil || me.Data.Username == "" {
			return nil, s.failed("users/me", err)
		}
		res.Account = me.Data.Username
		return res, nil
	}
	conf, err := s.mastodonConfig(ctx, st.Instance)
	if err != nil {
		return nil, err
	}
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(st.CodeVerifier))
	if err != nil {
		return nil, s.failed("token", err)
	}
	var acct struct {
		Acct string `json:"acct"`
	}
	if err := s.getJSON(ctx, s.cfg.MastodonURL(st.Instance)+"/api/v1/accounts/verify_credentials", tok, &acct); err != nil {
		return nil, s.failed("verify_credentials", err)
	}
	// An instance answers for its own accounts only, and names them without a domain: the domain
	// is the instance signed in on, never what it says. (Otherwise anyone running an instance
	// could answer "jisu@mastodon.social".)
	if !mastodonUser.MatchString(acct.Acct) {
		return nil, s.failed("verify_credentials", fmt.Errorf("acct %q is not a local user name", acct.Acct))
	}
	res.Account = acct.Acct + "@" + st.Instance
	return res, nil
}

func (s *Service) failed(step string, err error) error {
	slog.Warn("sign-in failed", "step", step, "err", err)
	return errFailed
}

func (s *Service) getJSON(ctx context.Context, u string, tok *oauth2.Token, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	tok.SetAuthHeader(req)
	req.Header.Set("Accept", "application/json")
	res, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		io.Copy(io.Discard, res.Body)
		return fmt.Errorf("%s: %s", u, res.Status)
	}
	return json.NewDecoder(res.Body).Decode(v)
}

func (s *Service) xConfig() *oauth2.Config {
	// A confidential client authenticates with HTTP Basic; a public one sends its id in the body.
	style := oauth2.AuthStyleInParams
	if s.cfg.XClientSecret != "" {
		style = oauth2.AuthStyleInHeader
	}
	return &oauth2.Config{ClientID: s.cfg.XClientID, ClientSecret: s.cfg.XClientSecret,
		Endpoint:    oauth2.Endpoint{AuthURL: s.cfg.XAuthorizeURL, TokenURL: s.cfg.XTokenURL, AuthStyle: style},
		RedirectURL: s.redirectURI(X), Scopes: []string{"users.read", "tweet.read"}}
}

// mastodonUser is a local account name as Mastodon allows it (letters, digits, _; dots and
// dashes inside).
var mastodonUser = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?$`)

// mastodonScope is all the sign-in needs: verify_credentials.
const mastodonScope = "read:accounts"

// mastodonConfig is the instance's OAuth client, registered there on first use (POST
// /api/v1/apps) and kept in oauth_apps.
func (s *Service) mastodonConfig(ctx context.Context, instance string) (*oauth2.Config, error) {
	q := store.New(s.pool)
	redirect := s.redirectURI(Mastodon)
	base := s.cfg.MastodonURL(instance)
	app, err := q.OAuthApp(ctx, instance)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && app.RedirectUri != redirect) {
		app, err = s.register(ctx, q, instance, base, redirect)
	}
	if err != nil {
		return nil, err
	}
	return &oauth2.Config{ClientID: app.ClientID, ClientSecret: app.ClientSecret,
		Endpoint: oauth2.Endpoint{AuthURL: base + "/oauth/authorize", TokenURL: base + "/oauth/token",
			AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: redirect, Scopes: []string{mastodonScope}}, nil
}

func (s *Service) register(ctx context.Context, q *store.Queries, instance, base, redirect string) (store.OauthApp, error) {
	form := url.Values{"client_name": {"Booth giveaway"}, "redirect_uris": {redirect}, "scopes": {mastodonScope},
		"website": {s.cfg.PublicBaseURL}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/apps", strings.NewReader(form.Encode()))
	if err != nil {
		return store.OauthApp{}, errUnreachable
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err := s.client.Do(req)
	if err != nil {
		slog.Warn("mastodon app registration failed", "instance", instance, "err", err)
		return store.OauthApp{}, errUnreachable
	}
	defer res.Body.Close()
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&app) != nil || app.ClientID == "" ||
		app.ClientSecret == "" {
		slog.Warn("mastodon app registration refused", "instance", instance, "status", res.StatusCode)
		return store.OauthApp{}, errUnreachable
	}
	row, err := q.SaveOAuthApp(ctx, store.SaveOAuthAppParams{Instance: instance, ClientID: app.ClientID,
		ClientSecret: app.ClientSecret, RedirectUri: redirect})
	if errors.Is(err, pgx.ErrNoRows) {
		// Another sign-in registered first; use its row.
		return q.OAuthApp(ctx, instance)
	}
	return row, err
}
