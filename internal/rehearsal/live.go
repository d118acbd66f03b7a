package rehearsal

import (
	"sync"
	"time"

	"github.com/boothgiveaway/giveaway/internal/ssecrowd"
)

// live is what an attendee's claim page saw on its event stream: the statuses in the order they
// came and when each first arrived.
type live struct {
	mu   sync.Mutex
	last string
	seen map[string]time.Time
	via  map[string]ssecrowd.Event // status → the event that first showed it (its connection)
}

func (l *live) status() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}
