package oauth

import (
	"net/netip"
	"testing"
)

func TestPublicAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"1.1.1.1": true, "2606:4700:4700::1111": true, "151.101.1.1": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "fe80::1": false, "fc00::1": false, "0.0.0.0": false, "::": false,
		"100.64.0.1": false, "224.0.0.1": false, "255.255.255.255": false, "::ffff:127.0.0.1": false,
		"::ffff:10.0.0.1": false, "64:ff9b::a00:1": false, "2002:a00:1::": false, "198.18.0.1": false,
		"192.0.2.1": false, "240.0.0.1": false,
	} {
		if got := PublicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("PublicAddr(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestInstance(t *testing.T) {
	for raw, want := range map[string]string{"mastodon.social": "mastodon.social", " Mastodon.Social ": "mastodon.social",
		"hachyderm.io": "hachyderm.io", "social.example-1.co.kr": "social.example-1.co.kr"} {
		if got, err := Instance(raw); err != nil || got != want {
			t.Errorf("Instance(%q) = %q, %v", raw, got, err)
		}
	}
	for _, raw := range []string{"", "localhost", "127.0.0.1", "[::1]", "::1", "10.0.0.1", "2130706433", "0x7f.1",
		"https://mastodon.social", "mastodon.social:443", "mastodon.social/", "a@mastodon.social", "mastodon.social.",
		"-bad.example", "mastodon..social", "mastodon.social\x00.evil", "xn--e1a.рф"} {
		if got, err := Instance(raw); err == nil {
			t.Errorf("Instance(%q) = %q, want refused", raw, got)
		}
	}
}

// The dial guard refuses what the resolver answered, whatever the name was.
func TestGuardDial(t *testing.T) {
	if err := guardDial("tcp", "127.0.0.1:443", nil); err == nil {
		t.Error("loopback dialed")
	}
	if err := guardDial("tcp", "[fd00::1]:443", nil); err == nil {
		t.Error("unique local dialed")
	}
	if err := guardDial("tcp", "1.1.1.1:443", nil); err != nil {
		t.Errorf("public address refused: %v", err)
	}
}
