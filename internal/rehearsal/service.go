package rehearsal

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// instance is one `giveaway serve` process; restart brings it back on the same address.
type instance struct {
	name, bin, addr string
	env             []string
	logs            *os.File

	mu  sync.Mutex
	cmd *exec.Cmd
}

func (in *instance) base() string { return "http://" + in.addr }

func (in *instance) start() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	cmd := exec.Command(in.bin, "serve")
	cmd.Env = in.env
	cmd.Stdout, cmd.Stderr = in.logs, in.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	in.cmd = cmd
	go cmd.Wait()
	return waitReady(in.base() + "/readyz")
}

// kill is the fault: SIGKILL, no chance to finish anything.
func (in *instance) kill() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cmd != nil && in.cmd.Process != nil {
		in.cmd.Process.Signal(syscall.SIGKILL)
		for i := 0; i < 100 && dialable(in.addr); i++ {
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// stop is the end of the day: SIGTERM, and SIGKILL if it will not go.
func (in *instance) stop() {
	in.mu.Lock()
	cmd := in.cmd
	in.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	for i := 0; i < 200 && dialable(in.addr); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
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
}

func newClient() *client {
	return &client{http: &http.Client{Timeout: 15 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxIdleConns: 256}}}
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
	resp, err := c.http.Do(req)
	a := answer{At: time.Now(), Path: method + " " + req.URL.Path}
	c.mu.Lock()
	c.sent++
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
