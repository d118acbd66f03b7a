-- Claims created in [$2, $3) that are still pending or were rejected; $4 caps the list.
SELECT created_at, network, handle, status, code, manual, coalesce(post_url, '')
FROM claims
WHERE campaign_id = $1 AND created_at >= $2 AND created_at < $3
  AND status IN ('pending', 'rejected')
ORDER BY status, created_at, id
LIMIT $4;
