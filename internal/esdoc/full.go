package esdoc

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"sync/atomic"
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

// obj is a JSON object under construction: a value is encoded JSON (json.RawMessage) or an obj
// still being built, so nested objects are encoded once, at the end. It encodes with sorted keys.
type obj map[string]any

var null = json.RawMessage("null")

// Encoded constants boxed once: storing a json.RawMessage in an obj boxes its slice header, an
// allocation each time, and every document stores dozens of these.
var (
	nullV  any = null
	falseV any = json.RawMessage("false")
	trueV  any = json.RawMessage("true")
	emptyV any = json.RawMessage("[]")
)

func enc(v any) any {
	switch x := v.(type) {
	case json.RawMessage:
		if len(x) == 0 {
			return nullV
		}
		return x
	case obj:
		return x
	case string:
		return json.RawMessage(appendString(nil, x))
	case int64:
		return json.RawMessage(strconv.AppendInt(nil, x, 10))
	case bool:
		if x {
			return trueV
		}
		return falseV
	case nil:
		return nullV
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic("esdoc: " + err.Error())
	}
	return json.RawMessage(b)
}

func (o obj) set(k string, v any) { o[k] = enc(v) }

// raw is the encoded value of k (nil for an absent key or an obj).
func (o obj) raw(k string) json.RawMessage {
	r, _ := o[k].(json.RawMessage)
	return r
}

// isObject says whether k holds a JSON object.
func (o obj) isObject(k string) bool {
	switch v := o[k].(type) {
	case obj:
		return true
	case json.RawMessage:
		return len(v) > 0 && v[0] == '{'
	}
	return false
}

func (o obj) isNull(k string) bool {
	v, ok := o[k]
	return !ok || bytes.Equal(o.raw(k), null) && v != nil
}

// sub returns the object under k to modify in place (parsed and stored back when it was
// encoded), or a new empty one stored under k.
func (o obj) sub(k string) obj {
	switch v := o[k].(type) {
	case obj:
		return v
	case json.RawMessage:
		if m := parseObject(v); m != nil {
			o[k] = m
			return m
		}
	}
	m := obj{}
	o[k] = m
	return m
}

func (o obj) encode() []byte { return o.appendTo(make([]byte, 0, 2048)) }

func (o obj) appendTo(b []byte) []byte {
	keys := o.sortedKeys()
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		switch v := o[k].(type) {
		case obj:
			b = v.appendTo(b)
		case json.RawMessage:
			b = append(b, v...)
		default:
			b = append(b, null...)
		}
	}
	return append(b, '}')
}

// keyOrders holds, per member count, the sorted keys of the last object of that size: documents
// share their shape, so most objects find their order here and skip the sort.
var keyOrders [128]atomic.Pointer[[]string]

func (o obj) sortedKeys() []string {
	slot := &keyOrders[min(len(o), len(keyOrders)-1)]
	if p := slot.Load(); p != nil && len(*p) == len(o) && o.hasAll(*p) {
		return *p
	}
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	slot.Store(&keys) // read-only from now on
	return keys
}

func (o obj) hasAll(keys []string) bool {
	for _, k := range keys {
		if _, ok := o[k]; !ok {
			return false
		}
	}
	return true
}

// parseObject reads raw as a JSON object, its values left encoded; nil when it is not one.
func parseObject(raw []byte) obj { return scanObject(raw) }

// idNumber is a numeric id as a JSON number, the way v1.1 writes id next to id_str; null when the
// id is not a twitter snowflake.
func idNumber(id string) json.RawMessage {
	if id == "" || len(id) > 19 || id[0] == '0' && len(id) > 1 { // "007" is no JSON number
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
	return appendString(nil, s)
}

func millis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// hasObject says whether raw holds a JSON object (not null or absent, as a purged post's).
func hasObject(raw []byte) bool {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
		default:
			return c == '{'
		}
	}
	return false
}

// baseStatus is the v1.1 status of t from what PostgreSQL holds alone: the full field set, null
// where the row does not know. A source's own fields overlay it.
func baseStatus(t *Tweet) obj {
	// The full set and the service's field, or with room for what a v1.1 status adds: a map
	// sized for either costs the other its zeroing or its growth.
	top, user := len(FullTweetFields)+4, len(FullUserFields)+1
	if hasObject(t.Raw) {
		top, user = 64, 48
	}
	d := make(obj, top)
	for _, f := range FullTweetFields {
		d[f] = nullV
	}
	d.set("created_at", t.CreatedAt.UTC().Format(TwitterTimeLayout))
	d["id"] = idNumber(t.ID)
	d.set("id_str", t.ID)
	d.set("text", t.Text)
	d.set("truncated", false)
	d["in_reply_to_status_id"] = idNumber(t.ReplyTo)
	d["in_reply_to_status_id_str"] = optString(t.ReplyTo)
	u := make(obj, user)
	for _, f := range FullUserFields {
		u[f] = nullV
	}
	u["id"] = idNumber(t.AuthorID)
	u["id_str"] = optString(t.AuthorID)
	u.set("screen_name", t.Handle)
	d["user"] = u
	d.set("is_quote_status", t.QuoteOf != "")
	if t.QuoteOf != "" {
		d["quoted_status_id"] = idNumber(t.QuoteOf)
		d.set("quoted_status_id_str", t.QuoteOf)
	}
	d.set("retweet_count", t.RetweetCount)
	d.set("quote_count", t.QuoteCount)
	tags := make([]byte, 0, 16+len(t.Hashtags)*24)
	tags = append(tags, '[')
	for i, h := range t.Hashtags {
		if i > 0 {
			tags = append(tags, ',')
		}
		tags = appendString(append(tags, `{"text":`...), h)
		tags = append(tags, '}')
	}
	d["entities"] = obj{"hashtags": json.RawMessage(append(tags, ']')), "user_mentions": emptyV, "urls": emptyV,
		"symbols": emptyV}
	d.set("favorited", false)
	d.set("retweeted", false)
	d["lang"] = optString(t.Lang)
	d.set("timestamp_ms", millis(t.CreatedAt))
	if t.RetweetOf != "" {
		d["retweeted_status"] = obj{"id": idNumber(t.RetweetOf), "id_str": enc(t.RetweetOf),
			"user": obj{"screen_name": optString(t.RetweetOfHandle)}}
	}
	return d
}

func encList(list []obj) json.RawMessage {
	b := []byte{'['}
	for i, o := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = o.appendTo(b)
	}
	return append(b, ']')
}

// overlay copies every field of src over d; the user and entities objects field by field, so
// the full set stays where the source names fewer.
func (d obj) overlay(src obj) {
	for k, v := range src {
		if (k == "user" || k == "entities") && src.isObject(k) {
			u := d.sub(k)
			for uk, uv := range src.sub(k) {
				u[uk] = uv
			}
			continue
		}
		d[k] = v
	}
}

// countOf reads a JSON integer field ("12" or 12), -1 when absent or not one.
func countOf(o obj, k string) int64 {
	v := bytes.Trim(o.raw(k), `"`)
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
			user := raw.raw("user")
			switch {
			case raw["data"] != nil && !raw.isNull("data"):
				d.overlay(fromV2(raw.raw("data"), parseIncludes(raw.raw("includes"))))
			case raw["id_str"] != nil || raw.isObject("user"):
				d.overlay(raw)
			case raw["message"] != nil || len(user) > 0 && user[0] == '"':
				d.overlay(fromLogstashReduced(t.Raw, raw))
			case raw["id"] != nil:
				d.overlay(fromV2(t.Raw, parseIncludes(raw.raw("includes"))))
			}
		}
	}
	if d.isNull("text") {
		d.set("text", t.Text)
	}
	// Counts only rise: retweets and quotes raise what the post itself said.
	d.set("retweet_count", max(countOf(d, "retweet_count"), t.RetweetCount))
	d.set("quote_count", max(countOf(d, "quote_count"), t.QuoteCount))
	// Only a count PostgreSQL knows is worth opening the embedded status for.
	if t.RetweetOf != "" && t.RetweetOfCount > 0 {
		rt := d.sub("retweeted_status")
		rt.set("retweet_count", max(countOf(rt, "retweet_count"), t.RetweetOfCount))
	}
	d.set("@timestamp", t.CreatedAt.UTC().Format(LogstashTimeLayout))
	d.set("@version", "1")
	return d
}
