package tweet

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// flexID is a post or user id that may arrive as a JSON string or a JSON number. Numbers are
// kept as their literal digits: ids pass 2^53, so going through float64 would corrupt them.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexID(strings.TrimSpace(s))
		return nil
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*f = flexID(b) // validID rejects fractions and exponents later
		return nil
	}
	return errors.New("id is neither a string nor a number")
}

// flexInt is a counter such as retweet_count. A counter is never worth rejecting a post for, so
// anything that is not an integer (or a string holding one) reads as 0.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = flexInt(n)
	}
	return nil
}

// hashtagEntity is one hashtag the source already extracted: v1.1 {"text": ...}, v2
// {"tag": ...}, or (seen in hand-made Logstash documents) a bare string.
type hashtagEntity string

func (h *hashtagEntity) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '"' {
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return err
		}
		*h = hashtagEntity(s)
		return nil
	}
	var o struct {
		Text string `json:"text"`
		Tag  string `json:"tag"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	*h = hashtagEntity(o.Text)
	if o.Tag != "" {
		*h = hashtagEntity(o.Tag)
	}
	return nil
}

// entityTags turns source-extracted hashtags into Post.Hashtags: without '#', first occurrence
// order, no repeats after normalization. The source's own extraction wins over ours, which is
// what the matching rules ask for.
func entityTags(es []hashtagEntity) []string {
	var tags []string
	seen := map[string]bool{}
	for _, e := range es {
		t := strings.TrimSpace(string(e))
		t = strings.TrimLeft(t, "#＃")
		n := Normalize(t)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		tags = append(tags, t)
	}
	return tags
}

// validID reports whether s looks like an X snowflake id: decimal digits only. This rejects
// numbers that were mangled into floats ("1.76e+18") before they can become a wrong key.
func validID(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// firstID returns the first candidate that is a usable id, so callers can list their
// sources in order of trust (id_str before the numeric id, and so on).
func firstID(candidates ...string) string {
	for _, c := range candidates {
		if validID(c) {
			return c
		}
	}
	return ""
}

// cleanHandle strips the '@' some sources keep and rejects what cannot be a handle.
func cleanHandle(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "@")
	if strings.ContainsAny(s, " \t\r\n@/") {
		return ""
	}
	return s
}

// twitterTimeLayout is how v1.1 writes created_at ("Wed Oct 10 20:19:24 +0000 2018").
const twitterTimeLayout = time.RubyDate

// parseTime accepts the v1.1 layout and RFC 3339 (v2, Logstash's @timestamp), returning UTC.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{twitterTimeLayout, time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseMillis reads v1.1's timestamp_ms, a fallback for statuses without created_at.
func parseMillis(s string) (time.Time, bool) {
	ms, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC(), true
}

// retweetHandle returns the handle in a classic "RT @handle: ..." text, or "".
func retweetHandle(text string) (string, bool) {
	rest, ok := strings.CutPrefix(text, "RT @")
	if !ok {
		return "", false
	}
	end := 0
	for end < len(rest) {
		c := rest[end]
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			break
		}
		end++
	}
	return rest[:end], true
}
