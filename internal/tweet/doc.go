package tweet

import (
	"bytes"
	"encoding/json"
)

// doc is every top-level key that any accepted shape reads, each with the type its shape gives
// it, so a well-typed line is decoded in one pass (see Parse). Pointers tell a key that is
// present from one that is absent or null: presence is what tells the shapes apart.
type doc struct {
	// What tells the shapes apart.
	Delete     json.RawMessage `json:"delete"`
	Errors     json.RawMessage `json:"errors"`
	Title      json.RawMessage `json:"title"`
	Detail     json.RawMessage `json:"detail"`
	Disconnect json.RawMessage `json:"disconnect"`
	Data       v2Data          `json:"data"` // the v2 envelope's post
	ID         optID           `json:"id"`
	IDStr      optString       `json:"id_str"`
	User       userField       `json:"user"` // an object in v1.1, a string in Logstash's documents
	Message    optString       `json:"message"`
	Text       optString       `json:"text"`
	AuthorID   optID           `json:"author_id"`

	// Shared by v1.1 and v2 (and @timestamp by v1.1 and Logstash).
	CreatedAt   string      `json:"created_at"`
	Lang        string      `json:"lang"`
	Entities    *v1Entities `json:"entities"`
	AtTimestamp string      `json:"@timestamp"`
	Includes    *v2Includes `json:"includes"`

	// v1.1 (v1Status).
	TimestampMS          flexID         `json:"timestamp_ms"`
	FullText             string         `json:"full_text"`
	ExtendedTweet        *v1Extended    `json:"extended_tweet"`
	RetweetedStatus      *v1Ref         `json:"retweeted_status"`
	QuotedStatusIDStr    string         `json:"quoted_status_id_str"`
	QuotedStatusID       flexID         `json:"quoted_status_id"`
	QuotedStatus         *v1Ref         `json:"quoted_status"`
	InReplyToStatusIDStr string         `json:"in_reply_to_status_id_str"`
	InReplyToStatusID    flexID         `json:"in_reply_to_status_id"`
	RetweetCount         flexInt        `json:"retweet_count"`
	QuoteCount           flexInt        `json:"quote_count"`
	EditHistory          *v1EditHistory `json:"edit_history"`

	// v2 without the envelope (v2Tweet).
	NoteTweet           *v2Note    `json:"note_tweet"`
	NotePost            *v2Note    `json:"note_post"`
	ReferencedTweets    []v2Ref    `json:"referenced_tweets"`
	ReferencedPosts     []v2Ref    `json:"referenced_posts"`
	PublicMetrics       *v2Metrics `json:"public_metrics"`
	EditHistoryTweetIDs []flexID   `json:"edit_history_tweet_ids"`
	EditHistoryPostIDs  []flexID   `json:"edit_history_post_ids"`
	Username            string     `json:"username"`
	Author              *v2User    `json:"author"`

	// Logstash's reduced document (logstashDoc).
	Source    string          `json:"source"`
	Hashtags  []hashtagEntity `json:"hashtags"`
	InReplyTo flexID          `json:"in-reply-to"`
}

// userField is "user": a v1.1 user object or a Logstash screen name. Any other type fails the
// one-pass decode. A repeated key is read as each shape's own struct reads it (the last object
// merged into the earlier ones, null clearing an object but not a string), and seen remembers
// every type the key had, since a type a shape cannot take refuses the line.
type userField struct {
	obj  *v1User
	str  string
	last byte // the last value: 0 null, 'o' object, 's' string
	seen byte // 'o' and 's' bits: 1 object, 2 string
}

func (u *userField) UnmarshalJSON(b []byte) error {
	switch b = bytes.TrimSpace(b); {
	case len(b) > 0 && b[0] == '{':
		if u.obj == nil {
			u.obj = new(v1User)
		}
		u.last, u.seen = 'o', u.seen|1
		return u.obj.UnmarshalJSON(b)
	case len(b) > 0 && b[0] == '"':
		u.last, u.seen = 's', u.seen|2
		return unquote(b, &u.str)
	case string(b) == "null":
		u.obj, u.last = nil, 0
		return nil
	}
	return &json.UnmarshalTypeError{Value: "user", Field: "user"}
}

// optString is a string key whose presence tells shapes apart: present means its last value
// was not null (a null leaves the string as it was, as encoding/json does).
type optString struct {
	s       string
	present bool
}

func (o *optString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		o.present = false
		return nil
	}
	o.present = true
	return unquote(b, &o.s)
}

// optID is an id key whose presence tells shapes apart, as optString.
type optID struct {
	id      flexID
	present bool
}

func (o *optID) UnmarshalJSON(b []byte) error {
	o.present = string(bytes.TrimSpace(b)) != "null"
	return o.id.UnmarshalJSON(b)
}

// v2Data is the envelope's "data": decoded afresh each time the key appears, as a RawMessage
// then decoded would be (a repeated key is replaced, not merged).
type v2Data struct {
	t       *v2Tweet
	present bool // the last value was not null
}

func (d *v2Data) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = v2Data{}
		return nil
	}
	if !isObject(b) {
		return &json.UnmarshalTypeError{Value: "data", Field: "data"}
	}
	d.t, d.present = new(v2Tweet), true
	return json.Unmarshal(b, d.t)
}

// unquote decodes the JSON string literal b (already validated by the decoder that hands it
// over) into s, copying the bytes when nothing is escaped.
func unquote(b []byte, s *string) error {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && bytes.IndexByte(b, '\\') < 0 {
		*s = string(b[1 : len(b)-1])
		return nil
	}
	return json.Unmarshal(b, s)
}

// item tells the shape apart by the same rules, in the same order, as parseByShape, and builds
// the shape's post from the one decode.
func (d *doc) item(line []byte) (Item, error) {
	has := func(v json.RawMessage) bool { return len(v) > 0 && !isNull(v) }
	var (
		p   *Post
		err error
	)
	switch {
	case has(d.Delete):
		del, err := parseDelete(d.Delete)
		if err != nil {
			return Item{}, err
		}
		return Item{Delete: del}, nil
	case d.Data.present:
		p, err = d.Data.t.post(d.Includes)
	case has(d.Errors):
		return Item{}, streamErrorf("%s", v2ErrorSummary(d.Errors))
	case has(d.Title) && has(d.Detail) && !d.ID.present && !d.IDStr.present:
		return Item{}, streamErrorf("%s", v2ErrorSummary(line))
	case has(d.Disconnect):
		return Item{}, streamErrorf("v1.1 disconnect notice: %s", bytes.TrimSpace(d.Disconnect))
	case d.IDStr.present || d.User.last == 'o':
		if d.User.seen&2 != 0 { // a v1.1 user is never a string: refused by the shape's own rules
			return parseByShape(line)
		}
		p, err = d.v1().post()
	case d.Message.present || d.User.last == 's':
		if d.User.seen&1 != 0 { // a Logstash user is never an object
			return parseByShape(line)
		}
		p, err = d.logstash().post()
	case d.ID.present && (d.Text.present || d.AuthorID.present):
		p, err = d.v2().post(d.Includes)
	default:
		return Item{}, invalidf("unrecognized object: not a v2 stream object, v1.1 status, Logstash document or delete notice")
	}
	return finish(p, err, append(json.RawMessage(nil), line...))
}

func (d *doc) v1() *v1Status {
	return &v1Status{
		ID: d.ID.id, IDStr: d.IDStr.s, CreatedAt: d.CreatedAt, TimestampMS: d.TimestampMS,
		AtTimestamp: d.AtTimestamp, Text: d.Text.s, FullText: d.FullText, ExtendedTweet: d.ExtendedTweet,
		Entities: d.Entities, User: d.User.obj, RetweetedStatus: d.RetweetedStatus,
		QuotedStatusIDStr: d.QuotedStatusIDStr, QuotedStatusID: d.QuotedStatusID, QuotedStatus: d.QuotedStatus,
		InReplyToStatusIDStr: d.InReplyToStatusIDStr, InReplyToStatusID: d.InReplyToStatusID,
		RetweetCount: d.RetweetCount, QuoteCount: d.QuoteCount, Lang: d.Lang, EditHistory: d.EditHistory,
	}
}

func (d *doc) v2() *v2Tweet {
	return &v2Tweet{
		ID: d.ID.id, Text: d.Text.s, AuthorID: d.AuthorID.id, CreatedAt: d.CreatedAt, Lang: d.Lang,
		NoteTweet: d.NoteTweet, NotePost: d.NotePost, Entities: (*v2Entities)(d.Entities),
		ReferencedTweets: d.ReferencedTweets, ReferencedPosts: d.ReferencedPosts, PublicMetrics: d.PublicMetrics,
		EditHistoryTweetIDs: d.EditHistoryTweetIDs, EditHistoryPostIDs: d.EditHistoryPostIDs,
		Username: d.Username, Author: d.Author, Includes: d.Includes,
	}
}

func (d *doc) logstash() *logstashDoc {
	return &logstashDoc{
		Message: d.Message.s, User: d.User.str, Timestamp: d.AtTimestamp, Source: d.Source,
		Hashtags: d.Hashtags, InReplyTo: d.InReplyTo,
	}
}
