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
	// Raw is the post as its source sent it (JSON null once purged): the full document is built
	// from it.
	Raw json.RawMessage
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
	ID         int64
	Code       string
	VerifiedBy string // how it was proven: code, handle, oauth, staff
}

// ServiceField is the one top-level field the service's own data sits under, so it never meets
// a field of the v1.1 status (or whatever Logstash adds) in a shared index.
const ServiceField = "giveaway"

// Giveaway is the service's own part of a tweet document.
type Giveaway struct {
	Campaign           string   `json:"campaign"`
	Network            string   `json:"network"`
	HashtagsNormalized []string `json:"hashtags_normalized"`
	IsRetweet          bool     `json:"is_retweet"`
	Eligible           bool     `json:"eligible"`
	Matched            bool     `json:"matched"`
	MatchedClaim       string   `json:"matched_claim,omitempty"`
	MatchedClaimID     string   `json:"matched_claim_id,omitempty"`
	Proof              string   `json:"proof,omitempty"`
	Hidden             bool     `json:"hidden"`
}

// ServiceFields returns the service's part of t's document in campaign c.
func ServiceFields(t *Tweet, c *Campaign, claim *Claim) Giveaway {
	g := Giveaway{Campaign: c.Slug, Network: t.Network, HashtagsNormalized: t.HashtagsNorm,
		IsRetweet: t.RetweetOf != "", Eligible: c.Eligible(t), Hidden: t.Hidden}
	if g.Network == "" {
		g.Network = "twitter"
	}
	if g.HashtagsNormalized == nil {
		g.HashtagsNormalized = []string{}
	}
	if claim != nil {
		g.Matched, g.MatchedClaim, g.MatchedClaimID = true, claim.Code, strconv.FormatInt(claim.ID, 10)
		g.Proof = claim.VerifiedBy
	}
	return g
}

// BuildTweet returns the document of t in campaign c (claim: the claim it verified there, if
// any): the v1.1 status with every field Logstash's full_tweet mode writes (FullTweetFields),
// whatever shape the post arrived in, and the service's fields under ServiceField.
func BuildTweet(t *Tweet, c *Campaign, claim *Claim) json.RawMessage {
	return NewDocument(t).For(c, claim, t.Hidden)
}

// Document is a tweet's v1.1 status, built once (reading its raw JSON) and completed for each
// campaign whose index it goes to.
type Document struct {
	t      *Tweet
	status obj // nil for a plain post, encoded straight from t
}

// NewDocument builds t's status.
func NewDocument(t *Tweet) *Document {
	if plain(t) {
		return &Document{t: t}
	}
	return &Document{t: t, status: fullStatus(t)}
}

// For is the document in campaign c: the status and the service's fields there.
func (d *Document) For(c *Campaign, claim *Claim, hidden bool) json.RawMessage {
	g := ServiceFields(d.t, c, claim)
	g.Hidden = hidden
	if d.status == nil {
		return appendPlain(make([]byte, 0, 1536), d.t, &g)
	}
	d.status[ServiceField] = json.RawMessage(g.appendJSON(make([]byte, 0, 256)))
	return d.status.encode()
}

// appendJSON appends g as json.Marshal writes it (TestGiveawayEncodesAsEncodingJSON), without
// reflection: it is encoded once per document.
func (g *Giveaway) appendJSON(b []byte) []byte {
	b = appendString(append(b, `{"campaign":`...), g.Campaign)
	b = appendString(append(b, `,"network":`...), g.Network)
	b = append(b, `,"hashtags_normalized":`...)
	if g.HashtagsNormalized == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, h := range g.HashtagsNormalized {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, h)
		}
		b = append(b, ']')
	}
	b = strconv.AppendBool(append(b, `,"is_retweet":`...), g.IsRetweet)
	b = strconv.AppendBool(append(b, `,"eligible":`...), g.Eligible)
	b = strconv.AppendBool(append(b, `,"matched":`...), g.Matched)
	if g.MatchedClaim != "" {
		b = appendString(append(b, `,"matched_claim":`...), g.MatchedClaim)
	}
	if g.MatchedClaimID != "" {
		b = appendString(append(b, `,"matched_claim_id":`...), g.MatchedClaimID)
	}
	if g.Proof != "" {
		b = appendString(append(b, `,"proof":`...), g.Proof)
	}
	b = strconv.AppendBool(append(b, `,"hidden":`...), g.Hidden)
	return append(b, '}')
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
	// StockLeft is the event's prize's stock left (-1: the event has no prize).
	StockLeft int64
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
	// StockLeft: the prize's stock left, for the dashboard's stock panel (the latest event of a
	// prize has its current stock).
	StockLeft *int64 `json:"stock_left,omitempty"`
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
	if e.StockLeft >= 0 && e.Prize != "" {
		n := e.StockLeft
		d.StockLeft = &n
	}
	return d
}

// Marshal encodes a document; the builders' types cannot fail to encode.
func Marshal(doc any) []byte {
	if d, ok := doc.(json.RawMessage); ok {
		return d
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic("esdoc: " + err.Error())
	}
	return b
}
