-- The campaign's posts created in [$1, $2) per local hour ($3 is the time zone), and the total
-- row (hour -1): captured carry any tracked hashtag ($4); eligible carry all of them, are no
-- plain retweet, and fall inside the campaign window [$5, $6).
-- Posts are binned by quarter hour exactly as the statistics tweets_quarter_hours say (see
-- migrations/003_report.sql), so the planner hashes the day's rows into a hundred bins instead
-- of sorting them all; every UTC offset is a multiple of 15 minutes, so a bin never straddles
-- two local hours, and only the bins are turned into local hours.
WITH bins AS (
    SELECT date_bin('15 minutes', t.created_at, '2000-01-01 00:00+00') AS at,
           count(*) AS captured,
           -- Cheap tests first: the array test is skipped for retweets and posts out of the window.
           count(*) FILTER (WHERE t.retweet_of IS NULL AND t.created_at >= $5 AND t.created_at < $6
                              AND t.hashtags_norm @> $4) AS eligible,
           count(*) FILTER (WHERE t.network = 'twitter') AS x_posts
    FROM tweets t
    WHERE t.created_at >= $1 AND t.created_at < $2 AND t.hashtags_norm && $4
    GROUP BY 1
)
SELECT coalesce(extract(hour FROM at AT TIME ZONE $3)::int, -1) AS hour,
       coalesce(sum(captured), 0)::bigint, coalesce(sum(eligible), 0)::bigint,
       coalesce(sum(x_posts), 0)::bigint
FROM bins
GROUP BY ROLLUP (extract(hour FROM at AT TIME ZONE $3)::int);
