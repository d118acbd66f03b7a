package notify_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/notify"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
)

// start runs a listener on pool until the test ends, and waits for its first LISTEN.
func start(t *testing.T, pool *pgxpool.Pool, l *notify.Listener) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	wait(t, l.Ready(), "the listener's first LISTEN")
}

func wait(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func send(t *testing.T, pool *pgxpool.Pool, channel, payload string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), "SELECT pg_notify($1, $2)", channel, payload); err != nil {
		t.Fatal(err)
	}
}

func recv(t *testing.T, s *notify.Subscription) notify.Notice {
	t.Helper()
	select {
	case n := <-s.C():
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for a notice")
		return notify.Notice{}
	}
}

// held returns what s holds right now, without waiting.
func held(s *notify.Subscription) []notify.Notice {
	var out []notify.Notice
	for {
		select {
		case n := <-s.C():
			out = append(out, n)
		default:
			return out
		}
	}
}

func TestDeliversEachChannelToItsSubscribers(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	l := notify.New(pool)
	pages := l.Subscribe(8, notify.Events, notify.Posts)
	tablet := l.Subscribe(8, notify.Events)
	feeder := l.Subscribe(8, notify.Outbox)
	start(t, pool, l)
	for _, s := range []*notify.Subscription{pages, tablet, feeder} {
		wait(t, s.Ready(), "a subscription's LISTEN")
	}

	send(t, pool, notify.Events, `{"claim_id":1}`)
	send(t, pool, notify.Posts, `{"n":2}`)
	send(t, pool, notify.Outbox, "")
	want := notify.Notice{Channel: notify.Events, Payload: `{"claim_id":1}`}
	if n := recv(t, pages); n != want {
		t.Errorf("pages got %+v, want %+v", n, want)
	}
	if n := recv(t, pages); n != (notify.Notice{Channel: notify.Posts, Payload: `{"n":2}`}) {
		t.Errorf("pages' second notice %+v", n)
	}
	if n := recv(t, tablet); n != want {
		t.Errorf("tablet got %+v, want %+v", n, want)
	}
	if n := recv(t, feeder); n != (notify.Notice{Channel: notify.Outbox}) {
		t.Errorf("feeder got %+v", n)
	}
	// Each saw only its own channels: the outbox notice reached the feeder after everything
	// sent before it reached the others, so nothing more is on its way to them.
	if extra := append(held(pages), held(tablet)...); len(extra) != 0 {
		t.Errorf("notices of channels not subscribed to: %+v", extra)
	}

	// A closed subscription gets nothing more, and its channel is closed.
	tablet.Close()
	if _, open := <-tablet.C(); open {
		t.Error("a closed subscription's channel is still open")
	}
	send(t, pool, notify.Events, `{"claim_id":3}`)
	if n := recv(t, pages); n.Payload != `{"claim_id":3}` {
		t.Errorf("pages got %+v after the tablet left", n)
	}
}

func TestSubscriberThatStopsReadingBlocksNobody(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	l := notify.New(pool)
	const sent = 50
	stuck := l.Subscribe(2, notify.Events)
	reader := l.Subscribe(sent, notify.Events)
	start(t, pool, l)
	wait(t, stuck.Ready(), "LISTEN")

	for i := range sent {
		send(t, pool, notify.Events, fmt.Sprint(i))
	}
	// The reader gets every notice, in order, although stuck never reads.
	for i := range sent {
		if n := recv(t, reader); n.Payload != fmt.Sprint(i) || n.Resync {
			t.Fatalf("notice %d: got %+v", i, n)
		}
	}
	// stuck fell behind: whenever its buffer was full, what it held was dropped for one Resync,
	// so it holds a Resync (it re-reads the state) and the one notice that came after it.
	got := held(stuck)
	if want := []notify.Notice{{Resync: true}, {Channel: notify.Events, Payload: "49"}}; !slices.Equal(got, want) {
		t.Errorf("the stuck subscriber holds %+v, want %+v", got, want)
	}
	// Having caught up it gets notices again.
	send(t, pool, notify.Events, "after")
	if n := recv(t, stuck); n.Payload != "after" {
		t.Errorf("after catching up: %+v", n)
	}
}

func TestReconnectsAndTellsSubscribersToResync(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	l := notify.New(pool)
	s := l.Subscribe(8, notify.Wall)
	start(t, pool, l)
	wait(t, s.Ready(), "LISTEN")

	var killed bool
	if err := pool.QueryRow(context.Background(), `
		SELECT coalesce(bool_and(pg_terminate_backend(pid)), false) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = $1`, notify.ApplicationName).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminating the listener's session: %v %v", killed, err)
	}
	// Notices sent while it was gone are lost; the subscriber is told so once LISTEN is back.
	if n := recv(t, s); n != (notify.Notice{Resync: true}) {
		t.Fatalf("after the connection was killed: %+v, want a Resync", n)
	}
	send(t, pool, notify.Wall, "back")
	if n := recv(t, s); n != (notify.Notice{Channel: notify.Wall, Payload: "back"}) {
		t.Errorf("after the reconnect: %+v", n)
	}
}

func TestReadyOnceListening(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	l := notify.New(pool)
	early := l.Subscribe(1, notify.Outbox)
	select {
	case <-l.Ready():
		t.Fatal("ready before running")
	case <-early.Ready():
		t.Fatal("a subscription ready before running")
	default:
	}
	start(t, pool, l)
	wait(t, early.Ready(), "the early subscription")
	// The channel is on LISTEN once Ready closed: a notice sent right after arrives.
	send(t, pool, notify.Outbox, "")
	if n := recv(t, early); n.Channel != notify.Outbox {
		t.Errorf("got %+v", n)
	}

	// A subscription made while the connection waits gets its LISTEN on that connection.
	late := l.Subscribe(1, notify.CampaignsChanged)
	wait(t, late.Ready(), "the late subscription")
	send(t, pool, notify.CampaignsChanged, "")
	if n := recv(t, late); n != (notify.Notice{Channel: notify.CampaignsChanged}) {
		t.Errorf("late subscription got %+v", n)
	}
	// And one on channels already listened to is ready at once.
	again := l.Subscribe(1, notify.Outbox)
	select {
	case <-again.Ready():
	default:
		t.Error("a subscription to channels already on LISTEN is not ready at once")
	}
	if got := held(early); len(got) != 0 {
		t.Errorf("early subscription got %+v from the late one's channel", got)
	}
}

// A part run without the shared listener (a command, a test) gets one of its own that delivers
// and stops with its context; with the shared one it gets that very listener.
func TestOrOwnRunsAListenerOnlyWhenNoneIsShared(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	shared := notify.New(pool)
	if l, wait := notify.OrOwn(context.Background(), shared, pool); l != shared {
		t.Fatal("OrOwn replaced the shared listener")
	} else {
		wait() // nothing of its own to wait for
	}
	ctx, cancel := context.WithCancel(context.Background())
	own, stopped := notify.OrOwn(ctx, nil, pool)
	sub := own.Subscribe(1, notify.Outbox)
	defer sub.Close()
	wait(t, sub.Ready(), "the own listener to listen")
	send(t, pool, notify.Outbox, "hello")
	if n := recv(t, sub); n.Payload != "hello" {
		t.Fatalf("own listener delivered %+v", n)
	}
	cancel()
	stopped() // returns: the own listener stopped with its context
}
