package giveaway

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/tweet"
)

// DryRunInput is a post to try against a campaign: Post in any shape ingest accepts, or Text
// and Handle typed by hand (then the post is dated CreatedAt, default now).
type DryRunInput struct {
	Post      json.RawMessage `json:"post"`
	Text      string          `json:"text"`
	Handle    string          `json:"handle"`
	CreatedAt *time.Time      `json:"created_at"`
}

// Reason is why a post would not count.
type Reason struct {
	// Code: missing_hashtags, retweet, before_start, after_end.
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Missing []string `json:"missing,omitempty"` // missing_hashtags: the campaign's hashtags the post lacks
}

// DryRun is the verdict on a post: whether it would count, and every reason why not.
type DryRun struct {
	Counts    bool      `json:"counts"`
	Reasons   []Reason  `json:"reasons"`
	Handle    string    `json:"handle"`
	Hashtags  []string  `json:"hashtags"`
	CreatedAt time.Time `json:"created_at"`
}

// DryRun says whether a post would count for the campaign, by the rules ingest applies (own
// post, every required hashtag, inside the window), storing nothing.
func (s *Service) DryRun(ctx context.Context, slug string, in DryRunInput) (*DryRun, error) {
	c, err := s.Campaign(ctx, slug)
	if err != nil {
		return nil, err
	}
	p, err := s.dryRunPost(in)
	if err != nil {
		return nil, err
	}
	out := &DryRun{Reasons: []Reason{}, Handle: p.Handle, Hashtags: p.Hashtags, CreatedAt: p.CreatedAt}
	if out.Hashtags == nil {
		out.Hashtags = []string{}
	}
	if !p.IsOwnPost() {
		out.Reasons = append(out.Reasons, Reason{Code: "retweet", Message: "a plain retweet is not the author's own post"})
	}
	var missing []string
	have := p.NormalizedHashtags()
	for i, req := range c.normalized {
		if !tweet.HasAll(have, []string{req}) {
			missing = append(missing, c.RequiredHashtags[i])
		}
	}
	if len(missing) > 0 {
		out.Reasons = append(out.Reasons, Reason{Code: "missing_hashtags",
			Message: "missing #" + strings.Join(missing, " #"), Missing: missing})
	}
	switch {
	case p.CreatedAt.Before(c.StartsAt):
		out.Reasons = append(out.Reasons, Reason{Code: "before_start", Message: "posted before the campaign starts"})
	case !p.CreatedAt.Before(c.EndsAt):
		out.Reasons = append(out.Reasons, Reason{Code: "after_end", Message: "posted after the campaign ended"})
	}
	out.Counts = len(out.Reasons) == 0
	return out, nil
}

func (s *Service) dryRunPost(in DryRunInput) (*tweet.Post, error) {
	if len(in.Post) > 0 && string(in.Post) != "null" {
		item, err := tweet.Parse(in.Post)
		if err != nil || item.Post == nil {
			msg := "post is not a post ingest accepts"
			if err != nil {
				msg += ": " + err.Error()
			}
			return nil, apperr.New(apperr.Invalid, "invalid_post", "%s", msg).With("field", "post")
		}
		return item.Post, nil
	}
	text := strings.TrimSpace(in.Text)
	if text == "" || len(text) > 10_000 {
		return nil, invalid("text_required", "send a post, or its text (and the handle)").With("field", "text")
	}
	p := &tweet.Post{Network: "twitter", Handle: strings.TrimPrefix(strings.TrimSpace(in.Handle), "@"), Text: text,
		Hashtags: tweet.ExtractHashtags(text), CreatedAt: s.now().UTC()}
	if in.CreatedAt != nil {
		p.CreatedAt = in.CreatedAt.UTC()
	}
	// Typed text names no original, so a retweet is recognised as the v1.1 text shape writes it.
	p.Retweet = strings.HasPrefix(text, "RT @")
	return p, nil
}
