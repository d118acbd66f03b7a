package esdoc

import (
	"slices"
	"strconv"
)

// A post with nothing to overlay (another network's, whose source fields are not v1.1, or one
// whose raw JSON is gone) is the row's status alone: a fixed shape, appended straight into its
// bytes in the order obj's encoding sorts keys, instead of building and sorting maps for each
// document (the feed's largest cost, TestPlainDocumentMatchesTheGeneralBuild keeps them equal).

// plainKeys[quote][retweet] are the sorted top-level keys of such a document.
var plainKeys [2][2][]string

// plainUserKeys are the sorted keys of its user object.
var plainUserKeys = slices.Sorted(slices.Values(FullUserFields))

func init() {
	for q := range 2 {
		for r := range 2 {
			keys := append(slices.Clone(FullTweetFields), ServiceField)
			if q == 1 {
				keys = append(keys, "quoted_status_id", "quoted_status_id_str")
			}
			if r == 1 {
				keys = append(keys, "retweeted_status")
			}
			slices.Sort(keys)
			plainKeys[q][r] = keys
		}
	}
}

// plain says whether t's document has nothing to overlay on the row's status (see fullStatus).
func plain(t *Tweet) bool {
	return t.Network != "" && t.Network != "twitter" || !hasObject(t.Raw)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// appendPlain appends the document of t, which is plain, with its service fields g.
func appendPlain(b []byte, t *Tweet, g *Giveaway) []byte {
	b = append(b, '{')
	for i, k := range plainKeys[b2i(t.QuoteOf != "")][b2i(t.RetweetOf != "")] {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(append(append(b, '"'), k...), '"', ':')
		switch k {
		case "@timestamp":
			b = append(t.CreatedAt.UTC().AppendFormat(append(b, '"'), LogstashTimeLayout), '"')
		case "@version":
			b = append(b, `"1"`...)
		case "created_at":
			b = append(t.CreatedAt.UTC().AppendFormat(append(b, '"'), TwitterTimeLayout), '"')
		case "entities":
			b = append(b, `{"hashtags":[`...)
			for i, h := range t.Hashtags {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(appendString(append(b, `{"text":`...), h), '}')
			}
			b = append(b, `],"symbols":[],"urls":[],"user_mentions":[]}`...)
		case "favorited", "retweeted", "truncated":
			b = append(b, "false"...)
		case ServiceField:
			b = g.appendJSON(b)
		case "id":
			b = append(b, idNumber(t.ID)...)
		case "id_str":
			b = appendString(b, t.ID)
		case "in_reply_to_status_id":
			b = append(b, idNumber(t.ReplyTo)...)
		case "in_reply_to_status_id_str":
			b = appendOptString(b, t.ReplyTo)
		case "is_quote_status":
			b = strconv.AppendBool(b, t.QuoteOf != "")
		case "lang":
			b = appendOptString(b, t.Lang)
		case "quote_count":
			b = strconv.AppendInt(b, t.QuoteCount, 10)
		case "quoted_status_id":
			b = append(b, idNumber(t.QuoteOf)...)
		case "quoted_status_id_str":
			b = appendString(b, t.QuoteOf)
		case "retweet_count":
			b = strconv.AppendInt(b, t.RetweetCount, 10)
		case "retweeted_status":
			b = append(append(b, `{"id":`...), idNumber(t.RetweetOf)...)
			b = appendString(append(b, `,"id_str":`...), t.RetweetOf)
			if t.RetweetOfCount > 0 {
				b = strconv.AppendInt(append(b, `,"retweet_count":`...), t.RetweetOfCount, 10)
			}
			b = append(appendOptString(append(b, `,"user":{"screen_name":`...), t.RetweetOfHandle), '}', '}')
		case "text":
			b = appendString(b, t.Text)
		case "timestamp_ms":
			b = append(strconv.AppendInt(append(b, '"'), t.CreatedAt.UnixMilli(), 10), '"')
		case "user":
			b = appendPlainUser(b, t)
		default:
			b = append(b, null...)
		}
	}
	return append(b, '}')
}

func appendPlainUser(b []byte, t *Tweet) []byte {
	b = append(b, '{')
	for i, k := range plainUserKeys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(append(append(b, '"'), k...), '"', ':')
		switch k {
		case "id":
			b = append(b, idNumber(t.AuthorID)...)
		case "id_str":
			b = appendOptString(b, t.AuthorID)
		case "screen_name":
			b = appendString(b, t.Handle)
		default:
			b = append(b, null...)
		}
	}
	return append(b, '}')
}

// appendOptString appends s as a JSON string, or null when it is empty (optString).
func appendOptString(b []byte, s string) []byte {
	if s == "" {
		return append(b, null...)
	}
	return appendString(b, s)
}
