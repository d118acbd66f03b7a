package tweet

import "testing"

func TestAccountActivityEnvelope(t *testing.T) {
	body := []byte(`{"for_user_id":"2244994945",
	  "tweet_create_events":[
	    {"created_at":"Wed Aug 31 05:03:00 +0000 2016","id":770837000000000001,"id_str":"770837000000000001",
	     "text":"부스 방문! #PyConAPAC #Elastic","user":{"id_str":"9","screen_name":"jisu"},
	     "entities":{"hashtags":[{"text":"PyConAPAC"},{"text":"Elastic"}]}},
	    {"nonsense":true}],
	  "tweet_delete_events":[{"status":{"id":"770837000000000002","user_id":"9"},"timestamp_ms":"1472619780000"}]}`)
	items, bad, ok := ParseAccountActivity(body)
	if !ok {
		t.Fatal("not recognised as an Account Activity delivery")
	}
	if len(items) != 2 || items[0].Post == nil || items[0].Post.Handle != "jisu" || len(items[0].Post.Hashtags) != 2 {
		t.Fatalf("items %+v", items)
	}
	if d := items[1].Delete; d == nil || d.ID != "770837000000000002" || d.Network != "twitter" {
		t.Errorf("delete %+v", items[1])
	}
	if len(bad) != 1 || bad[0].Index != 1 || bad[0].Err == nil {
		t.Errorf("bad %v, want event 1", bad)
	}

	// Events the giveaway ignores: recognised, nothing to store.
	items, bad, ok = ParseAccountActivity([]byte(`{"for_user_id":"1","favorite_events":[{"id":"x"}]}`))
	if !ok || len(items) != 0 || len(bad) != 0 {
		t.Errorf("likes only: %v %v %v", items, bad, ok)
	}
	// A plain post is not an envelope.
	if _, _, ok := ParseAccountActivity([]byte(`{"id_str":"1","text":"hi","user":{"screen_name":"a"}}`)); ok {
		t.Error("a plain status taken for an envelope")
	}
}
