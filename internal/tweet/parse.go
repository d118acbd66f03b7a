package tweet

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// Parse reads one JSON object in any shape a post reaches us in (see the package comment) and
// returns it as a Post or a Delete. Every error wraps ErrInvalid; stream control messages also
// wrap ErrStreamError. Parse never panics.
func Parse(line []byte) (Item, error) {
	// Peek at the top-level keys only, so each shape can then be decoded into its own typed
	// struct: the shapes disagree on field types (v1.1 "user" is an object, Logstash's reduced
	// "user" a string).
	var top map[string]json.RawMessage
	if err := decodeStrict(line, &top); err != nil {
		return Item{}, err
	}
	if top == nil {
		return Item{}, invalidf("not a JSON object")
	}
	raw := append(json.RawMessage(nil), line...)

	has := func(k string) bool { v, ok := top[k]; return ok && !isNull(v) }
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
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return invalidf("not JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalidf("more than one JSON value on the line")
	}
	return nil
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
