-- name: GivesInPeriod :many
-- Active (not undone) gives of a claim in a limit period, newest first.
SELECT g.id, g.slot, g.given_at, g.given_by_name, p.key AS prize_key
FROM giveaways g JOIN prizes p ON p.id = g.prize_id
WHERE g.claim_id = $1 AND g.period = $2 AND g.undone_at IS NULL
ORDER BY g.given_at DESC;

-- name: LatestActiveGive :one
SELECT g.*, p.key AS prize_key FROM giveaways g JOIN prizes p ON p.id = g.prize_id
WHERE g.claim_id = $1 AND g.undone_at IS NULL
ORDER BY g.given_at DESC, g.id DESC
LIMIT 1;

-- name: UndoGiveaway :one
UPDATE giveaways SET undone_at = now(), undone_by_name = @undone_by_name
WHERE id = @id AND undone_at IS NULL
RETURNING *;

-- name: GiveContext :one
-- Everything a give decides on, in one round trip: the claim (locked, so concurrent gives of it
-- queue up here), its campaign's limit, the prize asked for, and the gives already in the
-- current limit period (a local day in the campaign's time zone, or the whole campaign).
WITH c AS (
    SELECT * FROM claims WHERE claims.id = @claim_id FOR UPDATE
), per AS (
    SELECT CASE WHEN camp.limit_period = 'day'
                THEN to_char(timezone(camp.time_zone, sqlc.arg(now)::timestamptz), 'YYYY-MM-DD')
                ELSE 'campaign' END AS period
    FROM c JOIN campaigns camp ON camp.id = c.campaign_id
)
SELECT c.id, c.campaign_id, c.network, c.handle, c.code, c.status, c.verified_by,
       camp.slug, camp.per_person_limit, camp.limit_period,
       per.period,
       p.id AS prize_id, p.name AS prize_name, p.daily_cap, p.retired_at,
       (SELECT count(*) FROM giveaways g
        WHERE g.claim_id = c.id AND g.period = per.period AND g.undone_at IS NULL) AS given_in_period
FROM c
JOIN campaigns camp ON camp.id = c.campaign_id
CROSS JOIN per
LEFT JOIN prizes p ON p.campaign_id = c.campaign_id AND p.key = @prize_key;

-- name: RecordGive :one
-- The write side of a give, in one statement: the give (the unique index on claim, period and
-- slot refuses a second one), the claim's status, the audit event with its outbox row and
-- notification, and the stock. No row means a concurrent give took the slot. The stock is taken
-- after every other write (PostgreSQL runs a WITH's unreferenced writes after the main query, so
-- stock waits on st and q's counts), so the prize row every tablet shares is locked only from
-- here to COMMIT; with none left, prizes' CHECK (stock_left >= 0) fails the statement and the
-- caller answers out_of_stock.
WITH g AS (
    INSERT INTO giveaways (campaign_id, claim_id, prize_id, period, slot, given_by, given_by_name, account_checked)
    VALUES (@campaign_id, @claim_id, @prize_id, @period, @slot, @given_by, @given_by_name, @account_checked)
    ON CONFLICT (claim_id, period, slot) WHERE undone_at IS NULL DO NOTHING
    RETURNING id, given_at
), st AS (
    UPDATE claims SET status = 'given', updated_at = now()
    WHERE id = @claim_id AND @mark_given::boolean AND EXISTS (SELECT 1 FROM g)
    RETURNING 1
), a AS (
    INSERT INTO audit_log (campaign_id, claim_id, actor, action, details)
    SELECT @campaign_id, @claim_id, @given_by_name, 'given',
           jsonb_build_object('prize', @prize_key::text, 'giveaway_id', g.id,
                              'account_checked', @account_checked::boolean)
    FROM g
    RETURNING id
), q AS (
    INSERT INTO outbox (kind, ref_id) SELECT 'event', id::text FROM a
    RETURNING 1
), stock AS (
    UPDATE prizes SET stock_left = stock_left - 1
    WHERE id = @prize_id AND EXISTS (SELECT 1 FROM g)
      AND (SELECT count(*) FROM st) + (SELECT count(*) FROM q) >= 0
    RETURNING stock_left
)
SELECT g.id, g.given_at, (SELECT stock_left FROM stock)::int AS stock_left,
       pg_notify('giveaway_events', json_build_object('campaign_id', @campaign_id::bigint,
           'claim_id', @claim_id::bigint, 'action', 'given')::text)::text AS notified
FROM g;

-- name: RecentGives :many
-- Gives in a campaign since a time that are not undone, for the tablet's undo list.
SELECT g.claim_id, c.network, c.handle, c.code, p.name, g.given_at, g.given_by_name
FROM giveaways g
JOIN claims c ON c.id = g.claim_id
JOIN prizes p ON p.id = g.prize_id
WHERE g.campaign_id = @campaign_id AND g.undone_at IS NULL AND g.given_at >= @since
ORDER BY g.given_at DESC
LIMIT 20;
