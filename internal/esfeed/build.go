package esfeed

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/boothgiveaway/giveaway/internal/esdoc"
	"github.com/boothgiveaway/giveaway/internal/store"
)

type tweetKey struct{ network, id string }

// unit is one document source (a tweet or an event) and the claimed rows it answers for. Rows
// naming the same thing collapse into one send at the highest version.
type unit struct {
	version int64
	rows    []int
}

func (u *unit) addRow(i int, id int64) {
	u.rows = append(u.rows, i)
	u.version = max(u.version, id)
}

type campaignRow struct {
	id     int64
	c      esdoc.Campaign
	purged bool
}

// build reads the current state of everything the rows name and returns the bulk items.
func (f *Feeder) build(ctx context.Context, tx pgx.Tx, rows []claimedRow) ([]sendItem, error) {
	q := store.New(tx)
	tweets := map[tweetKey]*unit{}
	var tweetOrder []tweetKey
	events := map[int64]*unit{}
	var eventOrder []int64
	tweetUnit := func(k tweetKey) *unit {
		u := tweets[k]
		if u == nil {
			u = &unit{}
			tweets[k] = u
			tweetOrder = append(tweetOrder, k)
		}
		return u
	}
	for i, r := range rows {
		switch r.kind {
		case KindTweet:
			tweetUnit(tweetKey{r.network, r.ref}).addRow(i, r.id)
		case KindEvent:
			id, err := strconv.ParseInt(r.ref, 10, 64)
			if err != nil {
				continue // a malformed ref names nothing; the row is done with no items
			}
			u := events[id]
			if u == nil {
				u = &unit{}
				events[id] = u
				eventOrder = append(eventOrder, id)
			}
			u.addRow(i, r.id)
		}
	}

	campaigns, err := loadCampaigns(ctx, q)
	if err != nil {
		return nil, err
	}
	var items []sendItem

	// Events first: one that involves a claim with a tweet also re-sends that tweet, whose
	// matched_claim may have changed with it.
	evs := map[int64]*esdoc.Event{}
	if len(eventOrder) > 0 {
		rs, err := q.FeedEvents(ctx, eventOrder)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			e := esdoc.Event{AuditID: r.ID, At: r.At, Action: r.Action, Actor: r.Actor, ClaimID: r.ClaimID,
				ClaimCode: r.Code, Network: r.Network, Handle: r.Handle, TweetID: r.TweetID, Prize: r.Prize,
				PrizeName: r.PrizeName, Staff: r.Staff, VerifiedBy: r.VerifiedBy, StockLeft: r.StockLeft}
			if r.Slug != nil {
				e.Campaign = *r.Slug
			}
			evs[e.AuditID] = &e
			if e.TweetID != "" {
				tu := tweetUnit(tweetKey{r.TweetNetwork, e.TweetID})
				for _, i := range events[e.AuditID].rows {
					tu.addRow(i, rows[i].id)
				}
			}
		}
	}
	for _, id := range eventOrder {
		u := events[id]
		e := evs[id]
		docID := strconv.FormatInt(id, 10)
		switch {
		case e == nil:
			// Purged from audit_log: remove it wherever it could be.
			for _, c := range campaigns {
				items = append(items, sendItem{action: "delete", index: esdoc.EventsIndex(c.c.Slug),
					id: docID, version: u.version, rows: u.rows})
			}
		case e.Campaign != "":
			items = append(items, sendItem{action: "index", index: esdoc.EventsIndex(e.Campaign), id: docID,
				version: u.version, body: esdoc.Marshal(esdoc.BuildEvent(e)), rows: u.rows})
		}
		// An event of no campaign belongs in no index: done with no items.
	}

	if len(tweetOrder) == 0 {
		return items, nil
	}
	nets := make([]string, len(tweetOrder))
	ids := make([]string, len(tweetOrder))
	for i, k := range tweetOrder {
		nets[i], ids[i] = k.network, k.id
	}
	found := make(map[tweetKey]*esdoc.Tweet, len(tweetOrder))
	keys := store.FeedTweetsParams{Networks: nets, Ids: ids}
	ts, err := q.FeedTweets(ctx, keys)
	if err != nil {
		return nil, err
	}
	for _, r := range ts {
		found[tweetKey{r.Network, r.ID}] = &esdoc.Tweet{Network: r.Network, ID: r.ID, AuthorID: r.AuthorID,
			Handle: r.Handle, CreatedAt: r.CreatedAt, Text: r.Text, Lang: r.Lang, Hashtags: r.Hashtags,
			HashtagsNorm: r.HashtagsNorm, RetweetOf: r.RetweetOf, RetweetOfHandle: r.RetweetOfHandle,
			RetweetOfCount: r.RetweetOfCount, QuoteOf: r.QuoteOf, ReplyTo: r.ReplyTo, RetweetCount: r.RetweetCount,
			QuoteCount: r.QuoteCount, Raw: []byte(r.Raw)}
	}
	type claimKey struct {
		campaign int64
		tweet    tweetKey
	}
	matched := map[claimKey]*esdoc.Claim{}
	cs, err := q.FeedMatchedClaims(ctx, store.FeedMatchedClaimsParams(keys))
	if err != nil {
		return nil, err
	}
	for _, r := range cs {
		k := claimKey{r.CampaignID, tweetKey{r.TweetNetwork, r.TweetID}}
		if prev := matched[k]; prev == nil || r.ID < prev.ID {
			matched[k] = &esdoc.Claim{ID: r.ID, Code: r.Code, VerifiedBy: r.VerifiedBy}
		}
	}

	hidden := map[claimKey]bool{}
	hs, err := q.FeedHiddenPosts(ctx, store.FeedHiddenPostsParams(keys))
	if err != nil {
		return nil, err
	}
	for _, r := range hs {
		hidden[claimKey{r.CampaignID, tweetKey{r.Network, r.PostID}}] = true
	}

	for _, k := range tweetOrder {
		u := tweets[k]
		docID := esdoc.DocID(k.network, k.id)
		t := found[k]
		if t == nil {
			// Deleted (or never stored): its hashtags are gone with it, so delete it from every
			// campaign's tweets index it could be in.
			seen := map[string]bool{}
			for _, c := range campaigns {
				if !seen[c.c.TweetsIndex] {
					seen[c.c.TweetsIndex] = true
					items = append(items, sendItem{action: "delete", index: c.c.TweetsIndex, id: docID,
						version: u.version, rows: u.rows})
				}
			}
			continue
		}
		var doc *esdoc.Document // built once, from the raw JSON, for every campaign it goes to
		for _, c := range campaigns {
			if c.purged || !c.c.Matches(t) {
				continue
			}
			if doc == nil {
				doc = esdoc.NewDocument(t)
			}
			body := doc.For(&c.c, matched[claimKey{c.id, k}], hidden[claimKey{c.id, k}])
			items = append(items, sendItem{action: "index", index: c.c.TweetsIndex, id: docID,
				version: u.version, body: body, rows: u.rows})
		}
	}
	return items, nil
}

func loadCampaigns(ctx context.Context, q *store.Queries) ([]campaignRow, error) {
	rs, err := q.FeedCampaigns(ctx)
	if err != nil {
		return nil, err
	}
	cs := make([]campaignRow, len(rs))
	for i, r := range rs {
		cs[i] = campaignRow{id: r.ID, purged: r.Purged, c: esdoc.Campaign{Slug: r.Slug,
			RequiredHashtags: r.RequiredHashtags, StartsAt: r.StartsAt, EndsAt: r.EndsAt, TweetsIndex: r.TweetsIndex}}
		if cs[i].c.TweetsIndex == "" {
			cs[i].c.TweetsIndex = esdoc.DefaultTweetsIndex(r.Slug)
		}
	}
	return cs, nil
}
