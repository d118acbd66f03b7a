// Package draws runs fair draws on the database: an organiser defines a draw, the commit freezes
// its pool (an entry id per claim) with a commitment to a secret seed, the reveal publishes the
// seed and who it drew (internal/draw's algorithm), and staff confirm each winner present or pass
// the prize to the next backup. Every step is one transaction with its audit row.
package draws

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/draw"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/idempotency"
	"github.com/boothgiveaway/giveaway/internal/store"
)

// Service runs draws.
type Service struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// New returns a Service on pool.
func New(pool *pgxpool.Pool) *Service { return &Service{pool: pool, now: time.Now} }

// inTx runs fn in the idempotent request's transaction, if any, or its own.
func (s *Service) inTx(ctx context.Context, fn func(q *store.Queries) error) error {
	if tx := idempotency.Tx(ctx); tx != nil {
		return fn(store.New(tx))
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(store.New(tx)) })
}

// PoolFilter says which claims of the campaign enter a draw.
type PoolFilter struct {
	// Statuses of the claims that enter: verified, given (default both).
	Statuses []string `json:"statuses"`
	// From and To bound when the claim was made (To excluded); unset: no bound.
	From *time.Time `json:"from,omitempty"`
	To   *time.Time `json:"to,omitempty"`
	// Networks to include; none: every network.
	Networks []string `json:"networks"`
	// Proofs the claim must have been verified by (code, oauth, handle, staff); none: any.
	Proofs []string `json:"proofs"`
	// ExcludeEarlierWinners leaves out whoever held a winner slot of another draw of the
	// campaign (absent ones excepted); default true.
	ExcludeEarlierWinners *bool `json:"exclude_earlier_winners"`
	// ExcludeBlocked leaves out the people staff blocked in the campaign; default true.
	ExcludeBlocked *bool `json:"exclude_blocked"`
	// Exclude lists accounts left out as network:handle (staff's own, flagged ones).
	Exclude []string `json:"exclude"`
}

// Input defines a draw.
type Input struct {
	Prize   string     `json:"prize"`
	Winners int        `json:"winners"`
	Backups int        `json:"backups"`
	Pool    PoolFilter `json:"pool"`
	// MustBePresent: staff confirm each winner present, within PresenceMinutes of being called
	// when set, or mark them absent to pass the prize on.
	MustBePresent   bool `json:"must_be_present"`
	PresenceMinutes int  `json:"presence_minutes"`
}

// CommitInput may carry the operator's own commitment, SHA-256 of a seed kept off the service;
// the reveal must then bring that seed. Without it the service makes the seed and keeps it secret.
type CommitInput struct {
	SeedCommit string `json:"seed_commit"`
}

// RevealInput may carry the operator's seed (when they committed to it) and a beacon: a public
// value fixed after the commit (a drand round's randomness, say) combined with the seed.
type RevealInput struct {
	Seed   string `json:"seed"`
	Beacon string `json:"beacon"`
}

var (
	statuses = []string{"verified", "given"}
	networks = []string{"twitter", "instagram", "facebook", "linkedin", "mastodon", "bluesky", "threads", "other"}
	proofs   = []string{giveaway.ProofCode, giveaway.ProofHandle, giveaway.ProofOAuth, giveaway.ProofStaff}
)

func invalid(field, code, format string, args ...any) error {
	return apperr.New(apperr.Invalid, code, format, args...).With("field", field)
}

func (in *Input) validate() error {
	in.Prize = strings.TrimSpace(in.Prize)
	if in.Prize == "" || len(in.Prize) > 200 {
		return invalid("prize", "prize_required", "name the prize (at most 200 characters)")
	}
	if in.Winners < 1 || in.Winners > 1000 {
		return invalid("winners", "invalid_winners", "winners is 1 to 1000")
	}
	if in.Backups < 0 || in.Backups > 1000 {
		return invalid("backups", "invalid_backups", "backups is 0 to 1000")
	}
	if in.PresenceMinutes < 0 || in.PresenceMinutes > 1440 || (in.PresenceMinutes > 0 && !in.MustBePresent) {
		return invalid("presence_minutes", "invalid_presence_minutes", "presence_minutes is 1 to 1440, with must_be_present")
	}
	f := &in.Pool
	if len(f.Statuses) == 0 {
		f.Statuses = statuses
	}
	for _, list := range []struct {
		field string
		got   []string
		ok    []string
	}{{"pool.statuses", f.Statuses, statuses}, {"pool.networks", f.Networks, networks}, {"pool.proofs", f.Proofs, proofs}} {
		for _, v := range list.got {
			if !slices.Contains(list.ok, v) {
				return invalid(list.field, "invalid_pool_filter", "%s: %q is not one of %s", list.field, v, strings.Join(list.ok, ", "))
			}
		}
	}
	if f.From != nil && f.To != nil && !f.To.After(*f.From) {
		return invalid("pool.to", "invalid_pool_filter", "pool.to must be after pool.from")
	}
	yes := true
	if f.ExcludeEarlierWinners == nil {
		f.ExcludeEarlierWinners = &yes
	}
	if f.ExcludeBlocked == nil {
		f.ExcludeBlocked = &yes
	}
	for i, a := range f.Exclude {
		network, handle, ok := strings.Cut(strings.TrimSpace(a), ":")
		if !ok || !slices.Contains(networks, network) || handle == "" {
			return invalid("pool.exclude", "invalid_pool_filter", "pool.exclude: %q is not network:handle", a)
		}
		f.Exclude[i] = network + ":" + strings.ToLower(strings.TrimPrefix(handle, "@"))
	}
	if f.Exclude == nil {
		f.Exclude = []string{}
	}
	if f.Networks == nil {
		f.Networks = []string{}
	}
	if f.Proofs == nil {
		f.Proofs = []string{}
	}
	return nil
}

// Create defines a draw of the campaign; nothing is frozen yet.
func (s *Service) Create(ctx context.Context, slug string, in Input, by giveaway.Actor) (*Draw, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	filter, _ := json.Marshal(in.Pool)
	var out *Draw
	err := s.inTx(ctx, func(q *store.Queries) error {
		camp, err := q.CampaignBySlug(ctx, slug)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.New(apperr.NotFound, "campaign_not_found", "no campaign %q", slug)
		}
		if err != nil {
			return err
		}
		var minutes *int32
		if in.PresenceMinutes > 0 {
			m := int32(in.PresenceMinutes)
			minutes = &m
		}
		d, err := q.CreateDraw(ctx, store.CreateDrawParams{CampaignID: camp.ID, Prize: in.Prize,
			Winners: int32(in.Winners), Backups: int32(in.Backups), PoolFilter: filter,
			MustBePresent: in.MustBePresent, PresenceMinutes: minutes, Algorithm: draw.Algorithm, CreatedBy: by.Name})
		if err != nil {
			return err
		}
		if err := event(ctx, q, d.CampaignID, by, "draw_created", d.ID, "prize", d.Prize, "winners", d.Winners,
			"backups", d.Backups, "pool", json.RawMessage(filter), "must_be_present", d.MustBePresent); err != nil {
			return err
		}
		out = view(store.DrawByIDRow{ID: d.ID, CampaignID: d.CampaignID, Prize: d.Prize, Winners: d.Winners,
			Backups: d.Backups, PoolFilter: d.PoolFilter, MustBePresent: d.MustBePresent,
			PresenceMinutes: d.PresenceMinutes, State: d.State, Algorithm: d.Algorithm, CreatedBy: d.CreatedBy,
			CreatedAt: d.CreatedAt, CampaignSlug: camp.Slug}, nil)
		return nil
	})
	return out, err
}

func event(ctx context.Context, q *store.Queries, campaignID int64, by giveaway.Actor, action string, drawID int64, kv ...any) error {
	m := map[string]any{"draw_id": drawID}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	b, _ := json.Marshal(m)
	return q.AddDrawEvent(ctx, store.AddDrawEventParams{CampaignID: &campaignID, Actor: by.Name, Action: action, Details: b})
}

func lockDraw(ctx context.Context, q *store.Queries, id int64) (store.DrawByIDRow, error) {
	d, err := q.DrawForUpdate(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.DrawByIDRow{}, apperr.New(apperr.NotFound, "draw_not_found", "no draw %d", id)
	}
	return store.DrawByIDRow(d), err
}

func wrongState(d store.DrawByIDRow, want string) error {
	code := map[string]string{"open": "draw_not_committed", "committed": "draw_already_committed", "revealed": "draw_already_revealed"}[d.State]
	if want == "revealed" {
		code = "draw_not_revealed"
	}
	return apperr.New(apperr.Conflict, code, "the draw is %s; this step needs it %s", d.State, want).
		With("state", d.State)
}

// entryID is a claim's entry id in a draw: the HMAC-SHA256 of the claim id (8 bytes, big-endian)
// under the draw's secret key, its first 80 bits in base32 with the alphabet in ASCII order (so
// ids sort as their bits do). Without the key it looks random and says nothing of the handle;
// with it a claim's page finds its entry without an index on claims.
func entryID(key []byte, claimID int64) string {
	return newEntryIDs(key).bits(claimID).String()
}

var entryEncoding = base32.NewEncoding("234567abcdefghijklmnopqrstuvwxyz").WithPadding(base32.NoPadding)

// entryBits is an entry id's 80 bits, compared as integers while a million of them sort.
type entryBits struct {
	hi    uint64
	lo    uint16
	claim int64
}

func (b entryBits) String() string {
	var raw [10]byte
	var out [16]byte
	binary.BigEndian.PutUint64(raw[:8], b.hi)
	binary.BigEndian.PutUint16(raw[8:], b.lo)
	entryEncoding.Encode(out[:], raw[:])
	return string(out[:])
}

func (b entryBits) compare(o entryBits) int {
	if c := cmp.Compare(b.hi, o.hi); c != 0 {
		return c
	}
	return cmp.Compare(b.lo, o.lo)
}

// entryIDs computes entry ids with one HMAC state, reset between ids.
type entryIDs struct {
	mac hash.Hash
	msg [8]byte
	sum []byte
}

func newEntryIDs(key []byte) *entryIDs { return &entryIDs{mac: hmac.New(sha256.New, key)} }

func (e *entryIDs) bits(claimID int64) entryBits {
	e.mac.Reset()
	binary.BigEndian.PutUint64(e.msg[:], uint64(claimID))
	e.mac.Write(e.msg[:])
	e.sum = e.mac.Sum(e.sum[:0])
	return entryBits{hi: binary.BigEndian.Uint64(e.sum), lo: binary.BigEndian.Uint16(e.sum[8:]), claim: claimID}
}

// poolEntries computes every claim's entry id, sorted; the HMACs and the sort of a million
// entries run on both cores.
func poolEntries(key []byte, claims []int64) []store.InsertDrawEntriesParams {
	bits := make([]entryBits, len(claims))
	half := len(claims) / 2
	var wg sync.WaitGroup
	work := func(part []entryBits, from int) {
		ids := newEntryIDs(key)
		for i := range part {
			part[i] = ids.bits(claims[from+i])
		}
		slices.SortFunc(part, entryBits.compare)
	}
	wg.Add(1)
	go func() { defer wg.Done(); work(bits[:half], 0) }()
	work(bits[half:], half)
	wg.Wait()
	out := make([]store.InsertDrawEntriesParams, 0, len(claims))
	add := func(b entryBits) {
		out = append(out, store.InsertDrawEntriesParams{EntryID: b.String(), ClaimID: b.claim})
	}
	a, b := bits[:half], bits[half:]
	for len(a) > 0 && len(b) > 0 {
		if a[0].compare(b[0]) < 0 {
			add(a[0])
			a = a[1:]
		} else {
			add(b[0])
			b = b[1:]
		}
	}
	for _, x := range a {
		add(x)
	}
	for _, x := range b {
		add(x)
	}
	return out
}

// Commit freezes the pool: each claim the filter lets in gets a random entry id, the sorted ids
// are hashed, and the draw commits to its seed. The seed stays secret until the reveal.
func (s *Service) Commit(ctx context.Context, id int64, in CommitInput, by giveaway.Actor) (*Draw, error) {
	var operatorCommit []byte
	if in.SeedCommit != "" {
		b, err := hex.DecodeString(in.SeedCommit)
		if err != nil || len(b) != 32 {
			return nil, invalid("seed_commit", "invalid_seed_commit", "seed_commit is SHA-256 of the seed, 64 hex digits")
		}
		operatorCommit = b
	}
	var out *Draw
	err := s.inTx(ctx, func(q *store.Queries) error {
		d, err := lockDraw(ctx, q, id)
		if err != nil {
			return err
		}
		if d.State != "open" {
			return wrongState(d, "open")
		}
		var f PoolFilter
		if err := json.Unmarshal(d.PoolFilter, &f); err != nil {
			return err
		}
		claims, err := q.DrawPoolClaims(ctx, store.DrawPoolClaimsParams{CampaignID: d.CampaignID,
			Statuses: f.Statuses, FromAt: f.From, ToAt: f.To, Networks: f.Networks, Proofs: f.Proofs,
			Excluded: f.Exclude, ExcludeBlocked: *f.ExcludeBlocked, ExcludeWinners: *f.ExcludeEarlierWinners, DrawID: d.ID})
		if err != nil {
			return err
		}
		if len(claims) == 0 {
			return apperr.New(apperr.Conflict, "empty_pool", "no claim matches the draw's pool")
		}
		key := make([]byte, 32)
		rand.Read(key)
		entries := poolEntries(key, claims)
		ids := make([]string, len(entries))
		for i := range entries {
			entries[i].DrawID = d.ID
			ids[i] = entries[i].EntryID
		}
		poolHash, err := draw.PoolHash(ids)
		if err != nil {
			return apperr.New(apperr.Conflict, "entry_collision", "two entries drew the same id; commit again")
		}
		// Sorted, so the primary key's index fills from its right edge.
		if _, err := q.InsertDrawEntries(ctx, entries); err != nil {
			return err
		}
		hashBytes, _ := hex.DecodeString(poolHash)
		var seed []byte
		commit := operatorCommit
		if commit == nil {
			seed = make([]byte, draw.SeedSize)
			rand.Read(seed)
			commit, _ = hex.DecodeString(draw.Commit(seed))
		}
		n := int32(len(ids))
		if _, err := q.MarkDrawCommitted(ctx, store.MarkDrawCommittedParams{ID: d.ID, Entrants: &n,
			PoolHash: hashBytes, SeedCommit: commit, Seed: seed, EntryKey: key}); err != nil {
			return err
		}
		if err := event(ctx, q, d.CampaignID, by, "draw_committed", d.ID, "entrants", len(ids),
			"pool_hash", poolHash, "seed_commit", hex.EncodeToString(commit), "operator_seed", seed == nil); err != nil {
			return err
		}
		now := s.now()
		d.State, d.Entrants, d.PoolHash, d.SeedCommit, d.CommittedAt = "committed", &n, hashBytes, commit, &now
		out = view(d, nil)
		return nil
	})
	return out, err
}

// Reveal publishes the seed and draws: the winners are called to their slots, the backups wait.
// A seed that does not match the commitment is refused (and the table's CHECK would refuse it).
func (s *Service) Reveal(ctx context.Context, id int64, in RevealInput, by giveaway.Actor) (*Draw, error) {
	if len(in.Beacon) > 1000 {
		return nil, invalid("beacon", "invalid_beacon", "the beacon is at most 1000 characters")
	}
	var out *Draw
	err := s.inTx(ctx, func(q *store.Queries) error {
		d, err := lockDraw(ctx, q, id)
		if err != nil {
			return err
		}
		if d.State != "committed" {
			return wrongState(d, "committed")
		}
		commit := hex.EncodeToString(d.SeedCommit)
		seed := d.Seed
		switch {
		case in.Seed != "":
			given, err := draw.DecodeSeed(in.Seed, commit)
			if errors.Is(err, draw.ErrSeedMismatch) {
				return apperr.New(apperr.Conflict, "seed_mismatch", "this seed is not the one the draw committed to").
					With("seed_commit", commit)
			}
			if err != nil {
				return invalid("seed", "invalid_seed", "%v", err)
			}
			seed = given
		case seed == nil:
			return invalid("seed", "seed_required", "the operator committed to their own seed: send it")
		}
		k := int(d.Winners + d.Backups)
		picks := draw.Picks(draw.Key(seed, in.Beacon), int(*d.Entrants), k)
		positions := make([]int64, len(picks))
		for i, p := range picks {
			positions[i] = int64(p)
		}
		rows, err := q.DrawEntriesAt(ctx, store.DrawEntriesAtParams{DrawID: d.ID, Positions: positions})
		if err != nil {
			return err
		}
		at := make(map[int32]string, len(rows))
		for _, r := range rows {
			at[r.Pos] = r.EntryID
		}
		drawn := make([]string, len(picks))
		for i, p := range picks {
			drawn[i] = at[int32(p)]
		}
		if err := q.InsertDrawPicks(ctx, store.InsertDrawPicksParams{DrawID: d.ID, Winners: d.Winners, EntryIds: drawn}); err != nil {
			return err
		}
		var beacon *string
		if in.Beacon != "" {
			beacon = &in.Beacon
		}
		if _, err := q.MarkDrawRevealed(ctx, store.MarkDrawRevealedParams{ID: d.ID, Seed: seed, Beacon: beacon}); err != nil {
			return err
		}
		w := min(len(drawn), int(d.Winners))
		if err := event(ctx, q, d.CampaignID, by, "draw_revealed", d.ID, "seed", hex.EncodeToString(seed),
			"beacon", in.Beacon, "winners", drawn[:w], "backups", drawn[w:]); err != nil {
			return err
		}
		out, err = s.read(ctx, q, d.ID)
		return err
	})
	return out, err
}

// Present confirms the holder of winner slot n present: the prize is theirs.
func (s *Service) Present(ctx context.Context, id int64, n int, by giveaway.Actor) (*Draw, error) {
	return s.decide(ctx, id, n, "present", by)
}

// Absent marks the holder of winner slot n absent; the slot passes to the first backup still
// waiting, in the drawn order. With none left the slot stays empty.
func (s *Service) Absent(ctx context.Context, id int64, n int, by giveaway.Actor) (*Draw, error) {
	return s.decide(ctx, id, n, "absent", by)
}

func (s *Service) decide(ctx context.Context, id int64, n int, status string, by giveaway.Actor) (*Draw, error) {
	var out *Draw
	err := s.inTx(ctx, func(q *store.Queries) error {
		d, err := lockDraw(ctx, q, id)
		if err != nil {
			return err
		}
		if d.State != "revealed" {
			return wrongState(d, "revealed")
		}
		if !d.MustBePresent {
			return apperr.New(apperr.Conflict, "presence_not_required", "this draw's winners need not be present")
		}
		if n < 1 || n > int(d.Winners) {
			return apperr.New(apperr.NotFound, "winner_not_found", "the draw has winners 1 to %d", d.Winners)
		}
		slot := int32(n)
		p, err := q.SlotHolderForUpdate(ctx, store.SlotHolderForUpdateParams{DrawID: d.ID, Slot: &slot})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.New(apperr.Conflict, "no_backup_left", "winner %d was absent and no backup is left", n)
		}
		if err != nil {
			return err
		}
		if p.Status == "present" {
			return apperr.New(apperr.Conflict, "already_present", "winner %d was confirmed present", n).
				With("decided_by", p.DecidedBy).With("decided_at", p.DecidedAt)
		}
		if status == "present" && d.PresenceMinutes != nil &&
			s.now().After(p.CalledAt.Add(time.Duration(*d.PresenceMinutes)*time.Minute)) {
			return apperr.New(apperr.Conflict, "presence_expired",
				"winner %d had %d minutes to come forward; mark them absent to pass the prize on", n, *d.PresenceMinutes).
				With("called_at", p.CalledAt)
		}
		if err := q.DecidePick(ctx, store.DecidePickParams{Status: status, DecidedBy: &by.Name, DrawID: d.ID, Position: p.Position}); err != nil {
			return err
		}
		kv := []any{"slot", n, "entry_id", p.EntryID}
		if status == "absent" {
			next, err := q.CallNextBackup(ctx, store.CallNextBackupParams{Slot: &slot, DrawID: d.ID})
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				kv = append(kv, "passed_to", nil)
			case err != nil:
				return err
			default:
				kv = append(kv, "passed_to", next.EntryID)
			}
		}
		if err := event(ctx, q, d.CampaignID, by, "draw_"+status, d.ID, kv...); err != nil {
			return err
		}
		out, err = s.read(ctx, q, d.ID)
		return err
	})
	return out, err
}
