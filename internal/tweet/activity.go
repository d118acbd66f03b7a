package tweet

import (
	"bytes"
	"encoding/json"
)

// EventError is an event of an Account Activity delivery that could not be read; Index counts
// from 0 over the creates, then the deletes.
type EventError struct {
	Index int
	Err   error
}

// ParseAccountActivity reads a delivery of X's Account Activity webhooks:
//
//	{"for_user_id": "…", "tweet_create_events": [v1.1 status, …],
//	 "tweet_delete_events": [{"status": {"id": "…", "user_id": "…"}, "timestamp_ms": "…"}, …]}
//
// ok is false when body is not such an envelope (a plain post, for Parse). Events the giveaway
// has no use for (likes, follows, messages) yield no items. Each bad event is reported, in order,
// by its position in the envelope (creates first, then deletes) and does not spoil the others.
func ParseAccountActivity(body []byte) (items []Item, bad []EventError, ok bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, nil, false
	}
	var env struct {
		ForUserID *json.RawMessage  `json:"for_user_id"`
		Creates   []json.RawMessage `json:"tweet_create_events"`
		Deletes   []json.RawMessage `json:"tweet_delete_events"`
	}
	if json.Unmarshal(body, &env) != nil || env.ForUserID == nil {
		return nil, nil, false
	}
	for i, raw := range env.Creates {
		it, err := Parse(raw)
		if err == nil && it.Post == nil {
			err = invalidf("tweet_create_events holds something that is not a post")
		}
		if err != nil {
			bad = append(bad, EventError{i, err})
			continue
		}
		items = append(items, it)
	}
	for i, raw := range env.Deletes {
		d, err := parseDelete(raw)
		if err != nil {
			bad = append(bad, EventError{len(env.Creates) + i, err})
			continue
		}
		items = append(items, Item{Delete: d})
	}
	return items, bad, true
}
