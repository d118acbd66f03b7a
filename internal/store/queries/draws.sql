-- name: CreateDraw :one
INSERT INTO draws (campaign_id, prize, winners, backups, pool_filter, must_be_present, presence_minutes,
                   algorithm, created_by)
VALUES (@campaign_id, @prize, @winners, @backups, @pool_filter, @must_be_present, sqlc.narg(presence_minutes),
        @algorithm, @created_by)
RETURNING *;

-- name: DrawByID :one
SELECT d.*, c.slug AS campaign_slug FROM draws d JOIN campaigns c ON c.id = d.campaign_id WHERE d.id = $1;

-- name: DrawForUpdate :one
-- Steps of one draw queue up behind this lock, so two commits or reveals cannot interleave.
SELECT d.*, c.slug AS campaign_slug FROM draws d JOIN campaigns c ON c.id = d.campaign_id
WHERE d.id = $1 FOR UPDATE OF d;

-- name: DrawsOfCampaign :many
SELECT d.*, c.slug AS campaign_slug FROM draws d JOIN campaigns c ON c.id = d.campaign_id
WHERE d.campaign_id = $1 ORDER BY d.id;

-- name: DrawPoolClaims :many
-- The claims a draw's filter lets in, one per claim (a claim is one person on one network in a
-- campaign: claims' own unique key). The people left out are gathered first and anti-joined, so
-- a million claims are one scan. Earlier winners are people who held a winner slot of another
-- draw of the campaign, absent ones excepted.
WITH gone AS (
    SELECT b.network, b.handle_norm FROM blocked_people b
    WHERE @exclude_blocked::boolean AND b.campaign_id = @campaign_id
    UNION
    SELECT w.network, w.handle_norm FROM draws d
    JOIN draw_picks p ON p.draw_id = d.id AND p.status IN ('called', 'present')
    JOIN draw_entries e ON e.draw_id = p.draw_id AND e.entry_id = p.entry_id
    JOIN claims w ON w.id = e.claim_id
    WHERE @exclude_winners::boolean AND d.campaign_id = @campaign_id AND d.id <> @draw_id
    UNION
    SELECT split_part(x, ':', 1), substr(x, strpos(x, ':') + 1) FROM unnest(@excluded::text[]) AS x
)
SELECT c.id FROM claims c
WHERE c.campaign_id = @campaign_id
  AND c.status = ANY(@statuses::text[])
  AND (sqlc.narg(from_at)::timestamptz IS NULL OR c.created_at >= sqlc.narg(from_at)::timestamptz)
  AND (sqlc.narg(to_at)::timestamptz IS NULL OR c.created_at < sqlc.narg(to_at)::timestamptz)
  AND (cardinality(@networks::text[]) = 0 OR c.network = ANY(@networks::text[]))
  AND (cardinality(@proofs::text[]) = 0 OR c.verified_by = ANY(@proofs::text[]))
  AND c.handle_norm NOT LIKE 'purged-%'
  AND NOT EXISTS (SELECT 1 FROM gone g WHERE g.network = c.network AND g.handle_norm = c.handle_norm);

-- name: InsertDrawEntries :copyfrom
INSERT INTO draw_entries (draw_id, entry_id, claim_id) VALUES ($1, $2, $3);

-- name: MarkDrawCommitted :one
UPDATE draws SET state = 'committed', entrants = @entrants, pool_hash = @pool_hash,
                 seed_commit = @seed_commit, seed = sqlc.narg(seed), entry_key = @entry_key,
                 committed_at = now()
WHERE id = @id AND state = 'open'
RETURNING id;

-- name: DrawEntriesAt :many
-- The entries at the given positions of the sorted pool (0-based), read in one pass of its index.
SELECT s.pos::int AS pos, s.entry_id FROM (
    SELECT entry_id, row_number() OVER (ORDER BY entry_id) - 1 AS pos
    FROM draw_entries WHERE draw_id = @draw_id
) s WHERE s.pos = ANY(@positions::bigint[]);

-- name: InsertDrawPicks :exec
-- The drawn order: the first @winners positions are called to the slots 1, 2, ...; the rest wait.
INSERT INTO draw_picks (draw_id, position, entry_id, slot, status, called_at)
SELECT @draw_id, x.i::int - 1, x.entry_id,
       CASE WHEN x.i <= @winners::int THEN x.i::int END,
       CASE WHEN x.i <= @winners::int THEN 'called' ELSE 'waiting' END,
       CASE WHEN x.i <= @winners::int THEN now() END
FROM unnest(@entry_ids::text[]) WITH ORDINALITY AS x(entry_id, i);

-- name: MarkDrawRevealed :one
UPDATE draws SET state = 'revealed', seed = @seed, beacon = sqlc.narg(beacon), revealed_at = now()
WHERE id = @id AND state = 'committed'
RETURNING id;

-- name: DrawPicks :many
-- Who the draw picked, in its order, with the person behind each entry (the service decides what
-- of them is public).
SELECT p.position, p.entry_id, p.slot, p.status, p.called_at, p.decided_at, p.decided_by,
       c.id AS claim_id, c.network, c.handle
FROM draw_picks p
JOIN draw_entries e ON e.draw_id = p.draw_id AND e.entry_id = p.entry_id
JOIN claims c ON c.id = e.claim_id
WHERE p.draw_id = $1 ORDER BY p.position;

-- name: SlotHolderForUpdate :one
SELECT * FROM draw_picks WHERE draw_id = @draw_id AND slot = @slot AND status IN ('called', 'present')
FOR UPDATE;

-- name: DecidePick :exec
UPDATE draw_picks SET status = @status, decided_at = now(), decided_by = @decided_by
WHERE draw_id = @draw_id AND position = @position;

-- name: CallNextBackup :one
-- The slot passes to the first backup still waiting, in the drawn order: never back to anyone
-- who held a slot, since they are no longer waiting.
UPDATE draw_picks p SET status = 'called', slot = @slot, called_at = now()
WHERE p.draw_id = @draw_id AND p.position = (
    SELECT min(w.position) FROM draw_picks w WHERE w.draw_id = @draw_id AND w.status = 'waiting')
RETURNING *;

-- name: DrawPoolPage :many
-- The pool in its canonical order, a page at a time after the last id sent, so a million entries
-- stream without being held.
SELECT entry_id FROM draw_entries WHERE draw_id = @draw_id AND entry_id > @after::text
ORDER BY entry_id LIMIT @page_size;

-- name: CommittedDrawsOfCampaign :many
-- The committed draws of a campaign with their entry keys, for a claim's page to find its entries.
SELECT id, prize, state, entry_key FROM draws WHERE campaign_id = $1 AND state <> 'open' ORDER BY id;

-- name: HasDrawEntry :one
SELECT EXISTS (SELECT 1 FROM draw_entries WHERE draw_id = @draw_id AND entry_id = @entry_id AND claim_id = @claim_id);
