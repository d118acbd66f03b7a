package ingest

import (
	"log/slog"

	"github.com/boothgiveaway/giveaway/internal/tweet"
)

// storable drops the posts PostgreSQL would refuse (a NUL, invalid UTF-8), which would otherwise
// fail the whole batch's transaction and make its source retry it forever.
func (s *Service) storable(items []tweet.Item) []tweet.Item {
	out := items[:0:0]
	for _, it := range items {
		if it.Post != nil && !it.Post.Storable() {
			slog.Warn("ingest: dropped a post holding a NUL or invalid UTF-8", "network", it.Post.Network, "id", it.Post.ID)
			s.posts.WithLabelValues("invalid").Inc()
			continue
		}
		out = append(out, it)
	}
	return out
}
