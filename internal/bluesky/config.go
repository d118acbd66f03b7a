package bluesky

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/boothgiveaway/giveaway/internal/retry"
)

// Config says where to read Bluesky and how patient to be. Zero fields take the defaults below.
type Config struct {
	// JetstreamURL (BLUESKY_JETSTREAM_URL) is a Jetstream subscribe endpoint, e.g.
	// wss://jetstream2.us-east.bsky.network/subscribe; the source is off without it.
	JetstreamURL string
	// AppViewURL (BLUESKY_APPVIEW_URL) answers app.bsky.actor.getProfiles, which turns the DIDs
	// posts carry into the handles claims name; default https://public.api.bsky.app.
	AppViewURL string

	RefreshInterval time.Duration // how often the listening campaigns are re-read; default 1 min
	StallTimeout    time.Duration // no message for this long is a drop; default 30 s
	// CursorRewind is taken off the saved cursor on every (re)connect: Jetstream's time cursors
	// are not exact at the boundary, and a replayed post is stored once anyway. Default 5 s.
	CursorRewind time.Duration
	// CursorEvery: while nothing matches, the cursor is still saved this often, so a restart does
	// not replay hours of firehose. Default 5 s.
	CursorEvery time.Duration
	// ReplayWindow (BLUESKY_JETSTREAM_WINDOW) is how far back the Jetstream instance keeps
	// events; default 36 h, Jetstream's own default. A cursor older than that is clamped by
	// Jetstream without a word, so the reader records the stretch it cannot replay as a gap.
	ReplayWindow time.Duration
	// IdentityRecheck: after an identity event without a handle, the AppView may still answer
	// the old one for a while, so the answer is asked again after this long (three times,
	// doubling) instead of being kept for a day; default 30 s.
	IdentityRecheck time.Duration
	BatchSize       int           // posts handed to the sink at once; default 200
	BatchWait       time.Duration // longest a post waits for its batch; default 500 ms
	LeaseRetry      time.Duration // wait before trying for the reader again after it stopped or the database failed; default 15 s

	HTTPClient *http.Client // AppView calls and the websocket handshake; default: 30 s timeout
	// Sleep is every wait between attempts (reconnects, retries of the database or the AppView);
	// tests record it instead of waiting.
	Sleep  func(ctx context.Context, d time.Duration) error
	Now    func() time.Time
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultAppViewURL = "https://public.api.bsky.app"
	// DefaultReplayWindow is Jetstream's default event retention.
	DefaultReplayWindow = 36 * time.Hour
)

// Enabled says whether cfg turns the source on (a Jetstream URL is set) and, when it does,
// refuses URLs it could not use, so a typo fails at boot. cmd/giveaway builds cfg from the
// BLUESKY_* flags and variables.
func (cfg Config) Enabled() (bool, error) {
	if cfg.JetstreamURL == "" {
		return false, nil
	}
	if _, err := cfg.withDefaults(); err != nil {
		return false, err
	}
	return true, nil
}

func (cfg Config) withDefaults() (Config, error) {
	u, err := url.Parse(cfg.JetstreamURL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return cfg, fmt.Errorf("BLUESKY_JETSTREAM_URL: want a ws:// or wss:// URL such as wss://jetstream2.us-east.bsky.network/subscribe, got %q", cfg.JetstreamURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return cfg, fmt.Errorf("BLUESKY_JETSTREAM_URL: give the endpoint without a query, got %q", cfg.JetstreamURL)
	}
	if cfg.AppViewURL == "" {
		cfg.AppViewURL = DefaultAppViewURL
	}
	a, err := url.Parse(cfg.AppViewURL)
	if err != nil || (a.Scheme != "http" && a.Scheme != "https") || a.Host == "" {
		return cfg, fmt.Errorf("BLUESKY_APPVIEW_URL: want an http(s) URL, got %q", cfg.AppViewURL)
	}
	cfg.AppViewURL = strings.TrimRight(cfg.AppViewURL, "/")
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.RefreshInterval, time.Minute)
	def(&cfg.StallTimeout, 30*time.Second)
	def(&cfg.CursorRewind, 5*time.Second)
	def(&cfg.CursorEvery, 5*time.Second)
	def(&cfg.ReplayWindow, DefaultReplayWindow)
	def(&cfg.IdentityRecheck, 30*time.Second)
	def(&cfg.BatchWait, 500*time.Millisecond)
	def(&cfg.LeaseRetry, 15*time.Second)
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 200
	}
	if cfg.HTTPClient == nil {
		// The timeout bounds AppView calls and the websocket handshake only; coder/websocket
		// does not apply it to the open connection.
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout: 10 * time.Second,
			MaxIdleConnsPerHost: 4,
		}}
	}
	if cfg.Sleep == nil {
		cfg.Sleep = retry.Sleep
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = cfg.Logger.With("source", "bluesky")
	return cfg, nil
}
