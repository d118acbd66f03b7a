package tweet

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"
)

// Parse reads one JSON object in any shape a post reaches us in (see the package comment) and
// returns it as a Post or a Delete. Every error wraps ErrInvalid; stream control messages also
// wrap ErrStreamError. Parse never panics.
func Parse(line []byte) (Item, error) {
	// PostgreSQL stores neither a NUL (raw, or a \u0000 escape in a JSON string) nor invalid
	// UTF-8: such a post is this line's error, not its batch's.
	if !utf8.Valid(line) {
		return Item{}, invalidf("not valid UTF-8")
	}
	if hasNUL(line) {
		return Item{}, invalidf("holds a NUL character (\\u0000), which cannot be stored")
	}
	// One pass over the line into every top-level key any shape reads. A key whose value has a
	// type its shape does not allow (rare: hand-made or broken input) fails that pass, and the
	// line is then read shape by shape, which refuses it only when the shape it is reads that key.
	// Lines that are not JSON at all take that path too, for its error messages.
	var d doc
	if json.Unmarshal(line, &d) != nil {
		return parseByShape(line)
	}
	if t := bytes.TrimSpace(line); t[0] != '{' {
		return Item{}, invalidf("not a JSON object")
	}
	return d.item(line)
}

// parseByShape reads a line whose one-pass decode hit a value of the wrong type: it peeks at
// the keys that tell the shapes apart, then decodes the line as that shape alone, so a wrong
// type in a key the shape does not read is ignored, as it always was.
func parseByShape(line []byte) (Item, error) {
	// Peek at the top-level keys that tell the shapes apart, so each shape can then be decoded
	// into its own typed struct.
	var probe struct {
		Delete     json.RawMessage `json:"delete"`
		Data       json.RawMessage `json:"data"`
		Errors     json.RawMessage `json:"errors"`
		Title      json.RawMessage `json:"title"`
		Detail     json.RawMessage `json:"detail"`
		Disconnect json.RawMessage `json:"disconnect"`
		ID         json.RawMessage `json:"id"`
		IDStr      json.RawMessage `json:"id_str"`
		User       json.RawMessage `json:"user"`
		Message    json.RawMessage `json:"message"`
		Text       json.RawMessage `json:"text"`
		AuthorID   json.RawMessage `json:"author_id"`
	}
	if err := decodeStrict(line, &probe); err != nil {
		return Item{}, err
	}
	if t := bytes.TrimSpace(line); t[0] != '{' {
		return Item{}, invalidf("not a JSON object")
	}
	raw := append(json.RawMessage(nil), line...)
	top := map[string]json.RawMessage{"delete": probe.Delete, "data": probe.Data, "errors": probe.Errors,
		"title": probe.Title, "detail": probe.Detail, "disconnect": probe.Disconnect, "id": probe.ID,
		"id_str": probe.IDStr, "user": probe.User, "message": probe.Message, "text": probe.Text,
		"author_id": probe.AuthorID}

	has := func(k string) bool { v := top[k]; return len(v) > 0 && !isNull(v) }
	var (
		p   *Post
		err error
	)
	switch {
	case has("delete"):
		d, err := parseDelete(top["delete"])
		if err != nil {
			return Item{}, err
		}
		return Item{Delete: d}, nil
	case has("data"):
		p, err = parseV2Envelope(line)
	case has("errors"):
		return Item{}, streamErrorf("%s", v2ErrorSummary(top["errors"]))
	case has("title") && has("detail") && !has("id") && !has("id_str"):
		// A v2 problem object, e.g. {"title":"ConnectionException","detail":"...","type":".../problems/streaming-connection"}.
		return Item{}, streamErrorf("%s", v2ErrorSummary(line))
	case has("disconnect"):
		return Item{}, streamErrorf("v1.1 disconnect notice: %s", bytes.TrimSpace(top["disconnect"]))
	case has("id_str") || isObject(top["user"]):
		p, err = parseV1(line)
	case has("message") || isString(top["user"]):
		p, err = parseLogstash(line)
	case has("id") && (has("text") || has("author_id")):
		p, err = parseV2Bare(line)
	default:
		return Item{}, invalidf("unrecognized object: not a v2 stream object, v1.1 status, Logstash document or delete notice")
	}
	return finish(p, err, raw)
}

// finish sets what every shape's post has in common.
func finish(p *Post, err error, raw json.RawMessage) (Item, error) {
	if err != nil {
		return Item{}, err
	}
	p.Network = "twitter"
	p.Raw = raw
	if p.RetweetOf != "" {
		p.Retweet = true
	}
	return Item{Post: p}, nil
}

// decodeStrict decodes exactly one JSON value, so "{}{}" or "{} trailing" is rejected rather
// than half-read.
func decodeStrict(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return invalidf("empty line")
	}
	if err := json.Unmarshal(b, v); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) && syn.Offset > 1 && json.Valid(bytes.TrimSpace(b[:syn.Offset-1])) {
			return invalidf("more than one JSON value on the line")
		}
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return invalidf("not a JSON object")
		}
		return invalidf("not JSON: %v", err)
	}
	return nil
}

// hasNUL finds a NUL byte or a \u0000 escape (not an escaped backslash followed by "u0000").
func hasNUL(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 {
		return true
	}
	if !bytes.Contains(b, []byte(`\u0000`)) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			continue
		}
		if b[i+1] == 'u' && i+6 <= len(b) && string(b[i+2:i+6]) == "0000" {
			return true
		}
		i++ // skip the escaped character, so \\u0000 is a backslash and text
	}
	return false
}

func isNull(b json.RawMessage) bool { return string(bytes.TrimSpace(b)) == "null" }

func isObject(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{'
}

func isString(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '"'
}

// v2ErrorSummary turns the "errors" array (or a single problem object) into one short line for
// logs; it never fails, because the caller is already reporting an error.
func v2ErrorSummary(b json.RawMessage) string {
	type problem struct {
		Title          string `json:"title"`
		DisconnectType string `json:"disconnect_type"`
		Detail         string `json:"detail"`
	}
	var list []problem
	if err := json.Unmarshal(b, &list); err != nil {
		var one problem
		if json.Unmarshal(b, &one) == nil {
			list = []problem{one}
		}
	}
	if len(list) == 0 {
		return "errors without details"
	}
	s := ""
	for i, p := range list {
		if i > 0 {
			s += "; "
		}
		s += p.Title
		if p.DisconnectType != "" {
			s += " (" + p.DisconnectType + ")"
		}
		if p.Detail != "" {
			s += ": " + p.Detail
		}
	}
	return s
}

// Storable says whether PostgreSQL can store the post: no text of it holds a NUL or invalid
// UTF-8. Parse already refuses such lines; sources that build posts themselves are checked here.
func (p *Post) Storable() bool {
	for _, s := range append([]string{p.Network, p.ID, p.VersionID, p.AuthorID, p.Handle, p.Text, p.Lang,
		p.RetweetOf, p.RetweetOfHandle, p.QuoteOf, p.ReplyTo}, p.Hashtags...) {
		if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
			return false
		}
	}
	return utf8.Valid(p.Raw) && !hasNUL(p.Raw)
}
