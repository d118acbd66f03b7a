package xstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/store"
)

// TagPrefix marks the stream rules this service owns. Rules without it belong to someone else
// (another tool on the same X project) and are never touched.
const TagPrefix = "giveaway:"

// Rule is a filtered-stream rule as X's rules endpoint speaks it.
type Rule struct {
	ID    string `json:"id,omitempty"`
	Value string `json:"value"`
	Tag   string `json:"tag,omitempty"`
}

// Campaign is what the rules need to know about a campaign.
type Campaign struct {
	Slug     string
	Hashtags []string // as the organiser typed them, without '#'
}

// DesiredRules returns, for each campaign in order, a rule requiring every hashtag (the
// giveaway) and a rule for any of them (the dashboards). A value already wanted by an earlier
// campaign is left out, since X refuses two rules with one value.
func DesiredRules(campaigns []Campaign) []Rule {
	var out []Rule
	seen := map[string]bool{}
	add := func(r Rule) {
		if !seen[r.Value] {
			seen[r.Value] = true
			out = append(out, r)
		}
	}
	for _, c := range campaigns {
		tags := make([]string, 0, len(c.Hashtags))
		for _, h := range c.Hashtags {
			if h = strings.TrimLeft(strings.TrimSpace(h), "#＃"); h != "" {
				tags = append(tags, "#"+h)
			}
		}
		if len(tags) == 0 {
			continue
		}
		// Retweets are left out of the giveaway rule: they never make anyone eligible, and X
		// bills every post it delivers.
		add(Rule{Value: strings.Join(tags, " ") + " -is:retweet", Tag: TagPrefix + c.Slug + ":all"})
		add(Rule{Value: strings.Join(tags, " OR "), Tag: TagPrefix + c.Slug + ":any"})
	}
	return out
}

// ActiveCampaigns lists the campaigns that need stream rules at now: not over, and starting
// within a day, so the rules are in place before the doors open (the pulling sources' window).
func ActiveCampaigns(ctx context.Context, pool *pgxpool.Pool, now time.Time) ([]Campaign, error) {
	rows, err := store.New(pool).ListeningCampaigns(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("xstream: active campaigns: %w", err)
	}
	out := make([]Campaign, len(rows))
	for i, r := range rows {
		out[i] = Campaign{Slug: r.Slug, Hashtags: r.DisplayHashtags}
	}
	return out, nil
}

// RulesResult says what a reconcile did.
type RulesResult struct {
	Kept, Added, Deleted []Rule
	Skipped              []Rule // wanted, but another owner's rule already has the value
}

// ReconcileRules makes the project's rules match the active campaigns: it adds the missing
// rules, deletes stale ones that carry TagPrefix, and leaves every other rule alone.
func (c *Client) ReconcileRules(ctx context.Context) (RulesResult, error) {
	var res RulesResult
	campaigns, err := ActiveCampaigns(ctx, c.pool, c.cfg.Now())
	if err != nil {
		return res, err
	}
	existing, err := c.listRules(ctx)
	if err != nil {
		return res, err
	}
	want := DesiredRules(campaigns)
	wantByValue := map[string]Rule{}
	for _, r := range want {
		wantByValue[r.Value] = r
	}
	have := map[string]bool{} // values that stay after the deletes
	var deleteIDs []string
	for _, r := range existing {
		if !strings.HasPrefix(r.Tag, TagPrefix) {
			have[r.Value] = true
			if w, ok := wantByValue[r.Value]; ok {
				res.Skipped = append(res.Skipped, w)
			}
			continue
		}
		if w, ok := wantByValue[r.Value]; ok && w.Tag == r.Tag && !have[r.Value] {
			have[r.Value] = true
			res.Kept = append(res.Kept, r)
			continue
		}
		deleteIDs = append(deleteIDs, r.ID)
		res.Deleted = append(res.Deleted, r)
	}
	var add []Rule
	for _, r := range want {
		if !have[r.Value] {
			add = append(add, r)
		}
	}
	// Deletes go first: a rule whose tag changed keeps its value, and X refuses a duplicate value.
	if len(deleteIDs) > 0 {
		var body struct {
			Delete struct {
				IDs []string `json:"ids"`
			} `json:"delete"`
		}
		body.Delete.IDs = deleteIDs
		if _, err := c.postRules(ctx, body); err != nil {
			return res, err
		}
	}
	if len(add) > 0 {
		resp, err := c.postRules(ctx, map[string]any{"add": add})
		if resp != nil {
			res.Added = resp.Data
		}
		if err != nil {
			return res, err
		}
	}
	for _, r := range res.Skipped {
		c.log.Warn("stream rule not added: another rule on the X project has the same value",
			"value", r.Value, "tag", r.Tag)
	}
	c.setRules(len(res.Kept)+len(res.Added), nil)
	c.log.Info("stream rules reconciled", "kept", len(res.Kept), "added", len(res.Added),
		"deleted", len(res.Deleted), "campaigns", len(campaigns))
	return res, nil
}

type rulesResponse struct {
	Data []Rule `json:"data"`
	Meta struct {
		ResultCount int            `json:"result_count"`
		NextToken   string         `json:"next_token"`
		Summary     map[string]int `json:"summary"`
	} `json:"meta"`
	Errors []Problem `json:"errors"`
}

// Problem is X's error object (RFC 7807 style, with X's extras).
type Problem struct {
	Title           string   `json:"title"`
	Detail          string   `json:"detail"`
	Type            string   `json:"type"`
	Status          int      `json:"status,omitempty"`
	ConnectionIssue string   `json:"connection_issue,omitempty"`
	Value           string   `json:"value,omitempty"`
	ID              string   `json:"id,omitempty"`
	Details         []string `json:"details,omitempty"`
}

func (p Problem) String() string {
	s := p.Title
	if p.ConnectionIssue != "" {
		s += " (" + p.ConnectionIssue + ")"
	}
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	if len(p.Details) > 0 {
		s += ": " + strings.Join(p.Details, "; ")
	}
	if p.Value != "" {
		s += fmt.Sprintf(" [rule %q]", p.Value)
	}
	return s
}

// APIError is an HTTP error answer from X.
type APIError struct {
	Status  int
	Problem Problem
	// Reset is when the rate-limit window ends (x-rate-limit-reset, a Unix second), if X said.
	Reset time.Time
}

func (e *APIError) Error() string {
	return fmt.Sprintf("x api: HTTP %d: %s", e.Status, e.Problem)
}

const rulesPath = "/2/tweets/search/stream/rules"

func (c *Client) listRules(ctx context.Context) ([]Rule, error) {
	var all []Rule
	token := ""
	for {
		q := url.Values{"max_results": {"1000"}}
		if token != "" {
			q.Set("pagination_token", token)
		}
		var resp rulesResponse
		if err := c.rulesCall(ctx, http.MethodGet, rulesPath+"?"+q.Encode(), nil, &resp); err != nil {
			return nil, err
		}
		all = append(all, resp.Data...)
		if token = resp.Meta.NextToken; token == "" {
			return all, nil
		}
	}
}

// postRules sends an add or delete; X answers 200 even when some rules were refused, listing
// them in errors, so those become an error too.
func (c *Client) postRules(ctx context.Context, body any) (*rulesResponse, error) {
	var resp rulesResponse
	if err := c.rulesCall(ctx, http.MethodPost, rulesPath, body, &resp); err != nil {
		return nil, err
	}
	if len(resp.Errors) > 0 {
		msgs := make([]string, len(resp.Errors))
		for i, p := range resp.Errors {
			msgs[i] = p.String()
		}
		return &resp, fmt.Errorf("x api: rules refused: %s", strings.Join(msgs, "; "))
	}
	return &resp, nil
}

func (c *Client) rulesCall(ctx context.Context, method, path string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.BaseURL+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.BearerToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("x api: rules: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("x api: rules: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return apiError(resp, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("x api: rules: bad answer: %w", err)
	}
	return nil
}

func apiError(resp *http.Response, body []byte) *APIError {
	status := resp.StatusCode
	e := &APIError{Status: status}
	if sec, err := strconv.ParseInt(strings.TrimSpace(resp.Header.Get("x-rate-limit-reset")), 10, 64); err == nil && sec > 0 {
		e.Reset = time.Unix(sec, 0)
	}
	if json.Unmarshal(body, &e.Problem) != nil || e.Problem.Title == "" {
		// Some answers wrap the problem in "errors".
		var wrapped struct {
			Errors []Problem `json:"errors"`
		}
		if json.Unmarshal(body, &wrapped) == nil && len(wrapped.Errors) > 0 {
			e.Problem = wrapped.Errors[0]
		} else if e.Problem.Title == "" {
			e.Problem.Title = http.StatusText(status)
			e.Problem.Detail = strings.TrimSpace(string(truncate(body, 200)))
		}
	}
	return e
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// isTooManyConnections reports whether err is X's 429 for a stream already held elsewhere.
func isTooManyConnections(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests &&
		ae.Problem.ConnectionIssue == "TooManyConnections"
}
