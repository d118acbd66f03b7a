package esfeed

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/boothgiveaway/giveaway/internal/retry"
)

// ClientConfig says how to reach Elasticsearch and how hard to retry.
type ClientConfig struct {
	URL      string // one or more node URLs, comma separated
	Username string
	Password string
	APIKey   string // base64 "id:key"; overrides Username/Password

	// MaxRetries is how often the transport retries a request answered 429/502/503/504 or lost on
	// the network (default 5).
	MaxRetries int
	// RetryBackoffMin and RetryBackoffMax bound the exponential backoff between tries
	// (defaults 200 ms and 10 s); each wait is jittered so instances do not retry in step.
	RetryBackoffMin, RetryBackoffMax time.Duration
	// RequestTimeout bounds one try: Elasticsearch answers a bulk request only after all its items
	// are done, so this is also the longest one bulk may take (default 60 s).
	RequestTimeout time.Duration
}

func (c *ClientConfig) defaults() {
	if c.MaxRetries == 0 {
		c.MaxRetries = 5
	}
	if c.RetryBackoffMin <= 0 {
		c.RetryBackoffMin = 200 * time.Millisecond
	}
	if c.RetryBackoffMax <= 0 {
		c.RetryBackoffMax = 10 * time.Second
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 60 * time.Second
	}
}

// NewClient returns a client whose transport retries overload (429) as well as the default
// 502/503/504, waiting with exponential backoff and jitter: by default it retries only the
// latter, at once, which hammers a cluster that is already struggling.
func NewClient(cfg ClientConfig) (*elasticsearch.Client, error) {
	cfg.defaults()
	if cfg.URL == "" {
		return nil, fmt.Errorf("esfeed: no Elasticsearch URL")
	}
	var addrs []string
	for _, a := range strings.Split(cfg.URL, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	transport.ResponseHeaderTimeout = cfg.RequestTimeout
	transport.MaxIdleConnsPerHost = 16
	return elasticsearch.NewClient(elasticsearch.Config{
		Addresses:     addrs,
		Username:      cfg.Username,
		Password:      cfg.Password,
		APIKey:        cfg.APIKey,
		RetryOnStatus: []int{http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout},
		MaxRetries:    cfg.MaxRetries,
		RetryBackoff:  Backoff(cfg.RetryBackoffMin, cfg.RetryBackoffMax),
		Transport:     transport,
	})
}

// Backoff returns the transport's wait before try n+1: retry.Attempt, exponential with jitter
// (between half and all of min·2^(n-1)), capped at max.
func Backoff(min, max time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration { return retry.Attempt(min, max, attempt) }
}

// ClusterHealth is the part of GET _cluster/health that status shows.
type ClusterHealth struct {
	ClusterName      string `json:"cluster_name"`
	Status           string `json:"status"`
	NumberOfNodes    int    `json:"number_of_nodes"`
	ActiveShards     int    `json:"active_shards"`
	UnassignedShards int    `json:"unassigned_shards"`
}

// Health asks the cluster for its health.
func Health(ctx context.Context, es *elasticsearch.Client) (*ClusterHealth, error) {
	res, err := es.Cluster.Health(es.Cluster.Health.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.IsError() {
		return nil, fmt.Errorf("cluster health: %s", res.String())
	}
	var h ClusterHealth
	if err := json.NewDecoder(res.Body).Decode(&h); err != nil {
		return nil, fmt.Errorf("cluster health: %w", err)
	}
	return &h, nil
}
