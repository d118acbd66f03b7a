-- name: Winners :many
-- One row per prize given in the range and not undone: the winners list and the CSV, with how the
-- claim was proven and whether staff checked the account on the attendee's phone.
SELECT g.given_at, c.network, c.handle, p.key, p.name, g.given_by_name, c.code, coalesce(c.verified_by, '') AS verified_by,
       g.account_checked
FROM giveaways g
JOIN claims c ON c.id = g.claim_id
JOIN prizes p ON p.id = g.prize_id
WHERE g.campaign_id = @campaign_id AND g.given_at >= @range_start AND g.given_at < @range_end AND g.undone_at IS NULL
ORDER BY g.given_at, g.id;
