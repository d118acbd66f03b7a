// Package tweet turns the shapes posts arrive in (X API v2 stream objects, v1.1 statuses, the
// reduced documents Logstash's twitter input writes) into one Post, and extracts and normalizes
// hashtags the way Twitter does.
package tweet

import (
	"encoding/json"
	"time"
)

// Post is one post as the giveaway sees it, whatever shape it arrived in.
type Post struct {
	Network         string    // "twitter" (other networks later: "mastodon", "bluesky")
	ID              string    // the entry's id: for an edited post, the id of its first version
	VersionID       string    // the id of this version (equals ID unless edited)
	AuthorID        string    // numeric user id as text, when known
	Handle          string    // screen name / username without '@', as the source spelled it
	AuthorCreatedAt time.Time // account creation time when the source says (zero otherwise)
	CreatedAt       time.Time // UTC
	Text            string    // the full text (extended_tweet.full_text, note_tweet.text preferred)
	Lang            string
	Hashtags        []string // the post's own hashtags as written, without '#', first occurrence order, no repeats
	Retweet         bool     // a plain retweet: always true when RetweetOf is set, and also for a Logstash reduced document whose text starts "RT @" (that shape names no original)
	RetweetOf       string   // set for a plain retweet when the source names it: the id of the retweeted post
	RetweetOfHandle string
	QuoteOf         string // set for a quote: the id of the quoted post
	ReplyTo         string
	RetweetCount    int64
	QuoteCount      int64
	// RetweetOfCount and QuoteOfCount are the retweet count of the retweeted post and the quote
	// count of the quoted post as this post embedded them (0: not said). They raise the stored
	// original's counts: retweets are how those counts reach us.
	RetweetOfCount int64
	QuoteOfCount   int64
	Raw            json.RawMessage // the line as received
}

// Delete is a stream delete notice.
type Delete struct {
	Network string
	ID      string
}

// Item is one parsed line: exactly one of Post and Delete is set.
type Item struct {
	Post   *Post
	Delete *Delete
}
