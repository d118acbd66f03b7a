-- The wall's counters: eligible posts and prizes given (not undone) in campaign $1.
SELECT (SELECT count(*) FROM tweets t
        WHERE t.hashtags_norm @> c.required_hashtags AND t.retweet_of IS NULL
          AND t.created_at >= c.starts_at AND t.created_at < c.ends_at),
       (SELECT count(*) FROM giveaways g WHERE g.campaign_id = c.id AND g.undone_at IS NULL)
FROM campaigns c WHERE c.id = $1;
