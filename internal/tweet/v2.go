package tweet

import "encoding/json"

// v2Tweet is an X API v2 post object. X answers in two vocabularies now ("tweet" and "post"),
// so each renamed field is declared under both names and merged in post().
type v2Tweet struct {
	ID                  flexID      `json:"id"`
	Text                string      `json:"text"`
	AuthorID            flexID      `json:"author_id"`
	CreatedAt           string      `json:"created_at"`
	Lang                string      `json:"lang"`
	NoteTweet           *v2Note     `json:"note_tweet"`
	NotePost            *v2Note     `json:"note_post"`
	Entities            *v2Entities `json:"entities"`
	ReferencedTweets    []v2Ref     `json:"referenced_tweets"`
	ReferencedPosts     []v2Ref     `json:"referenced_posts"`
	PublicMetrics       *v2Metrics  `json:"public_metrics"`
	EditHistoryTweetIDs []flexID    `json:"edit_history_tweet_ids"`
	EditHistoryPostIDs  []flexID    `json:"edit_history_post_ids"`
	Username            string      `json:"username"` // some exporters put the handle on the post itself
	Author              *v2User     `json:"author"`   // twarc's flattened output embeds the author
	Includes            *v2Includes `json:"includes"` // only for the bare shape; the envelope has its own
}

// v2Note is the full text of a long post; the post's own text is then truncated.
type v2Note struct {
	Text     string      `json:"text"`
	Entities *v2Entities `json:"entities"`
}

type v2Entities struct {
	Hashtags []hashtagEntity `json:"hashtags"` // nil when absent: v2 omits empty arrays
}

type v2Ref struct {
	Type string `json:"type"` // "retweeted", "quoted", "replied_to"
	ID   flexID `json:"id"`
}

type v2Metrics struct {
	RetweetCount flexInt `json:"retweet_count"`
	RepostCount  flexInt `json:"repost_count"`
	QuoteCount   flexInt `json:"quote_count"`
}

// retweets is the retweet count under either vocabulary.
func (m *v2Metrics) retweets() int64 {
	if m == nil {
		return 0
	}
	return max(int64(m.RetweetCount), int64(m.RepostCount))
}

// entryID is the id the post is stored under: its first version's when edited.
func (t *v2Tweet) entryID() string {
	history := t.EditHistoryTweetIDs
	if len(history) == 0 {
		history = t.EditHistoryPostIDs
	}
	if len(history) > 0 {
		if first := firstID(string(history[0])); first != "" {
			return first
		}
	}
	return firstID(string(t.ID))
}

type v2User struct {
	ID        flexID `json:"id"`
	Username  string `json:"username"`
	CreatedAt string `json:"created_at"`
}

type v2Includes struct {
	Users  []v2User  `json:"users"`
	Tweets []v2Tweet `json:"tweets"`
	Posts  []v2Tweet `json:"posts"`
}

func (in *v2Includes) user(id string) *v2User {
	if in == nil || id == "" {
		return nil
	}
	for i := range in.Users {
		if string(in.Users[i].ID) == id {
			return &in.Users[i]
		}
	}
	return nil
}

func (in *v2Includes) tweet(id string) *v2Tweet {
	if in == nil || id == "" {
		return nil
	}
	for _, list := range [][]v2Tweet{in.Tweets, in.Posts} {
		for i := range list {
			if string(list[i].ID) == id {
				return &list[i]
			}
		}
	}
	return nil
}

// parseV2Envelope reads a filtered-stream object: {"data": {...}, "includes": {...},
// "matching_rules": [...]}. matching_rules is ignored on purpose: eligibility is decided from
// the post itself, never from which rule matched.
func parseV2Envelope(line []byte) (*Post, error) {
	var env struct {
		Data     json.RawMessage `json:"data"`
		Includes *v2Includes     `json:"includes"`
	}
	if err := json.Unmarshal(line, &env); err != nil {
		return nil, invalidf("v2 object: %v", err)
	}
	if !isObject(env.Data) {
		return nil, invalidf("v2 object: data is not a single post object")
	}
	var t v2Tweet
	if err := json.Unmarshal(env.Data, &t); err != nil {
		return nil, invalidf("v2 object: %v", err)
	}
	return t.post(env.Includes)
}

// parseV2Bare reads a v2 post object without the "data" wrapper, as some exporters write it.
func parseV2Bare(line []byte) (*Post, error) {
	var t v2Tweet
	if err := json.Unmarshal(line, &t); err != nil {
		return nil, invalidf("v2 post: %v", err)
	}
	return t.post(t.Includes)
}

func (t *v2Tweet) post(in *v2Includes) (*Post, error) {
	p := &Post{Lang: t.Lang, AuthorID: firstID(string(t.AuthorID))}

	p.VersionID = firstID(string(t.ID))
	if p.VersionID == "" {
		return nil, invalidf("v2 post: missing id")
	}
	// An edited post stays one entry: it is keyed by its first version.
	p.ID = t.entryID()

	author := in.user(p.AuthorID)
	if author == nil && t.Author != nil {
		author = t.Author
	}
	if author != nil {
		p.Handle = cleanHandle(author.Username)
		p.AuthorCreatedAt, _ = parseTime(author.CreatedAt)
		if p.AuthorID == "" {
			p.AuthorID = firstID(string(author.ID))
		}
	}
	if p.Handle == "" {
		p.Handle = cleanHandle(t.Username)
	}
	if p.Handle == "" {
		return nil, invalidf("v2 post %s: missing author handle (no includes.users entry for author_id %q)", p.ID, p.AuthorID)
	}

	var ok bool
	if p.CreatedAt, ok = parseTime(t.CreatedAt); !ok {
		return nil, invalidf("v2 post %s: missing or invalid created_at %q", p.ID, t.CreatedAt)
	}

	// A long post's text and hashtags live in note_tweet (or note_post); the top-level text is
	// cut short and its entities cover only the cut.
	text, ents := t.Text, t.Entities
	if note := t.NoteTweet; note != nil && note.Text != "" {
		text, ents = note.Text, note.Entities
	} else if note := t.NotePost; note != nil && note.Text != "" {
		text, ents = note.Text, note.Entities
	}
	p.Text = text
	if ents != nil && ents.Hashtags != nil {
		p.Hashtags = entityTags(ents.Hashtags)
	} else {
		p.Hashtags = ExtractHashtags(text)
	}

	if m := t.PublicMetrics; m != nil {
		p.RetweetCount = m.retweets()
		p.QuoteCount = int64(m.QuoteCount)
	}

	refs := t.ReferencedTweets
	if len(refs) == 0 {
		refs = t.ReferencedPosts
	}
	for _, r := range refs {
		id := firstID(string(r.ID))
		switch r.Type {
		case "retweeted", "reposted":
			p.Retweet = true
			p.RetweetOf = id
			if orig := in.tweet(id); orig != nil {
				p.RetweetOf = firstID(orig.entryID(), id)
				p.RetweetOfCount = orig.PublicMetrics.retweets()
				if u := in.user(string(orig.AuthorID)); u != nil {
					p.RetweetOfHandle = cleanHandle(u.Username)
				}
			}
			if p.RetweetOfHandle == "" {
				p.RetweetOfHandle, _ = retweetHandle(t.Text)
			}
		case "quoted":
			p.QuoteOf = id
			if orig := in.tweet(id); orig != nil {
				p.QuoteOf = firstID(orig.entryID(), id)
				if orig.PublicMetrics != nil {
					p.QuoteOfCount = int64(orig.PublicMetrics.QuoteCount)
				}
			}
		case "replied_to":
			p.ReplyTo = id
		}
	}
	return p, nil
}
