package bench

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/boothgiveaway/giveaway/internal/database"
	"github.com/boothgiveaway/giveaway/internal/draw"
	"github.com/boothgiveaway/giveaway/internal/draws"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
)

const drawEntrants = 1_000_000

func init() {
	Register(Benchmark{Name: "draw", Run: runDraw})
}

// runDraw times a draw among a million verified claims: define, commit (the pool frozen as a
// million entry ids, hashed) and reveal. Two baselines in the same run: hashing the same pool's
// bytes in memory (the least any commit does) and a COPY of the same rows into a table with no
// index (the least that storing the pool costs), so a loaded machine shows in the ratio.
func runDraw(ctx context.Context, env *Env) ([]Result, error) {
	url, err := env.NewDatabase(ctx)
	if err != nil {
		return nil, err
	}
	pool, err := database.Open(ctx, url, 4)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	seedStart := time.Now()
	if _, err := pool.Exec(ctx, `
		INSERT INTO campaigns (slug, name, required_hashtags, display_hashtags, starts_at, ends_at, time_zone, tweets_index)
		VALUES ('bench', 'Bench', '{pyconapac}', '{PyConAPAC}', '2016-08-13 00:00+09', '2016-08-16 00:00+09',
		        'Asia/Seoul', 'twitter-bench')`); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	if _, err := pool.Exec(ctx, `
		INSERT INTO claims (campaign_id, network, handle, handle_norm, code, status, verified_at, verified_by)
		SELECT 1, 'twitter', 'u' || g, 'u' || g,
		       (SELECT string_agg(substr('ABCDEFGHJKLMNPQRSTUVWXYZ23456789', ((g >> (5 * k)) & 31) + 1, 1), '')
		        FROM generate_series(0, 5) k),
		       'verified', '2016-08-14 10:00+09', 'code'
		FROM generate_series(1, $1::int) g`, drawEntrants); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	pool.Exec(ctx, "VACUUM ANALYZE claims")
	env.Logf("draw: seeded %d verified claims in %s", drawEntrants, time.Since(seedStart).Round(time.Millisecond))

	s := draws.New(pool)
	admin := giveaway.Actor{Name: "bench", Role: "admin"}
	start := time.Now()
	d, err := s.Create(ctx, "bench", draws.Input{Prize: "Keyboard", Winners: 3, Backups: 10}, admin)
	if err != nil {
		return nil, err
	}
	if d, err = s.Commit(ctx, d.ID, draws.CommitInput{}, admin); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	committed := time.Since(start)
	if d, err = s.Reveal(ctx, d.ID, draws.RevealInput{Beacon: "bench"}, admin); err != nil {
		return nil, fmt.Errorf("reveal: %w", err)
	}
	total := time.Since(start)
	if *d.Entrants != drawEntrants || len(d.Winners) != 3 || len(d.Backups) != 10 {
		return nil, fmt.Errorf("drew %d winners and %d backups among %d", len(d.Winners), len(d.Backups), *d.Entrants)
	}

	// Verify as a stranger would: the pool as GET streams it, through the streaming verifier.
	vstart := time.Now()
	pub := draw.Published{Algorithm: d.Algorithm, Entrants: int(*d.Entrants), PoolHash: d.PoolHash,
		SeedCommit: d.SeedCommit, Seed: d.Seed, Beacon: d.Beacon}
	for _, p := range d.Winners {
		pub.Winners = append(pub.Winners, p.EntryID)
	}
	for _, p := range d.Backups {
		pub.Backups = append(pub.Backups, p.EntryID)
	}
	v, err := draw.NewVerifier(pub)
	if err != nil {
		return nil, err
	}
	var bytes []byte // the same pool's canonical bytes, for the baseline
	if err := s.Pool(ctx, d.ID, func(ids []string) error {
		for _, id := range ids {
			if err := v.Add(id); err != nil {
				return err
			}
			bytes = append(append(bytes, id...), '\n')
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := v.Finish(); err != nil {
		return nil, fmt.Errorf("the bench's draw does not verify: %w", err)
	}
	verifyS := time.Since(vstart).Seconds()

	hstart := time.Now()
	sum := sha256.Sum256(bytes)
	hashS := time.Since(hstart).Seconds()
	if fmt.Sprintf("%x", sum) != d.PoolHash {
		return nil, fmt.Errorf("the pool bytes hash to %x, the draw says %s", sum, d.PoolHash)
	}
	// The COPY floor: the same rows, a table with nothing to check.
	rows := make([][]any, 0, drawEntrants)
	s.Pool(ctx, d.ID, func(ids []string) error {
		for i, id := range ids {
			rows = append(rows, []any{d.ID, id, int64(i)})
		}
		return nil
	})
	if _, err := pool.Exec(ctx, "CREATE TABLE draw_copy_floor (draw_id bigint, entry_id text, claim_id bigint)"); err != nil {
		return nil, err
	}
	cstart := time.Now()
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"draw_copy_floor"}, []string{"draw_id", "entry_id", "claim_id"},
		pgx.CopyFromRows(rows)); err != nil {
		return nil, err
	}
	copyS := time.Since(cstart).Seconds()
	env.Logf("draw: commit %s, reveal %s, verify %.2fs", committed.Round(time.Millisecond),
		(total - committed).Round(time.Millisecond), verifyS)
	return []Result{
		{"draw_1m_s", fmt.Sprintf("%.3f", total.Seconds())},
		{"draw_commit_1m_s", fmt.Sprintf("%.3f", committed.Seconds())},
		{"draw_verify_1m_s", fmt.Sprintf("%.3f", verifyS)},
		{"draw_baseline_hash_s", fmt.Sprintf("%.4f", hashS)},
		{"draw_baseline_copy_s", fmt.Sprintf("%.3f", copyS)},
		{"draw_vs_copy", fmt.Sprintf("%.1f", total.Seconds()/copyS)},
	}, nil
}
