-- Post ($2, $3) as campaign $1's moderation sees it: its author, and whether it belongs on the
-- campaign's wall (carries the campaign's hashtags, is the author's own post rather than a
-- repost, and was posted while the campaign ran). No row: the post is not stored.
SELECT t.handle,
       t.hashtags_norm @> c.required_hashtags AND t.retweet_of IS NULL
       AND t.created_at >= c.starts_at AND t.created_at < c.ends_at
FROM campaigns c
JOIN tweets t ON t.network = $2 AND t.id = $3
WHERE c.id = $1;
