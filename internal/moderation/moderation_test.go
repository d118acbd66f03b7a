package moderation_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/moderation"
	"github.com/boothgiveaway/giveaway/internal/notify"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
)

// setup stores a campaign tracking #go and three posts: 1 and 3 belong on its wall, 2 lacks the
// hashtag; 1 and 2 are by user1, 3 by user2.
func setup(t *testing.T) (*pgxpool.Pool, int64) {
	t.Helper()
	pool := pgtest.New(t)
	ctx := context.Background()
	var id int64
	err := pool.QueryRow(ctx, `INSERT INTO campaigns (slug, name, required_hashtags, display_hashtags,
		starts_at, ends_at, time_zone, tweets_index) VALUES ('c', 'c', '{go}', '{go}', now() - interval '1 day',
		now() + interval '1 day', 'Asia/Seoul', 'twitter-c') RETURNING id`).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pool.Exec(ctx, `INSERT INTO tweets (id, version_id, author_id, handle, handle_norm, created_at, text,
		hashtags, hashtags_norm) VALUES
		('1', '1', 'a1', 'User1', 'user1', now(), 'one #go', '{go}', '{go}'),
		('2', '2', 'a1', 'User1', 'user1', now(), 'two', '{}', '{}'),
		('3', '3', 'a2', 'User2', 'user2', now(), 'three #go', '{go}', '{go}')`)
	if err != nil {
		t.Fatal(err)
	}
	return pool, id
}

// trail is what the moderation left: audit actions, outbox refs (kind:id) and wall notices.
type trail struct {
	audit, outbox []string
	notices       []moderation.Change
}

// since reads the trail written after the previous call; notices come from conn, which listens.
func since(t *testing.T, pool *pgxpool.Pool, conn *pgx.Conn, heard *[]string, audit, outbox *int64) trail {
	t.Helper()
	ctx := context.Background()
	var tr trail
	rows, _ := pool.Query(ctx, `SELECT id, action FROM audit_log WHERE id > $1 ORDER BY id`, *audit)
	for rows.Next() {
		var a string
		rows.Scan(audit, &a)
		tr.audit = append(tr.audit, a)
	}
	rows, _ = pool.Query(ctx, `SELECT id, kind || ':' || ref_id FROM outbox WHERE id > $1 ORDER BY ref_id`, *outbox)
	for rows.Next() {
		var id int64
		var ref string
		rows.Scan(&id, &ref)
		*outbox = max(*outbox, id)
		tr.outbox = append(tr.outbox, ref)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	// The change signalled the listener at commit, before it returned, so the listener's
	// backend delivers the notices ahead of its answer to this round trip.
	*heard = nil
	if _, err := conn.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	for _, p := range *heard {
		var ch moderation.Change
		if err := json.Unmarshal([]byte(p), &ch); err != nil {
			t.Fatal(err)
		}
		tr.notices = append(tr.notices, ch)
	}
	return tr
}

// TestChangesLeaveTheirTrail: every moderation change writes its audit row, queues the posts it
// touches for the index and notifies the walls, all or nothing.
func TestChangesLeaveTheirTrail(t *testing.T) {
	pool, c := setup(t)
	ctx := context.Background()
	var heard []string
	cfg := pool.Config().ConnConfig.Copy()
	cfg.OnNotification = func(_ *pgconn.PgConn, n *pgconn.Notification) { heard = append(heard, n.Payload) }
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "LISTEN "+notify.Wall); err != nil {
		t.Fatal(err)
	}
	var audit, outbox int64
	since(t, pool, conn, &heard, &audit, &outbox) // the posts' own outbox rows, if any
	w := moderation.New(pool)

	for _, step := range []struct {
		name         string
		do           func() error
		code         string // the refusal expected, "" for none
		audit, queue []string
		action       string
	}{
		{"hide", func() error { return w.Hide(ctx, c, "twitter", "1", "kim") }, "", []string{"hidden"},
			[]string{"tweet:1"}, "hide"},
		{"hide unknown", func() error { return w.Hide(ctx, c, "twitter", "9", "kim") }, "post_not_found", nil, nil, ""},
		{"approve off-wall", func() error { return w.Approve(ctx, c, "twitter", "2", "kim") }, "post_not_on_wall",
			nil, nil, ""},
		{"approve", func() error { return w.Approve(ctx, c, "twitter", "3", "kim") }, "", []string{"wall_approved"},
			nil, "approve"},
		{"block", func() error { return w.Block(ctx, c, "twitter", "@User1", "kim", true) }, "", []string{"blocked"},
			[]string{"tweet:1", "tweet:2"}, "block"},
		{"unblock", func() error { return w.Block(ctx, c, "twitter", "user1", "kim", false) }, "",
			[]string{"unblocked"}, []string{"tweet:1", "tweet:2"}, "unblock"},
		{"settings", func() error {
			return w.SetSettings(ctx, c, moderation.Settings{Mode: "manual", Killed: true}, "kim")
		}, "", []string{"wall_settings"}, nil, "settings"},
	} {
		err := step.do()
		if e, ok := apperr.As(err); step.code != "" && (!ok || e.Code != step.code) || step.code == "" && err != nil {
			t.Fatalf("%s: %v, want %q", step.name, err, step.code)
		}
		tr := since(t, pool, conn, &heard, &audit, &outbox)
		if !slices.Equal(tr.audit, step.audit) || !slices.Equal(tr.outbox, step.queue) {
			t.Errorf("%s: audit %q outbox %q, want %q %q", step.name, tr.audit, tr.outbox, step.audit, step.queue)
		}
		if step.action == "" && len(tr.notices) > 0 || step.action != "" &&
			(len(tr.notices) != 1 || tr.notices[0].Action != step.action || tr.notices[0].CampaignID != c) {
			t.Errorf("%s: notices %+v, want one %q", step.name, tr.notices, step.action)
		}
	}
	if s, err := w.Settings(ctx, c); err != nil || s != (moderation.Settings{Mode: "manual", Killed: true}) {
		t.Errorf("settings %+v, %v", s, err)
	}
}

// TestWallShowsWhatModerationLeaves: hidden posts and blocked authors leave the wall; approval
// marks posts; which narrows them.
func TestWallShowsWhatModerationLeaves(t *testing.T) {
	pool, c := setup(t)
	ctx := context.Background()
	w := moderation.New(pool)
	keys := func(which string) []string {
		t.Helper()
		posts, err := w.Latest(ctx, c, 10, which)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range posts {
			out = append(out, p.Key)
		}
		slices.Sort(out)
		return out
	}
	if got := keys(moderation.All); !slices.Equal(got, []string{"twitter:1", "twitter:3"}) {
		t.Fatalf("wall %q", got)
	}
	if err := w.Approve(ctx, c, "twitter", "3", "kim"); err != nil {
		t.Fatal(err)
	}
	if got := keys(moderation.Approved); !slices.Equal(got, []string{"twitter:3"}) {
		t.Errorf("approved %q", got)
	}
	if got := keys(moderation.Unapproved); !slices.Equal(got, []string{"twitter:1"}) {
		t.Errorf("unapproved %q", got)
	}
	if err := w.Block(ctx, c, "twitter", "user1", "kim", true); err != nil {
		t.Fatal(err)
	}
	if got := keys(moderation.All); !slices.Equal(got, []string{"twitter:3"}) {
		t.Errorf("after block %q", got)
	}
	if b, err := w.Blocked(ctx, c); err != nil || len(b) != 1 || b[0].Handle != "user1" || b[0].By != "kim" {
		t.Errorf("blocked %+v, %v", b, err)
	}
	posts, err := w.PostsByID(ctx, c, []string{"twitter", "twitter"}, []string{"1", "3"})
	if err != nil || len(posts) != 1 || posts[0].Key != "twitter:3" || !posts[0].Approved {
		t.Errorf("by id %+v, %v", posts, err)
	}
	if n, err := w.Counts(ctx, c); err != nil || n.Posts != 2 || n.Given != 0 {
		t.Errorf("counts %+v, %v", n, err)
	}
	if tags, err := w.TopHashtags(ctx, c, 5); err != nil || len(tags) != 1 || tags[0] != (moderation.TagCount{Tag: "go", Count: 2}) {
		t.Errorf("tags %+v, %v", tags, err)
	}
}
