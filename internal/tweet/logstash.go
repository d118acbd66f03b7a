package tweet

import (
	"encoding/json"
	"strings"
)

// logstashDoc is what Logstash's twitter input writes with full_tweet => false
// (lib/logstash/inputs/twitter.rb, from_tweet): message = the full text, user = the screen
// name, source = "http://twitter.com/USER/status/ID", hashtags = the tweet's hashtag entities.
// Its "retweeted" field is the authenticating user's flag, so it is not read.
type logstashDoc struct {
	Message   string          `json:"message"`
	User      string          `json:"user"`
	Timestamp string          `json:"@timestamp"`
	Source    string          `json:"source"`
	Hashtags  []hashtagEntity `json:"hashtags"`
	InReplyTo flexID          `json:"in-reply-to"`
}

func parseLogstash(line []byte) (*Post, error) {
	var d logstashDoc
	if err := json.Unmarshal(line, &d); err != nil {
		return nil, invalidf("Logstash document: %v", err)
	}
	return d.post()
}

func (d *logstashDoc) post() (*Post, error) {
	urlHandle, urlID := parseStatusURL(d.Source)
	p := &Post{Text: d.Message, ID: urlID, VersionID: urlID}
	if p.ID == "" {
		return nil, invalidf("Logstash document: missing id (source %q is not a status URL)", d.Source)
	}
	if p.Handle = cleanHandle(d.User); p.Handle == "" {
		p.Handle = urlHandle
	}
	if p.Handle == "" {
		return nil, invalidf("Logstash document %s: missing author handle (user)", p.ID)
	}
	var ok bool
	if p.CreatedAt, ok = parseTime(d.Timestamp); !ok {
		return nil, invalidf("Logstash document %s: missing or invalid @timestamp %q", p.ID, d.Timestamp)
	}
	if d.Hashtags != nil {
		p.Hashtags = entityTags(d.Hashtags)
	} else {
		p.Hashtags = ExtractHashtags(p.Text)
	}
	// This shape names no retweeted status; the "RT @" prefix that X puts on a retweet's text
	// is the only sign left.
	if h, ok := retweetHandle(p.Text); ok {
		p.Retweet = true
		p.RetweetOfHandle = h
	}
	p.ReplyTo = firstID(string(d.InReplyTo))
	return p, nil
}

// parseStatusURL takes "http(s)://twitter.com/USER/status/ID" (or x.com, or /statuses/) apart.
func parseStatusURL(u string) (handle, id string) {
	u = strings.TrimSpace(u)
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	parts := strings.Split(strings.Trim(u, "/"), "/")
	for i := 1; i+1 < len(parts); i++ {
		if parts[i] == "status" || parts[i] == "statuses" {
			if validID(parts[i+1]) {
				return cleanHandle(parts[i-1]), parts[i+1]
			}
		}
	}
	return "", ""
}

// parseDelete reads the value of a "delete" key: the v1.1 stream's {"status": {"id_str": ...}}
// or the flatter {"id_str": ...} some relays write.
func parseDelete(b json.RawMessage) (*Delete, error) {
	type ids struct {
		ID    flexID `json:"id"`
		IDStr string `json:"id_str"`
	}
	var d struct {
		ids
		Status *ids `json:"status"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, invalidf("delete notice: %v", err)
	}
	id := firstID(d.IDStr, string(d.ID))
	if d.Status != nil {
		id = firstID(d.Status.IDStr, string(d.Status.ID), id)
	}
	if id == "" {
		return nil, invalidf("delete notice: missing id")
	}
	return &Delete{Network: "twitter", ID: id}, nil
}
