package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/devdb"
	"github.com/boothgiveaway/giveaway/internal/testkit"
)

// A rehearsal killed outright leaves no instance behind (the kernel kills them with it), and the
// PostgreSQL it leaves is stopped by the next run on the port; Ctrl-C ends a day early, prints
// what it has, exits 1 and stops every process and port it started.
func TestInterruptedRehearsalLeavesNothingRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("plays the rehearsal twice")
	}
	bin := t.TempDir()
	for _, pkg := range []string{".", "../giveaway"} {
		out := filepath.Join(bin, filepath.Base(pkg))
		if pkg == "." {
			out = filepath.Join(bin, "rehearsal")
		}
		if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, b)
		}
	}
	// The runs' temporary folders, and the pointer to a run's cluster, go under the test's own.
	tmp, port := t.TempDir(), freePort(t)
	var clusters []string
	t.Cleanup(func() { // a failed test leaves no cluster running either
		for _, dir := range clusters {
			if devdb.Running(dir) != 0 {
				devdb.StopNow(context.Background(), dir)
			}
		}
	})

	killed := startRehearsal(t, bin, tmp, port)
	instances := killed.dayBegun(t)
	clusters = append(clusters, killed.clusterDir(t))
	killed.cmd.Process.Kill()
	killed.wait(t)
	testkit.EventuallyDescribed(t, func() bool { return gone(instances, port, false) == "" },
		func() string { return "after SIGKILL: " + gone(instances, port, false) })
	leftover := devdb.Running(clusters[0])
	if leftover == 0 {
		t.Fatal("no PostgreSQL left after SIGKILL: the next run has nothing to clean up, so this test proves nothing of it")
	}

	interrupted := startRehearsal(t, bin, tmp, port)
	instances = interrupted.dayBegun(t)
	clusters = append(clusters, interrupted.clusterDir(t))
	if !strings.Contains(interrupted.stderr.String(), fmt.Sprintf("stopping the PostgreSQL (pid %d) a killed rehearsal left in %s", leftover, clusters[0])) {
		t.Errorf("the second run did not say it stopped the leftover cluster:\n%s", interrupted.stderr.String())
	}
	if pid := devdb.Running(clusters[0]); pid != 0 {
		t.Errorf("the killed run's cluster still runs (postmaster %d)", pid)
	}
	interrupted.cmd.Process.Signal(syscall.SIGINT)
	err := interrupted.wait(t)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("interrupted rehearsal exited with %v, want status 1", err)
	}
	out := interrupted.stdout.String()
	for _, want := range []string{"| day_played_to_the_end | NO |", "proof_day_played_to_the_end=false", "rehearsal_requests="} {
		if !strings.Contains(out, want) {
			t.Errorf("interrupted rehearsal's output lacks %q:\n%s", want, out)
		}
	}
	if msg := gone(instances, port, true); msg != "" {
		t.Errorf("after Ctrl-C: %s", msg)
	}
	if pid := devdb.Running(clusters[1]); pid != 0 {
		t.Errorf("after Ctrl-C the cluster still runs (postmaster %d)", pid)
	}
}

type played struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	exited         chan error
}

// startRehearsal plays a long, quiet day, to be cut short, in a temporary folder under tmp.
func startRehearsal(t *testing.T, bin, tmp string, port int) *played {
	t.Helper()
	p := &played{stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan error, 1)}
	p.cmd = exec.Command(filepath.Join(bin, "rehearsal"), "--bin", filepath.Join(bin, "giveaway"),
		"--pg-port", strconv.Itoa(port), "--attendees", "10", "--tablets", "1", "--minutes", "1000",
		"--minute-length", "1s", "--faults=false")
	p.cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() { p.cmd.Process.Kill() })
	return p
}

var (
	instanceLine = regexp.MustCompile(`instance [ab] on (\S+) `)
	clusterLine  = regexp.MustCompile(`PostgreSQL cluster of its own in (\S+) on port`)
)

// clusterDir is the folder of the run's PostgreSQL cluster, as it said.
func (p *played) clusterDir(t *testing.T) string {
	t.Helper()
	m := clusterLine.FindStringSubmatch(p.stderr.String())
	if m == nil {
		t.Fatalf("the rehearsal did not say where its cluster is:\n%s", p.stderr.String())
	}
	return m[1]
}

// dayBegun waits for the day to begin and returns the instances' pids and addresses.
func (p *played) dayBegun(t *testing.T) map[int]string {
	t.Helper()
	testkit.EventuallyDescribed(t, func() bool { return strings.Contains(p.stderr.String(), "the day begins") },
		func() string { return "the day to begin:\n" + p.stderr.String() })
	addrs := instanceLine.FindAllStringSubmatch(p.stderr.String(), -1)
	pids := children(p.cmd.Process.Pid)
	if len(addrs) != 2 || len(pids) != 2 {
		t.Fatalf("want 2 instances, got addresses %v and child pids %v", addrs, pids)
	}
	out := map[int]string{}
	for i, pid := range pids {
		out[pid] = addrs[i][1]
	}
	return out
}

func (p *played) wait(t *testing.T) error {
	t.Helper()
	var err error
	testkit.EventuallyDescribed(t, func() bool {
		select {
		case err = <-p.exited:
			return true
		default:
			return false
		}
	}, func() string { return "the rehearsal to exit:\n" + p.stderr.String() })
	return err
}

// gone says what of the instances (pid → address) and the cluster's port is still there.
func gone(instances map[int]string, pgPort int, checkPG bool) string {
	var left []string
	for pid, addr := range instances {
		if devdb.Alive(pid) {
			left = append(left, fmt.Sprintf("instance pid %d alive", pid))
		}
		if dialable(addr) {
			left = append(left, addr+" listening")
		}
	}
	if pg := fmt.Sprintf("127.0.0.1:%d", pgPort); checkPG && dialable(pg) {
		left = append(left, "PostgreSQL "+pg+" listening")
	}
	return strings.Join(left, "; ")
}

// children are the processes whose parent is pid, from /proc.
func children(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after its closing parenthesis.
		_, rest, _ := strings.Cut(string(b), ") ")
		if fields := strings.Fields(rest); len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			child, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
			out = append(out, child)
		}
	}
	return out
}

func dialable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
