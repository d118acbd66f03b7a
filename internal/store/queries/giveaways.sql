-- name: GivesInPeriod :many
-- Active (not undone) gives of a claim in a limit period, newest first.
SELECT g.id, g.slot, g.given_at, g.given_by_name, p.key AS prize_key
FROM giveaways g JOIN prizes p ON p.id = g.prize_id
WHERE g.claim_id = $1 AND g.period = $2 AND g.undone_at IS NULL
ORDER BY g.given_at DESC;

-- name: InsertGiveaway :one
-- The unique index on (claim_id, period, slot) makes a concurrent second give a no-op here.
INSERT INTO giveaways (campaign_id, claim_id, prize_id, period, slot, given_by, given_by_name)
VALUES (@campaign_id, @claim_id, @prize_id, @period, @slot, @given_by, @given_by_name)
ON CONFLICT (claim_id, period, slot) WHERE undone_at IS NULL DO NOTHING
RETURNING *;

-- name: LatestActiveGive :one
SELECT g.*, p.key AS prize_key FROM giveaways g JOIN prizes p ON p.id = g.prize_id
WHERE g.claim_id = $1 AND g.undone_at IS NULL
ORDER BY g.given_at DESC, g.id DESC
LIMIT 1;

-- name: UndoGiveaway :one
UPDATE giveaways SET undone_at = now(), undone_by_name = @undone_by_name
WHERE id = @id AND undone_at IS NULL
RETURNING *;

-- name: CountActiveGives :one
SELECT count(*) FROM giveaways WHERE claim_id = $1 AND undone_at IS NULL;
