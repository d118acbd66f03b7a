-- name: Gives :many
-- Prizes given in the range and not undone, counted several ways in one pass over the range.
-- tz is the campaign's time zone; hours are local.
SELECT kind, key, hour, n
FROM (
    SELECT CASE
               WHEN GROUPING(h.hour, p.key) = 0 THEN 'hour_prize'
               WHEN GROUPING(h.hour) = 0 THEN 'hour'
               WHEN GROUPING(c.network) = 0 THEN 'network'
               WHEN GROUPING(g.given_by_name) = 0 THEN 'staff'
               ELSE 'total'
           END AS kind,
           coalesce(p.key, c.network, g.given_by_name, '') AS key,
           coalesce(h.hour, -1) AS hour,
           count(*) AS n
    FROM giveaways g
    JOIN claims c ON c.id = g.claim_id
    JOIN prizes p ON p.id = g.prize_id
    CROSS JOIN LATERAL (SELECT extract(hour FROM g.given_at AT TIME ZONE @tz::text)::int AS hour) h
    WHERE g.campaign_id = @campaign_id AND g.given_at >= @range_start AND g.given_at < @range_end AND g.undone_at IS NULL
    GROUP BY GROUPING SETS ((h.hour, p.key), (h.hour), (c.network), (g.given_by_name), ())
) s
ORDER BY kind, n DESC, key COLLATE "C", hour;
