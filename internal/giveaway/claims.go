package giveaway

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/store"
)

// ClaimInput is what an attendee (or staff, for a manual claim) sends.
type ClaimInput struct {
	Network string `json:"network"`
	Handle  string `json:"handle"`
	PostURL string `json:"post_url"`
	Note    string `json:"note"`
	// HeldToken is the claim token the claiming device already holds (cookie or X-Claim-Token):
	// only with it does claiming again return the person's existing claim.
	HeldToken string `json:"-"`
	// ClientAddr is the claiming device's address (the one rate limits use); an other-network
	// claim from it counts towards the address's bound (WithPendingPerAddress).
	ClientAddr string `json:"-"`
}

// The pending other-network claims (those staff must look at) are bounded so nobody can fill the
// approval queue: per device, MaxPendingPerDevice, and per client address, a bound a venue can set
// (WithPendingPerAddress): a venue NAT puts the whole crowd behind one address. A device is the
// holder of the campaign's claim cookie (or X-Claim-Token): the claims made while holding one of
// a device's tokens are that device's. A client that drops its cookie is a new device each time,
// so the address bound is what holds a script; the device bound holds a phone.
const (
	MaxPendingPerDevice      = 3
	DefaultPendingPerAddress = 50
)

// errAlreadyClaimed answers a claim for a person who has one, from a device that does not hold
// it. It is the same whatever that claim's state, and says nothing of it: who claimed or won is
// nobody's business, and the claim stays with the device that made it (or the booth re-issues it).
func errAlreadyClaimed() error {
	return apperr.New(apperr.Conflict, "already_claimed",
		"this account has already claimed here; if it is yours, go to the booth to get its link again")
}

// Claim is a claim as its owner sees it. Token is set only in the answer that created it.
type Claim struct {
	ID         int64      `json:"id"`
	Campaign   string     `json:"campaign"`
	Network    string     `json:"network"`
	Handle     string     `json:"handle"`
	PostURL    *string    `json:"post_url,omitempty"`
	Code       string     `json:"code"`
	Status     string     `json:"status"`
	Token      string     `json:"token,omitempty"`
	Manual     bool       `json:"manual"`
	TweetID    *string    `json:"tweet_id,omitempty"`
	VerifiedAt *time.Time `json:"verified_at,omitempty"`
	// VerifiedBy says how a verified claim was proven: one of the Proof* values.
	VerifiedBy *string   `json:"verified_by,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	// ProvenAccount: the attendee signed in to the account (its post, when it comes, verifies
	// the claim as 'oauth'). Shown on the claim's page only.
	ProvenAccount bool `json:"-"`
}

// How a claim was proven, strongest first (claims.verified_by).
const (
	// ProofCode: a post that carries the claim's short code, so its poster holds the claim.
	ProofCode = "code"
	// ProofOAuth: the attendee signed in to the account.
	ProofOAuth = "oauth"
	// ProofStaff: staff recorded or approved the claim.
	ProofStaff = "staff"
	// ProofHandle: a post by the handle only; staff check the account on the attendee's phone.
	ProofHandle = "handle"
)

// StaffClaim adds what only staff may see.
type StaffClaim struct {
	Claim
	Note       *string `json:"note,omitempty"`
	TweetText  *string `json:"tweet_text,omitempty"`
	NewAccount bool    `json:"new_account"`
}

// codeAlphabet has no 0/O or 1/I, so a code read aloud or typed on a tablet is unambiguous.
const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

func newCode() string {
	b := make([]byte, 6)
	rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}

// newToken returns an attendee token (256 bits from the CSPRNG) and the hash we keep of it.
func newToken() (string, []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	return tok, HashToken(tok)
}

// HashToken is how tokens are stored and looked up.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func claimView(slug string, c store.Claim) *Claim {
	return &Claim{ID: c.ID, Campaign: slug, Network: c.Network, Handle: c.Handle, PostURL: c.PostUrl,
		Code: c.Code, Status: c.Status, Manual: c.Manual, TweetID: c.TweetID, VerifiedAt: c.VerifiedAt,
		VerifiedBy: c.VerifiedBy, CreatedAt: c.CreatedAt, ProvenAccount: c.ProvenAccount}
}

func details(kv ...any) []byte {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	b, _ := json.Marshal(m)
	return b
}

func (s *Service) campaignForClaims(ctx context.Context, q *store.Queries, slug string) (store.Campaign, error) {
	c, err := q.CampaignBySlug(ctx, slug)
	if err != nil {
		return c, campaignErr(err, slug)
	}
	if c.PurgedAt != nil || !s.now().Before(c.EndsAt) {
		return c, apperr.New(apperr.Conflict, "campaign_closed", "campaign %q has ended", slug)
	}
	return c, nil
}

// CreateClaim records an attendee's claim, or returns the person's existing claim (created is
// then false) to the device that holds its token (in.HeldToken, echoed back as Token); any other
// device is told already_claimed and nothing more. An other-network claim from a device or an
// address with its share of pending ones is refused (too_many_pending). A claim whose eligible post is already stored
// is verified at once. The person's matching lock and the claim with its events and token travel
// to the database as one batch, together with the claims of whoever else is claiming (claimQueue):
// one round trip on the hot path.
func (s *Service) CreateClaim(ctx context.Context, slug string, in ClaimInput) (claim *Claim, created bool, err error) {
	display, norm, post, err := person(in.Network, in.Handle, in.PostURL, true)
	if err != nil {
		return nil, false, err
	}
	network := strings.ToLower(strings.TrimSpace(in.Network))
	if network == "" {
		network = "twitter"
	}
	campaignID, err := s.campaignID(ctx, slug)
	if err != nil {
		return nil, false, err
	}
	token, hash := newToken()
	r := &claimRequest{campaignID: campaignID, network: network, handleNorm: norm, handle: display,
		code: newCode(), tokenHash: hash, matchPosts: SelfVerified(network)}
	if post != nil {
		r.postURL = *post
	}
	if r.matchPosts {
		r.person = PersonKey(network, norm) // the key the ingest path locks
	}
	if in.HeldToken != "" && len(in.HeldToken) <= 100 {
		r.heldHash = HashToken(in.HeldToken)
	}
	if !SelfVerified(network) {
		if a, err := netip.ParseAddr(in.ClientAddr); err == nil {
			r.clientAddr = a.Unmap().String()
		}
		if r.deviceHash, err = s.device(ctx, campaignID, r); err != nil {
			return nil, false, err
		}
	}
	res := s.queue.submit(ctx, r)
	for try := 1; ; try++ {
		if res.err != nil {
			return nil, false, res.err
		}
		if row := res.row; row != nil {
			switch {
			case row.Capped:
				return nil, false, apperr.New(apperr.TooMany, "too_many_pending",
					"too many claims for this network are waiting for staff from this phone or place; show your post at the booth")
			case !row.Owned:
				return nil, false, errAlreadyClaimed()
			case row.Created:
				s.claims.Inc()
			default:
				token = in.HeldToken // the device's own token: no new one for a claim it holds
			}
			return &Claim{ID: row.ID, Campaign: slug, Network: network, Handle: row.Handle, PostURL: row.PostUrl,
				Code: row.Code, Status: row.Status, Token: token, TweetID: row.TweetID, VerifiedAt: row.VerifiedAt,
				VerifiedBy: row.VerifiedBy, CreatedAt: row.CreatedAt}, row.Created, nil
		}
		// Closed, or the code was taken, or the person's claim appeared meanwhile: say which.
		if _, err := s.campaignForClaims(ctx, store.New(s.pool), slug); err != nil {
			return nil, false, err
		}
		if try == 8 {
			return nil, false, apperr.New(apperr.Conflict, "code_exhausted", "could not find a free claim code; try again")
		}
		r.code = newCode()
		res = s.queue.alone(ctx, r)
	}
}

// device is the claiming device of an other-network claim: the device of the claim token it holds
// in the campaign, or else a new device named by the token this claim mints.
func (s *Service) device(ctx context.Context, campaignID int64, r *claimRequest) ([]byte, error) {
	if r.heldHash != nil {
		d, err := store.New(s.pool).ClaimDevice(ctx, store.ClaimDeviceParams{TokenHash: r.heldHash, CampaignID: campaignID})
		if err == nil {
			return d, nil
		}
		if !isNoRows(err) {
			return nil, err
		}
	}
	return r.tokenHash, nil
}

// campaignID resolves a slug. Ids never change, so they are remembered; whether the campaign
// still takes claims is checked by the claim statement itself.
func (s *Service) campaignID(ctx context.Context, slug string) (int64, error) {
	if id, ok := s.slugs.Load(slug); ok {
		return id.(int64), nil
	}
	c, err := s.campaignForClaims(ctx, store.New(s.pool), slug)
	if err != nil {
		return 0, err
	}
	s.slugs.Store(slug, c.ID)
	return c.ID, nil
}

// insertClaim inserts with a fresh short code, retrying the rare code collision.
func insertClaim(ctx context.Context, q *store.Queries, p store.InsertClaimParams) (store.Claim, bool, error) {
	for try := 0; try < 8; try++ {
		p.Code = newCode()
		row, err := q.InsertClaim(ctx, p)
		if err == nil {
			return row, true, nil
		}
		if !isNoRows(err) {
			return row, false, err
		}
		existing, err := q.ClaimByPerson(ctx, store.ClaimByPersonParams{CampaignID: p.CampaignID,
			Network: p.Network, HandleNorm: p.HandleNorm})
		if err == nil {
			return existing, false, nil
		}
		if !isNoRows(err) {
			return existing, false, err
		}
	}
	return store.Claim{}, false, apperr.New(apperr.Conflict, "code_exhausted", "could not find a free claim code; try again")
}

// ClaimByToken returns the claim a token belongs to; the token reveals nothing else.
func (s *Service) ClaimByToken(ctx context.Context, token string) (*Claim, error) {
	if token == "" || len(token) > 100 {
		return nil, apperr.New(apperr.NotFound, "claim_not_found", "no such claim")
	}
	q := store.New(s.pool)
	c, err := q.ClaimByTokenHash(ctx, HashToken(token))
	if isNoRows(err) {
		return nil, apperr.New(apperr.NotFound, "claim_not_found", "no such claim")
	}
	if err != nil {
		return nil, err
	}
	camp, err := q.CampaignByID(ctx, c.CampaignID)
	if err != nil {
		return nil, err
	}
	return claimView(camp.Slug, c), nil
}

// ListFilter selects claims for the staff queue and search.
type ListFilter struct {
	Status string
	Query  string
	Limit  int
}

// ListClaims lists a campaign's claims for staff, newest change first.
func (s *Service) ListClaims(ctx context.Context, slug string, f ListFilter) ([]StaffClaim, error) {
	q := store.New(s.pool)
	c, err := q.CampaignBySlug(ctx, slug)
	if err != nil {
		return nil, campaignErr(err, slug)
	}
	p := store.ListClaimsParams{CampaignID: c.ID, MaxRows: int32(f.Limit)}
	if p.MaxRows <= 0 || p.MaxRows > 500 {
		p.MaxRows = 100
	}
	if f.Status != "" {
		switch f.Status {
		case "pending", "verified", "given", "rejected":
		default:
			return nil, invalid("invalid_status", "status is pending, verified, given or rejected").With("field", "status")
		}
		p.Status = &f.Status
	}
	if qs := strings.TrimPrefix(strings.TrimSpace(f.Query), "@"); qs != "" {
		if utf8.RuneCountInString(qs) > 100 {
			return nil, invalid("invalid_query", "q is at most 100 characters").With("field", "q")
		}
		qs = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(qs)
		p.Q = &qs
	}
	rows, err := q.ListClaims(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]StaffClaim, 0, len(rows))
	for _, r := range rows {
		sc := StaffClaim{Claim: *claimView(slug, store.Claim{ID: r.ID, CampaignID: r.CampaignID, Network: r.Network,
			Handle: r.Handle, PostUrl: r.PostUrl, Code: r.Code, Status: r.Status, Manual: r.Manual,
			TweetID: r.TweetID, VerifiedAt: r.VerifiedAt, VerifiedBy: r.VerifiedBy, CreatedAt: r.CreatedAt}),
			Note: r.Note, TweetText: r.TweetText}
		// An account made in the week before the claim deserves a second look.
		sc.NewAccount = r.AuthorCreatedAt != nil && r.CreatedAt.Sub(*r.AuthorCreatedAt) < 7*24*time.Hour
		out = append(out, sc)
	}
	return out, nil
}
