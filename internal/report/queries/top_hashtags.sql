-- name: TopHashtags :many
-- The hashtags most used in the campaign's own posts of the range (lim of them): a plain retweet
-- repeats its original's tags. Posts are counted per hashtag list first and only the distinct
-- lists are unnested (546 in the benchmark's million posts): hashing one list per post costs less
-- than making and hashing a row per tag.
SELECT u.tag::text AS tag, sum(l.n)::bigint AS n
FROM (
    SELECT t.hashtags_norm AS tags, count(*) AS n
    FROM tweets t
    WHERE t.created_at >= @range_start AND t.created_at < @range_end AND t.hashtags_norm && @tags::text[] AND t.retweet_of IS NULL
    GROUP BY t.hashtags_norm
) l
CROSS JOIN LATERAL unnest(l.tags) AS u(tag)
GROUP BY u.tag
ORDER BY n DESC, u.tag COLLATE "C"
LIMIT @lim;
