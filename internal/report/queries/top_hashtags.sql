-- The hashtags most used in the campaign's own posts of [$1, $2) ($4 of them): a plain retweet
-- repeats its original's tags. unnest in the select list is cheaper than a lateral join here.
SELECT tag, count(*) AS n
FROM (
    SELECT unnest(t.hashtags_norm) AS tag
    FROM tweets t
    WHERE t.created_at >= $1 AND t.created_at < $2 AND t.hashtags_norm && $3 AND t.retweet_of IS NULL
) tags
GROUP BY tag
ORDER BY n DESC, tag COLLATE "C"
LIMIT $4;
