-- name: TopTweeters :many
-- The authors with the most own posts (no plain retweets) for the campaign in the range; the
-- handle is shown as the author last wrote it.
WITH top AS (
    SELECT t.network, t.handle_norm, count(*) AS n
    FROM tweets t
    WHERE t.created_at >= @range_start AND t.created_at < @range_end AND t.hashtags_norm && @tags::text[] AND t.retweet_of IS NULL
    GROUP BY t.network, t.handle_norm
    ORDER BY n DESC, t.handle_norm COLLATE "C", t.network
    LIMIT @lim
)
SELECT top.network, coalesce(h.handle, top.handle_norm) AS handle, top.n
FROM top
LEFT JOIN LATERAL (
    SELECT handle FROM tweets a
    WHERE a.network = top.network AND a.handle_norm = top.handle_norm
      AND a.created_at >= @range_start AND a.created_at < @range_end
    ORDER BY a.created_at DESC
    LIMIT 1
) h ON true
ORDER BY top.n DESC, top.handle_norm COLLATE "C", top.network;
