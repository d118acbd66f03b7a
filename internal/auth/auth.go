// Package auth is staff identity: members with bcrypt-hashed PINs, login throttled per bucket
// (login.go), devices that logged in before (OWASP's device cookie), expiring sessions of which
// only the token hash is stored, campaign scopes, and the staff administration (staff.go).
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/store"
)

// Limits bound wrong PINs. Each bucket allows so many failures in a window that starts at its
// first failure; a right PIN clears the bucket it came through.
type Limits struct {
	Window time.Duration
	// PerName: failures for one name from devices that have not logged in as that name before
	// (known and unknown names alike).
	PerName int
	// PerClient: failures from one client address, whatever the names, from such devices. The
	// venue NAT puts every tablet behind one address, so it is larger than PerName.
	PerClient int
	// PerDevice: failures of one device that logged in as the name before; past it the device
	// loses its trust and counts as any other.
	PerDevice int
}

// DefaultLimits: a 6-digit PIN then takes years to guess from one name bucket.
var DefaultLimits = Limits{Window: 15 * time.Minute, PerName: 5, PerClient: 20, PerDevice: 5}

// Service authenticates staff and the admin token.
type Service struct {
	pool       *pgxpool.Pool
	adminToken string
	sessionTTL time.Duration
	limits     Limits
	now        func() time.Time
	onCheck    func()
	dummyHash  []byte
}

// Option changes a Service; tests use them.
type Option func(*Service)

// WithClock makes the service read time from now (login windows, last login).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLimits replaces DefaultLimits.
func WithLimits(l Limits) Option { return func(s *Service) { s.limits = l } }

// OnPINCheck calls f before every PIN comparison (bcrypt), real or dummy: tests count them.
func OnPINCheck(f func()) Option { return func(s *Service) { s.onCheck = f } }

// New returns the auth service. An empty adminToken disables the admin token.
func New(pool *pgxpool.Pool, adminToken string, sessionTTL time.Duration, opts ...Option) *Service {
	dummy, _ := bcrypt.GenerateFromPassword([]byte("not-a-pin"), bcrypt.DefaultCost)
	s := &Service{pool: pool, adminToken: adminToken, sessionTTL: sessionTTL, limits: DefaultLimits,
		now: time.Now, onCheck: func() {}, dummyHash: dummy}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Staff is a staff member as the API shows it.
type Staff struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

// Session is a logged-in staff member's session.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Staff     Staff     `json:"staff"`
	// Device is the device cookie's new value: the tokens of every member who logged in on
	// this device, this one included.
	Device string `json:"-"`
}

// Identity is who a session or token is, and the campaigns they may work in.
type Identity struct {
	giveaway.Actor
	// Campaigns are the ids of the campaigns a scoped member may work in; nil: all.
	Campaigns []int64
}

// Authenticate resolves a bearer token or session token to an actor.
func (s *Service) Authenticate(ctx context.Context, token string) (giveaway.Actor, error) {
	id, err := s.Identify(ctx, token)
	return id.Actor, err
}

// Identify resolves a bearer token or session token: the admin token first, then a session of
// an active member that has not expired.
func (s *Service) Identify(ctx context.Context, token string) (Identity, error) {
	if token == "" {
		return Identity{}, apperr.New(apperr.Unauthorized, "unauthenticated", "log in first")
	}
	if s.adminToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.adminToken)) == 1 {
		return Identity{Actor: giveaway.Actor{Name: "admin", Role: "admin"}}, nil
	}
	row, err := store.New(s.pool).SessionStaff(ctx, hashToken(token))
	if errors.Is(err, pgx.ErrNoRows) {
		return Identity{}, apperr.New(apperr.Unauthorized, "session_expired", "session expired or unknown; log in again")
	}
	if err != nil {
		return Identity{}, err
	}
	id := row.ID
	out := Identity{Actor: giveaway.Actor{StaffID: &id, Name: row.Name, Role: row.Role}}
	if len(row.CampaignIds) > 0 {
		out.Campaigns = row.CampaignIds
	}
	return out, nil
}

var errOtherCampaign = apperr.New(apperr.Forbidden, "campaign_forbidden", "you work in other campaigns")

// CheckCampaign refuses a scoped member a campaign outside their scope. A slug that names no
// campaign passes: the handler answers 404 as for anyone.
func (s *Service) CheckCampaign(ctx context.Context, id Identity, slug string) error {
	if id.Campaigns == nil {
		return nil
	}
	cid, err := store.New(s.pool).CampaignIDBySlug(ctx, slug)
	return s.inScope(id, cid, err)
}

// CheckClaim refuses a scoped member a claim of a campaign outside their scope.
func (s *Service) CheckClaim(ctx context.Context, id Identity, claimID int64) error {
	if id.Campaigns == nil {
		return nil
	}
	cid, err := store.New(s.pool).CampaignIDOfClaim(ctx, claimID)
	return s.inScope(id, cid, err)
}

func (s *Service) inScope(id Identity, campaignID int64, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, c := range id.Campaigns {
		if c == campaignID {
			return nil
		}
	}
	return errOtherCampaign
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, token string) error {
	return store.New(s.pool).DeleteSession(ctx, hashToken(token))
}

func newToken() (string, []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	t := base64.RawURLEncoding.EncodeToString(b)
	return t, hashToken(t)
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}
