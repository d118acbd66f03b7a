package source

import (
	"context"
	"log/slog"
	"sync"

	"github.com/boothgiveaway/giveaway/internal/notify"
)

// RunAll runs every source until ctx ends, and tells them when a campaign changes: notices
// come from the process's LISTEN connection, and a Resync (notices lost while it reconnected)
// makes them re-read the campaigns too. They also re-read them every minute.
func RunAll(ctx context.Context, notices *notify.Listener, sources []Source) {
	if len(sources) == 0 {
		return
	}
	var wg sync.WaitGroup
	sub := notices.Subscribe(1, notify.CampaignsChanged)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.C():
				for _, s := range sources {
					s.CampaignsChanged()
				}
			}
		}
	}()
	for _, s := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Run(ctx); err != nil && ctx.Err() == nil {
				slog.Error("source stopped", "source", s.Name(), "err", err)
			}
		}()
	}
	wg.Wait()
}
