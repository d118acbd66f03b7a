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

// UnmarshalJSON reads the entity straight from the bytes the decoder hands over (already
// validated, so only the shape is checked here): a nested json.Unmarshal per entity was the
// costliest part of reading a status. It reads what a struct {Text, Tag string} would: keys
// matched case-insensitively, the last of a repeated key winning, null changing nothing, any
// other type refused.
func (h *hashtagEntity) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := unquote(b, &s); err != nil {
			return err
		}
		*h = hashtagEntity(s)
		return nil
	case string(b) == "null":
		*h = ""
		return nil
	case len(b) == 0 || b[0] != '{':
		return &json.UnmarshalTypeError{Value: "hashtag entity", Field: "hashtags"}
	}
	var text, tag string
	err := eachField(b, func(key, v []byte) error {
		switch {
		case strings.EqualFold(string(key), "text"):
			return stringField(v, &text, "hashtags.text")
		case strings.EqualFold(string(key), "tag"):
			return stringField(v, &tag, "hashtags.tag")
		}
		return nil
	})
	if err != nil {
		return err
	}
	*h = hashtagEntity(text)
	if tag != "" {
		*h = hashtagEntity(tag)
	}
	return nil
}

// UnmarshalJSON reads the user the way the struct's own decode would (see hashtagEntity's),
// straight from the bytes: a v1.1 user object is large and only four of its keys are read.
func (u *v1User) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	if len(b) == 0 || b[0] != '{' {
		return &json.UnmarshalTypeError{Value: "user", Field: "user"}
	}
	return eachField(b, func(key, v []byte) error {
		switch {
		case strings.EqualFold(string(key), "id"):
			return u.ID.UnmarshalJSON(v)
		case strings.EqualFold(string(key), "id_str"):
			return stringField(v, &u.IDStr, "user.id_str")
		case strings.EqualFold(string(key), "screen_name"):
			return stringField(v, &u.ScreenName, "user.screen_name")
		case strings.EqualFold(string(key), "created_at"):
			return stringField(v, &u.CreatedAt, "user.created_at")
		}
		return nil
	})
}

// stringField stores the JSON value v in *dst as encoding/json stores into a string field: a
// string is decoded, null changes nothing, anything else is refused.
func stringField(v []byte, dst *string, field string) error {
	switch {
	case string(v) == "null":
		return nil
	case len(v) > 0 && v[0] == '"':
		return unquote(v, dst)
	}
	return &json.UnmarshalTypeError{Value: "non-string", Field: field}
}

// eachField calls fn with each key of the JSON object b (already validated by the decoder that
// hands it over) and its value, in order.
func eachField(b []byte, fn func(key, v []byte) error) error {
	for i := skipSpace(b, 1); i < len(b) && b[i] == '"'; {
		end := stringEnd(b, i)
		key := b[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var s string
			if err := json.Unmarshal(b[i:end], &s); err != nil {
				return err
			}
			key = []byte(s)
		}
		i = skipSpace(b, end)
		i = skipSpace(b, i+1) // the ':'
		vend := valueEnd(b, i)
		if err := fn(key, b[i:vend]); err != nil {
			return err
		}
		i = skipSpace(b, vend)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string literal that starts at b[i].
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// valueEnd returns the index just past the (valid) JSON value that starts at b[i].
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for i < len(b) && !strings.ContainsRune(",}] \t\n\r", rune(b[i])) {
		i++
	}
	return i
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
