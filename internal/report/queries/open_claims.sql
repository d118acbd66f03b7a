-- name: OpenClaims :many
-- Claims created in the range that are still pending or were rejected; lim caps the list.
SELECT created_at, network, handle, status, code, manual, coalesce(post_url, '') AS post_url
FROM claims
WHERE campaign_id = @campaign_id AND created_at >= @range_start AND created_at < @range_end
  AND status IN ('pending', 'rejected')
ORDER BY status, created_at, id
LIMIT @lim;
