package tweet

import "encoding/json"

// v1Status is the v1.1 status, as X's v1.1 API returned it and as Logstash's twitter input
// stores it with full_tweet => true (which adds @timestamp). Only what the giveaway reads is
// declared.
type v1Status struct {
	ID                   flexID         `json:"id"`
	IDStr                string         `json:"id_str"`
	CreatedAt            string         `json:"created_at"`
	TimestampMS          flexID         `json:"timestamp_ms"`
	AtTimestamp          string         `json:"@timestamp"`
	Text                 string         `json:"text"`
	FullText             string         `json:"full_text"` // tweet_mode=extended
	ExtendedTweet        *v1Extended    `json:"extended_tweet"`
	Entities             *v1Entities    `json:"entities"`
	User                 *v1User        `json:"user"`
	RetweetedStatus      *v1Ref         `json:"retweeted_status"`
	QuotedStatusIDStr    string         `json:"quoted_status_id_str"`
	QuotedStatusID       flexID         `json:"quoted_status_id"`
	QuotedStatus         *v1Ref         `json:"quoted_status"`
	InReplyToStatusIDStr string         `json:"in_reply_to_status_id_str"`
	InReplyToStatusID    flexID         `json:"in_reply_to_status_id"`
	RetweetCount         flexInt        `json:"retweet_count"`
	QuoteCount           flexInt        `json:"quote_count"`
	Lang                 string         `json:"lang"`
	EditHistory          *v1EditHistory `json:"edit_history"`
}

// v1Extended holds the untruncated text of a status longer than 140 characters.
type v1Extended struct {
	FullText string      `json:"full_text"`
	Entities *v1Entities `json:"entities"`
}

type v1Entities struct {
	Hashtags []hashtagEntity `json:"hashtags"` // nil when absent, so "none found" and "not extracted" differ
}

type v1User struct {
	ID         flexID `json:"id"`
	IDStr      string `json:"id_str"`
	ScreenName string `json:"screen_name"`
	CreatedAt  string `json:"created_at"`
}

// v1Ref is the little we need from an embedded retweeted or quoted status. Its entities are
// deliberately not read: a quoted post's hashtags are not the quoter's.
type v1Ref struct {
	ID           flexID         `json:"id"`
	IDStr        string         `json:"id_str"`
	User         *v1User        `json:"user"`
	RetweetCount flexInt        `json:"retweet_count"`
	QuoteCount   flexInt        `json:"quote_count"`
	EditHistory  *v1EditHistory `json:"edit_history"`
}

// entryID is the id the embedded post is stored under: its first version's when edited.
func (r *v1Ref) entryID() string {
	if r.EditHistory != nil {
		if first := firstID(string(r.EditHistory.InitialTweetID)); first != "" {
			return first
		}
	}
	return firstID(r.IDStr, string(r.ID))
}

// v1EditHistory appears on v1.1 statuses created after editing launched.
type v1EditHistory struct {
	InitialTweetID flexID `json:"initial_tweet_id"`
}

func parseV1(line []byte) (*Post, error) {
	var s v1Status
	if err := json.Unmarshal(line, &s); err != nil {
		return nil, invalidf("v1.1 status: %v", err)
	}
	return s.post()
}

func (s *v1Status) post() (*Post, error) {
	p := &Post{Lang: s.Lang, RetweetCount: int64(s.RetweetCount), QuoteCount: int64(s.QuoteCount)}

	p.VersionID = firstID(s.IDStr, string(s.ID))
	if p.VersionID == "" {
		return nil, invalidf("v1.1 status: missing id (id_str, or an integer id)")
	}
	p.ID = p.VersionID
	if s.EditHistory != nil {
		if first := firstID(string(s.EditHistory.InitialTweetID)); first != "" {
			p.ID = first
		}
	}

	if s.User != nil {
		p.Handle = cleanHandle(s.User.ScreenName)
		p.AuthorID = firstID(s.User.IDStr, string(s.User.ID))
		p.AuthorCreatedAt, _ = parseTime(s.User.CreatedAt)
	}
	if p.Handle == "" {
		return nil, invalidf("v1.1 status %s: missing author handle (user.screen_name)", p.ID)
	}

	var ok bool
	if p.CreatedAt, ok = parseTime(s.CreatedAt); !ok {
		if p.CreatedAt, ok = parseMillis(string(s.TimestampMS)); !ok {
			if p.CreatedAt, ok = parseTime(s.AtTimestamp); !ok {
				return nil, invalidf("v1.1 status %s: missing or invalid created_at %q", p.ID, s.CreatedAt)
			}
		}
	}

	// The longest text wins: extended_tweet (streamed truncated tweets), then full_text
	// (extended mode), then text. Entities must come from the same place as the text.
	var ents *v1Entities
	switch {
	case s.ExtendedTweet != nil && s.ExtendedTweet.FullText != "":
		p.Text, ents = s.ExtendedTweet.FullText, s.ExtendedTweet.Entities
	case s.FullText != "":
		p.Text, ents = s.FullText, s.Entities
	default:
		p.Text, ents = s.Text, s.Entities
	}
	if ents != nil && ents.Hashtags != nil {
		p.Hashtags = entityTags(ents.Hashtags)
	} else {
		p.Hashtags = ExtractHashtags(p.Text)
	}

	// retweeted_status, not the boolean "retweeted" (which says whether the *authenticating*
	// user retweeted it), is what makes a status a plain retweet.
	if rt := s.RetweetedStatus; rt != nil {
		p.Retweet = true
		p.RetweetOf = rt.entryID()
		p.RetweetOfCount = int64(rt.RetweetCount)
		if rt.User != nil {
			p.RetweetOfHandle = cleanHandle(rt.User.ScreenName)
		}
	}
	p.QuoteOf = firstID(s.QuotedStatusIDStr, string(s.QuotedStatusID))
	if qs := s.QuotedStatus; qs != nil {
		if id := qs.entryID(); id != "" && (p.QuoteOf == "" || p.QuoteOf == firstID(qs.IDStr, string(qs.ID))) {
			p.QuoteOf = id
			p.QuoteOfCount = int64(qs.QuoteCount)
		}
	}
	p.ReplyTo = firstID(s.InReplyToStatusIDStr, string(s.InReplyToStatusID))
	return p, nil
}
