package oauth

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/boothgiveaway/giveaway/internal/apperr"
)

// instanceName is a DNS name with at least two labels whose last label starts with a letter: no
// scheme, port, path, user info, IP literal (its last label is all digits, or it has colons or
// brackets) or single-label name such as localhost.
var instanceName = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Instance checks a Mastodon instance name typed by an attendee and answers it lower-cased. The
// name alone is not enough to trust it: where it resolves is checked when the service dials.
func Instance(raw string) (string, error) {
	name := strings.ToLower(strings.TrimSpace(raw))
	if len(name) > 253 || !instanceName.MatchString(name) {
		return "", apperr.New(apperr.Invalid, "invalid_instance",
			"a Mastodon instance is a name like mastodon.social, without https:// or a path").With("field", "instance")
	}
	return name, nil
}

// errBlockedAddress is what a dial to a non-public address fails with.
var errBlockedAddress = errors.New("oauth: address is not public")

// notPublic lists ranges that IsPrivate, IsLoopback and the like leave out: shared address space
// (carrier NAT), IETF and benchmarking ranges, documentation, reserved, NAT64 and 6to4 (which can
// embed any IPv4 address).
var notPublic = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "64:ff9b::/96", "64:ff9b:1::/48", "2001::/23",
		"2001:db8::/32", "2002::/16"} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// PublicAddr reports whether a is an address on the public Internet.
func PublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() ||
		a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range notPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// guardDial refuses, at the moment of connecting, any address that is not public. Checking the
// address the socket is about to use (not the name, nor an earlier lookup) is what makes DNS
// rebinding useless: whatever the name resolves to this time is what is checked.
func guardDial(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return errBlockedAddress
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !PublicAddr(a) {
		return errBlockedAddress
	}
	return nil
}

// maxBody bounds every answer read from a provider; OAuth and account answers are a few KB.
const maxBody = 256 << 10

// limitBodies caps every response body at maxBody.
type limitBodies struct{ base http.RoundTripper }

func (l limitBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := l.base.RoundTrip(r)
	if err == nil {
		res.Body = http.MaxBytesReader(nil, res.Body, maxBody)
	}
	return res, err
}

// newClient is the HTTP client of every outbound call: a deadline for the whole exchange, no
// proxy from the environment, no redirects followed, bodies capped, and (unless allowPrivate,
// for tests against a local double) only public addresses dialed.
func newClient(timeout time.Duration, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: timeout}
	if !allowPrivate {
		d.Control = guardDial
	}
	t := &http.Transport{DialContext: d.DialContext, TLSHandshakeTimeout: timeout, ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second, ForceAttemptHTTP2: true}
	return &http.Client{Transport: limitBodies{t}, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
