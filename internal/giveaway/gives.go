package giveaway

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/idempotency"
	"github.com/boothgiveaway/giveaway/internal/store"
)

// Give is the answer to a successful give.
type Give struct {
	ClaimID   int64     `json:"claim_id"`
	Code      string    `json:"code"`
	Handle    string    `json:"handle"`
	Network   string    `json:"network"`
	Prize     string    `json:"prize"`
	StockLeft int32     `json:"stock_left"`
	GivenAt   time.Time `json:"given_at"`
	GivenBy   string    `json:"given_by"`
	Status    string    `json:"status"`
	// AccountChecked: staff confirmed on the attendee's phone that the account is theirs.
	AccountChecked bool `json:"account_checked"`
}

// GiveInput is what a give asks for.
type GiveInput struct {
	Prize string `json:"prize"`
	// AccountChecked records that staff checked the attendee's account on their phone (the
	// tablet asks for it when a claim was proven by its handle only).
	AccountChecked bool `json:"account_checked"`
	// CheckRequired refuses the give of a claim not proven by staff unless AccountChecked: a
	// handle-only proof could be anyone's, and a code or sign-in proof says who posted, not who
	// stands at the booth (the code is public in the post). The tablet's form asks for the check;
	// the JSON API leaves the flag optional for scripts.
	CheckRequired bool `json:"-"`
}

// GivePrize hands one prize to a verified claim, exactly once. The claim row is locked for the
// transaction, so concurrent gives of one claim queue up and see the first; the unique index on
// (claim, period, slot) backs that up, and prizes' stock CHECK is the stock test. The whole give is
// two statements (GiveContext, RecordGive), and stock is taken last, so the prize row every tablet
// shares stays locked as briefly as possible.
func (s *Service) GivePrize(ctx context.Context, claimID int64, prizeKey string, by Actor) (*Give, error) {
	return s.Give(ctx, claimID, GiveInput{Prize: prizeKey}, by)
}

// Give is GivePrize with everything a give may say.
func (s *Service) Give(ctx context.Context, claimID int64, in GiveInput, by Actor) (*Give, error) {
	prizeKey := strings.TrimSpace(in.Prize)
	if prizeKey == "" {
		return nil, invalid("prize_required", "name the prize to give").With("field", "prize")
	}
	var out *Give
	var err error
	if tx := idempotency.Tx(ctx); tx != nil {
		// The idempotent request's transaction: its stored answer commits with the give.
		q := store.New(tx)
		out, err = s.give(ctx, giveQueries{begin: q, in: q, commit: q}, claimID, prizeKey, in, by)
	} else {
		out, err = s.giveAlone(ctx, claimID, prizeKey, in, by)
	}
	s.countGive(err)
	return out, err
}

// giveAlone is a give in a transaction of its own, in two round trips: BEGIN goes with the
// claim's context, COMMIT with the write. The prize row every tablet shares is then locked only
// while PostgreSQL writes and commits, never across a round trip to this process and back (on a
// busy machine, a reply read late kept every other tablet on that prize waiting).
func (s *Service) giveAlone(ctx context.Context, claimID int64, prizeKey string, in GiveInput, by Actor) (*Give, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	out, err := s.give(ctx, giveQueries{begin: store.New(store.Begin(conn)), in: store.New(conn),
		commit: store.New(store.Commit(conn))}, claimID, prizeKey, in, by)
	// A refusal, a failed write or a lost connection leaves the transaction open: roll it back.
	if rerr := store.Abandon(ctx, conn); rerr != nil {
		conn.Conn().PgConn().Close(ctx) // the pool drops it rather than hand out an open transaction
		if err == nil {
			err = rerr
		}
	}
	return out, err
}

// giveQueries are a give's statements: begin runs the first (GiveContext), in the ones between,
// commit the write (RecordGive). In a transaction already open they are all the same.
type giveQueries struct{ begin, in, commit *store.Queries }

func (s *Service) give(ctx context.Context, qs giveQueries, claimID int64, prizeKey string, in GiveInput, by Actor) (*Give, error) {
	q := qs.in
	c, err := qs.begin.GiveContext(ctx, store.GiveContextParams{ClaimID: claimID, PrizeKey: prizeKey, Now: s.now()})
	if isNoRows(err) {
		return nil, apperr.New(apperr.NotFound, "claim_not_found", "no claim %d", claimID)
	}
	if err != nil {
		return nil, err
	}
	if c.Status == "pending" || c.Status == "rejected" {
		return nil, apperr.New(apperr.Conflict, "not_verified", "claim is %s, not verified", c.Status).
			With("status", c.Status)
	}
	if in.CheckRequired && !in.AccountChecked && c.Status == "verified" && c.VerifiedBy != nil && *c.VerifiedBy != ProofStaff {
		return nil, apperr.New(apperr.Unprocessable, "account_not_checked",
			"check on the attendee's phone that the claim is theirs first").
			With("field", "account_checked")
	}
	if c.PrizeID == nil {
		return nil, apperr.New(apperr.Unprocessable, "unknown_prize", "campaign has no prize %q", prizeKey).
			With("field", "prize")
	}
	if c.RetiredAt != nil {
		return nil, apperr.New(apperr.Conflict, "prize_retired", "%s is no longer given", *c.PrizeName).With("prize", prizeKey)
	}
	if c.GivenInPeriod >= int64(c.PerPersonLimit) {
		return nil, s.limitReached(ctx, q, c)
	}
	if c.DailyCap != nil {
		if err := s.checkDailyCap(ctx, q, *c.PrizeID, *c.DailyCap, prizeKey); err != nil {
			return nil, err
		}
	}
	slot := int32(c.GivenInPeriod + 1)
	g, err := qs.commit.RecordGive(ctx, store.RecordGiveParams{CampaignID: c.CampaignID, ClaimID: c.ID,
		PrizeID: *c.PrizeID, Period: c.Period, Slot: slot, GivenBy: by.StaffID, GivenByName: by.Name,
		MarkGiven: slot >= c.PerPersonLimit, PrizeKey: prizeKey, AccountChecked: in.AccountChecked})
	if isNoRows(err) {
		// Another give took this slot; it has committed, so the next statement sees it.
		return nil, s.limitReached(ctx, q, c)
	}
	if isStockCheck(err) {
		return nil, apperr.New(apperr.Conflict, "out_of_stock", "no %s left", *c.PrizeName).With("prize", prizeKey)
	}
	if err != nil {
		return nil, err
	}
	status := c.Status
	if slot >= c.PerPersonLimit {
		status = "given"
	}
	return &Give{ClaimID: c.ID, Code: c.Code, Handle: c.Handle, Network: c.Network, Prize: prizeKey,
		StockLeft: g.StockLeft, GivenAt: g.GivenAt, GivenBy: by.Name, Status: status, AccountChecked: in.AccountChecked}, nil
}

// isStockCheck reports prizes' CHECK (stock_left >= 0 AND stock_left <= stock) refusing the
// give's decrement: none was left.
func isStockCheck(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23514" && pg.TableName == "prizes"
}

// limitReached explains a refused give with the latest give of the period: who and when.
func (s *Service) limitReached(ctx context.Context, q *store.Queries, c store.GiveContextRow) error {
	gives, err := q.GivesInPeriod(ctx, store.GivesInPeriodParams{ClaimID: c.ID, Period: c.Period})
	if err != nil {
		return err
	}
	if len(gives) == 0 {
		return apperr.New(apperr.Conflict, "already_given", "this claim was given a prize a moment ago")
	}
	return limitError(c.PerPersonLimit, c.LimitPeriod, gives)
}

func limitError(limit int32, limitPeriod string, gives []store.GivesInPeriodRow) error {
	last := gives[0]
	code, msg := "already_given", "already given"
	if limit > 1 {
		code, msg = "limit_reached", "this person has had every prize the limit allows"
	}
	if limitPeriod == "day" {
		msg += " today"
	}
	return apperr.New(apperr.Conflict, code, "%s: %s at %s by %s", msg, last.PrizeKey,
		last.GivenAt.Format(time.RFC3339), last.GivenByName).
		With("given_at", last.GivenAt).With("given_by", last.GivenByName).With("prize", last.PrizeKey).
		With("limit", limit)
}

// Undo takes back the claim's latest give: the stock returns, the claim is verified again, and
// the audit log keeps both events. Staff may undo within the undo window; admins any time.
func (s *Service) Undo(ctx context.Context, claimID int64, by Actor) (*Claim, error) {
	var out *Claim
	err := s.inTx(ctx, func(q *store.Queries) error {
		c, camp, err := s.claimForStaff(ctx, q, claimID)
		if err != nil {
			return err
		}
		g, err := q.LatestActiveGive(ctx, c.ID)
		if isNoRows(err) {
			return apperr.New(apperr.Conflict, "nothing_to_undo", "claim has no prize to take back")
		}
		if err != nil {
			return err
		}
		if !by.IsAdmin() && s.now().Sub(g.GivenAt) > s.undoWindow {
			return apperr.New(apperr.Conflict, "undo_window_passed", "a give can be undone by staff for %s; ask an admin",
				s.undoWindow).With("given_at", g.GivenAt)
		}
		if _, err := q.UndoGiveaway(ctx, store.UndoGiveawayParams{ID: g.ID, UndoneByName: &by.Name}); err != nil {
			return err
		}
		if _, err := q.ReturnStock(ctx, g.PrizeID); err != nil {
			return err
		}
		if c.Status == "given" {
			if c, err = q.SetClaimStatus(ctx, store.SetClaimStatusParams{ID: c.ID, Status: "verified"}); err != nil {
				return err
			}
		}
		if _, err := q.AddEvent(ctx, store.AddEventParams{CampaignID: &camp.ID, ClaimID: &c.ID, Actor: by.Name,
			Action: "undone", Details: details("prize", g.PrizeKey, "giveaway_id", g.ID)}); err != nil {
			return err
		}
		out = claimView(camp.Slug, c)
		return nil
	})
	if err == nil {
		s.gives.WithLabelValues("undone").Inc()
	}
	return out, err
}

// checkDailyCap refuses a give past the prize's cap for the campaign's local day. Only capped
// prizes pay for the lock, held to the end of the give so the count cannot go stale.
func (s *Service) checkDailyCap(ctx context.Context, q *store.Queries, prizeID int64, limit int32, key string) error {
	if err := q.LockPrize(ctx, prizeID); err != nil {
		return err
	}
	n, err := q.PrizeGivenOnDay(ctx, store.PrizeGivenOnDayParams{PrizeID: prizeID, Now: s.now()})
	if err != nil {
		return err
	}
	if n >= int64(limit) {
		return apperr.New(apperr.Conflict, "daily_cap_reached", "all %d of today's %s are given; more tomorrow", limit, key).
			With("prize", key)
	}
	return nil
}
