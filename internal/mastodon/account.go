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

// accountCheck is what the token's account filters, as far as the API tells. It is shown in
// /readyz, which is public: counts only; the names are in the log.
type accountCheck struct {
	Acct          string   `json:"-"`
	Mutes         int      `json:"mutes"`
	Blocks        int      `json:"blocks"`
	DomainBlocks  []string `json:"-"`
	Domains       int      `json:"domain_blocks"`
	MoreThanShown bool     `json:"more_than_shown,omitempty"` // a list filled its first page
	Error         string   `json:"-"`                         // the check could not be made (the log has why)
	Failed        bool     `json:"check_failed,omitempty"`
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
		Acct string `json:"acct"`
	}
	if err := c.getJSON(ctx, c.cfg.BaseURL+"/api/v1/accounts/verify_credentials", &me); err != nil {
		ac.Error, ac.Failed = "verify_credentials: "+err.Error(), true
		return ac
	}
	ac.Acct = me.Acct
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
			ac.Error, ac.Failed = strings.TrimPrefix(l.path, "/api/v1/")+": "+err.Error(), true
			return ac
		}
		ac.MoreThanShown = ac.MoreThanShown || len(*l.out) >= accountsPage
	}
	ac.Mutes, ac.Blocks = len(mutes), len(blocks)
	ac.DomainBlocks = []string{}
	if err := c.getJSON(ctx, fmt.Sprintf("%s/api/v1/domain_blocks?limit=%d", c.cfg.BaseURL, domainsPage), &ac.DomainBlocks); err != nil {
		ac.Error, ac.Failed = "domain_blocks: "+err.Error(), true
		return ac
	}
	ac.Domains = len(ac.DomainBlocks)
	ac.MoreThanShown = ac.MoreThanShown || len(ac.DomainBlocks) >= domainsPage
	return ac
}

// degraded says in words what the account's filters cost the reader (no names: /readyz is
// public; the log names them).
func (ac accountCheck) degraded() []string {
	if ac.Failed {
		return []string{"the token's account could not be checked for mutes, blocks and domain blocks (see the log); " +
			"whatever it filters never reaches the hashtag streams"}
	}
	more := ""
	if ac.MoreThanShown {
		more = " or more"
	}
	var out []string
	if ac.Mutes > 0 {
		out = append(out, fmt.Sprintf("the token's account mutes %d%s accounts: their posts never reach the hashtag streams", ac.Mutes, more))
	}
	if ac.Blocks > 0 {
		out = append(out, fmt.Sprintf("the token's account blocks %d%s accounts: their posts never reach the hashtag streams", ac.Blocks, more))
	}
	if ac.Domains > 0 {
		out = append(out, fmt.Sprintf("the token's account blocks %d%s domains: posts from their accounts never reach the hashtag streams", ac.Domains, more))
	}
	return out
}
