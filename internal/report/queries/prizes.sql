-- Every prize of the campaign with its stock now and what [$2, $3) gave of it.
SELECT p.key, p.name, p.stock, p.stock_left, count(g.id) AS given
FROM prizes p
LEFT JOIN giveaways g ON g.prize_id = p.id AND g.campaign_id = p.campaign_id
    AND g.given_at >= $2 AND g.given_at < $3 AND g.undone_at IS NULL
WHERE p.campaign_id = $1
GROUP BY p.id
ORDER BY p.id;
