package bluesky

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/boothgiveaway/giveaway/internal/tweet"
)

const (
	postCollection = "app.bsky.feed.post"
	network        = "bluesky"
)

// jsEvent is a Jetstream message as sent: https://github.com/bluesky-social/jetstream#example-events.
type jsEvent struct {
	Did      string    `json:"did"`
	TimeUS   int64     `json:"time_us"`
	Kind     string    `json:"kind"`
	Commit   *jsCommit `json:"commit"`
	Identity *struct {
		Did    string `json:"did"`
		Handle string `json:"handle"`
	} `json:"identity"`
}

type jsCommit struct {
	Operation  string          `json:"operation"`
	Collection string          `json:"collection"`
	RKey       string          `json:"rkey"`
	Record     json.RawMessage `json:"record"`
}

// postRecord is the part of an app.bsky.feed.post record the giveaway reads.
type postRecord struct {
	Type      string   `json:"$type"`
	CreatedAt string   `json:"createdAt"`
	Text      string   `json:"text"`
	Langs     []string `json:"langs"`
	Facets    []struct {
		Index struct {
			ByteStart int `json:"byteStart"`
			ByteEnd   int `json:"byteEnd"`
		} `json:"index"`
		Features []struct {
			Type string `json:"$type"`
			Tag  string `json:"tag"`
		} `json:"features"`
	} `json:"facets"`
	Tags  []string `json:"tags"`
	Reply *struct {
		Parent struct {
			URI string `json:"uri"`
		} `json:"parent"`
	} `json:"reply"`
	Embed *struct {
		Type   string          `json:"$type"`
		Record json.RawMessage `json:"record"`
	} `json:"embed"`
}

// event is one Jetstream message as the processor needs it. Every message that carries a time
// becomes one, so the processor knows how far the cursor may move.
type event struct {
	timeUS int64
	kind   string      // commit, identity, account, other
	post   *tweet.Post // a create or update carrying a listening campaign's hashtags
	// update is an edit that no longer carries them: passed on only for a post we store, so the
	// stored copy does not keep hashtags its author removed.
	update   *tweet.Post
	deleteID string // at-uri of a deleted post
	identity *identity
}

type identity struct {
	did, handle string // handle "": the event names none, so the cached one is in doubt
}

// errBad marks a message that is not a Jetstream event we can read.
var errBad = errors.New("bluesky: malformed Jetstream message")

func badf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errBad}, args...)...)
}

// parseEvent reads one message. keep says whether a post's hashtags interest a listening
// campaign; it runs before the post is built, so the firehose's other posts cost little.
func parseEvent(msg []byte, keep func(norm []string) bool, now time.Time) (event, error) {
	var e jsEvent
	if err := json.Unmarshal(msg, &e); err != nil {
		return event{}, badf("%v", err)
	}
	if e.TimeUS <= 0 {
		return event{}, badf("no time_us")
	}
	// The cursor follows the newest time_us seen; one far in the future would park it there.
	if e.TimeUS > now.Add(time.Hour).UnixMicro() {
		return event{}, badf("time_us %d is in the future", e.TimeUS)
	}
	ev := event{timeUS: e.TimeUS, kind: "other"}
	switch e.Kind {
	case "commit", "identity", "account":
		ev.kind = e.Kind
	}
	switch e.Kind {
	case "identity":
		if e.Identity == nil || !validDID(e.Did) {
			return ev, badf("identity event without identity")
		}
		ev.identity = &identity{did: e.Did, handle: strings.ToLower(strings.TrimSpace(e.Identity.Handle))}
		return ev, nil
	case "commit":
	default:
		return ev, nil // account status, heartbeats, kinds added later: only the time matters
	}
	c := e.Commit
	if c == nil || !validDID(e.Did) || c.RKey == "" || strings.ContainsAny(c.RKey, "/?#") {
		return ev, badf("commit event without did, commit or rkey")
	}
	if c.Collection != postCollection {
		return ev, nil // wantedCollections should spare us these
	}
	uri := "at://" + e.Did + "/" + postCollection + "/" + c.RKey
	switch c.Operation {
	case "delete":
		ev.deleteID = uri
		return ev, nil
	case "create", "update":
	default:
		return ev, badf("unknown operation %q", c.Operation)
	}
	var r postRecord
	if err := json.Unmarshal(c.Record, &r); err != nil {
		return ev, badf("post record: %v", err)
	}
	tags := postHashtags(&r)
	if !keep(normalized(tags)) {
		if c.Operation == "update" {
			ev.update = r.post(e, uri, tags, msg)
		}
		return ev, nil
	}
	ev.post = r.post(e, uri, tags, msg)
	return ev, nil
}

func (r *postRecord) post(e jsEvent, uri string, tags []string, msg []byte) *tweet.Post {
	p := &tweet.Post{
		Network:   network,
		ID:        uri,
		VersionID: versionID(e.TimeUS),
		AuthorID:  e.Did,
		Handle:    e.Did, // until resolved
		CreatedAt: createdAt(r.CreatedAt, e.TimeUS),
		Text:      strings.ReplaceAll(r.Text, "\x00", ""),
		Hashtags:  tags,
		Raw:       json.RawMessage(msg),
	}
	// PostgreSQL's jsonb refuses \u0000, and one refused post would hold up the whole stream.
	if bytes.Contains(msg, []byte(`\u0000`)) {
		p.Raw = nil
	}
	if len(r.Langs) > 0 {
		p.Lang = r.Langs[0]
	}
	if r.Reply != nil {
		p.ReplyTo = r.Reply.Parent.URI
	}
	if r.Embed != nil {
		p.QuoteOf = quotedURI(r.Embed.Type, r.Embed.Record)
	}
	return p
}

// versionID is time_us at a fixed width: the database orders version ids by (length, text), and
// an update is a newer version of the same post.
func versionID(timeUS int64) string {
	return fmt.Sprintf("%020d", timeUS)
}

// createdAt is the record's own time, which the author's client sets. It is trusted only near the
// time Jetstream saw the record: a clock far ahead, or a backdated record (archive imports),
// must not land inside a campaign window it was not posted in.
func createdAt(s string, timeUS int64) time.Time {
	seen := time.UnixMicro(timeUS).UTC()
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return seen
	}
	t = t.UTC()
	if t.After(seen.Add(5*time.Minute)) || t.Before(seen.Add(-time.Hour)) {
		return seen
	}
	return t
}

// quotedURI is the post a quote embeds: app.bsky.embed.record holds a strongRef, and
// app.bsky.embed.recordWithMedia wraps that in one more "record".
func quotedURI(typ string, rec json.RawMessage) string {
	var ref struct {
		URI    string `json:"uri"`
		Record *struct {
			URI string `json:"uri"`
		} `json:"record"`
	}
	if len(rec) == 0 || json.Unmarshal(rec, &ref) != nil {
		return ""
	}
	switch typ {
	case "app.bsky.embed.record":
		return ref.URI
	case "app.bsky.embed.recordWithMedia":
		if ref.Record != nil {
			return ref.Record.URI
		}
	}
	return ""
}

// postHashtags lists a post's hashtags as written, first occurrence first, without repeats after
// normalization: the tag facets (what the author's app linked), then the record's tags (hashtags
// not shown in the text), and only when there are neither, the ones in the text.
func postHashtags(r *postRecord) []string {
	var tags []string
	seen := map[string]bool{}
	add := func(t string) {
		t = strings.TrimSpace(strings.ReplaceAll(t, "\x00", ""))
		t = strings.TrimLeft(t, "#＃")
		if n := tweet.Normalize(t); n != "" && !seen[n] {
			seen[n] = true
			tags = append(tags, t)
		}
	}
	for _, f := range r.Facets {
		for _, ft := range f.Features {
			if ft.Type != "app.bsky.richtext.facet#tag" {
				continue
			}
			tag := ft.Tag
			// Offsets are UTF-8 bytes into the text; when they cover "#tag" as written, that
			// spelling wins (the feature's value is what the app derived from it).
			if w, ok := written(r.Text, f.Index.ByteStart, f.Index.ByteEnd); ok &&
				(tag == "" || tweet.Normalize(w) == tweet.Normalize(tag)) {
				tag = w
			}
			add(tag)
		}
	}
	for _, t := range r.Tags {
		add(t)
	}
	if len(tags) == 0 {
		return tweet.ExtractHashtags(r.Text)
	}
	return tags
}

// written is the hashtag the facet's byte range covers, without its '#', when the range is sane.
func written(text string, start, end int) (string, bool) {
	if start < 0 || end > len(text) || start >= end {
		return "", false
	}
	s := text[start:end]
	if !utf8.ValidString(s) {
		return "", false // the range cuts a character: offsets from a buggy client
	}
	rest, ok := strings.CutPrefix(s, "#")
	if !ok {
		rest, ok = strings.CutPrefix(s, "＃")
	}
	return rest, ok && rest != ""
}

// validDID accepts the did:plc and did:web forms atproto uses, loosely: it only keeps junk out
// of at-uris and AppView queries.
func validDID(s string) bool {
	if len(s) > 2048 || !strings.HasPrefix(s, "did:") {
		return false
	}
	method, id, ok := strings.Cut(s[4:], ":")
	if !ok || method == "" || id == "" {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r > '~' || strings.ContainsRune("/?#\"\\", r) {
			return false
		}
	}
	return true
}

func normalized(tags []string) []string {
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = tweet.Normalize(t)
	}
	return out
}

func parseCursor(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bluesky: saved cursor %q is not a time_us", s)
	}
	return n, nil
}
