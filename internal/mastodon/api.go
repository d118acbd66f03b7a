package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const userAgent = "boothgiveaway (+https://github.com/boothgiveaway/giveaway)"

// HTTPError is an error answer from the instance; Mastodon's body is {"error": "..."}.
type HTTPError struct {
	Status     int
	Message    string
	RetryAfter time.Duration // when the server said how long to wait (429)
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("mastodon: HTTP %d: %s", e.Status, e.Message)
}

func httpError(resp *http.Response, now time.Time) *HTTPError {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &HTTPError{Status: resp.StatusCode}
	var body struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &body) == nil && body.Error != "" {
		e.Message = body.Error
	} else if e.Message = strings.TrimSpace(string(b)); len(e.Message) > 200 || e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	// Mastodon sends X-RateLimit-Reset (a time) with its 429s; proxies may send Retry-After.
	if v := resp.Header.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s > 0 {
			e.RetryAfter = time.Duration(s) * time.Second
		}
	} else if t, err := time.Parse(time.RFC3339, resp.Header.Get("X-RateLimit-Reset")); err == nil && t.After(now) {
		e.RetryAfter = t.Sub(now)
	}
	return e
}

func kindOf(err error) (failure, time.Duration) {
	var he *HTTPError
	if !errors.As(err, &he) {
		return failNetwork, 0
	}
	switch {
	case he.Status == http.StatusTooManyRequests:
		return failRate, he.RetryAfter
	case he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden:
		return failAuth, 0
	}
	return failHTTP, 0
}

func (c *Client) newRequest(ctx context.Context, u string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	req.Header.Set("User-Agent", userAgent)
	return req, nil
}

// getJSON fetches a REST resource into out.
func (c *Client) getJSON(ctx context.Context, u string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := c.newRequest(ctx, u)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("mastodon: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return httpError(resp, c.cfg.Now())
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(out); err != nil {
		return fmt.Errorf("mastodon: %s: bad answer: %w", req.URL.Path, err)
	}
	return nil
}

// instance is what the client needs to know about the server.
type instance struct {
	Domain    string // the local account domain: what a local acct lacks
	Streaming string // http(s) base URL of the streaming API
	// HashtagFeeds is who may read local and remote posts in hashtag feeds
	// (configuration.timelines_access.hashtag_feeds, Mastodon 4.5): "public", "authenticated"
	// or "disabled"; empty on older servers, where both are open.
	HashtagFeeds struct{ Local, Remote string }
}

// degraded says what the instance's settings keep from a user token's hashtag streams.
func (in instance) degraded() []string {
	var out []string
	if in.HashtagFeeds.Remote == "disabled" {
		out = append(out, "the instance keeps posts from other servers out of hashtag feeds (timelines_access.hashtag_feeds.remote is disabled): only its own accounts' posts are read")
	}
	if in.HashtagFeeds.Local == "disabled" {
		out = append(out, "the instance keeps its own accounts' posts out of hashtag feeds (timelines_access.hashtag_feeds.local is disabled)")
	}
	return out
}

// fetchInstance asks /api/v2/instance (Mastodon 4.0+), or /api/v1/instance on older servers.
func (c *Client) fetchInstance(ctx context.Context) (instance, error) {
	var v2 struct {
		Domain        string `json:"domain"`
		Configuration struct {
			URLs struct {
				Streaming string `json:"streaming"`
			} `json:"urls"`
			TimelinesAccess struct {
				HashtagFeeds struct {
					Local  string `json:"local"`
					Remote string `json:"remote"`
				} `json:"hashtag_feeds"`
			} `json:"timelines_access"`
		} `json:"configuration"`
	}
	err := c.getJSON(ctx, c.cfg.BaseURL+"/api/v2/instance", &v2)
	var he *HTTPError
	if errors.As(err, &he) && he.Status == http.StatusNotFound {
		var v1 struct {
			URI  string `json:"uri"`
			URLs struct {
				StreamingAPI string `json:"streaming_api"`
			} `json:"urls"`
		}
		if err := c.getJSON(ctx, c.cfg.BaseURL+"/api/v1/instance", &v1); err != nil {
			return instance{}, err
		}
		v2.Domain, v2.Configuration.URLs.Streaming = v1.URI, v1.URLs.StreamingAPI
	} else if err != nil {
		return instance{}, err
	}
	base, _ := url.Parse(c.cfg.BaseURL)
	in := instance{Domain: strings.ToLower(strings.TrimSpace(v2.Domain)), Streaming: c.cfg.BaseURL}
	in.HashtagFeeds.Local = v2.Configuration.TimelinesAccess.HashtagFeeds.Local
	in.HashtagFeeds.Remote = v2.Configuration.TimelinesAccess.HashtagFeeds.Remote
	if in.Domain == "" {
		in.Domain = base.Hostname()
	}
	// Mastodon names a WebSocket URL; the same server speaks Server-Sent Events over http(s).
	if u, err := url.Parse(v2.Configuration.URLs.Streaming); err == nil && u.Host != "" {
		switch u.Scheme {
		case "wss", "https":
			u.Scheme = "https"
		case "ws", "http":
			u.Scheme = "http"
		default:
			u = nil
		}
		if u != nil {
			u.RawQuery, u.Fragment = "", ""
			in.Streaming = strings.TrimRight(u.String(), "/")
		}
	}
	return in, nil
}

// timelinePage is one page of /api/v1/timelines/tag: the statuses, newest first, with each
// one's JSON as sent.
func (c *Client) timelinePage(ctx context.Context, tag string, q url.Values) ([]json.RawMessage, error) {
	var page []json.RawMessage
	u := c.cfg.BaseURL + "/api/v1/timelines/tag/" + url.PathEscape(tag) + "?" + q.Encode()
	if err := c.getJSON(ctx, u, &page); err != nil {
		return nil, err
	}
	return page, nil
}
