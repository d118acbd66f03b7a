package ingest

import (
	"encoding/json"
	"sort"

	"github.com/boothgiveaway/giveaway/internal/tweet"
)

// eligiblePost is a post and the campaigns it counts for.
type eligiblePost struct {
	post      *tweet.Post
	campaigns []int64
}

// wallNote collects the new eligible posts of a batch for the live walls (internal/pages).
type wallNote struct {
	byCampaign map[int64][]*tweet.Post
}

func newWallNote() *wallNote { return &wallNote{byCampaign: map[int64][]*tweet.Post{}} }

func (w *wallNote) add(e eligiblePost) {
	for _, c := range e.campaigns {
		w.byCampaign[c] = append(w.byCampaign[c], e.post)
	}
}

// wallPostsPerNote bounds the posts named per campaign: a wall shows a handful, and NOTIFY
// payloads must stay under 8000 bytes.
const wallPostsPerNote = 40

// payload is [{"c": campaign, "n": count, "p": [[network, id], ...newest first]}], or "".
func (w *wallNote) payload() string {
	type entry struct {
		C int64       `json:"c"`
		N int         `json:"n"`
		P [][2]string `json:"p"`
	}
	var out []entry
	for c, posts := range w.byCampaign {
		sort.Slice(posts, func(i, j int) bool { return posts[i].CreatedAt.After(posts[j].CreatedAt) })
		e := entry{C: c, N: len(posts)}
		for _, p := range posts[:min(len(posts), wallPostsPerNote)] {
			e.P = append(e.P, [2]string{p.Network, p.ID})
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return ""
	}
	b, _ := json.Marshal(out)
	return string(b)
}
