package giveaway

import "testing"

func TestPostLinksMustBeOnTheirNetwork(t *testing.T) {
	cases := []struct {
		network, url string
		ok           bool
	}{
		{"instagram", "https://www.instagram.com/p/Cx1/", true},
		{"instagram", "https://instagram.com/p/Cx1/", true},
		{"instagram", "https://instagr.am/p/Cx1/", true},
		{"instagram", "https://INSTAGRAM.com/p/Cx1/", true},
		{"instagram", "https://instagram.com.evil.example/p/1", false},
		{"instagram", "https://evilinstagram.com/p/1", false},
		{"instagram", "https://facebook.com/p/1", false},
		{"instagram", "http://instagram.com/p/1", false},
		{"instagram", "https://instagram.com:8443/p/1", false},
		{"instagram", "https://instagram.com@evil.example/p/1", false},
		{"instagram", "https://user:pw@instagram.com/p/1", false},
		{"facebook", "https://www.facebook.com/jisu/posts/1", true},
		{"facebook", "https://m.facebook.com/story.php?id=1", true},
		{"facebook", "https://fb.com/1", true},
		{"facebook", "https://fb.watch/abc/", true},
		{"facebook", "https://l.facebook.com.example/1", false},
		{"linkedin", "https://www.linkedin.com/posts/jisu_1", true},
		{"linkedin", "https://lnkd.in/abc", true},
		{"linkedin", "https://linkedin.example/abc", false},
		{"threads", "https://www.threads.net/@jisu/post/1", true},
		{"threads", "https://threads.com/@jisu/post/1", true},
		{"threads", "https://threads.org/@jisu/post/1", false},
		{"twitter", "https://x.com/jisu/status/1", true},
		{"twitter", "https://nitter.example/jisu/status/1", false},
		{"other", "https://blog.example.org/post/1", true},
		{"other", "http://blog.example.org/post/1", false},
		{"other", "https://127.0.0.1/x", false},
		{"other", "https://[::1]/x", false},
		{"other", "https://127.1/x", false},
		{"other", "https://0x7f.0.0.1/x", false},
		{"other", "https://2130706433/x", false},
		{"other", "https://localhost/x", false},
		{"other", "https://example.org:443/x", false},
		{"other", "https://a:b@example.org/x", false},
		{"other", "javascript:alert(1)", false},
		{"other", "https:example.org", false},
		{"other", "https:///x", false},
		{"mastodon", "https://mastodon.social/@jisu/1", true},
		{"mastodon", "https://10.0.0.1/@jisu/1", false},
	}
	for _, c := range cases {
		err := checkPostURL(c.network, c.url)
		if (err == nil) != c.ok {
			t.Errorf("%s %q: err %v, want ok=%v", c.network, c.url, err, c.ok)
		}
		if err != nil && err.(interface{ Error() string }).Error()[:16] != "invalid_post_url" {
			t.Errorf("%s %q: %v", c.network, c.url, err)
		}
	}
}
