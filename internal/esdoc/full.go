package esdoc

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"time"
)

// FullTweetFields are the top-level fields of a document that Logstash's twitter input writes
// with full_tweet => true: the v1.1 status as the stream sent it (lib/logstash/inputs/twitter.rb,
// from_tweet: tweet.to_hash) plus the event's @timestamp (the status's created_at) and @version.
// Every tweet document carries them all, null where the post's source did not say, so one
// dashboard reads either producer's documents.
var FullTweetFields = []string{"@timestamp", "@version", "created_at", "id", "id_str", "text", "source",
	"truncated", "in_reply_to_status_id", "in_reply_to_status_id_str", "in_reply_to_user_id",
	"in_reply_to_user_id_str", "in_reply_to_screen_name", "user", "geo", "coordinates", "place",
	"contributors", "is_quote_status", "retweet_count", "favorite_count", "quote_count", "reply_count",
	"entities", "favorited", "retweeted", "filter_level", "lang", "timestamp_ms"}

// FullUserFields are the v1.1 user fields every document's user object carries.
var FullUserFields = []string{"id", "id_str", "name", "screen_name", "location", "url", "description",
	"protected", "verified", "followers_count", "friends_count", "listed_count", "favourites_count",
	"statuses_count", "created_at", "lang", "profile_image_url_https"}

// LogstashTimeLayout is how Logstash writes @timestamp (milliseconds, UTC).
const LogstashTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// obj is a JSON object under construction: values are encoded JSON. It encodes with sorted keys.
type obj map[string]json.RawMessage

var null = json.RawMessage("null")

func enc(v any) json.RawMessage {
	switch x := v.(type) {
	case json.RawMessage:
		if len(x) == 0 {
			return null
		}
		return x
	case obj:
		return x.encode()
	case string:
		return appendString(nil, x)
	case int64:
		return strconv.AppendInt(nil, x, 10)
	case bool:
		return strconv.AppendBool(nil, x)
	case nil:
		return null
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic("esdoc: " + err.Error())
	}
	return b
}

func (o obj) set(k string, v any) { o[k] = enc(v) }

// sub returns the object under k (a copy to modify and set back), or an empty one.
func (o obj) sub(k string) obj {
	var m obj
	if v, ok := o[k]; ok && len(v) > 0 && v[0] == '{' {
		if json.Unmarshal(v, &m) == nil && m != nil {
			return m
		}
	}
	return obj{}
}

func (o obj) encode() []byte {
	keys := make([]string, 0, len(o))
	size := 2
	for k, v := range o {
		keys = append(keys, k)
		size += len(k) + len(v) + 4
	}
	sort.Strings(keys)
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = append(b, o[k]...)
	}
	return append(b, '}')
}

// parseObject reads raw as a JSON object; nil when it is not one.
func parseObject(raw []byte) obj {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	var m obj
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

// idNumber is a numeric id as a JSON number, the way v1.1 writes id next to id_str; null when the
// id is not a twitter snowflake.
func idNumber(id string) json.RawMessage {
	if id == "" || len(id) > 19 {
		return null
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return null
		}
	}
	return json.RawMessage(id)
}

func optString(s string) json.RawMessage {
	if s == "" {
		return null
	}
	return enc(s)
}

func millis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// baseStatus is the v1.1 status of t from what PostgreSQL holds alone: the full field set, null
// where the row does not know. A source's own fields overlay it.
func baseStatus(t *Tweet) obj {
	d := obj{}
	for _, f := range FullTweetFields {
		d[f] = null
	}
	d.set("created_at", t.CreatedAt.UTC().Format(TwitterTimeLayout))
	d["id"] = idNumber(t.ID)
	d.set("id_str", t.ID)
	d.set("text", t.Text)
	d.set("truncated", false)
	d["in_reply_to_status_id"] = idNumber(t.ReplyTo)
	d["in_reply_to_status_id_str"] = optString(t.ReplyTo)
	u := obj{}
	for _, f := range FullUserFields {
		u[f] = null
	}
	u["id"] = idNumber(t.AuthorID)
	u["id_str"] = optString(t.AuthorID)
	u.set("screen_name", t.Handle)
	d.set("user", u)
	d.set("is_quote_status", t.QuoteOf != "")
	if t.QuoteOf != "" {
		d["quoted_status_id"] = idNumber(t.QuoteOf)
		d.set("quoted_status_id_str", t.QuoteOf)
	}
	d.set("retweet_count", t.RetweetCount)
	d.set("quote_count", t.QuoteCount)
	tags := make([]obj, len(t.Hashtags))
	for i, h := range t.Hashtags {
		tags[i] = obj{"text": enc(h)}
	}
	d.set("entities", obj{"hashtags": encList(tags), "user_mentions": enc([]any{}), "urls": enc([]any{}),
		"symbols": enc([]any{})})
	d.set("favorited", false)
	d.set("retweeted", false)
	d["lang"] = optString(t.Lang)
	d.set("timestamp_ms", millis(t.CreatedAt))
	if t.RetweetOf != "" {
		rt := obj{"id": idNumber(t.RetweetOf), "id_str": enc(t.RetweetOf)}
		rt.set("user", obj{"screen_name": optString(t.RetweetOfHandle)})
		d.set("retweeted_status", rt)
	}
	return d
}

func encList(list []obj) json.RawMessage {
	b := []byte{'['}
	for i, o := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, o.encode()...)
	}
	return append(b, ']')
}

// overlay copies every field of src over d; the user and entities objects field by field, so
// the full set stays where the source names fewer.
func (d obj) overlay(src obj) {
	for k, v := range src {
		if (k == "user" || k == "entities") && len(v) > 0 && v[0] == '{' {
			u := d.sub(k)
			for uk, uv := range src.sub(k) {
				u[uk] = uv
			}
			d.set(k, u)
			continue
		}
		d[k] = v
	}
}

// countOf reads a JSON integer field ("12" or 12), -1 when absent or not one.
func countOf(o obj, k string) int64 {
	v := bytes.Trim(o[k], `"`)
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// fullStatus is the v1.1 status document of t: the stored row's fields, overlaid by everything
// the post's source said in its own shape (v1.1 kept as is, v2 and Logstash's reduced documents
// mapped to the v1.1 names), with the counts PostgreSQL knows to be higher.
func fullStatus(t *Tweet) obj {
	d := baseStatus(t)
	if t.Network == "" || t.Network == "twitter" {
		if raw := parseObject(t.Raw); raw != nil {
			switch {
			case raw["data"] != nil && !bytes.Equal(raw["data"], null):
				d.overlay(fromV2Envelope(raw))
			case raw["id_str"] != nil || (len(raw["user"]) > 0 && raw["user"][0] == '{'):
				d.overlay(raw)
			case raw["message"] != nil || (len(raw["user"]) > 0 && raw["user"][0] == '"'):
				d.overlay(fromLogstashReduced(raw))
			case raw["id"] != nil:
				d.overlay(fromV2(raw, parseIncludes(raw["includes"])))
			}
		}
	}
	if _, ok := d["text"]; !ok || bytes.Equal(d["text"], null) {
		d.set("text", t.Text)
	}
	// Counts only rise: retweets and quotes raise what the post itself said.
	d.set("retweet_count", max(countOf(d, "retweet_count"), t.RetweetCount))
	d.set("quote_count", max(countOf(d, "quote_count"), t.QuoteCount))
	if t.RetweetOf != "" {
		rt := d.sub("retweeted_status")
		if n := max(countOf(rt, "retweet_count"), t.RetweetOfCount); n >= 0 {
			rt.set("retweet_count", n)
		}
		d.set("retweeted_status", rt)
	}
	d.set("@timestamp", t.CreatedAt.UTC().Format(LogstashTimeLayout))
	d.set("@version", "1")
	return d
}
