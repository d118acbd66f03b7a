package esdoc

import (
	"encoding/json"
	"strings"
	"time"
)

// X API v2 posts, read only to be written back under the v1.1 names. X answers in two
// vocabularies ("tweet" and "post"); both are read.
type v2Post struct {
	ID               string                     `json:"id"`
	Text             string                     `json:"text"`
	AuthorID         string                     `json:"author_id"`
	CreatedAt        string                     `json:"created_at"`
	Lang             string                     `json:"lang"`
	Source           string                     `json:"source"`
	InReplyToUserID  string                     `json:"in_reply_to_user_id"`
	NoteTweet        *v2Note                    `json:"note_tweet"`
	NotePost         *v2Note                    `json:"note_post"`
	Entities         *v2Entities                `json:"entities"`
	ReferencedTweets []v2Ref                    `json:"referenced_tweets"`
	ReferencedPosts  []v2Ref                    `json:"referenced_posts"`
	PublicMetrics    map[string]json.RawMessage `json:"public_metrics"`
	Geo              *struct {
		PlaceID     string          `json:"place_id"`
		Coordinates json.RawMessage `json:"coordinates"`
	} `json:"geo"`
	Username string  `json:"username"`
	Author   *v2User `json:"author"`
	// Fields with no v1.1 name, kept as they came (see v2Only).
	ConversationID      json.RawMessage `json:"conversation_id"`
	EditHistoryTweetIDs json.RawMessage `json:"edit_history_tweet_ids"`
	EditHistoryPostIDs  json.RawMessage `json:"edit_history_post_ids"`
	EditControls        json.RawMessage `json:"edit_controls"`
	ReplySettings       json.RawMessage `json:"reply_settings"`
	ContextAnnotations  json.RawMessage `json:"context_annotations"`
	PossiblySensitive   json.RawMessage `json:"possibly_sensitive"`
}

// v2Only are the v2 fields with no v1.1 counterpart, kept under their own names.
func (p *v2Post) v2Only() map[string]json.RawMessage {
	return map[string]json.RawMessage{"conversation_id": p.ConversationID,
		"edit_history_tweet_ids": p.EditHistoryTweetIDs, "edit_history_post_ids": p.EditHistoryPostIDs,
		"edit_controls": p.EditControls, "reply_settings": p.ReplySettings,
		"context_annotations": p.ContextAnnotations, "possibly_sensitive": p.PossiblySensitive}
}

type v2Note struct {
	Text     string      `json:"text"`
	Entities *v2Entities `json:"entities"`
}

type v2Entity struct {
	Start       int    `json:"start"`
	End         int    `json:"end"`
	Tag         string `json:"tag"`
	Username    string `json:"username"`
	ID          string `json:"id"`
	URL         string `json:"url"`
	ExpandedURL string `json:"expanded_url"`
	DisplayURL  string `json:"display_url"`
}

type v2Entities struct {
	Hashtags []v2Entity `json:"hashtags"`
	Mentions []v2Entity `json:"mentions"`
	URLs     []v2Entity `json:"urls"`
	Cashtags []v2Entity `json:"cashtags"`
}

type v2Ref struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type v2User struct {
	ID              string                     `json:"id"`
	Name            string                     `json:"name"`
	Username        string                     `json:"username"`
	CreatedAt       string                     `json:"created_at"`
	Description     string                     `json:"description"`
	Location        string                     `json:"location"`
	URL             string                     `json:"url"`
	Verified        *bool                      `json:"verified"`
	Protected       *bool                      `json:"protected"`
	ProfileImageURL string                     `json:"profile_image_url"`
	PublicMetrics   map[string]json.RawMessage `json:"public_metrics"`
}

type v2Place struct {
	ID          string `json:"id"`
	FullName    string `json:"full_name"`
	Name        string `json:"name"`
	Country     string `json:"country"`
	CountryCode string `json:"country_code"`
	PlaceType   string `json:"place_type"`
	Geo         *struct {
		BBox []float64 `json:"bbox"`
	} `json:"geo"`
}

type v2Includes struct {
	Users  []v2User          `json:"users"`
	Tweets []json.RawMessage `json:"tweets"`
	Posts  []json.RawMessage `json:"posts"`
	Places []v2Place         `json:"places"`
}

func parseIncludes(raw json.RawMessage) *v2Includes {
	var in v2Includes
	if len(raw) > 0 {
		json.Unmarshal(raw, &in)
	}
	return &in
}

func (in *v2Includes) user(id string) *v2User {
	for i := range in.Users {
		if id != "" && in.Users[i].ID == id {
			return &in.Users[i]
		}
	}
	return nil
}

func (in *v2Includes) post(id string) json.RawMessage {
	for _, list := range [][]json.RawMessage{in.Tweets, in.Posts} {
		for _, raw := range list {
			var p struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(raw, &p) == nil && p.ID == id && id != "" {
				return raw
			}
		}
	}
	return nil
}

func v2Time(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	return t.UTC(), err == nil
}

func metric(m map[string]json.RawMessage, names ...string) json.RawMessage {
	for _, n := range names {
		if v, ok := m[n]; ok && len(v) > 0 {
			return v
		}
	}
	return null
}

// fromV2 writes a v2 post (with its includes) as a v1.1 status: the fields v1.1 has under their
// v1.1 names, the v2 fields without a counterpart under their own.
func fromV2(data []byte, in *v2Includes) obj {
	d := obj{}
	var p v2Post
	if len(data) == 0 || json.Unmarshal(data, &p) != nil {
		return d
	}
	for k, v := range p.v2Only() {
		if len(v) > 0 {
			d[k] = v
		}
	}
	if p.AuthorID != "" {
		d.set("author_id", p.AuthorID)
	}
	if p.PublicMetrics != nil {
		d.set("public_metrics", p.PublicMetrics)
	}
	d["id"] = idNumber(p.ID)
	d.set("id_str", p.ID)
	text, ents := p.Text, p.Entities
	for _, n := range []*v2Note{p.NoteTweet, p.NotePost} {
		if n != nil && n.Text != "" {
			text, ents = n.Text, n.Entities
			break
		}
	}
	d.set("text", text)
	if t, ok := v2Time(p.CreatedAt); ok {
		d.set("created_at", t.Format(TwitterTimeLayout))
		d.set("timestamp_ms", millis(t))
	}
	d["lang"] = optString(p.Lang)
	d["source"] = optString(p.Source)
	if p.PublicMetrics != nil {
		d["retweet_count"] = metric(p.PublicMetrics, "retweet_count", "repost_count")
		d["favorite_count"] = metric(p.PublicMetrics, "like_count")
		d["quote_count"] = metric(p.PublicMetrics, "quote_count")
		d["reply_count"] = metric(p.PublicMetrics, "reply_count")
	}
	author := in.user(p.AuthorID)
	if author == nil {
		author = p.Author
	}
	if author == nil && p.Username != "" {
		author = &v2User{ID: p.AuthorID, Username: p.Username}
	}
	if author != nil {
		d["user"] = v1User(author)
	}
	if p.InReplyToUserID != "" {
		d["in_reply_to_user_id"] = idNumber(p.InReplyToUserID)
		d.set("in_reply_to_user_id_str", p.InReplyToUserID)
		if u := in.user(p.InReplyToUserID); u != nil {
			d.set("in_reply_to_screen_name", u.Username)
		}
	}
	refs := p.ReferencedTweets
	if len(refs) == 0 {
		refs = p.ReferencedPosts
	}
	d.set("is_quote_status", false)
	for _, r := range refs {
		switch r.Type {
		case "replied_to":
			d["in_reply_to_status_id"] = idNumber(r.ID)
			d.set("in_reply_to_status_id_str", r.ID)
		case "quoted":
			d.set("is_quote_status", true)
			d["quoted_status_id"] = idNumber(r.ID)
			d.set("quoted_status_id_str", r.ID)
			if q := in.post(r.ID); q != nil {
				d["quoted_status"] = embedded(q, in)
			}
		case "retweeted", "reposted":
			rt := obj{"id": idNumber(r.ID), "id_str": enc(r.ID)}
			if o := in.post(r.ID); o != nil {
				rt = embedded(o, in)
			}
			d["retweeted_status"] = rt
		}
	}
	d["entities"] = v1Entities(ents)
	if p.Geo != nil {
		if len(p.Geo.Coordinates) > 0 && string(p.Geo.Coordinates) != "null" {
			// v2's Point is GeoJSON, [longitude, latitude], as v1.1's coordinates are.
			d["coordinates"] = p.Geo.Coordinates
		}
		for _, pl := range in.Places {
			if pl.ID == p.Geo.PlaceID && pl.ID != "" {
				d["place"] = v1Place(&pl)
			}
		}
	}
	return d
}

// embedded is an included post as the v1.1 status embeds a retweeted or quoted one.
func embedded(o json.RawMessage, in *v2Includes) obj {
	e := fromV2(o, in)
	delete(e, "retweeted_status")
	delete(e, "quoted_status")
	return e
}

func v1User(u *v2User) obj {
	o := obj{"id": idNumber(u.ID), "id_str": optString(u.ID), "screen_name": enc(u.Username),
		"name": optString(u.Name), "description": optString(u.Description), "location": optString(u.Location),
		"url": optString(u.URL), "profile_image_url_https": optString(u.ProfileImageURL)}
	if t, ok := v2Time(u.CreatedAt); ok {
		o.set("created_at", t.Format(TwitterTimeLayout))
	}
	if u.Verified != nil {
		o.set("verified", *u.Verified)
	}
	if u.Protected != nil {
		o.set("protected", *u.Protected)
	}
	if m := u.PublicMetrics; m != nil {
		o["followers_count"] = metric(m, "followers_count")
		o["friends_count"] = metric(m, "following_count")
		o["statuses_count"] = metric(m, "tweet_count", "post_count")
		o["listed_count"] = metric(m, "listed_count")
		o["favourites_count"] = metric(m, "like_count")
	}
	return o
}

func v1Entities(e *v2Entities) obj {
	if e == nil {
		e = &v2Entities{}
	}
	list := func(es []v2Entity, f func(x v2Entity) obj) json.RawMessage {
		out := make([]obj, len(es))
		for i, x := range es {
			out[i] = f(x)
			out[i].set("indices", []int{x.Start, x.End})
		}
		return encList(out)
	}
	return obj{
		"hashtags": list(e.Hashtags, func(x v2Entity) obj { return obj{"text": enc(x.Tag)} }),
		"symbols":  list(e.Cashtags, func(x v2Entity) obj { return obj{"text": enc(x.Tag)} }),
		"user_mentions": list(e.Mentions, func(x v2Entity) obj {
			return obj{"screen_name": enc(x.Username), "id": idNumber(x.ID), "id_str": optString(x.ID)}
		}),
		"urls": list(e.URLs, func(x v2Entity) obj {
			return obj{"url": enc(x.URL), "expanded_url": optString(x.ExpandedURL), "display_url": optString(x.DisplayURL)}
		}),
	}
}

func v1Place(p *v2Place) obj {
	o := obj{"id": enc(p.ID), "full_name": optString(p.FullName), "name": optString(p.Name),
		"country": optString(p.Country), "country_code": optString(p.CountryCode), "place_type": optString(p.PlaceType)}
	if p.Geo != nil && len(p.Geo.BBox) == 4 {
		w, s, e, n := p.Geo.BBox[0], p.Geo.BBox[1], p.Geo.BBox[2], p.Geo.BBox[3]
		o.set("bounding_box", map[string]any{"type": "Polygon",
			"coordinates": [][][]float64{{{w, s}, {e, s}, {e, n}, {w, n}}}})
	}
	return o
}

// fromLogstashReduced maps what Logstash's twitter input writes with full_tweet => false
// (message, user as the screen name, client, retweeted, source as the status URL, hashtags,
// symbols, user_mentions, urls as strings, in-reply-to) to the v1.1 names.
func fromLogstashReduced(line []byte, raw obj) obj {
	var r struct {
		Message   string          `json:"message"`
		User      string          `json:"user"`
		Client    string          `json:"client"`
		Retweeted *bool           `json:"retweeted"`
		InReplyTo json.RawMessage `json:"in-reply-to"`
		URLs      []string        `json:"urls"`
	}
	d := obj{}
	if json.Unmarshal(line, &r) != nil {
		return d
	}
	d.set("text", r.Message)
	d["user"] = obj{"screen_name": enc(strings.TrimPrefix(r.User, "@"))}
	d["source"] = optString(r.Client)
	if r.Retweeted != nil {
		d.set("retweeted", *r.Retweeted)
	}
	if id := strings.Trim(string(r.InReplyTo), `"`); id != "" && id != "null" {
		d["in_reply_to_status_id"] = idNumber(id)
		d.set("in_reply_to_status_id_str", id)
	}
	ents := obj{}
	for _, k := range []string{"hashtags", "symbols", "user_mentions"} {
		if v := raw.raw(k); len(v) > 0 && v[0] == '[' {
			ents[k] = v
		}
	}
	if len(r.URLs) > 0 {
		urls := make([]obj, len(r.URLs))
		for i, u := range r.URLs {
			urls[i] = obj{"expanded_url": enc(u)}
		}
		ents["urls"] = encList(urls)
	}
	if len(ents) > 0 {
		d["entities"] = ents
	}
	return d
}
