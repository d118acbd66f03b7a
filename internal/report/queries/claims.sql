-- name: Claims :many
-- Claims created in the range by current status, and the total row (status ''). The total is
-- also the number of participants: claims are UNIQUE (campaign_id, network, handle_norm), so
-- each person has one.
WITH s AS (
    SELECT status, count(*) AS n
    FROM claims
    WHERE campaign_id = @campaign_id AND created_at >= @range_start AND created_at < @range_end
    GROUP BY status
)
SELECT coalesce(status, '') AS status, coalesce(sum(n), 0)::bigint AS n
FROM s
GROUP BY ROLLUP (status);
