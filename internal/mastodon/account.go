package mastodon

import (
	"context"
	"fmt"
	"strings"
)

// Mastodon's streaming server filters a hashtag stream for the token's account
// (streaming/index.js): statuses in languages outside the account's chosen languages, from
// accounts it mutes or blocks (or that block it) and from domains it blocks never arrive, and
// the hashtag timeline the gap fill reads leaves them out too. The check below reads what the
// API shows of that, so the organiser learns it before the event rather than after.

// accountCheck is what the token's account filters, as far as the API tells.
type accountCheck struct {
	Acct          string   `json:"acct"`
	Language      string   `json:"posting_language,omitempty"` // source.language: the posting default, not a filter
	Mutes         int      `json:"mutes"`
	Blocks        int      `json:"blocks"`
	DomainBlocks  []string `json:"domain_blocks"`
	MoreThanShown bool     `json:"more_than_shown,omitempty"` // a list filled its first page
	Error         string   `json:"error,omitempty"`           // the check could not be made
}

// List sizes asked for: the most each route gives in one page.
const (
	accountsPage = 80  // /api/v1/mutes, /api/v1/blocks
	domainsPage  = 200 // /api/v1/domain_blocks
)

// checkAccount reads the token's account (/api/v1/accounts/verify_credentials) and the lists
// that filter its streams (/api/v1/mutes, /api/v1/blocks, /api/v1/domain_blocks). Only the first
// page of each is read: the point is whether there are any, and a few names.
func (c *Client) checkAccount(ctx context.Context) accountCheck {
	var ac accountCheck
	var me struct {
		Acct   string `json:"acct"`
		Source struct {
			Language *string `json:"language"`
		} `json:"source"`
	}
	if err := c.getJSON(ctx, c.cfg.BaseURL+"/api/v1/accounts/verify_credentials", &me); err != nil {
		ac.Error = "verify_credentials: " + err.Error()
		return ac
	}
	ac.Acct = me.Acct
	if me.Source.Language != nil {
		ac.Language = *me.Source.Language
	}
	var mutes, blocks []struct {
		Acct string `json:"acct"`
	}
	for _, l := range []struct {
		path string
		out  *[]struct {
			Acct string `json:"acct"`
		}
	}{{"/api/v1/mutes", &mutes}, {"/api/v1/blocks", &blocks}} {
		if err := c.getJSON(ctx, fmt.Sprintf("%s%s?limit=%d", c.cfg.BaseURL, l.path, accountsPage), l.out); err != nil {
			ac.Error = strings.TrimPrefix(l.path, "/api/v1/") + ": " + err.Error()
			return ac
		}
		ac.MoreThanShown = ac.MoreThanShown || len(*l.out) >= accountsPage
	}
	ac.Mutes, ac.Blocks = len(mutes), len(blocks)
	ac.DomainBlocks = []string{}
	if err := c.getJSON(ctx, fmt.Sprintf("%s/api/v1/domain_blocks?limit=%d", c.cfg.BaseURL, domainsPage), &ac.DomainBlocks); err != nil {
		ac.Error = "domain_blocks: " + err.Error()
		return ac
	}
	ac.MoreThanShown = ac.MoreThanShown || len(ac.DomainBlocks) >= domainsPage
	return ac
}

// degraded says in words what the account's filters cost the reader.
func (ac accountCheck) degraded() []string {
	if ac.Error != "" {
		return []string{"the token's account could not be checked for mutes, blocks and domain blocks (" +
			ac.Error + "); whatever it filters never reaches the hashtag streams"}
	}
	more := ""
	if ac.MoreThanShown {
		more = " or more"
	}
	var out []string
	if ac.Mutes > 0 {
		out = append(out, fmt.Sprintf("the token's account (%s) mutes %d%s accounts: their posts never reach the hashtag streams", ac.Acct, ac.Mutes, more))
	}
	if ac.Blocks > 0 {
		out = append(out, fmt.Sprintf("the token's account (%s) blocks %d%s accounts: their posts never reach the hashtag streams", ac.Acct, ac.Blocks, more))
	}
	if n := len(ac.DomainBlocks); n > 0 {
		shown := ac.DomainBlocks[:min(n, 5)]
		out = append(out, fmt.Sprintf("the token's account (%s) blocks %d%s domains (%s): posts from their accounts never reach the hashtag streams",
			ac.Acct, n, more, strings.Join(shown, ", ")))
	}
	return out
}
