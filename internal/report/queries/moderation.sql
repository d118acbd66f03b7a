-- Moderation actions ($4) recorded in [$2, $3), with the claim they touched; $5 caps the list.
SELECT a.at, a.actor, a.action, coalesce(c.network, ''),
       coalesce(c.handle, a.details ->> 'handle', ''), a.details::text
FROM audit_log a
LEFT JOIN claims c ON c.id = a.claim_id
WHERE a.campaign_id = $1 AND a.at >= $2 AND a.at < $3 AND a.action = ANY ($4)
ORDER BY a.at, a.id
LIMIT $5;
