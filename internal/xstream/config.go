package xstream

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/boothgiveaway/giveaway/internal/retry"
	"github.com/boothgiveaway/giveaway/internal/source"
)

// Config says how to reach X and how patient to be. Zero fields take the defaults below.
type Config struct {
	BearerToken string // X_BEARER_TOKEN; the stream is off without it
	BaseURL     string // X_API_URL, default https://api.x.com
	// BackfillMinutes (X_BACKFILL_MINUTES, 0 = off, X allows at most 5) asks X to replay what
	// matched while we were away; only some access levels may use it.
	BackfillMinutes int
	PricePerPost    float64 // X_PRICE_PER_POST in USD, default (and when 0) 0.005; for the spend estimate

	// StallTimeout (X_STALL_TIMEOUT): no byte, not even a keep-alive, for this long is a drop;
	// default 60 s. X sends a keep-alive every 20 s, but "marginally after" at times, so 20 s
	// of silence is a sign rather than a verdict: a timeout of exactly 20 s reconnects for
	// nothing, and each reconnect is a gap and spends the connection budget.
	StallTimeout time.Duration
	BatchSize    int           // posts handed to the sink at once; default 500
	BatchWait    time.Duration // longest a post waits for its batch to fill; default 200 ms
	// LeaseRetry is the wait before trying for the stream again after the reader stopped or the
	// database failed (default 15 s); a standby waits on the lock itself and takes over as soon
	// as the holder is gone (internal/leader).
	LeaseRetry    time.Duration
	RulesInterval time.Duration // periodic rules reconcile, for campaigns starting or ending; default 5 min
	// HealthyAfter: a connection that lasted this long resets the backoff, and its drop is
	// followed by an immediate reconnect as X asks (a shorter one that delivered posts gets one
	// immediate reconnect too); default 30 s.
	HealthyAfter time.Duration

	HTTPClient *http.Client                                     // default: no overall timeout (the stream is long-lived)
	Sleep      func(ctx context.Context, d time.Duration) error // the reconnect backoff's wait; tests record it
	Now        func() time.Time
	Logger     *slog.Logger
}

// Defaults.
const (
	DefaultBaseURL      = "https://api.x.com"
	DefaultPricePerPost = 0.005
	// KeepAliveInterval is how often X sends its keep-alive (an empty line) on a quiet stream.
	KeepAliveInterval   = 20 * time.Second
	DefaultStallTimeout = 3 * KeepAliveInterval
)

// Enabled says whether cfg turns the stream on (a bearer token is set), and refuses settings
// that are out of range whether or not it is on, so a typo fails at boot. cmd/giveaway builds cfg
// from the X_* flags and variables.
func (cfg Config) Enabled() (bool, error) {
	if cfg.BackfillMinutes < 0 || cfg.BackfillMinutes > 5 {
		return false, fmt.Errorf("X_BACKFILL_MINUTES: want 0 to 5, got %d", cfg.BackfillMinutes)
	}
	if cfg.StallTimeout != 0 && cfg.StallTimeout <= KeepAliveInterval {
		return false, fmt.Errorf("X_STALL_TIMEOUT: want more than X's %v keep-alive interval, got %v", KeepAliveInterval, cfg.StallTimeout)
	}
	if cfg.PricePerPost < 0 {
		return false, fmt.Errorf("X_PRICE_PER_POST: want a price in USD, got %v", cfg.PricePerPost)
	}
	return strings.TrimSpace(cfg.BearerToken) != "", nil
}

func (cfg Config) withDefaults() (Config, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, fmt.Errorf("xstream: X API URL %q is not an http(s) URL", cfg.BaseURL)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.BearerToken == "" {
		return cfg, fmt.Errorf("xstream: no bearer token")
	}
	if cfg.BackfillMinutes < 0 || cfg.BackfillMinutes > 5 {
		return cfg, fmt.Errorf("xstream: backfill minutes must be 0 to 5")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.StallTimeout, DefaultStallTimeout)
	def(&cfg.BatchWait, 200*time.Millisecond)
	def(&cfg.LeaseRetry, 15*time.Second)
	def(&cfg.RulesInterval, 5*time.Minute)
	def(&cfg.HealthyAfter, 30*time.Second)
	if cfg.PricePerPost <= 0 {
		cfg.PricePerPost = DefaultPricePerPost
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 500
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = source.StreamClient()
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
	cfg.Logger = cfg.Logger.With("source", "x-stream")
	return cfg, nil
}
