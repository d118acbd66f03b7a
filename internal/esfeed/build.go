package esfeed

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/boothgiveaway/giveaway/internal/esdoc"
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

	campaigns, err := loadCampaigns(ctx, tx)
	if err != nil {
		return nil, err
	}
	var items []sendItem

	// Events first: one that involves a claim with a tweet also re-sends that tweet, whose
	// matched_claim may have changed with it.
	evs := map[int64]*esdoc.Event{}
	if len(eventOrder) > 0 {
		rs, err := tx.Query(ctx, query("events"), eventOrder)
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			var e esdoc.Event
			var slug *string
			var tweetNet string
			if err := rs.Scan(&e.AuditID, &e.At, &e.Action, &e.Actor, &e.ClaimID, &slug, &e.ClaimCode,
				&e.Network, &e.Handle, &tweetNet, &e.TweetID, &e.Prize, &e.PrizeName, &e.Staff, &e.VerifiedBy); err != nil {
				rs.Close()
				return nil, err
			}
			if slug != nil {
				e.Campaign = *slug
			}
			evs[e.AuditID] = &e
			if e.TweetID != "" {
				tu := tweetUnit(tweetKey{tweetNet, e.TweetID})
				for _, i := range events[e.AuditID].rows {
					tu.addRow(i, rows[i].id)
				}
			}
		}
		if err := rs.Err(); err != nil {
			return nil, err
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
	rs, err := tx.Query(ctx, query("tweets"), nets, ids)
	if err != nil {
		return nil, err
	}
	for rs.Next() {
		t := &esdoc.Tweet{}
		if err := rs.Scan(&t.Network, &t.ID, &t.AuthorID, &t.Handle, &t.CreatedAt, &t.Text, &t.Lang,
			&t.Hashtags, &t.HashtagsNorm, &t.RetweetOf, &t.RetweetOfHandle, &t.RetweetOfCount,
			&t.QuoteOf, &t.ReplyTo, &t.RetweetCount); err != nil {
			rs.Close()
			return nil, err
		}
		found[tweetKey{t.Network, t.ID}] = t
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	type claimKey struct {
		campaign int64
		tweet    tweetKey
	}
	matched := map[claimKey]*esdoc.Claim{}
	rs, err = tx.Query(ctx, query("matched_claims"), nets, ids)
	if err != nil {
		return nil, err
	}
	for rs.Next() {
		var k claimKey
		var c esdoc.Claim
		if err := rs.Scan(&k.campaign, &k.tweet.network, &k.tweet.id, &c.ID, &c.Code); err != nil {
			rs.Close()
			return nil, err
		}
		if prev := matched[k]; prev == nil || c.ID < prev.ID {
			matched[k] = &c
		}
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}

	hidden := map[claimKey]bool{}
	rs, err = tx.Query(ctx, query("hidden"), nets, ids)
	if err != nil {
		return nil, err
	}
	for rs.Next() {
		var k claimKey
		if err := rs.Scan(&k.campaign, &k.tweet.network, &k.tweet.id); err != nil {
			rs.Close()
			return nil, err
		}
		hidden[k] = true
	}
	if err := rs.Err(); err != nil {
		return nil, err
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
		for _, c := range campaigns {
			if c.purged || !c.c.Matches(t) {
				continue
			}
			tc := *t
			tc.Hidden = hidden[claimKey{c.id, k}]
			doc := esdoc.BuildTweet(&tc, &c.c, matched[claimKey{c.id, k}])
			items = append(items, sendItem{action: "index", index: c.c.TweetsIndex, id: docID,
				version: u.version, body: esdoc.Marshal(doc), rows: u.rows})
		}
	}
	return items, nil
}

func loadCampaigns(ctx context.Context, tx pgx.Tx) ([]campaignRow, error) {
	rs, err := tx.Query(ctx, query("campaigns"))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rs, func(r pgx.CollectableRow) (campaignRow, error) {
		var c campaignRow
		var starts, ends time.Time
		err := r.Scan(&c.id, &c.c.Slug, &c.c.RequiredHashtags, &starts, &ends, &c.c.TweetsIndex, &c.purged)
		c.c.StartsAt, c.c.EndsAt = starts, ends
		if c.c.TweetsIndex == "" {
			c.c.TweetsIndex = esdoc.DefaultTweetsIndex(c.c.Slug)
		}
		return c, err
	})
}
