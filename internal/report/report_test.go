package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/net/html"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/report"
)

// fixture is one PyCon APAC day (2016-08-14, Asia/Seoul) with the edges that matter: gives just
// before and after local midnight (the 00:01 one is still the 14th in UTC), an undone give,
// manual claims on instagram and facebook, a rejected and a pending claim, a give and a claim on
// the days around, Korean hashtags, a retweet, and a second campaign that must not leak in.
const fixture = `
INSERT INTO campaigns (slug, name, required_hashtags, display_hashtags, starts_at, ends_at, time_zone, tweets_index)
VALUES ('pyconapac2016', 'PyCon APAC 2016', '{pyconapac,elastic}', '{PyConAPAC,Elastic}',
        '2016-08-13 00:00+09', '2016-08-16 00:00+09', 'Asia/Seoul', 'twitter-pyconapac2016'),
       ('other', 'Other', '{other}', '{Other}', '2016-08-01 00:00Z', '2016-09-01 00:00Z', 'UTC', 'twitter-other');

INSERT INTO prizes (campaign_id, key, name, stock, stock_left) VALUES
  (1, 'tshirt', 'T-shirt 티셔츠', 10, 8),
  (1, 'sticker', 'Sticker pack', 100, 98),
  (1, 'mug', 'Elastic mug', 3, 1),
  (2, 'pen', 'Pen', 50, 49);

INSERT INTO claims (campaign_id, network, handle, handle_norm, post_url, code, status, manual, verified_at, verified_by, created_at) VALUES
  (1, 'twitter',   'Alice',      'alice',     NULL, 'ALICE2', 'given',    false, '2016-08-14 08:05+09', 'handle', '2016-08-14 08:00+09'),
  (1, 'twitter',   'bob',        'bob',       NULL, 'BOBBY3', 'given',    false, '2016-08-14 10:06+09', 'code',   '2016-08-14 10:00+09'),
  (1, 'instagram', '@carol.kim', 'carol.kim', 'https://instagram.com/p/abc', 'CAROL4', 'given', true, '2016-08-14 13:01+09', 'staff', '2016-08-14 13:00+09'),
  (1, 'facebook',  'Dave Kim',   'dave kim',  'https://facebook.com/dave/posts/1', 'DAVEK5', 'given', true, '2016-08-14 23:51+09', 'staff', '2016-08-14 23:50+09'),
  (1, 'twitter',   'erin',       'erin',      NULL, 'ERINN6', 'given',    false, '2016-08-14 23:59+09', 'handle', '2016-08-14 23:58+09'),
  (1, 'twitter',   'frank',      'frank',     NULL, 'FRANK7', 'rejected', false, NULL, NULL, '2016-08-14 12:00+09'),
  (1, 'twitter',   'gina',       'gina',      NULL, 'GINAA8', 'pending',  false, NULL, NULL, '2016-08-14 15:00+09'),
  (1, 'twitter',   'henry',      'henry',     NULL, 'HENRY9', 'given',    false, '2016-08-13 20:01+09', 'handle', '2016-08-13 20:00+09'),
  (2, 'twitter',   'zed',        'zed',       NULL, 'ZEDZED', 'given',    false, '2016-08-14 10:59+09', 'handle', '2016-08-14 11:00+09');

INSERT INTO giveaways (campaign_id, claim_id, prize_id, period, slot, given_at, given_by_name, undone_at, undone_by_name, account_checked) VALUES
  (1, 1, 1, 'campaign', 1, '2016-08-14 08:30+09', 'Minji', NULL, NULL, true),
  (1, 2, 2, 'campaign', 1, '2016-08-14 10:15+09', 'Jisoo', '2016-08-14 10:20+09', 'Jisoo', false),
  (1, 2, 3, 'campaign', 1, '2016-08-14 10:25+09', 'Jisoo', NULL, NULL, false),
  (1, 3, 2, 'campaign', 1, '2016-08-14 13:05+09', 'Minji', NULL, NULL, false),
  (1, 4, 1, 'campaign', 1, '2016-08-14 23:59:00+09', 'Minji', NULL, NULL, false),
  (1, 5, 2, 'campaign', 1, '2016-08-15 00:01:00+09', 'Jisoo', NULL, NULL, false),
  (1, 8, 3, 'campaign', 1, '2016-08-13 21:00+09', 'Minji', NULL, NULL, false),
  (2, 9, 4, 'campaign', 1, '2016-08-14 11:00+09', 'Minji', NULL, NULL, false);

INSERT INTO audit_log (at, campaign_id, claim_id, actor, action, details) VALUES
  ('2016-08-14 10:15+09', 1, 2, 'Jisoo', 'given', '{"prize": "sticker"}'),
  ('2016-08-14 10:20+09', 1, 2, 'Jisoo', 'undone', '{"prize": "sticker"}'),
  ('2016-08-14 12:30+09', 1, 6, 'Minji', 'rejected', '{"reason": "no hashtag"}'),
  ('2016-08-14 13:01+09', 1, 3, 'Minji', 'approved', '{}'),
  ('2016-08-14 16:30+09', 1, NULL, 'admin', 'hidden', '{"tweet_id": "105", "handle": "yuna"}'),
  ('2016-08-14 16:40+09', 2, NULL, 'admin', 'blocked', '{"handle": "spam"}'),
  ('2016-08-15 09:00+09', 1, NULL, 'admin', 'blocked', '{"handle": "spam"}');

INSERT INTO tweets (id, version_id, handle, handle_norm, created_at, text, hashtags, hashtags_norm, retweet_of, retweet_count) VALUES
  ('101', '101', 'Alice',  'alice',  '2016-08-14 09:00+09', '#PyConAPAC #Elastic #파이콘 hello <b>Seoul</b>', '{PyConAPAC,Elastic,파이콘}', '{pyconapac,elastic,파이콘}', NULL, 5),
  ('102', '102', 'Alice',  'alice',  '2016-08-14 11:00+09', '#pyconapac #elastic again', '{pyconapac,elastic}', '{pyconapac,elastic}', NULL, 0),
  ('103', '103', 'bob',    'bob',    '2016-08-14 10:05+09', '#PyConAPAC #Elastic #스마트스터디 booth', '{PyConAPAC,Elastic,스마트스터디}', '{pyconapac,elastic,스마트스터디}', NULL, 2),
  ('104', '104', 'zoe',    'zoe',    '2016-08-14 14:00+09', 'RT @Alice: #PyConAPAC #Elastic #파이콘 hello', '{PyConAPAC,Elastic,파이콘}', '{pyconapac,elastic,파이콘}', '101', 5),
  ('105', '105', 'yuna',   'yuna',   '2016-08-14 16:00+09', '#파이콘 #PyConAPAC 최고', '{파이콘,PyConAPAC}', '{파이콘,pyconapac}', NULL, 1),
  ('106', '106', 'xavier', 'xavier', '2016-08-14 12:00+09', '#unrelated', '{unrelated}', '{unrelated}', NULL, 9),
  ('107', '107', 'erin',   'erin',   '2016-08-15 00:00:30+09', '#PyConAPAC #Elastic late', '{PyConAPAC,Elastic}', '{pyconapac,elastic}', NULL, 0),
  ('108', '108', 'erin',   'erin',   '2016-08-14 23:58:30+09', '#PyConAPAC #Elastic', '{PyConAPAC,Elastic}', '{pyconapac,elastic}', NULL, 0),
  ('109', '109', 'wendy',  'wendy',  '2016-08-14 07:30+09', '#Elastic', '{Elastic}', '{elastic}', NULL, 0),
  ('110', '110', 'zed',    'zed',    '2016-08-14 10:00+09', '#Other', '{Other}', '{other}', NULL, 3);
`

var generated = time.Date(2016, 8, 14, 15, 30, 0, 0, time.UTC) // 2016-08-15 00:30 in Seoul

func seeded(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.New(t)
	if _, err := pool.Exec(context.Background(), fixture); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return pool
}

func build(t *testing.T, pool *pgxpool.Pool, from, to string) *report.Report {
	t.Helper()
	r, err := report.BuildQuery(context.Background(), pool, "pyconapac2016", "", from, to, generated,
		report.WithNow(func() time.Time { return generated }))
	if err != nil {
		t.Fatalf("build %s..%s: %v", from, to, err)
	}
	return r
}

// sameJSON compares got, marshalled, with the expected document, ignoring layout.
func sameJSON(t *testing.T, got any, want string) {
	t.Helper()
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("expected JSON: %v", err)
	}
	gs, _ := json.MarshalIndent(g, "", "  ")
	ws, _ := json.MarshalIndent(w, "", "  ")
	if string(gs) != string(ws) {
		t.Errorf("JSON differs\n got: %s\nwant: %s", gs, ws)
	}
}

const zeroHours = `[{"hour":0,"given":0},{"hour":1,"given":0},{"hour":2,"given":0},{"hour":3,"given":0},
 {"hour":4,"given":0},{"hour":5,"given":0},{"hour":6,"given":0},{"hour":7,"given":0},
 {"hour":8,"given":0},{"hour":9,"given":0},{"hour":10,"given":0},{"hour":11,"given":0},
 {"hour":12,"given":0},{"hour":13,"given":0},{"hour":14,"given":0},{"hour":15,"given":0},
 {"hour":16,"given":0},{"hour":17,"given":0},{"hour":18,"given":0},{"hour":19,"given":0},
 {"hour":20,"given":0},{"hour":21,"given":0},{"hour":22,"given":0},{"hour":23,"given":0}]`

const campaignJSON = `{"slug":"pyconapac2016","name":"PyCon APAC 2016","time_zone":"Asia/Seoul",
  "hashtags":["PyConAPAC","Elastic"],"starts_at":"2016-08-13T00:00:00+09:00","ends_at":"2016-08-16T00:00:00+09:00"}`

func hours(given map[int]int64) string {
	var hs []string
	for h := range 24 {
		b, _ := json.Marshal(report.HourGiven{Hour: h, Given: given[h]})
		hs = append(hs, string(b))
	}
	return "[" + strings.Join(hs, ",") + "]"
}

func tweetHours(counts map[int][2]int64) string {
	var hs []string
	for h := range 24 {
		b, _ := json.Marshal(report.TweetHour{Hour: h, Captured: counts[h][0], Eligible: counts[h][1]})
		hs = append(hs, string(b))
	}
	return "[" + strings.Join(hs, ",") + "]"
}

func hourList(set map[int]int64) string {
	b, _ := json.Marshal(func() []int64 {
		v := make([]int64, 24)
		for h, n := range set {
			v[h] = n
		}
		return v
	}())
	return string(b)
}

func TestDayJSON(t *testing.T) {
	t.Parallel()
	r := build(t, seeded(t), "2016-08-14", "2016-08-14")
	want := `{
  "campaign": ` + campaignJSON + `,
  "from": "2016-08-14", "to": "2016-08-14", "generated_at": "2016-08-15T00:30:00+09:00",
  "prizes_given": 4,
  "by_prize": {"tshirt": 2, "sticker": 1, "mug": 1},
  "by_network": {"twitter": 2, "instagram": 1, "facebook": 1, "linkedin": 0, "mastodon": 0,
                 "bluesky": 0, "threads": 0, "other": 0},
  "by_hour": ` + hours(map[int]int64{8: 1, 10: 1, 13: 1, 23: 1}) + `,
  "stock_left": {"tshirt": 8, "sticker": 98, "mug": 1},
  "participants": 7,
  "claims": {"pending": 1, "verified": 0, "given": 5, "rejected": 1},
  "tweets": {"captured": 7, "eligible": 4},
  "top_hashtags": [{"tag": "elastic", "count": 5}, {"tag": "pyconapac", "count": 5},
                   {"tag": "파이콘", "count": 2}, {"tag": "스마트스터디", "count": 1}],
  "top_tweeters": [{"network": "twitter", "handle": "Alice", "count": 2},
                   {"network": "twitter", "handle": "bob", "count": 1},
                   {"network": "twitter", "handle": "erin", "count": 1},
                   {"network": "twitter", "handle": "wendy", "count": 1},
                   {"network": "twitter", "handle": "yuna", "count": 1}],
  "most_retweeted": [
    {"network": "twitter", "id": "101", "handle": "Alice", "text": "#PyConAPAC #Elastic #파이콘 hello <b>Seoul</b>", "retweets": 5},
    {"network": "twitter", "id": "103", "handle": "bob", "text": "#PyConAPAC #Elastic #스마트스터디 booth", "retweets": 2},
    {"network": "twitter", "id": "105", "handle": "yuna", "text": "#파이콘 #PyConAPAC 최고", "retweets": 1}],
  "winners": [
    {"given_at": "2016-08-14T08:30:00+09:00", "network": "twitter", "handle": "Alice", "prize": "tshirt", "prize_name": "T-shirt 티셔츠", "staff": "Minji", "code": "ALICE2", "verified_by": "handle", "account_checked": true},
    {"given_at": "2016-08-14T10:25:00+09:00", "network": "twitter", "handle": "bob", "prize": "mug", "prize_name": "Elastic mug", "staff": "Jisoo", "code": "BOBBY3", "verified_by": "code", "account_checked": false},
    {"given_at": "2016-08-14T13:05:00+09:00", "network": "instagram", "handle": "@carol.kim", "prize": "sticker", "prize_name": "Sticker pack", "staff": "Minji", "code": "CAROL4", "verified_by": "staff", "account_checked": false},
    {"given_at": "2016-08-14T23:59:00+09:00", "network": "facebook", "handle": "Dave Kim", "prize": "tshirt", "prize_name": "T-shirt 티셔츠", "staff": "Minji", "code": "DAVEK5", "verified_by": "staff", "account_checked": false}],
  "by_staff": [{"staff": "Minji", "given": 3}, {"staff": "Jisoo", "given": 1}],
  "by_hour_prize": {"tshirt": ` + hourList(map[int]int64{8: 1, 23: 1}) + `, "sticker": ` + hourList(map[int]int64{13: 1}) + `,
                    "mug": ` + hourList(map[int]int64{10: 1}) + `},
  "prizes": [
    {"key": "tshirt", "name": "T-shirt 티셔츠", "stock": 10, "stock_left": 8, "given": 2, "per_day": 2, "warning": ""},
    {"key": "sticker", "name": "Sticker pack", "stock": 100, "stock_left": 98, "given": 1, "per_day": 1, "warning": ""},
    {"key": "mug", "name": "Elastic mug", "stock": 3, "stock_left": 1, "given": 1, "per_day": 1, "warning": "runs_out_tomorrow"}],
  "tweets_by_hour": ` + tweetHours(map[int][2]int64{7: {1, 0}, 9: {1, 1}, 10: {1, 1}, 11: {1, 1}, 14: {1, 0}, 16: {1, 0}, 23: {1, 1}}) + `,
  "open_claims": [
    {"created_at": "2016-08-14T15:00:00+09:00", "network": "twitter", "handle": "gina", "status": "pending", "code": "GINAA8", "manual": false, "post_url": ""},
    {"created_at": "2016-08-14T12:00:00+09:00", "network": "twitter", "handle": "frank", "status": "rejected", "code": "FRANK7", "manual": false, "post_url": ""}],
  "moderation": [
    {"at": "2016-08-14T12:30:00+09:00", "actor": "Minji", "action": "rejected", "network": "twitter", "handle": "frank", "details": "{\"reason\": \"no hashtag\"}"},
    {"at": "2016-08-14T13:01:00+09:00", "actor": "Minji", "action": "approved", "network": "instagram", "handle": "@carol.kim", "details": "{}"},
    {"at": "2016-08-14T16:30:00+09:00", "actor": "admin", "action": "hidden", "network": "", "handle": "yuna", "details": "{\"handle\": \"yuna\", \"tweet_id\": \"105\"}"}],
  "x_api_spend": {"posts": 7, "price_per_post_usd": 0.005, "estimated_usd": 0.035},
  "source_gaps": []
}`
	sameJSON(t, r, want)
}

func TestRangeAcrossMidnights(t *testing.T) {
	t.Parallel()
	r := build(t, seeded(t), "2016-08-13", "2016-08-15")
	if r.PrizesGiven != 6 || r.Participants != 8 || r.Claims["given"] != 6 {
		t.Errorf("given %d, participants %d, claims given %d; want 6, 8, 6", r.PrizesGiven, r.Participants, r.Claims["given"])
	}
	sameJSON(t, r.ByHour, hours(map[int]int64{0: 1, 8: 1, 10: 1, 13: 1, 21: 1, 23: 1}))
	sameJSON(t, r.ByPrize, `{"tshirt": 2, "sticker": 2, "mug": 2}`)
	sameJSON(t, r.Tweets, `{"captured": 8, "eligible": 5}`)
	// Two mugs in three days leave one: not tomorrow's problem, and the campaign ends anyway.
	sameJSON(t, r.Prizes[2], `{"key": "mug", "name": "Elastic mug", "stock": 3, "stock_left": 1, "given": 2, "per_day": 0.67, "warning": ""}`)
	if len(r.Moderation) != 4 || r.Moderation[3].Action != "blocked" {
		t.Errorf("moderation over the range: %+v", r.Moderation)
	}
	// The 00:01 give of the 15th is the next Seoul day even though it is the 14th in UTC.
	next := build(t, seeded(t), "2016-08-15", "2016-08-15")
	sameJSON(t, next.Winners, `[{"given_at": "2016-08-15T00:01:00+09:00", "network": "twitter", "handle": "erin",
	  "prize": "sticker", "prize_name": "Sticker pack", "staff": "Jisoo", "code": "ERINN6",
	  "verified_by": "handle", "account_checked": false}]`)
}

func TestEmptyDay(t *testing.T) {
	t.Parallel()
	r := build(t, seeded(t), "2016-08-20", "2016-08-20")
	want := `{
  "campaign": ` + campaignJSON + `,
  "from": "2016-08-20", "to": "2016-08-20", "generated_at": "2016-08-15T00:30:00+09:00",
  "prizes_given": 0,
  "by_prize": {"tshirt": 0, "sticker": 0, "mug": 0},
  "by_network": {"twitter": 0, "instagram": 0, "facebook": 0, "linkedin": 0, "mastodon": 0,
                 "bluesky": 0, "threads": 0, "other": 0},
  "by_hour": ` + zeroHours + `,
  "stock_left": {"tshirt": 8, "sticker": 98, "mug": 1},
  "participants": 0,
  "claims": {"pending": 0, "verified": 0, "given": 0, "rejected": 0},
  "tweets": {"captured": 0, "eligible": 0},
  "top_hashtags": [], "top_tweeters": [], "most_retweeted": [], "winners": [], "by_staff": [],
  "by_hour_prize": {"tshirt": ` + hourList(nil) + `, "sticker": ` + hourList(nil) + `, "mug": ` + hourList(nil) + `},
  "prizes": [
    {"key": "tshirt", "name": "T-shirt 티셔츠", "stock": 10, "stock_left": 8, "given": 0, "per_day": 0, "warning": ""},
    {"key": "sticker", "name": "Sticker pack", "stock": 100, "stock_left": 98, "given": 0, "per_day": 0, "warning": ""},
    {"key": "mug", "name": "Elastic mug", "stock": 3, "stock_left": 1, "given": 0, "per_day": 0, "warning": ""}],
  "tweets_by_hour": ` + tweetHours(nil) + `,
  "open_claims": [], "moderation": [],
  "x_api_spend": {"posts": 0, "price_per_post_usd": 0.005, "estimated_usd": 0},
  "source_gaps": []
}`
	sameJSON(t, r, want)

	var csvOut, htmlOut bytes.Buffer
	if err := report.WriteCSV(&csvOut, r); err != nil {
		t.Fatal(err)
	}
	if got := csvOut.String(); got != "given_at,network,handle,prize,staff,code,verified_by,account_checked\n" {
		t.Errorf("empty CSV = %q", got)
	}
	if err := report.WriteHTML(&htmlOut, r); err != nil {
		t.Fatal(err)
	}
	p := parsePage(t, htmlOut.String())
	if p.keys["prizes-given"] != "0" || p.keys["tweets-captured"] != "0" || len(p.svgs) != 3 {
		t.Errorf("empty page: keys %v, %d charts", p.keys, len(p.svgs))
	}
	if w := p.tables["winners"]; len(w) != 2 || w[1][0] != "none" {
		t.Errorf("empty winners table: %q", w)
	}
}

func TestCSV(t *testing.T) {
	t.Parallel()
	r := build(t, seeded(t), "2016-08-14", "2016-08-14")
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("standard CSV reader: %v", err)
	}
	want := [][]string{
		{"given_at", "network", "handle", "prize", "staff", "code", "verified_by", "account_checked"},
		{"2016-08-14T08:30:00+09:00", "twitter", "Alice", "tshirt", "Minji", "ALICE2", "handle", "true"},
		{"2016-08-14T10:25:00+09:00", "twitter", "bob", "mug", "Jisoo", "BOBBY3", "code", "false"},
		// An instagram handle typed with its @ would be a formula in a spreadsheet.
		{"2016-08-14T13:05:00+09:00", "instagram", "'@carol.kim", "sticker", "Minji", "CAROL4", "staff", "false"},
		{"2016-08-14T23:59:00+09:00", "facebook", "Dave Kim", "tshirt", "Minji", "DAVEK5", "staff", "false"},
	}
	sameJSON(t, rows, mustJSON(want))
}

func TestCSVFormulaGuard(t *testing.T) {
	t.Parallel()
	evil := []string{`=HYPERLINK("http://x","y")`, "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", `a,"b"` + "\nc"}
	r := &report.Report{}
	for _, e := range evil {
		r.Winners = append(r.Winners, report.Winner{GivenAt: "2016-08-14T10:00:00+09:00", Network: "other",
			Handle: e, Prize: "mug", Staff: e, Code: "ABCDEF"})
	}
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(evil)+1 {
		t.Fatalf("%d rows, want %d", len(rows), len(evil)+1)
	}
	for i, e := range evil {
		want := "'" + e
		if i == len(evil)-1 {
			want = e // harmless first character: kept as is, and quoted by encoding/csv
		}
		if rows[i+1][2] != want || rows[i+1][4] != want {
			t.Errorf("cell %q became %q / %q, want %q", e, rows[i+1][2], rows[i+1][4], want)
		}
	}
	for _, s := range []string{"", "alice", "파이콘", "1+1"} {
		if got := report.SpreadsheetSafe(s); got != s {
			t.Errorf("SpreadsheetSafe(%q) = %q", s, got)
		}
	}
}

func TestHTML(t *testing.T) {
	t.Parallel()
	r := build(t, seeded(t), "2016-08-14", "2016-08-14")
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	p := parsePage(t, page)
	wantKeys := map[string]string{
		"range": "2016-08-14", "prizes-given": "4", "participants": "7", "claims-pending": "1",
		"claims-verified": "0", "claims-given": "5", "claims-rejected": "1", "tweets-captured": "7",
		"tweets-eligible": "4", "x-spend": "US$0.035", "x-posts": "7",
	}
	sameJSON(t, p.keys, mustJSON(wantKeys))
	wantTables := map[string][][]string{
		"source-gaps": {{"Source", "Posts between", "and", "Why"}, {"none known"}},
		"stock": {
			{"Prize", "Given", "Per day", "Left", "Of", "Warning"},
			{"T-shirt 티셔츠", "2", "2", "8", "10", ""},
			{"Sticker pack", "1", "1", "98", "100", ""},
			{"Elastic mug", "1", "1", "1", "3", "runs out tomorrow"},
		},
		"top-hashtags": {{"Hashtag", "Posts"}, {"#elastic", "5"}, {"#pyconapac", "5"}, {"#파이콘", "2"}, {"#스마트스터디", "1"}},
		"top-tweeters": {{"Handle", "Posts"}, {"@Alice", "2"}, {"@bob", "1"}, {"@erin", "1"}, {"@wendy", "1"}, {"@yuna", "1"}},
		"most-retweeted": {
			{"Handle", "Post", "Retweets"},
			{"@Alice", "#PyConAPAC #Elastic #파이콘 hello <b>Seoul</b>", "5"},
			{"@bob", "#PyConAPAC #Elastic #스마트스터디 booth", "2"},
			{"@yuna", "#파이콘 #PyConAPAC 최고", "1"},
		},
		"staff": {{"Staff", "Given"}, {"Minji", "3"}, {"Jisoo", "1"}},
		"winners": {
			{"Time", "Network", "Handle", "Prize", "Staff", "Code", "Proven by", "Account checked"},
			{"08:30", "twitter", "Alice", "T-shirt 티셔츠", "Minji", "ALICE2", "handle", "yes"},
			{"10:25", "twitter", "bob", "Elastic mug", "Jisoo", "BOBBY3", "code", "no"},
			{"13:05", "instagram", "@carol.kim", "Sticker pack", "Minji", "CAROL4", "staff", "no"},
			{"23:59", "facebook", "Dave Kim", "T-shirt 티셔츠", "Minji", "DAVEK5", "staff", "no"},
		},
		"open-claims": {
			{"Claimed", "Status", "Network", "Handle", "Code", "Post"},
			{"15:00", "pending", "twitter", "gina", "GINAA8", ""},
			{"12:00", "rejected", "twitter", "frank", "FRANK7", ""},
		},
		"moderation": {
			{"Time", "Action", "By", "Network", "Handle", "Details"},
			{"12:30", "rejected", "Minji", "twitter", "frank", `{"reason": "no hashtag"}`},
			{"13:01", "approved", "Minji", "instagram", "@carol.kim", "{}"},
			{"16:30", "hidden", "admin", "", "yuna", `{"handle": "yuna", "tweet_id": "105"}`},
		},
	}
	sameJSON(t, p.tables, mustJSON(wantTables))
	// Three charts, labelled, with the prize colours and the hours drawn.
	if len(p.svgs) != 3 {
		t.Fatalf("%d charts, want 3", len(p.svgs))
	}
	for _, want := range []string{"Prizes given per hour, by prize", "Prizes given per network",
		"Campaign posts per hour: captured (bars) and eligible (line)"} {
		if !strings.Contains(page, `aria-label="`+want+`"`) {
			t.Errorf("no chart %q", want)
		}
	}
	for _, c := range []string{"#E69F00", "#56B4E9", "#009E73"} { // tshirt, sticker, mug
		if !strings.Contains(p.svgs[0], c) {
			t.Errorf("prizes-by-hour chart has no bars in %s", c)
		}
	}
	for _, n := range []string{">twitter<", ">instagram<", ">facebook<"} {
		if !strings.Contains(p.svgs[1], n) {
			t.Errorf("network chart lacks %s", n)
		}
	}
	// User text is escaped, and the page carries nothing that runs or loads.
	for _, bad := range []string{"<b>Seoul</b>", "<script", " src=", "<link", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	if !strings.Contains(page, "@page { size: A4") {
		t.Error("no A4 print rule")
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	pool := seeded(t)
	ctx := context.Background()
	_, err := report.BuildQuery(ctx, pool, "nope", "2016-08-14", "", "", generated)
	if !errors.Is(err, report.ErrNotFound) {
		t.Errorf("unknown campaign: %v, want ErrNotFound", err)
	}
	if e, ok := apperr.As(err); !ok || e.Kind != apperr.NotFound {
		t.Errorf("unknown campaign is not an apperr NotFound: %v", err)
	}
	for _, q := range [][3]string{
		{"2016-8-14", "", ""}, {"14/08/2016", "", ""}, {"2016-02-30", "", ""}, {"yesterday", "", ""},
		{"2016-08-14", "2016-08-13", ""}, {"", "", "2016-08-14"}, {"", "2016-08-15", "2016-08-14"},
		{"", "2016-07-01", "2016-08-14"}, {"2016-08-14 ", "", ""},
	} {
		_, err := report.BuildQuery(ctx, pool, "pyconapac2016", q[0], q[1], q[2], generated)
		if !errors.Is(err, report.ErrBadDate) {
			t.Errorf("date=%q from=%q to=%q: %v, want ErrBadDate", q[0], q[1], q[2], err)
		}
		if e, ok := apperr.As(err); !ok || e.Kind != apperr.Invalid {
			t.Errorf("date=%q from=%q to=%q: not an apperr Invalid: %v", q[0], q[1], q[2], err)
		}
	}
	if _, err := report.Build(ctx, pool, "pyconapac2016", report.Day{Year: 2016, Month: 8, Day: 15},
		report.Day{Year: 2016, Month: 8, Day: 14}); !errors.Is(err, report.ErrBadDate) {
		t.Errorf("Build with to before from: %v", err)
	}
}

func TestParseRange(t *testing.T) {
	t.Parallel()
	seoul, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	// 16:00 UTC on the 14th is already the 15th in Seoul.
	now := time.Date(2016, 8, 14, 16, 0, 0, 0, time.UTC)
	for _, c := range []struct{ date, from, to, want string }{
		{"", "", "", "2016-08-15..2016-08-15"},
		{"2016-08-14", "", "", "2016-08-14..2016-08-14"},
		{"", "2016-08-13", "2016-08-15", "2016-08-13..2016-08-15"},
		{"", "2016-08-13", "", "2016-08-13..2016-08-15"},
		{"", "2016-08-01", "2016-08-31", "2016-08-01..2016-08-31"},
	} {
		f, to, err := report.ParseRange(c.date, c.from, c.to, seoul, now)
		if err != nil || f.String()+".."+to.String() != c.want {
			t.Errorf("ParseRange(%q, %q, %q) = %s..%s, %v; want %s", c.date, c.from, c.to, f, to, err, c.want)
		}
	}
	if _, _, err := report.ParseRange("", "2016-08-01", "2016-09-01", seoul, now); !errors.Is(err, report.ErrBadDate) {
		t.Errorf("32 days: %v", err)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// page is what a reader of the HTML sees: the figures marked data-k, each table's rows of cell
// text by id, and the inline charts.
type page struct {
	keys   map[string]string
	tables map[string][][]string
	svgs   []string
}

func parsePage(t *testing.T, s string) page {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	p := page{keys: map[string]string{}, tables: map[string][][]string{}}
	var walk func(n *html.Node, table string)
	walk = func(n *html.Node, table string) {
		if n.Type == html.ElementNode {
			switch {
			case attr(n, "data-k") != "":
				p.keys[attr(n, "data-k")] = text(n)
			case n.Data == "table":
				table = attr(n, "id")
			case n.Data == "tr" && table != "":
				var row []string
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					if c.Type == html.ElementNode && (c.Data == "td" || c.Data == "th") {
						row = append(row, text(c))
					}
				}
				p.tables[table] = append(p.tables[table], row)
			case n.Data == "svg":
				var b strings.Builder
				html.Render(&b, n)
				p.svgs = append(p.svgs, b.String())
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, table)
		}
	}
	walk(doc, "")
	// Header rows are kept; rows of empty tables read "none".
	return p
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// The report lists per source the stretches it could not read that touch the day (in the
// campaign's time zone), so the organiser knows what might be missing before announcing winners.
func TestSourceGapsOfTheDay(t *testing.T) {
	t.Parallel()
	pool := seeded(t)
	if _, err := pool.Exec(context.Background(), `INSERT INTO source_gaps (source, kind, from_at, to_at, detail) VALUES
		('x_stream', 'reconnect', '2016-08-14 10:00:00+09', '2016-08-14 10:00:42+09', 'X_BACKFILL_MINUTES is 0'),
		('bluesky', 'cursor_too_old', '2016-08-12 09:00+09', '2016-08-14 06:00+09', 'older than the 36h0m0s Jetstream keeps'),
		('mastodon', 'fill_incomplete', '2016-08-15 09:00+09', '2016-08-15 10:00+09', 'the next day')`); err != nil {
		t.Fatal(err)
	}
	r := build(t, pool, "2016-08-14", "2016-08-14")
	sameJSON(t, r.SourceGaps, `[
  {"source": "bluesky", "kind": "cursor_too_old", "from": "2016-08-12T09:00:00+09:00", "to": "2016-08-14T06:00:00+09:00",
   "detail": "older than the 36h0m0s Jetstream keeps"},
  {"source": "x_stream", "kind": "reconnect", "from": "2016-08-14T10:00:00+09:00", "to": "2016-08-14T10:00:42+09:00",
   "detail": "X_BACKFILL_MINUTES is 0"}]`)
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	var csvOut bytes.Buffer
	if err := report.WriteGapsCSV(&csvOut, r); err != nil {
		t.Fatal(err)
	}
	if want := "source,kind,from,to,detail\n" +
		"bluesky,cursor_too_old,2016-08-12T09:00:00+09:00,2016-08-14T06:00:00+09:00,older than the 36h0m0s Jetstream keeps\n" +
		"x_stream,reconnect,2016-08-14T10:00:00+09:00,2016-08-14T10:00:42+09:00,X_BACKFILL_MINUTES is 0\n"; csvOut.String() != want {
		t.Errorf("gaps CSV\n%s\nwant\n%s", csvOut.String(), want)
	}
	got := parsePage(t, buf.String()).tables["source-gaps"]
	want := [][]string{{"Source", "Posts between", "and", "Why"},
		{"Bluesky", "2016-08-12 09:00 +09:00", "2016-08-14 06:00 +09:00", "older than the 36h0m0s Jetstream keeps"},
		{"X", "2016-08-14 10:00 +09:00", "2016-08-14 10:00 +09:00", "X_BACKFILL_MINUTES is 0"}}
	sameJSON(t, got, mustJSON(want))
}
