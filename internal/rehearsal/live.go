package rehearsal

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

// live is what an attendee's claim page saw on its event stream: the statuses in the order they
// came and when each first arrived.
type live struct {
	mu   sync.Mutex
	last string
	seen map[string]time.Time
}

func (l *live) status() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// follow holds the claim page's event stream open as a phone would, reconnecting (the browser's
// EventSource does, after the stream's retry interval) to either instance when its instance
// goes away, until ctx ends.
func (d *day) follow(ctx context.Context, attendee int, token string) *live {
	l := &live{seen: map[string]time.Time{}}
	go func() {
		for try := 0; ctx.Err() == nil; try++ {
			url := d.inst(attendee+try).base() + "/claims/" + token + "/events"
			req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
			req.Header.Set("Accept", "text/event-stream")
			req.Header.Set("X-Forwarded-For", venueNAT)
			resp, err := streamClient.Do(req)
			if err == nil {
				if resp.StatusCode == 200 {
					l.read(resp)
				}
				resp.Body.Close()
			}
			select {
			case <-ctx.Done():
			case <-time.After(d.minute() / 4):
			}
		}
	}()
	return l
}

// streamClient has no timeout: the streams last the day.
var streamClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024}}

func (l *live) read(resp *http.Response) {
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var ev struct{ Status string }
		if json.Unmarshal([]byte(data), &ev) != nil || ev.Status == "" {
			continue
		}
		l.mu.Lock()
		l.last = ev.Status
		if _, ok := l.seen[ev.Status]; !ok {
			l.seen[ev.Status] = time.Now()
		}
		l.mu.Unlock()
	}
}
