-- name: CreatePrize :one
INSERT INTO prizes (campaign_id, key, name, stock, stock_left)
VALUES (@campaign_id, @key, @name, @stock, @stock)
RETURNING *;

-- name: PrizesByCampaign :many
SELECT * FROM prizes WHERE campaign_id = $1 ORDER BY id;

-- name: ReturnStock :one
UPDATE prizes SET stock_left = stock_left + 1 WHERE id = $1 RETURNING stock_left;
