// Package pull holds what the sources that pull posts from a network (the X stream, Mastodon,
// Bluesky) and their leader election share: a wait that ends with its context, and the HTTP
// client for long-lived streams.
package pull

import (
	"context"
	"net"
	"net/http"
	"time"
)

// Sleep waits d, or until ctx ends (then it returns ctx's error).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// StreamClient is an HTTP client for streams that stay open for hours: no overall timeout, but
// bounded dialling, handshakes and waits for the response headers, so a dead network is noticed.
func StreamClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   4,
	}}
}
