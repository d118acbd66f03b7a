package esdoc

import (
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends d as JSON. Written out by hand because the feed encodes every tweet it
// sends and reflection was a tenth of its CPU; a test keeps it equal to encoding/json's output.
func (d *TweetDoc) AppendJSON(b []byte) []byte {
	b = append(b, `{"@timestamp":`...)
	b = appendString(b, d.Timestamp)
	b = append(b, `,"id_str":`...)
	b = appendString(b, d.IDStr)
	b = append(b, `,"text":`...)
	b = appendString(b, d.Text)
	b = append(b, `,"created_at":`...)
	b = appendString(b, d.CreatedAt)
	b = append(b, `,"user":{"screen_name":`...)
	b = appendString(b, d.User.ScreenName)
	if d.User.IDStr != "" {
		b = append(b, `,"id_str":`...)
		b = appendString(b, d.User.IDStr)
	}
	b = append(b, `},"entities":{"hashtags":[`...)
	for i, h := range d.Entities.Hashtags {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"text":`...)
		b = appendString(b, h.Text)
		b = append(b, '}')
	}
	b = append(b, "]}"...)
	if rt := d.RetweetedStatus; rt != nil {
		b = append(b, `,"retweeted_status":{"id_str":`...)
		b = appendString(b, rt.IDStr)
		b = append(b, `,"user":{`...)
		if rt.User.ScreenName != "" {
			b = append(b, `"screen_name":`...)
			b = appendString(b, rt.User.ScreenName)
		}
		b = append(b, '}')
		if rt.RetweetCount != nil {
			b = append(b, `,"retweet_count":`...)
			b = strconv.AppendInt(b, *rt.RetweetCount, 10)
		}
		b = append(b, '}')
	}
	b = append(b, `,"retweet_count":`...)
	b = strconv.AppendInt(b, d.RetweetCount, 10)
	b = append(b, `,"quote_count":`...)
	b = strconv.AppendInt(b, d.QuoteCount, 10)
	b = appendOptString(b, `,"lang":`, d.Lang)
	b = appendOptString(b, `,"in_reply_to_status_id_str":`, d.InReplyToStatusIDStr)
	b = appendOptString(b, `,"quoted_status_id_str":`, d.QuotedStatusIDStr)
	b = append(b, `,"hashtags_normalized":[`...)
	for i, h := range d.HashtagsNormalized {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, h)
	}
	b = append(b, `],"network":`...)
	b = appendString(b, d.Network)
	b = append(b, `,"is_retweet":`...)
	b = strconv.AppendBool(b, d.IsRetweet)
	b = append(b, `,"eligible":`...)
	b = strconv.AppendBool(b, d.Eligible)
	b = append(b, `,"matched":`...)
	b = strconv.AppendBool(b, d.Matched)
	b = appendOptString(b, `,"matched_claim":`, d.MatchedClaim)
	b = appendOptString(b, `,"matched_claim_id":`, d.MatchedClaimID)
	b = append(b, `,"campaign":`...)
	b = appendString(b, d.Campaign)
	b = append(b, `,"hidden":`...)
	b = strconv.AppendBool(b, d.Hidden)
	return append(b, '}')
}

func appendOptString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, key...), s)
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json does (HTML-safe, invalid UTF-8
// replaced, U+2028/U+2029 escaped).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
