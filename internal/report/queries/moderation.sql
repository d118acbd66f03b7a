-- name: Moderation :many
-- Moderation actions (@actions) recorded in the range, with the claim they touched; @lim caps
-- the list.
SELECT a.at, a.actor, a.action, coalesce(c.network, '') AS network,
       coalesce(c.handle, a.details ->> 'handle', '') AS handle, a.details::text AS details
FROM audit_log a
LEFT JOIN claims c ON c.id = a.claim_id
WHERE a.campaign_id = @campaign_id::bigint AND a.at >= @range_start AND a.at < @range_end AND a.action = ANY (@actions::text[])
ORDER BY a.at, a.id
LIMIT @lim;
