package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/store"
)

// Attempt is one login: what was typed, and where it came from.
type Attempt struct {
	Name, PIN string
	// Client is the client's address (behind trusted proxies, the forwarded one).
	Client string
	// Device is the device cookie as the client sent it ("" for none).
	Device string
}

// MaxDevices is how many members' device tokens one cookie keeps (a shared tablet).
const MaxDevices = 8

var errBadLogin = apperr.New(apperr.Unauthorized, "invalid_credentials", "wrong name or PIN")

// Login checks a PIN. Before the check it reserves a failure in each bucket the attempt counts
// against (one statement, rows locked): a bucket past its limit refuses at once (429) without a
// PIN check, so parallel guesses cannot outrun the lock. A device holding a token for this name
// counts only against its own bucket, so strangers' failures never lock it out; strangers count
// against the name (known or not, alike) and their address. A right PIN clears the name's or
// device's bucket and gives its slot back to the address.
func (s *Service) Login(ctx context.Context, a Attempt) (*Session, error) {
	q := store.New(s.pool)
	name := strings.TrimSpace(a.Name)
	st, err := q.StaffByName(ctx, name)
	known := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	tokens := deviceTokens(a.Device)
	// device is the hash of this device's token for the name, when it has one. Unknown names
	// are looked up too (staff id 0 matches nothing): the same work.
	var device []byte
	if len(tokens) > 0 {
		hashes := make([][]byte, len(tokens))
		for i, t := range tokens {
			hashes[i] = hashToken(t)
		}
		device, err = q.TrustedDevice(ctx, store.TrustedDeviceParams{Hashes: hashes, StaffID: st.ID})
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, err
		}
	}

	var took [][]byte
	if device != nil {
		took = [][]byte{bucket("device", string(device))}
		if err := s.take(ctx, q, map[string]int{string(took[0]): s.limits.PerDevice}); err != nil {
			if !apperr.Is(err, "login_locked") {
				return nil, err
			}
			// A device that guesses too much is trusted no more: it counts as a stranger's.
			if err := q.RevokeDevice(ctx, device); err != nil {
				return nil, err
			}
			device = nil
		}
	}
	if device == nil {
		nameB, clientB := bucket("name", strings.ToLower(name)), bucket("client", a.Client)
		took = [][]byte{nameB, clientB}
		if err := s.take(ctx, q, map[string]int{string(nameB): s.limits.PerName, string(clientB): s.limits.PerClient}); err != nil {
			return nil, err
		}
	}

	// Unknown names are compared against a dummy hash: the same work, the same answer.
	hash := s.dummyHash
	if known {
		hash = []byte(st.PinHash)
	}
	s.onCheck()
	if bcrypt.CompareHashAndPassword(hash, []byte(a.PIN)) != nil || !known {
		return nil, errBadLogin // the reserved slots stay taken: they were failures
	}

	// The name's (or device's) failures are forgotten; the address, shared with whoever else
	// stands at the venue, only gets this attempt's slot back.
	if err := q.ClearLoginBucket(ctx, took[:1]); err != nil {
		return nil, err
	}
	if len(took) > 1 {
		if err := q.GiveBackLoginSlot(ctx, took[1:]); err != nil {
			return nil, err
		}
	}
	now := s.now()
	kept, err := s.keptDevices(ctx, q, tokens)
	if err != nil {
		return nil, err
	}
	if device != nil {
		err = q.DeviceUsed(ctx, device)
	} else {
		var t string
		var h []byte
		t, h = newToken()
		err = q.AddDevice(ctx, store.AddDeviceParams{TokenHash: h, StaffID: st.ID})
		kept = append([]string{t}, kept...)
	}
	if err != nil {
		return nil, err
	}
	if len(kept) > MaxDevices {
		kept = kept[:MaxDevices]
	}
	token, th := newToken()
	expires := now.Add(s.sessionTTL)
	if err := q.CreateSession(ctx, store.CreateSessionParams{TokenHash: th, StaffID: st.ID, ExpiresAt: expires}); err != nil {
		return nil, err
	}
	if err := q.StaffLoggedIn(ctx, store.StaffLoggedInParams{At: &now, ID: st.ID}); err != nil {
		return nil, err
	}
	return &Session{Token: token, ExpiresAt: expires, Staff: Staff{ID: st.ID, Name: st.Name, Role: st.Role},
		Device: strings.Join(kept, ".")}, nil
}

// take reserves one failure in each bucket (key → limit) and refuses when any is past its limit.
func (s *Service) take(ctx context.Context, q *store.Queries, limits map[string]int) error {
	keys := make([][]byte, 0, len(limits))
	for k := range limits {
		keys = append(keys, []byte(k))
	}
	slices.SortFunc(keys, bytes.Compare) // one lock order for every attempt
	now := s.now()
	rows, err := q.TakeLoginSlots(ctx, store.TakeLoginSlotsParams{Buckets: keys, Now: now,
		WindowSecs: s.limits.Window.Seconds()})
	if err != nil {
		return err
	}
	var wait time.Duration
	for _, r := range rows {
		if int(r.Failures) > limits[string(r.Bucket)] {
			wait = max(wait, r.WindowEnds.Sub(now))
		}
	}
	if wait <= 0 {
		return nil
	}
	e := apperr.New(apperr.TooMany, "login_locked", "too many wrong PINs; try again in %d s", int(wait.Seconds())+1)
	e.RetryAfter = wait
	return e
}

// keptDevices is the cookie's tokens that still name a device (revoked ones drop out).
func (s *Service) keptDevices(ctx context.Context, q *store.Queries, tokens []string) ([]string, error) {
	if len(tokens) == 0 {
		return nil, nil
	}
	hashes := make([][]byte, len(tokens))
	for i, t := range tokens {
		hashes[i] = hashToken(t)
	}
	live, err := q.KnownDevices(ctx, hashes)
	if err != nil {
		return nil, err
	}
	var out []string
	for i, t := range tokens {
		if slices.ContainsFunc(live, func(h []byte) bool { return bytes.Equal(h, hashes[i]) }) {
			out = append(out, t)
		}
	}
	return out, nil
}

// deviceTokens splits a device cookie into its tokens, ignoring anything malformed.
func deviceTokens(cookie string) []string {
	var out []string
	for _, t := range strings.Split(cookie, ".") {
		if len(t) == 43 && len(out) < MaxDevices { // 32 bytes, base64url without padding
			out = append(out, t)
		}
	}
	return out
}

// bucket is the throttle key of a kind of bucket and its value, hashed so names and addresses
// are not kept.
func bucket(kind, v string) []byte {
	h := sha256.Sum256([]byte(kind + "\x00" + v))
	return h[:]
}
