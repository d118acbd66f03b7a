// Package esdoc builds the Elasticsearch documents the feed sends and the index templates that map
// them. Tweet documents keep the v1.1 status field names that Logstash's twitter input stored with
// full_tweet, so classic Kibana Twitter dashboards keep working whatever shape a post arrived in.
package esdoc

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// TwitterTimeLayout is how v1.1 statuses spell created_at.
const TwitterTimeLayout = "Mon Jan 02 15:04:05 -0700 2006"

// DefaultTweetsIndex is the tweets index of a campaign that names none.
func DefaultTweetsIndex(slug string) string { return "twitter-" + slug }

// EventsIndex is the giveaway events index of a campaign. One index per campaign (not one shared
// index) so purging a campaign is a single index delete; the data view spans giveaway-events-*.
func EventsIndex(slug string) string { return "giveaway-events-" + slug }

// DocID is the _id of a post: the tweet id for twitter, so a replay of a Logstash-fed index lands on
// the same documents; other networks are prefixed because their ids could collide with tweet ids.
func DocID(network, id string) string {
	if network == "" || network == "twitter" {
		return id
	}
	return network + ":" + id
}

// Tweet is one stored post as the feed reads it from PostgreSQL.
type Tweet struct {
	Network         string
	ID              string
	AuthorID        string
	Handle          string
	CreatedAt       time.Time
	Text            string
	Lang            string
	Hashtags        []string // as written
	HashtagsNorm    []string // NFKC, lower-case
	RetweetOf       string
	RetweetOfHandle string
	// RetweetOfCount is the retweeted post's retweet count when known (-1: unknown).
	RetweetOfCount int64
	QuoteOf        string
	ReplyTo        string
	RetweetCount   int64
	QuoteCount     int64
	Hidden         bool
}

// Campaign is what a tweet document needs to know about the campaign whose index it goes to.
type Campaign struct {
	Slug             string
	RequiredHashtags []string // normalized
	StartsAt, EndsAt time.Time
	TweetsIndex      string
}

// Matches reports whether the tweet belongs in the campaign's index: it carries any tracked hashtag.
func (c Campaign) Matches(t *Tweet) bool {
	for _, h := range t.HashtagsNorm {
		for _, r := range c.RequiredHashtags {
			if h == r {
				return true
			}
		}
	}
	return false
}

// Eligible reports whether the tweet counts for the campaign: every required hashtag, the author's
// own post (not a plain retweet), inside the window.
func (c Campaign) Eligible(t *Tweet) bool {
	if t.RetweetOf != "" || t.CreatedAt.Before(c.StartsAt) || !t.CreatedAt.Before(c.EndsAt) {
		return false
	}
	for _, r := range c.RequiredHashtags {
		found := false
		for _, h := range t.HashtagsNorm {
			if h == r {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Claim is the claim a tweet verified in a campaign.
type Claim struct {
	ID   int64
	Code string
}

type tweetUser struct {
	ScreenName string `json:"screen_name"`
	IDStr      string `json:"id_str,omitempty"`
}

type hashtag struct {
	Text string `json:"text"`
}

type retweeted struct {
	IDStr string `json:"id_str"`
	User  struct {
		ScreenName string `json:"screen_name,omitempty"`
	} `json:"user"`
	RetweetCount *int64 `json:"retweet_count,omitempty"`
}

// TweetDoc is the tweet document; field names follow the v1.1 status.
type TweetDoc struct {
	Timestamp            string     `json:"@timestamp"`
	IDStr                string     `json:"id_str"`
	Text                 string     `json:"text"`
	CreatedAt            string     `json:"created_at"`
	User                 tweetUser  `json:"user"`
	Entities             entities   `json:"entities"`
	RetweetedStatus      *retweeted `json:"retweeted_status,omitempty"`
	RetweetCount         int64      `json:"retweet_count"`
	QuoteCount           int64      `json:"quote_count"`
	Lang                 string     `json:"lang,omitempty"`
	InReplyToStatusIDStr string     `json:"in_reply_to_status_id_str,omitempty"`
	QuotedStatusIDStr    string     `json:"quoted_status_id_str,omitempty"`
	HashtagsNormalized   []string   `json:"hashtags_normalized"`
	Network              string     `json:"network"`
	IsRetweet            bool       `json:"is_retweet"`
	Eligible             bool       `json:"eligible"`
	Matched              bool       `json:"matched"`
	MatchedClaim         string     `json:"matched_claim,omitempty"`
	MatchedClaimID       string     `json:"matched_claim_id,omitempty"`
	Campaign             string     `json:"campaign"`
	Hidden               bool       `json:"hidden"`
}

type entities struct {
	Hashtags []hashtag `json:"hashtags"`
}

// BuildTweet returns the document of t in campaign c; claim is the claim it verified there, if any.
func BuildTweet(t *Tweet, c *Campaign, claim *Claim) TweetDoc {
	d := TweetDoc{
		Timestamp:            t.CreatedAt.UTC().Format(time.RFC3339Nano),
		IDStr:                t.ID,
		Text:                 t.Text,
		CreatedAt:            t.CreatedAt.UTC().Format(TwitterTimeLayout),
		User:                 tweetUser{ScreenName: t.Handle, IDStr: t.AuthorID},
		Entities:             entities{Hashtags: make([]hashtag, len(t.Hashtags))},
		RetweetCount:         t.RetweetCount,
		QuoteCount:           t.QuoteCount,
		Lang:                 t.Lang,
		InReplyToStatusIDStr: t.ReplyTo,
		QuotedStatusIDStr:    t.QuoteOf,
		HashtagsNormalized:   t.HashtagsNorm,
		Network:              t.Network,
		IsRetweet:            t.RetweetOf != "",
		Eligible:             c.Eligible(t),
		Campaign:             c.Slug,
		Hidden:               t.Hidden,
	}
	for i, h := range t.Hashtags {
		d.Entities.Hashtags[i] = hashtag{Text: h}
	}
	if d.HashtagsNormalized == nil {
		d.HashtagsNormalized = []string{}
	}
	if t.RetweetOf != "" {
		rt := &retweeted{IDStr: t.RetweetOf}
		rt.User.ScreenName = t.RetweetOfHandle
		if t.RetweetOfCount >= 0 {
			n := t.RetweetOfCount
			rt.RetweetCount = &n
		}
		d.RetweetedStatus = rt
	}
	if claim != nil {
		d.Matched = true
		d.MatchedClaim = claim.Code
		d.MatchedClaimID = strconv.FormatInt(claim.ID, 10)
	}
	return d
}

// Event is one audit_log row of a giveaway action, joined with its claim and campaign.
type Event struct {
	AuditID   int64
	At        time.Time
	Action    string
	Actor     string
	Campaign  string
	ClaimID   int64 // 0: none
	ClaimCode string
	Network   string
	Handle    string
	TweetID   string
	Prize     string
	PrizeName string
	Staff     string
	// VerifiedBy is how the claim was proven (code, handle, oauth, staff): what a verification
	// event recorded, else the claim's.
	VerifiedBy string
}

// EventDoc is the giveaway event document.
type EventDoc struct {
	Timestamp string `json:"@timestamp"`
	At        string `json:"at"`
	AuditID   string `json:"audit_id"`
	Action    string `json:"action"`
	Actor     string `json:"actor,omitempty"`
	Campaign  string `json:"campaign"`
	ClaimID   string `json:"claim_id,omitempty"`
	ClaimCode string `json:"claim_code,omitempty"`
	Network   string `json:"network,omitempty"`
	Handle    string `json:"handle,omitempty"`
	TweetID   string `json:"tweet_id,omitempty"`
	Prize     string `json:"prize,omitempty"`
	PrizeName string `json:"prize_name,omitempty"`
	Staff     string `json:"staff,omitempty"`
	// VerifiedBy: how the event's claim was proven.
	VerifiedBy string `json:"verified_by,omitempty"`
}

// BuildEvent returns the document of e.
func BuildEvent(e *Event) EventDoc {
	at := e.At.UTC().Format(time.RFC3339Nano)
	d := EventDoc{
		Timestamp: at, At: at, AuditID: strconv.FormatInt(e.AuditID, 10), Action: e.Action,
		Actor: e.Actor, Campaign: e.Campaign, ClaimCode: e.ClaimCode, Network: e.Network,
		Handle: strings.TrimPrefix(e.Handle, "@"), TweetID: e.TweetID, Prize: e.Prize,
		PrizeName: e.PrizeName, Staff: e.Staff, VerifiedBy: e.VerifiedBy,
	}
	if e.ClaimID != 0 {
		d.ClaimID = strconv.FormatInt(e.ClaimID, 10)
	}
	return d
}

// Marshal encodes a document; the builders' types cannot fail to encode.
func Marshal(doc any) []byte {
	if d, ok := doc.(TweetDoc); ok {
		return d.AppendJSON(make([]byte, 0, 512))
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic("esdoc: " + err.Error())
	}
	return b
}
