package rehearsal

import (
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
