package giveaway

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/textguard"
	"github.com/boothgiveaway/giveaway/internal/tweet"
)

// Networks a claim can name. Twitter, Mastodon and Bluesky claims are verified by the account's
// posts (see SelfVerified); the others by staff looking at the post.
var Networks = []string{"twitter", "instagram", "facebook", "linkedin", "mastodon", "bluesky", "threads", "other"}

var twitterHandle = regexp.MustCompile(`^[A-Za-z0-9_]{1,15}$`)

// mastodonAcct is a full account address, user@instance: the short form is ambiguous across
// instances, and posts are stored under the full one.
var mastodonAcct = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$`)

// blueskyHandle is a domain name (alice.bsky.social); its last label is not all digits.
var blueskyHandle = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// SelfVerified says whether the service reads the network's posts itself, so that a claim names
// an account rather than a post link.
func SelfVerified(network string) bool {
	return network == "twitter" || network == "mastodon" || network == "bluesky"
}

func invalid(code, format string, args ...any) *apperr.Error {
	return apperr.New(apperr.Invalid, code, format, args...)
}

// person validates a claim's network, handle and post URL and returns the handle as displayed and
// as compared.
func person(network, handle, postURL string, needURL bool) (display, norm string, post *string, err error) {
	if handle, err = textguard.Name("handle", handle); err != nil {
		return "", "", nil, err
	}
	network = strings.ToLower(strings.TrimSpace(network))
	if network == "" {
		network = "twitter"
	}
	known := false
	for _, n := range Networks {
		known = known || n == network
	}
	if !known {
		return "", "", nil, invalid("invalid_network", "network must be one of %s", strings.Join(Networks, ", ")).
			With("field", "network")
	}
	handle = strings.TrimPrefix(strings.TrimSpace(handle), "@")
	switch network {
	case "twitter":
		if !twitterHandle.MatchString(handle) {
			return "", "", nil, invalid("invalid_handle", "an X/Twitter handle is 1 to 15 letters, digits or _").
				With("field", "handle")
		}
	case "mastodon":
		if !mastodonAcct.MatchString(handle) {
			return "", "", nil, invalid("invalid_handle", "a Mastodon account is written user@instance, e.g. jisu@mastodon.social").
				With("field", "handle")
		}
	case "bluesky":
		// A bare name is an account on the default Bluesky host, as the app shows it.
		if !strings.Contains(handle, ".") {
			handle += ".bsky.social"
		}
		if len(handle) > 253 || !blueskyHandle.MatchString(handle) {
			return "", "", nil, invalid("invalid_handle", "a Bluesky handle is a domain name, e.g. jisu.bsky.social").
				With("field", "handle")
		}
	default:
		// Other networks show names like "Park Jisu": keep single spaces, refuse control characters.
		handle = strings.Join(strings.Fields(handle), " ")
		if n := utf8.RuneCountInString(handle); n < 1 || n > 100 || strings.IndexFunc(handle, unicode.IsControl) >= 0 {
			return "", "", nil, invalid("invalid_handle", "a handle or name is 1 to 100 characters").
				With("field", "handle")
		}
	}
	postURL = strings.TrimSpace(postURL)
	if postURL != "" {
		if err := checkPostURL(network, postURL); err != nil {
			return "", "", nil, err
		}
		post = &postURL
	} else if !SelfVerified(network) && needURL {
		return "", "", nil, invalid("post_url_required", "a claim for %s needs the https link to the post", network).
			With("field", "post_url")
	}
	return handle, strings.ToLower(handle), post, nil
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
var prizeKeyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
var indexPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,200}$`)

// hashtags normalizes the organiser's hashtags; each must be a hashtag Twitter would extract.
func hashtags(tags []string) (display, norm []string, err error) {
	if len(tags) == 0 || len(tags) > 10 {
		return nil, nil, invalid("invalid_hashtags", "give 1 to 10 required hashtags").With("field", "required_hashtags")
	}
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		t = strings.TrimLeft(t, "#＃")
		found := tweet.ExtractHashtags("#" + t)
		if len(found) != 1 || found[0] != t {
			return nil, nil, invalid("invalid_hashtags", "%q is not a hashtag", t).With("field", "required_hashtags")
		}
		n := tweet.Normalize(t)
		if seen[n] {
			continue
		}
		seen[n] = true
		display = append(display, t)
		norm = append(norm, n)
	}
	return display, norm, nil
}
