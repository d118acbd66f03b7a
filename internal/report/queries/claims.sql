-- Claims created in [$2, $3) by current status, and the total row (status ''). The total is
-- also the number of participants: claims are UNIQUE (campaign_id, network, handle_norm), so
-- each person has one.
WITH s AS (
    SELECT status, count(*) AS n
    FROM claims
    WHERE campaign_id = $1 AND created_at >= $2 AND created_at < $3
    GROUP BY status
)
SELECT coalesce(status, ''), coalesce(sum(n), 0)::bigint
FROM s
GROUP BY ROLLUP (status);
