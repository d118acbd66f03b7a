package leader_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/leader"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
	"github.com/boothgiveaway/giveaway/internal/testkit"
)

// Two instances: one works, the other stands by and takes over when the first stops or its
// database session is killed; never both at once.
func TestOneHolderAndTakeover(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	var running, overlap atomic.Int32
	started := make(chan string, 10)
	job := func(who string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			if running.Add(1) > 1 {
				overlap.Add(1)
			}
			started <- who
			<-ctx.Done()
			running.Add(-1)
			return ctx.Err()
		}
	}
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	defer stopB()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); leader.Run(ctxA, pool, "test", 50*time.Millisecond, job("A")) }()
	first := waitFor(t, started)
	go func() { defer wg.Done(); leader.Run(ctxB, pool, "test", 50*time.Millisecond, job("B")) }()
	if first != "A" {
		t.Fatalf("first holder %s, want A", first)
	}
	select {
	case who := <-started:
		t.Fatalf("%s started while A held the job", who)
	case <-time.After(300 * time.Millisecond):
	}

	// A's database session dies: A's job is stopped and B takes over.
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND classid = $1 AND objid = hashtext('test')::oid AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, int64(0x67697665)); err != nil {
		t.Fatal(err)
	}
	// A may win the lock back before B; either way exactly one holds it again.
	next := waitFor(t, started)
	holderCtx := map[string]context.CancelFunc{"A": stopA, "B": stopB}
	holderCtx[next]()
	other := map[string]string{"A": "B", "B": "A"}[next]
	if got := waitFor(t, started); got != other {
		t.Fatalf("after %s stopped, %s started, want %s", next, got, other)
	}
	stopA()
	stopB()
	wg.Wait()
	if overlap.Load() != 0 {
		t.Fatal("two instances ran the job at once")
	}
}

// Different names are different jobs.
func TestNamesAreIndependent(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan string, 2)
	for _, name := range []string{"x", "y"} {
		go leader.Run(ctx, pool, name, 50*time.Millisecond, func(ctx context.Context) error {
			started <- name
			<-ctx.Done()
			return nil
		})
	}
	waitFor(t, started)
	waitFor(t, started)
}

func waitFor(t *testing.T, c chan string) string {
	t.Helper()
	select {
	case who := <-c:
		return who
	case <-time.After(20 * time.Second):
		t.Fatal("no instance started the job")
		return ""
	}
}

// A standby waits on the lock rather than polling for it: with an hour between tries it still
// takes over as soon as the holder is gone.
func TestStandbyTakesOverWithoutWaitingForItsNextTry(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	started := make(chan string, 2)
	job := func(who string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			started <- who
			<-ctx.Done()
			return nil
		}
	}
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	defer stopB()
	doneA := make(chan struct{})
	go func() { defer close(doneA); leader.Run(ctxA, pool, "wait", time.Hour, job("A")) }()
	if who := waitFor(t, started); who != "A" {
		t.Fatalf("first holder %s", who)
	}
	go leader.Run(ctxB, pool, "wait", time.Hour, job("B"))
	// B is standing by once its session waits on the lock.
	testkit.Eventually(t, "B waiting on the lock", func() bool {
		var n int
		pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
			AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n)
		return n == 1
	})
	stopA()
	<-doneA
	if who := waitFor(t, started); who != "B" {
		t.Fatalf("after A stopped, %s started", who)
	}
}
