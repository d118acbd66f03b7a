package giveaway

import (
	"net/netip"
	"net/url"
	"strings"
)

// postHosts are the hosts a post link may name, per network (a "www." in front is the same host).
// Staff open these links on the tablet and approve claims by them, so a link must lead to the
// network it claims to be from. Mastodon is federated and "other" is anything: any https host.
var postHosts = map[string][]string{
	"twitter":   {"x.com", "twitter.com", "mobile.twitter.com", "mobile.x.com"},
	"instagram": {"instagram.com", "instagr.am"},
	"facebook":  {"facebook.com", "m.facebook.com", "fb.com", "fb.watch"},
	"linkedin":  {"linkedin.com", "lnkd.in"},
	"bluesky":   {"bsky.app"},
	"threads":   {"threads.net", "threads.com"},
}

// checkPostURL accepts an https link without userinfo, port or IP-literal host (the tricks that
// make a link look like one place and go to another), on the network's hosts when it has any.
func checkPostURL(network, raw string) error {
	bad := invalid("invalid_post_url", "post_url must be an https link to the post").With("field", "post_url")
	u, err := url.Parse(raw)
	if err != nil || len(raw) > 2000 || u.Scheme != "https" || u.Opaque != "" || u.User != nil || u.Port() != "" ||
		strings.HasSuffix(u.Host, ":") {
		return bad
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if _, err := netip.ParseAddr(host); err == nil || !strings.Contains(host, ".") || numericLabel(host) ||
		strings.ContainsAny(host, "[]%") {
		return bad
	}
	hosts, restricted := postHosts[network]
	if !restricted {
		return nil
	}
	for _, h := range hosts {
		if host == h || host == "www."+h {
			return nil
		}
	}
	return invalid("invalid_post_url", "post_url must be a link on %s", strings.Join(hosts, " or ")).
		With("field", "post_url")
}

// numericLabel catches the IPv4 spellings netip refuses but browsers follow (127.1, 0x7f.0.0.1,
// 2130706433.): no real domain ends in a numeric label.
func numericLabel(host string) bool {
	last := host[strings.LastIndex(host, ".")+1:]
	if strings.HasPrefix(last, "0x") {
		return true
	}
	return strings.Trim(last, "0123456789") == ""
}
