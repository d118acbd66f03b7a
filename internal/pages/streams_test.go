package pages_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/app"
	"github.com/boothgiveaway/giveaway/internal/ssecrowd"
)

// The test binary is also the crowd process some tests hold streams from (internal/ssecrowd).
func TestMain(m *testing.M) {
	if ssecrowd.IsChild() {
		ssecrowd.Child()
		return
	}
	os.Exit(m.Run())
}

// An idle stream's goroutine must park on a stack the GC can halve to 8 KiB (see pump): with
// 16 KiB, an instance's 15 000 streams hold 120 MB more. Held from a crowd process, so the
// test's own client goroutines do not count.
func TestIdleStreamsParkOnSmallStacks(t *testing.T) {
	if raceDetector {
		t.Skip("under -race stacks are not the production binary's; go test without -race (and make bench's sse_kib_per_client) checks this")
	}
	en := newEnvWith(t, func(c *app.Config) { c.StreamsPerAddress = 1000 })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	crowd, err := ssecrowd.Start(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer crowd.Close()
	const n = 200
	before := stackInUse()
	for i := range n {
		path := "/c/" + slug + "/wall/events"
		if i%2 == 1 { // and claim pages, whose stream reads the claim again on each change
			path = "/claims/" + en.claim(en.client(), fmt.Sprintf("idle%d", i)) + "/events"
		}
		if err := crowd.Open(i, 0, "", en.URL+path); err != nil {
			t.Fatal(err)
		}
	}
	if err := crowd.WaitUp(ctx, n); err != nil {
		t.Fatal(err)
	}
	per := (int64(stackInUse()) - int64(before)) / n
	// Each stream also has net/http's 2 KiB background reader; 16 KiB stacks would read ~18 KiB.
	if per > 12<<10 {
		t.Errorf("an idle stream holds %d KiB of goroutine stacks, want about 10", per>>10)
	}
	t.Logf("an idle stream holds %d bytes of goroutine stacks", per)
}

// stackInUse is after enough collections to shrink every parked stack as far as it may go.
func stackInUse() uint64 {
	for range 4 {
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.StackInuse
}
