package mastodon

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/html"

	"github.com/boothgiveaway/giveaway/internal/mastodon/tagname"
	"github.com/boothgiveaway/giveaway/internal/tweet"
)

// status is the part of Mastodon's Status entity the giveaway reads; REST and streaming send the
// same shape.
type status struct {
	ID           string          `json:"id"`  // instance-local, orders the timelines
	URI          string          `json:"uri"` // global: the same post on every instance
	CreatedAt    time.Time       `json:"created_at"`
	EditedAt     *time.Time      `json:"edited_at"`
	InReplyToID  *string         `json:"in_reply_to_id"`
	Language     *string         `json:"language"`
	Content      string          `json:"content"` // HTML
	ReblogsCount int64           `json:"reblogs_count"`
	Reblog       json.RawMessage `json:"reblog"` // null unless a boost
	Account      struct {
		ID        string `json:"id"`
		Acct      string `json:"acct"` // "user" for a local account, "user@domain" for a remote one
		CreatedAt string `json:"created_at"`
	} `json:"account"`
	Tags []statusTag `json:"tags"`
}

type statusTag struct {
	Name string `json:"name"`
}

var errNotStatus = errors.New("not a Mastodon status")

func parseStatus(b []byte) (*status, error) {
	var s status
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	if s.ID == "" || s.URI == "" || s.Account.Acct == "" || s.CreatedAt.IsZero() {
		return nil, errNotStatus
	}
	return &s, nil
}

func (s *status) boost() bool { return len(s.Reblog) > 0 && string(s.Reblog) != "null" }

// tagNames returns the status's tags as Mastodon names them. A status whose tags[] is empty (a
// server that leaves it out) is read for the hashtags in its text instead, named the same way.
func (s *status) tagNames() []string {
	var from []string
	for _, t := range s.Tags {
		from = append(from, t.Name)
	}
	if len(from) == 0 {
		from = tweet.ExtractHashtags(htmlText(s.Content))
	}
	out := make([]string, 0, len(from))
	for _, t := range from {
		if n := tagname.Name(t); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// versionFormat is fixed-width, because the database orders versions as (length, text).
const versionFormat = "2006-01-02T15:04:05.000000Z"

// post converts a status for the ingest path. domain is the instance's own account domain: a
// local account's acct lacks it, while claims name the full user@domain.
func (s *status) post(raw []byte, domain string) *tweet.Post {
	handle := s.Account.Acct
	if !strings.Contains(handle, "@") {
		handle += "@" + domain
	}
	version := s.CreatedAt
	if s.EditedAt != nil && s.EditedAt.After(version) {
		version = *s.EditedAt
	}
	text := htmlText(s.Content)
	p := &tweet.Post{
		Network:      "mastodon",
		ID:           s.URI,
		VersionID:    version.UTC().Format(versionFormat),
		AuthorID:     s.Account.ID,
		Handle:       handle,
		CreatedAt:    s.CreatedAt.UTC(),
		Text:         text,
		Hashtags:     hashtagsAsWritten(text, s.Tags),
		RetweetCount: s.ReblogsCount,
		Raw:          json.RawMessage(raw),
	}
	if t, err := time.Parse(time.RFC3339, s.Account.CreatedAt); err == nil {
		p.AuthorCreatedAt = t.UTC()
	}
	if s.Language != nil {
		p.Lang = *s.Language
	}
	if s.InReplyToID != nil {
		p.ReplyTo = *s.InReplyToID
	}
	return p
}

// hashtagsAsWritten lists the status's tags (Mastodon's own extraction decides which there are;
// with none given, the text's) spelled as the author wrote them in the text, since Mastodon
// sends its normalized names ("blahaj" for #BLÅHAJ).
func hashtagsAsWritten(text string, tags []statusTag) []string {
	if len(tags) == 0 {
		return tweet.ExtractHashtags(text)
	}
	want := make(map[string]string, len(tags))
	var order []string
	for _, t := range tags {
		n := tagname.Name(t.Name)
		if n == "" {
			continue
		}
		if _, dup := want[n]; !dup {
			want[n] = t.Name
			order = append(order, n)
		}
	}
	out := make([]string, 0, len(order))
	for _, h := range tweet.ExtractHashtags(text) {
		n := tagname.Name(h)
		if _, ok := want[n]; ok {
			out = append(out, h)
			delete(want, n)
		}
	}
	for _, n := range order {
		if name, ok := want[n]; ok {
			out = append(out, name)
		}
	}
	return out
}

// withCampaignSpelling adds to tags each of the campaign's tags that Mastodon counts as present
// but the shared comparison (tweet.Normalize, which keeps accents) would not find: a post saying
// #PyConEspana carries Mastodon's tag "pyconespana", which is the campaign's #PyConEspaña there.
func withCampaignSpelling(tags, campaign []string) []string {
	have := make(map[string]bool, len(tags))
	for _, t := range tags {
		have[tweet.Normalize(t)] = true
	}
	for _, c := range campaign {
		if n := tweet.Normalize(c); n != "" && !have[n] {
			tags = append(tags, c)
			have[n] = true
		}
	}
	return tags
}

// idNewer compares instance-local status ids: numbers of up to 19 digits, so a longer id is newer
// and ids of equal length compare as text, like the database's id_newer.
func idNewer(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

func numericID(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// htmlText turns a status's HTML into the plain text a reader sees: paragraphs apart by a blank
// line, <br> as a line break, entities decoded, and links in full (Mastodon hides parts of long
// URLs in "invisible" spans, which are still the URL).
func htmlText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	// breakTo ends the text so far with at least n newlines (none at the very start).
	breakTo := func(n int) {
		if b.Len() == 0 {
			return
		}
		str := b.String()
		have := len(str) - len(strings.TrimRight(str, "\n"))
		for ; have < n; have++ {
			b.WriteByte('\n')
		}
	}
	skip := 0 // inside <script> or <style>, which a sanitized status never has, but a remote one might
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.TrimSpace(b.String())
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "br":
				b.WriteByte('\n')
			case "p", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6":
				breakTo(2)
			case "li":
				breakTo(1)
			case "script", "style":
				skip++
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "p", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6":
				breakTo(2)
			case "script", "style":
				skip = max(0, skip-1)
			}
		}
	}
}
