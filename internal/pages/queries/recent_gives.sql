-- Gives in campaign $1 since $2 that are not undone, for the tablet's undo list.
SELECT g.claim_id, c.network, c.handle, c.code, p.name, g.given_at, g.given_by_name
FROM giveaways g
JOIN claims c ON c.id = g.claim_id
JOIN prizes p ON p.id = g.prize_id
WHERE g.campaign_id = $1 AND g.undone_at IS NULL AND g.given_at >= $2
ORDER BY g.given_at DESC
LIMIT 20;
