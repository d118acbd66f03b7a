package esdoc

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// scanObject splits a JSON object into its members, values left encoded, the way
// json.Unmarshal into map[string]json.RawMessage does (the last of repeated keys wins; nil when
// raw is not exactly one valid object) but without decoding: the feed reads every stored
// status once per document, and encoding/json spent most of a document's build doing it. Values
// share raw's memory.
func scanObject(raw []byte) obj {
	s := scanner{b: raw}
	s.space()
	if !s.next('{') {
		return nil
	}
	o := make(obj, min(max(len(raw)/48, 8), 64)) // a v1.1 status's members are ~48 bytes each
	s.space()
	if s.next('}') {
		return s.end(o)
	}
	for {
		s.space()
		kStart := s.i
		if !s.str() {
			return nil
		}
		key := raw[kStart:s.i]
		s.space()
		if !s.next(':') {
			return nil
		}
		s.space()
		vStart := s.i
		if !s.value(0) {
			return nil
		}
		o[keyString(key)] = json.RawMessage(raw[vStart:s.i:s.i])
		s.space()
		if s.next('}') {
			return s.end(o)
		}
		if !s.next(',') {
			return nil
		}
	}
}

// keyString is a member name as encoding/json reads it: escapes resolved, invalid UTF-8 replaced.
func keyString(quoted []byte) string {
	if key := quoted[1 : len(quoted)-1]; bytes.IndexByte(key, '\\') < 0 && utf8.Valid(key) {
		return string(key)
	}
	var k string
	json.Unmarshal(quoted, &k) // already scanned as a valid string
	return k
}

// maxDepth is encoding/json's nesting limit, so both accept the same documents.
const maxDepth = 10000

type scanner struct {
	b []byte
	i int
}

func (s *scanner) end(o obj) obj {
	s.space()
	if s.i != len(s.b) {
		return nil
	}
	return o
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) next(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// value skips one JSON value, checking it as strictly as encoding/json does.
func (s *scanner) value(depth int) bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.str()
	case c == '{':
		return s.object(depth + 1)
	case c == '[':
		return s.array(depth + 1)
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return false
}

func (s *scanner) literal(l string) bool {
	if len(s.b)-s.i < len(l) || string(s.b[s.i:s.i+len(l)]) != l {
		return false
	}
	s.i += len(l)
	return true
}

func (s *scanner) object(depth int) bool {
	if depth > maxDepth {
		return false
	}
	s.i++ // {
	s.space()
	if s.next('}') {
		return true
	}
	for {
		s.space()
		if !s.str() {
			return false
		}
		s.space()
		if !s.next(':') {
			return false
		}
		s.space()
		if !s.value(depth) {
			return false
		}
		s.space()
		if s.next('}') {
			return true
		}
		if !s.next(',') {
			return false
		}
	}
}

func (s *scanner) array(depth int) bool {
	if depth > maxDepth {
		return false
	}
	s.i++ // [
	s.space()
	if s.next(']') {
		return true
	}
	for {
		s.space()
		if !s.value(depth) {
			return false
		}
		s.space()
		if s.next(']') {
			return true
		}
		if !s.next(',') {
			return false
		}
	}
}

func (s *scanner) str() bool {
	if !s.next('"') {
		return false
	}
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return false
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if len(s.b)-s.i < 6 {
					return false
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !isHex(h) {
						return false
					}
				}
				s.i += 6
			default:
				return false
			}
		default:
			s.i++
		}
	}
	return false
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

func (s *scanner) number() bool {
	s.next('-')
	switch {
	case s.next('0'):
	case s.i < len(s.b) && s.b[s.i] >= '1' && s.b[s.i] <= '9':
		s.digits()
	default:
		return false
	}
	if s.next('.') && !s.digits() {
		return false
	}
	if s.next('e') || s.next('E') {
		if !s.next('+') {
			s.next('-')
		}
		if !s.digits() {
			return false
		}
	}
	return true
}
