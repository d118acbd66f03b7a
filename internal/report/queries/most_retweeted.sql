-- name: MostRetweeted :many
-- The campaign's own posts of the range with the most retweets, as the source last counted them.
SELECT t.network, t.id, t.handle, t.text, t.retweet_count
FROM tweets t
WHERE t.created_at >= @range_start AND t.created_at < @range_end AND t.hashtags_norm && @tags::text[] AND t.retweet_of IS NULL
  AND t.retweet_count > 0
ORDER BY t.retweet_count DESC, t.created_at, t.id
LIMIT @lim;
