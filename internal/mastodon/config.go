package mastodon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/boothgiveaway/giveaway/internal/retry"
	"github.com/boothgiveaway/giveaway/internal/source"
)

// Config says which instance to read and how patient to be. Zero fields take the defaults.
type Config struct {
	BaseURL string // MASTODON_URL: the instance's web address, e.g. https://mastodon.social
	// Token (MASTODON_TOKEN) is a user access token (read scope is enough): since Mastodon 4.2
	// hashtag streams refuse anonymous readers.
	Token string

	RefreshInterval time.Duration // how often the campaigns are read again; default 1 min
	// StallTimeout: no byte, not even a heartbeat, for this long is a drop; default 60 s
	// (Mastodon's streaming server sends a heartbeat comment every 10-15 s).
	StallTimeout time.Duration
	// HealthyAfter: a connection that lasted this long resets the backoff, and its drop is
	// followed by an immediate reconnect; default 30 s.
	HealthyAfter time.Duration
	LeaderRetry  time.Duration // wait before trying for the reader again after it stopped or the database failed; default 15 s
	// MaxFillPages bounds catching up after a reconnect (pages of 40 statuses), against a server
	// that pages forever; what is left is recorded as a gap. Default 250 (10,000 statuses).
	MaxFillPages int
	// AccountCheckEvery: how often the token's account is checked again for what it filters
	// (mutes, blocks, domain blocks); default 10 min.
	AccountCheckEvery time.Duration

	HTTPClient *http.Client                                     // default: no overall timeout (streams are long-lived)
	Sleep      func(ctx context.Context, d time.Duration) error // the backoff's wait; tests record it
	Now        func() time.Time
	Logger     *slog.Logger
}

// Enabled says whether cfg turns the source on: only when both the URL and the token are set;
// one without the other, or a URL that is not http(s), is an error, so a typo fails at boot
// instead of leaving the source silently off. cmd/giveaway builds cfg from the MASTODON_* flags
// and variables.
func (cfg Config) Enabled() (bool, error) {
	switch {
	case cfg.BaseURL == "" && cfg.Token == "":
		return false, nil
	case cfg.BaseURL == "":
		return false, errors.New("MASTODON_TOKEN is set but MASTODON_URL is not")
	case cfg.Token == "":
		return false, errors.New("MASTODON_URL is set but MASTODON_TOKEN is not (hashtag streams need a user token)")
	}
	if err := checkURL(cfg.BaseURL); err != nil {
		return false, fmt.Errorf("MASTODON_URL: %w", err)
	}
	return true, nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}

func (cfg Config) withDefaults() (Config, error) {
	if err := checkURL(cfg.BaseURL); err != nil {
		return cfg, fmt.Errorf("mastodon: instance URL: %w", err)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Token == "" {
		return cfg, errors.New("mastodon: no access token")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.RefreshInterval, time.Minute)
	def(&cfg.StallTimeout, 60*time.Second)
	def(&cfg.HealthyAfter, 30*time.Second)
	def(&cfg.LeaderRetry, 15*time.Second)
	def(&cfg.AccountCheckEvery, 10*time.Minute)
	if cfg.MaxFillPages <= 0 {
		cfg.MaxFillPages = 250
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
	cfg.Logger = cfg.Logger.With("source", "mastodon")
	return cfg, nil
}
