-- name: Tweets :many
-- The campaign's posts created in the range per local hour (tz is the time zone), and the total
-- row (hour -1): captured carry any tracked hashtag (tags); eligible carry all of them, are no
-- plain retweet, and fall inside the campaign window [starts, ends).
-- Posts are binned by quarter hour exactly as the statistics tweets_quarter_hours say (see
-- migrations/003_report.sql), so the planner hashes the day's rows into a hundred bins instead
-- of sorting them all; every UTC offset is a multiple of 15 minutes, so a bin never straddles
-- two local hours, and only the bins are turned into local hours.
WITH bins AS (
    SELECT date_bin('15 minutes', t.created_at, '2000-01-01 00:00+00') AS at,
           count(*) AS captured,
           -- Cheap tests first: the array test is skipped for retweets and posts out of the window.
           count(*) FILTER (WHERE t.retweet_of IS NULL AND t.created_at >= @starts AND t.created_at < @ends
                              AND t.hashtags_norm @> @tags::text[]) AS eligible,
           count(*) FILTER (WHERE t.network = 'twitter') AS x_posts
    FROM tweets t
    WHERE t.created_at >= @range_start AND t.created_at < @range_end AND t.hashtags_norm && @tags::text[]
    GROUP BY 1
)
SELECT coalesce(extract(hour FROM at AT TIME ZONE @tz::text)::int, -1)::int AS hour,
       coalesce(sum(captured), 0)::bigint AS captured, coalesce(sum(eligible), 0)::bigint AS eligible,
       coalesce(sum(x_posts), 0)::bigint AS x_posts
FROM bins
GROUP BY ROLLUP (extract(hour FROM at AT TIME ZONE @tz::text)::int);
