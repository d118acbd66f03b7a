// Package auth is staff identity: members with bcrypt-hashed PINs, login with throttling and
// lockout per account, and expiring sessions of which only the token hash is stored.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/store"
	"github.com/boothgiveaway/giveaway/internal/textguard"
)

// Service authenticates staff and the admin token.
type Service struct {
	pool       *pgxpool.Pool
	adminToken string
	sessionTTL time.Duration
	// freeTries wrong PINs are answered at once; after that the account waits 1 s, 2 s, 4 s ...
	// up to maxLock before it may try again.
	freeTries int
	maxLock   time.Duration
	dummyHash []byte
}

// New returns the auth service. An empty adminToken disables the admin token.
func New(pool *pgxpool.Pool, adminToken string, sessionTTL time.Duration) *Service {
	dummy, _ := bcrypt.GenerateFromPassword([]byte("not-a-pin"), bcrypt.DefaultCost)
	return &Service{pool: pool, adminToken: adminToken, sessionTTL: sessionTTL, freeTries: 5,
		maxLock: 15 * time.Minute, dummyHash: dummy}
}

// Staff is a staff member as the API shows it.
type Staff struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

var pinPattern = regexp.MustCompile(`^[0-9]{4,12}$`)

// CreateStaff adds a staff member; names are unique regardless of case.
func (s *Service) CreateStaff(ctx context.Context, name, pin, role string) (*Staff, error) {
	name, err := textguard.Name("name", strings.TrimSpace(name))
	if err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(name); n < 1 || n > 100 {
		return nil, apperr.New(apperr.Invalid, "invalid_name", "name is 1 to 100 characters").With("field", "name")
	}
	if !pinPattern.MatchString(pin) {
		return nil, apperr.New(apperr.Invalid, "invalid_pin", "pin is 4 to 12 digits").With("field", "pin")
	}
	if role == "" {
		role = "staff"
	}
	if role != "staff" && role != "admin" {
		return nil, apperr.New(apperr.Invalid, "invalid_role", "role is staff or admin").With("field", "role")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pin), bcrypt.DefaultCost)
	if err != nil {
		return nil, err
	}
	row, err := store.New(s.pool).CreateStaff(ctx, store.CreateStaffParams{Name: name, PinHash: string(hash), Role: role})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.New(apperr.Conflict, "name_taken", "a staff member named %q exists", name)
	}
	if err != nil {
		return nil, err
	}
	return &Staff{ID: row.ID, Name: row.Name, Role: row.Role}, nil
}

// Session is a logged-in staff member's session.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Staff     Staff     `json:"staff"`
}

var errBadLogin = apperr.New(apperr.Unauthorized, "invalid_credentials", "wrong name or PIN")

// Login checks a PIN. A locked account is refused (429) without looking at the PIN, so guessing
// cannot go faster than the lock allows.
func (s *Service) Login(ctx context.Context, name, pin string) (*Session, error) {
	q := store.New(s.pool)
	st, err := q.StaffByName(ctx, strings.TrimSpace(name))
	if errors.Is(err, pgx.ErrNoRows) {
		// Same work as a real check, so timing does not tell which names exist.
		bcrypt.CompareHashAndPassword(s.dummyHash, []byte(pin))
		return nil, errBadLogin
	}
	if err != nil {
		return nil, err
	}
	if st.LockedUntil != nil && time.Now().Before(*st.LockedUntil) {
		wait := time.Until(*st.LockedUntil)
		e := apperr.New(apperr.TooMany, "login_locked", "too many wrong PINs; try again in %d s",
			int(wait.Seconds())+1)
		e.RetryAfter = wait
		return nil, e
	}
	if bcrypt.CompareHashAndPassword([]byte(st.PinHash), []byte(pin)) != nil {
		if _, err := q.RecordLoginFailure(ctx, store.RecordLoginFailureParams{ID: st.ID,
			FreeTries: int32(s.freeTries), MaxLockSecs: s.maxLock.Seconds()}); err != nil {
			return nil, err
		}
		return nil, errBadLogin
	}
	if st.FailedLogins > 0 {
		if err := q.ResetLoginFailures(ctx, st.ID); err != nil {
			return nil, err
		}
	}
	token, hash := newToken()
	expires := time.Now().Add(s.sessionTTL)
	if err := q.CreateSession(ctx, store.CreateSessionParams{TokenHash: hash, StaffID: st.ID, ExpiresAt: expires}); err != nil {
		return nil, err
	}
	return &Session{Token: token, ExpiresAt: expires, Staff: Staff{ID: st.ID, Name: st.Name, Role: st.Role}}, nil
}

// Authenticate resolves a bearer token or session token to an actor: the admin token first, then
// a staff session that has not expired.
func (s *Service) Authenticate(ctx context.Context, token string) (giveaway.Actor, error) {
	if token == "" {
		return giveaway.Actor{}, apperr.New(apperr.Unauthorized, "unauthenticated", "log in first")
	}
	if s.adminToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.adminToken)) == 1 {
		return giveaway.Actor{Name: "admin", Role: "admin"}, nil
	}
	row, err := store.New(s.pool).SessionStaff(ctx, hashToken(token))
	if errors.Is(err, pgx.ErrNoRows) {
		return giveaway.Actor{}, apperr.New(apperr.Unauthorized, "session_expired", "session expired or unknown; log in again")
	}
	if err != nil {
		return giveaway.Actor{}, err
	}
	id := row.ID
	return giveaway.Actor{StaffID: &id, Name: row.Name, Role: row.Role}, nil
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
