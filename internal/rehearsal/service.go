package rehearsal

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// instance is one `giveaway serve` process; restart brings it back on the same address.
type instance struct {
	name, bin, addr string
	env             []string
	logs            *os.File

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited
	closed bool          // shut down for good: a fault's restart comes too late
}

func (in *instance) base() string { return "http://" + in.addr }

func (in *instance) start() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return fmt.Errorf("instance %s: the rehearsal is ending", in.name)
	}
	cmd := exec.Command(in.bin, "serve")
	cmd.Env = in.env
	cmd.Stdout, cmd.Stderr = in.logs, in.logs
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return err
	}
	in.cmd = cmd
	exited := make(chan struct{})
	in.exited = exited
	go func() { cmd.Wait(); close(exited) }()
	return waitReady(in.base() + "/readyz")
}

// kill is the fault: SIGKILL, no chance to finish anything.
func (in *instance) kill() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cmd != nil {
		in.cmd.Process.Signal(syscall.SIGKILL)
		<-in.exited
	}
}

// stop is SIGTERM: the instance finishes what is in flight and exits (SIGKILL after 30 s).
func (in *instance) stop() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.stopLocked()
}

// shutdown stops the instance for good, at the end of the rehearsal or when it is interrupted.
func (in *instance) shutdown() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.closed = true
	in.stopLocked()
}

func (in *instance) stopLocked() {
	if in.cmd == nil {
		return
	}
	in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.exited:
	case <-time.After(30 * time.Second):
		in.cmd.Process.Signal(syscall.SIGKILL)
		<-in.exited
	}
}

func dialable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func waitReady(url string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready within a minute", url)
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// answer is one HTTP exchange as the caller saw it; Status 0 is a transport error (a dropped
// response: the request may or may not have been done).
type answer struct {
	Status int
	Body   []byte
	At     time.Time
	Path   string
}

// client sends the day's requests and keeps every 5xx, with when it happened, for the proofs.
type client struct {
	http *http.Client
	mu   sync.Mutex
	five []answer
	sent int
	lat  map[string][]latency // "claim", "give": every answered call
}

type latency struct {
	at time.Time
	ms float64
}

// kind names the calls whose latency the figures report.
func kind(method, path string) string {
	switch {
	case method != "POST":
		return ""
	case strings.HasSuffix(path, "/give"):
		return "give"
	case strings.HasPrefix(path, "/api/v1/campaigns/") && strings.HasSuffix(path, "/claims"):
		return "claim"
	}
	return ""
}

func newClient() *client {
	return &client{http: &http.Client{Timeout: 15 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxIdleConns: 256}}, lat: map[string][]latency{}}
}

func (c *client) do(method, url string, body []byte, headers ...string) answer {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return answer{At: time.Now(), Path: url}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	a := answer{At: time.Now(), Path: method + " " + req.URL.Path}
	c.mu.Lock()
	c.sent++
	if k := kind(method, req.URL.Path); k != "" && err == nil {
		c.lat[k] = append(c.lat[k], latency{start, float64(a.At.Sub(start).Microseconds()) / 1000})
	}
	c.mu.Unlock()
	if err != nil {
		return a
	}
	defer resp.Body.Close()
	a.Status = resp.StatusCode
	a.Body, _ = io.ReadAll(resp.Body)
	if a.Status >= 500 {
		c.mu.Lock()
		c.five = append(c.five, a)
		c.mu.Unlock()
	}
	return a
}

// usage is an instance's peak resident memory and open files, sampled through the day.
type usage struct {
	rssKB, files int
}

// sample reads the running process's resident memory and open files from /proc (Linux).
func (in *instance) sample() (usage, bool) {
	in.mu.Lock()
	cmd := in.cmd
	in.mu.Unlock()
	if cmd == nil {
		return usage{}, false
	}
	dir := filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid))
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return usage{}, false
	}
	var u usage
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			u.rssKB, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	fds, _ := os.ReadDir(filepath.Join(dir, "fd"))
	u.files = len(fds)
	return u, true
}
