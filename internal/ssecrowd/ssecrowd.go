// Package ssecrowd holds thousands of Server-Sent Event streams open from a process of its own,
// as a crowd of phones would, and reports every event each stream receives.
//
// The crowd runs in a second process so that the server under test is the only thing in its
// process holding its streams' descriptors: one process may open 20 000 files on the machines
// we measure on, and both ends of 15 000 streams in one process would not fit. The measuring
// process re-executes its own binary with the Arg subcommand (Child runs there) and speaks a line
// protocol over the child's stdin and stdout:
//
//	parent → child  open <id> <retry-ms> <x-forwarded-for|-> <url> [<url>...]
//	child → parent  up <id> <try> <unix-nanos>       the stream answered 200 and is open, on its
//	                                                 try'th connection (URL try mod len(urls))
//	                down <id> <reason>               the stream ended or could not open
//	                ev <id> <unix-nanos> <name> <data>   an event, timed where it arrived
//
// A stream with retry-ms > 0 reconnects after that long, to its next URL in turn, as a
// browser's EventSource does; with 0 it stays down.
package ssecrowd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Arg is the hidden subcommand a binary answers by calling Child (see IsChild).
const Arg = "ssecrowd-child"

// IsChild reports whether this process was started as a crowd.
func IsChild() bool { return len(os.Args) > 1 && os.Args[1] == Arg }

// Event is one event a stream received.
type Event struct {
	Stream int
	At     time.Time // when the crowd read it off the stream
	Name   string    // "message" when the event named none
	Data   string
	// The connection it came on: its URL's index among the stream's URLs and when it opened,
	// so a late event can be told apart from the status a reconnect sends first.
	URL    int
	Opened time.Time
}

// Crowd is the parent's handle on a running crowd process.
type Crowd struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	inMu   sync.Mutex
	inBuf  *bufio.Writer
	mu     sync.Mutex
	cond   *sync.Cond
	up     map[int]bool
	conn   map[int]conn // stream → its latest connection
	downs  int
	last   string // the latest reason a stream went down
	done   chan struct{}
	onEv   func(Event)
	exited error
}

// Start runs the crowd as a child of this process (its own binary with Arg, which must call
// Child); onEvent is called for every event, one at a time, in arrival order.
func Start(ctx context.Context, onEvent func(Event)) (*Crowd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, Arg)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &Crowd{cmd: cmd, in: in, inBuf: bufio.NewWriter(in), up: map[int]bool{}, conn: map[int]conn{}, done: make(chan struct{}), onEv: onEvent}
	c.cond = sync.NewCond(&c.mu)
	go c.read(out)
	return c, nil
}

func (c *Crowd) read(out io.Reader) {
	defer close(c.done)
	r := bufio.NewReaderSize(out, 64<<10)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break
		}
		kind, rest, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		idStr, rest, _ := strings.Cut(rest, " ")
		id, _ := strconv.Atoi(idStr)
		switch kind {
		case "up":
			c.mu.Lock()
			c.up[id] = true
			c.conn[id] = parseConn(rest)
			c.cond.Broadcast()
			c.mu.Unlock()
		case "down":
			c.mu.Lock()
			delete(c.up, id)
			c.downs++
			c.last = rest
			c.cond.Broadcast()
			c.mu.Unlock()
		case "ev":
			nanos, rest, _ := strings.Cut(rest, " ")
			name, data, _ := strings.Cut(rest, " ")
			n, _ := strconv.ParseInt(nanos, 10, 64)
			if c.onEv != nil {
				c.mu.Lock()
				cn := c.conn[id]
				c.mu.Unlock()
				c.onEv(Event{Stream: id, At: time.Unix(0, n), Name: name, Data: data, URL: cn.url, Opened: cn.opened})
			}
		}
	}
	c.mu.Lock()
	c.exited = fmt.Errorf("the crowd process ended")
	c.cond.Broadcast()
	c.mu.Unlock()
}

// conn is a stream's connection as its up line told: which URL, since when.
type conn struct {
	url    int
	opened time.Time
}

func parseConn(rest string) conn {
	try, nanos, _ := strings.Cut(rest, " ")
	t, _ := strconv.Atoi(try)
	n, _ := strconv.ParseInt(nanos, 10, 64)
	return conn{url: t, opened: time.Unix(0, n)}
}

// Open asks the crowd to open stream id on the first of urls; xff, when set, is sent as
// X-Forwarded-For (the phone's address behind the venue's proxy). retry > 0 makes the stream
// reconnect after that long, to the next URL in turn.
func (c *Crowd) Open(id int, retry time.Duration, xff string, urls ...string) error {
	if xff == "" {
		xff = "-"
	}
	c.inMu.Lock()
	defer c.inMu.Unlock()
	_, err := fmt.Fprintf(c.inBuf, "open %d %d %s %s\n", id, retry.Milliseconds(), xff, strings.Join(urls, " "))
	if err == nil {
		err = c.inBuf.Flush()
	}
	return err
}

// WaitUp waits until n streams are open at once; it fails when any stream went down first
// (telling why), the crowd ended, or ctx ended.
func (c *Crowd) WaitUp(ctx context.Context, n int) error {
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	downs := c.downs
	for len(c.up) < n {
		switch {
		case c.downs > downs:
			return fmt.Errorf("%d of %d streams open; one went down: %s", len(c.up), n, c.last)
		case c.exited != nil:
			return c.exited
		case ctx.Err() != nil:
			return fmt.Errorf("%d of %d streams open: %w", len(c.up), n, ctx.Err())
		}
		c.cond.Wait()
	}
	return nil
}

// Up counts the streams open now.
func (c *Crowd) Up() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.up)
}

// Pid is the crowd process's id.
func (c *Crowd) Pid() int { return c.cmd.Process.Pid }

// Close ends the crowd and every stream it holds.
func (c *Crowd) Close() {
	c.in.Close() // the child ends when its stdin does
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		<-c.done
	}
	c.cmd.Wait()
}

// Child is the crowd process: it opens the streams its parent asks for and reports on stdout
// until stdin ends.
func Child() {
	raiseFileLimit()
	out := newReporter(os.Stdout)
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64<<10), 1<<20)
	// Connecting is paced a little: a listen backlog of thousands of SYNs at once would only
	// measure the kernel's queue.
	dials := make(chan struct{}, 64)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) < 5 || f[0] != "open" {
			continue
		}
		id, _ := strconv.Atoi(f[1])
		ms, _ := strconv.Atoi(f[2])
		s := &stream{id: id, retry: time.Duration(ms) * time.Millisecond, xff: f[3], urls: f[4:], out: out, dials: dials}
		if s.xff == "-" {
			s.xff = ""
		}
		go s.run()
	}
	out.flush()
}

type stream struct {
	id    int
	retry time.Duration
	xff   string
	urls  []string
	out   *reporter
	dials chan struct{}
}

func (s *stream) run() {
	for try := 0; ; try++ {
		err := s.once(try)
		s.out.line("down %d %v", s.id, err)
		if s.retry <= 0 {
			return
		}
		time.Sleep(s.retry)
	}
}

// once holds one connection open on a bare socket (an http.Client per stream would cost far more
// than the server's side we measure) and reports its events until it ends.
func (s *stream) once(try int) error {
	u, err := url.Parse(s.urls[try%len(s.urls)])
	if err != nil {
		return err
	}
	s.dials <- struct{}{}
	conn, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	if err != nil {
		<-s.dials
		return err
	}
	defer conn.Close()
	var req strings.Builder
	fmt.Fprintf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n", u.RequestURI(), u.Host)
	if s.xff != "" {
		fmt.Fprintf(&req, "X-Forwarded-For: %s\r\n", s.xff)
	}
	req.WriteString("\r\n")
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(conn, req.String()); err != nil {
		<-s.dials
		return err
	}
	br := bufio.NewReaderSize(conn, 1024)
	resp, err := http.ReadResponse(br, nil)
	<-s.dials
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("answered %d", resp.StatusCode)
	}
	conn.SetDeadline(time.Time{})
	s.out.line("up %d %d %d", s.id, try%len(s.urls), time.Now().UnixNano())
	return s.events(bufio.NewReaderSize(resp.Body, 512))
}

// events reads the stream as EventSource does: fields until a blank line, which dispatches.
func (s *stream) events(r *bufio.Reader) error {
	name, data := "", ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if data != "" {
				if name == "" {
					name = "message"
				}
				s.out.line("ev %d %d %s %s", s.id, time.Now().UnixNano(), name, data)
			}
			name, data = "", ""
		case strings.HasPrefix(line, "event: "):
			name = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			// Our payloads are one line of JSON; several data lines join with a space here so an
			// event stays one report line.
			if data != "" {
				data += " "
			}
			data += line[len("data: "):]
		}
	}
}

// reporter writes report lines to the parent; a burst of thousands of events goes out in a few
// writes rather than one each.
type reporter struct {
	mu   sync.Mutex
	w    *bufio.Writer
	kick chan struct{}
}

func newReporter(w io.Writer) *reporter {
	r := &reporter{w: bufio.NewWriterSize(w, 256<<10), kick: make(chan struct{}, 1)}
	go func() {
		for range r.kick {
			r.flush()
		}
	}()
	return r
}

func (r *reporter) line(format string, args ...any) {
	r.mu.Lock()
	fmt.Fprintf(r.w, format+"\n", args...)
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func (r *reporter) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.w.Flush()
}

// raiseFileLimit lifts the soft open-files limit to the hard one: every stream is a descriptor.
func raiseFileLimit() {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}
