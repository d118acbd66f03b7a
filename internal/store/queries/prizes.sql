-- name: CreatePrize :one
INSERT INTO prizes (campaign_id, key, name, stock, stock_left)
VALUES (@campaign_id, @key, @name, @stock, @stock)
RETURNING *;

-- name: PrizesByCampaign :many
SELECT * FROM prizes WHERE campaign_id = $1 ORDER BY id;

-- name: PrizeByKey :one
SELECT * FROM prizes WHERE campaign_id = $1 AND key = $2;

-- name: TakeStock :one
-- Zero rows when nothing is left; the CHECK on stock_left backs this up.
UPDATE prizes SET stock_left = stock_left - 1 WHERE id = $1 AND stock_left > 0 RETURNING stock_left;

-- name: ReturnStock :one
UPDATE prizes SET stock_left = stock_left + 1 WHERE id = $1 RETURNING stock_left;
