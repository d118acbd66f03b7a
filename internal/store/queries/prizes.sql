-- name: CreatePrize :one
INSERT INTO prizes (campaign_id, key, name, stock, stock_left)
VALUES (@campaign_id, @key, @name, @stock, @stock)
RETURNING *;

-- name: PrizesByCampaign :many
SELECT * FROM prizes WHERE campaign_id = $1 ORDER BY id;

-- name: ReturnStock :one
UPDATE prizes SET stock_left = stock_left + 1 WHERE id = $1 RETURNING stock_left;

-- name: AddPrize :one
-- A prize added to a running campaign; an existing key answers no row.
INSERT INTO prizes (campaign_id, key, name, stock, stock_left, daily_cap)
VALUES (@campaign_id, @key, @name, @stock, @stock, sqlc.narg(daily_cap))
ON CONFLICT (campaign_id, key) DO NOTHING
RETURNING *;

-- name: PrizeForUpdate :one
SELECT * FROM prizes WHERE campaign_id = @campaign_id AND key = @key FOR UPDATE;

-- name: UpdatePrize :one
-- Renames, restocks or corrects (add is signed: stock and stock_left move together, so what was
-- given stays), caps and retires a prize. Taking more than is left breaks the table's CHECK.
UPDATE prizes SET name = @name, stock = stock + @add::int, stock_left = stock_left + @add::int,
                  daily_cap = sqlc.narg(daily_cap), retired_at = sqlc.narg(retired_at)
WHERE id = @id
RETURNING *;

-- name: LockPrize :exec
-- A give of a prize with a daily cap holds the prize row while it counts the day's gives, so two
-- tablets cannot both take the last one of the day.
SELECT id FROM prizes WHERE id = $1 FOR UPDATE;

-- name: PrizeGivenOnDay :one
-- Gives of a prize (not undone) on the local day of @now in the campaign's time zone. Its own
-- statement after LockPrize, so it sees every give committed while the lock was awaited.
SELECT count(*) FROM giveaways g
JOIN campaigns c ON c.id = g.campaign_id
WHERE g.prize_id = @prize_id AND g.undone_at IS NULL
  AND timezone(c.time_zone, g.given_at)::date = timezone(c.time_zone, @now::timestamptz)::date;
