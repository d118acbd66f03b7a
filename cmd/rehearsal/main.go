// Command rehearsal plays a compressed event day against real `giveaway serve` processes and
// proves that nothing was lost, doubled or leaked (`make rehearsal`). The table of proofs and the
// key=value figures go to stdout, progress to stderr; the exit status is 1 when any proof fails.
// Ctrl-C (or SIGTERM) ends the day early: the instances and the cluster are stopped, what was
// measured so far is printed, and the exit status is 1; a second Ctrl-C kills it outright.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/boothgiveaway/giveaway/internal/rehearsal"
	"github.com/boothgiveaway/giveaway/internal/ssecrowd"
)

func main() {
	if ssecrowd.IsChild() { // the claim pages' event streams, in a process of their own
		ssecrowd.Child()
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// After the first signal the next one has its default effect: impatience kills at once, and
	// the kernel takes the instances with it (see childAttr in internal/rehearsal).
	go func() { <-ctx.Done(); stop() }()
	if err := newApp().Run(ctx, os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "rehearsal:", err)
		os.Exit(1)
	}
}

func newApp() *cli.Command {
	return &cli.Command{
		Name:  "rehearsal",
		Usage: "play a compressed event day against two real instances, with faults, then prove the invariants",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "attendees", Value: 300, Usage: "people who claim"},
			&cli.IntFlag{Name: "minutes", Value: 20, Usage: "the day's length in played minutes"},
			&cli.DurationFlag{Name: "minute-length", Value: 3 * time.Second, Usage: "how long a played minute lasts"},
			&cli.IntFlag{Name: "tweets-per-minute", Value: 40, Usage: "posts a minute on the X stream (the keynote minute has 5×)"},
			&cli.IntFlag{Name: "tablets", Value: 4, Usage: "staff tablets giving at once"},
			&cli.IntFlag{Name: "streams", Value: 2000, Usage: "claim-page event streams held open all day by a crowd process (each attendee's phone, the rest the same pages on more phones; up to ~19 000, one open file each)"},
			// Below Linux's ephemeral range (32768-60999): a port in it may be taken at any moment by
			// a client connection or a test server picking a free port, and then PostgreSQL cannot bind.
			&cli.IntFlag{Name: "pg-port", Value: 29339, Usage: "port of the rehearsal's own PostgreSQL cluster"},
			&cli.BoolFlag{Name: "faults", Value: true, Usage: "play the faults (Elasticsearch down and 429, SIGKILL, PostgreSQL restart)"},
			&cli.StringFlag{Name: "dir", Usage: "working folder for the cluster and the logs; unset: a new temporary one, removed after a passing run"},
			&cli.StringFlag{Name: "bin", Usage: "the giveaway binary; unset: built from ./cmd/giveaway"},
			// Goals: a miss fails the rehearsal (proof resource_goals). The defaults hold on a
			// shared 2-core VM under CI with room to spare (README "The rehearsal"); 0 = unchecked.
			&cli.DurationFlag{Name: "max-p99-claim", Value: time.Second, Usage: "goal: p99 of a claim over the day"},
			&cli.DurationFlag{Name: "max-p99-give", Value: time.Second, Usage: "goal: p99 of a give over the day"},
			&cli.DurationFlag{Name: "max-p99-page", Value: 3 * time.Second, Usage: "goal: p99 from a claim's change to its open page showing it"},
			&cli.DurationFlag{Name: "max-recovery", Value: 20 * time.Second, Usage: "goal: from Elasticsearch's return, and from PostgreSQL's restart, to the service whole again"},
			&cli.DurationFlag{Name: "max-takeover", Value: 45 * time.Second, Usage: "goal: from the X stream reader's SIGKILL to an instance reading it again"},
			&cli.IntFlag{Name: "max-rss-mb", Value: 512, Usage: "goal: each instance's peak resident memory in MB"},
		},
		Action: run,
	}
}

func run(ctx context.Context, cmd *cli.Command) error {
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	dir := cmd.String("dir")
	keep := dir != ""
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "rehearsal-"); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	bin := cmd.String("bin")
	if bin == "" {
		bin = filepath.Join(dir, "giveaway")
		logf("rehearsal: building %s", bin)
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/giveaway")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build: %w", err)
		}
	}
	out, err := rehearsal.Run(ctx, rehearsal.Config{
		Bin: bin, Attendees: int(cmd.Int("attendees")), Minutes: int(cmd.Int("minutes")),
		MinuteLength: cmd.Duration("minute-length"), TweetsPerMinute: int(cmd.Int("tweets-per-minute")),
		Tablets: int(cmd.Int("tablets")), Streams: int(cmd.Int("streams")), Port: int(cmd.Int("pg-port")), Faults: cmd.Bool("faults"),
		Dir: dir, Logf: logf,
		Goals: rehearsal.Goals{ClaimP99: cmd.Duration("max-p99-claim"), GiveP99: cmd.Duration("max-p99-give"),
			PageP99: cmd.Duration("max-p99-page"), Recovery: cmd.Duration("max-recovery"), Takeover: cmd.Duration("max-takeover"), RSSMB: int(cmd.Int("max-rss-mb"))},
	})
	if errors.Is(err, rehearsal.ErrInterrupted) && out != nil {
		out.Print(os.Stdout)
	}
	if err != nil {
		return fmt.Errorf("%w (logs in %s)", err, dir)
	}
	out.Print(os.Stdout)
	if out.Failed() {
		return fmt.Errorf("an invariant failed (logs in %s)", dir)
	}
	if !keep {
		os.RemoveAll(dir)
	}
	return nil
}
