-- name: Prizes :many
-- Every prize of the campaign with its stock now and what the range gave of it.
SELECT p.key, p.name, p.stock, p.stock_left, count(g.id) AS given
FROM prizes p
LEFT JOIN giveaways g ON g.prize_id = p.id AND g.campaign_id = p.campaign_id
    AND g.given_at >= @range_start AND g.given_at < @range_end AND g.undone_at IS NULL
WHERE p.campaign_id = @campaign_id
GROUP BY p.id
ORDER BY p.id;
