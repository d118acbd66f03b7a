-- The most used hashtags among the newest 2000 eligible posts of campaign $1 (a bounded read
-- however long the event runs), at most $2 of them.
SELECT tag, count(*) AS n
FROM (SELECT t.hashtags_norm FROM campaigns c
      JOIN tweets t ON t.hashtags_norm @> c.required_hashtags AND t.retweet_of IS NULL
                   AND t.created_at >= c.starts_at AND t.created_at < c.ends_at
      WHERE c.id = $1
      ORDER BY t.created_at DESC LIMIT 2000) p,
     unnest(p.hashtags_norm) AS tag
GROUP BY tag
ORDER BY n DESC, tag
LIMIT $2;
