package auth

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/internal/store"
	"github.com/boothgiveaway/giveaway/internal/textguard"
)

// New and reset PINs have at least 6 digits; members created with 4 or 5 before keep them.
var pinPattern = regexp.MustCompile(`^[0-9]{6,12}$`)

var errPIN = apperr.New(apperr.Invalid, "invalid_pin", "pin is 6 to 12 digits").With("field", "pin")

// Member is a staff member as the staff administration shows it.
type Member struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Role   string `json:"role"`
	Active bool   `json:"active"`
	// Campaigns are the slugs of the campaigns the member is scoped to; empty: all.
	Campaigns   []string   `json:"campaigns"`
	LastLoginAt *time.Time `json:"last_login_at"`
}

// NewStaff is a member to add.
type NewStaff struct {
	Name      string   `json:"name"`
	PIN       string   `json:"pin"`
	Role      string   `json:"role"`
	Campaigns []string `json:"campaigns"`
}

// CreateStaff adds a staff member of every campaign; names are unique regardless of case.
func (s *Service) CreateStaff(ctx context.Context, name, pin, role string) (*Staff, error) {
	m, err := s.AddStaff(ctx, NewStaff{Name: name, PIN: pin, Role: role}, giveaway.Actor{Name: "system"})
	if err != nil {
		return nil, err
	}
	return &Staff{ID: m.ID, Name: m.Name, Role: m.Role}, nil
}

// AddStaff adds a staff member, scoped to the named campaigns if any, and audits it.
func (s *Service) AddStaff(ctx context.Context, in NewStaff, by giveaway.Actor) (*Member, error) {
	name, err := textguard.Name("name", strings.TrimSpace(in.Name))
	if err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(name); n < 1 || n > 100 {
		return nil, apperr.New(apperr.Invalid, "invalid_name", "name is 1 to 100 characters").With("field", "name")
	}
	if !pinPattern.MatchString(in.PIN) {
		return nil, errPIN
	}
	role := in.Role
	if role == "" {
		role = "staff"
	}
	if err := checkRole(role); err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(in.PIN), bcrypt.DefaultCost)
	if err != nil {
		return nil, err
	}
	var out *Member
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		row, err := q.CreateStaff(ctx, store.CreateStaffParams{Name: name, PinHash: string(hash), Role: role})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.New(apperr.Conflict, "name_taken", "a staff member named %q exists", name)
		}
		if err != nil {
			return err
		}
		slugs, err := setCampaigns(ctx, q, row.ID, in.Campaigns)
		if err != nil {
			return err
		}
		out = &Member{ID: row.ID, Name: row.Name, Role: row.Role, Active: row.Active, Campaigns: slugs}
		return audit(ctx, q, by, "staff_created", map[string]any{"staff_id": row.ID, "name": row.Name,
			"role": row.Role, "campaigns": slugs})
	})
	return out, err
}

// ListStaff lists every member, active or not.
func (s *Service) ListStaff(ctx context.Context) ([]Member, error) {
	rows, err := store.New(s.pool).ListStaff(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Member, len(rows))
	for i, r := range rows {
		out[i] = Member{ID: r.ID, Name: r.Name, Role: r.Role, Active: r.Active, Campaigns: r.Campaigns,
			LastLoginAt: r.LastLoginAt}
	}
	return out, nil
}

// StaffChange is a partial update of a member: nil fields stay as they are.
type StaffChange struct {
	Active    *bool     `json:"active"`
	PIN       *string   `json:"pin"`
	Role      *string   `json:"role"`
	Campaigns *[]string `json:"campaigns"`
}

// UpdateStaff changes a member in one transaction. Deactivating a member or resetting their PIN
// ends every session of theirs; deactivating also forgets their devices.
func (s *Service) UpdateStaff(ctx context.Context, id int64, ch StaffChange, by giveaway.Actor) (*Member, error) {
	var hash []byte
	if ch.PIN != nil {
		if !pinPattern.MatchString(*ch.PIN) {
			return nil, errPIN
		}
		var err error
		if hash, err = bcrypt.GenerateFromPassword([]byte(*ch.PIN), bcrypt.DefaultCost); err != nil {
			return nil, err
		}
	}
	if ch.Role != nil {
		if err := checkRole(*ch.Role); err != nil {
			return nil, err
		}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		st, err := q.StaffForUpdate(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return errNoStaff
		}
		if err != nil {
			return err
		}
		changes := map[string]any{}
		p := store.UpdateStaffParams{ID: id, Active: st.Active, Role: st.Role, PinHash: st.PinHash}
		if ch.Active != nil && *ch.Active != st.Active {
			p.Active, changes["active"] = *ch.Active, *ch.Active
		}
		if ch.Role != nil && *ch.Role != st.Role {
			p.Role, changes["role"] = *ch.Role, *ch.Role
		}
		if hash != nil {
			p.PinHash, changes["pin_reset"] = string(hash), true
		}
		if err := q.UpdateStaff(ctx, p); err != nil {
			return err
		}
		if ch.Campaigns != nil {
			if err := q.ClearStaffCampaigns(ctx, id); err != nil {
				return err
			}
			slugs, err := setCampaigns(ctx, q, id, *ch.Campaigns)
			if err != nil {
				return err
			}
			changes["campaigns"] = slugs
		}
		if !p.Active || hash != nil {
			n, err := q.DeleteStaffSessions(ctx, id)
			if err != nil {
				return err
			}
			if n > 0 {
				changes["sessions_ended"] = n
			}
		}
		if !p.Active {
			if err := q.RevokeStaffDevices(ctx, id); err != nil {
				return err
			}
		}
		if len(changes) == 0 {
			return nil
		}
		changes["staff_id"], changes["name"] = id, st.Name
		return audit(ctx, q, by, "staff_updated", changes)
	})
	if err != nil {
		return nil, err
	}
	return s.member(ctx, id)
}

// EndSessions ends every session of a member and answers how many there were.
func (s *Service) EndSessions(ctx context.Context, id int64, by giveaway.Actor) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		st, err := q.StaffForUpdate(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return errNoStaff
		}
		if err != nil {
			return err
		}
		if n, err = q.DeleteStaffSessions(ctx, id); err != nil {
			return err
		}
		return audit(ctx, q, by, "staff_sessions_ended", map[string]any{"staff_id": id, "name": st.Name, "sessions": n})
	})
	return n, err
}

var errNoStaff = apperr.New(apperr.NotFound, "staff_not_found", "no such staff member")

func (s *Service) member(ctx context.Context, id int64) (*Member, error) {
	all, err := s.ListStaff(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range all {
		if m.ID == id {
			return &m, nil
		}
	}
	return nil, errNoStaff
}

func checkRole(role string) error {
	if role != "staff" && role != "admin" {
		return apperr.New(apperr.Invalid, "invalid_role", "role is staff or admin").With("field", "role")
	}
	return nil
}

// setCampaigns scopes a member to the named campaigns (none: all) and answers the slugs sorted.
func setCampaigns(ctx context.Context, q *store.Queries, id int64, slugs []string) ([]string, error) {
	slugs = slices.Clone(slugs)
	slices.Sort(slugs)
	slugs = slices.Compact(slugs)
	if len(slugs) == 0 {
		return []string{}, nil
	}
	found, err := q.AddStaffCampaigns(ctx, store.AddStaffCampaignsParams{StaffID: id, Slugs: slugs})
	if err != nil {
		return nil, err
	}
	if len(found) != len(slugs) {
		return nil, apperr.New(apperr.Unprocessable, "unknown_campaign", "campaigns names a campaign that does not exist").
			With("field", "campaigns")
	}
	return slugs, nil
}

func audit(ctx context.Context, q *store.Queries, by giveaway.Actor, action string, details map[string]any) error {
	if by.StaffID != nil {
		details["by_staff_id"] = *by.StaffID
	}
	b, err := json.Marshal(details)
	if err != nil {
		return err
	}
	return q.AddStaffAudit(ctx, store.AddStaffAuditParams{Actor: by.Name, Action: action, Details: b})
}
