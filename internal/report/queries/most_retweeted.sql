-- The campaign's own posts of [$1, $2) with the most retweets, as the source last counted them.
SELECT t.network, t.id, t.handle, t.text, t.retweet_count
FROM tweets t
WHERE t.created_at >= $1 AND t.created_at < $2 AND t.hashtags_norm && $3 AND t.retweet_of IS NULL
  AND t.retweet_count > 0
ORDER BY t.retweet_count DESC, t.created_at, t.id
LIMIT $4;
