-- The report's "most retweeted" list reads this index in order and stops after the first few
-- posts of the day, where it used to scan and sort every post of the day. Only original posts
-- that were retweeted at all are in it, so most ingested posts never touch it.
CREATE INDEX tweets_most_retweeted ON tweets (retweet_count DESC, created_at, id)
    WHERE retweet_of IS NULL AND retweet_count > 0;

---- create above / drop below ----
DROP INDEX tweets_most_retweeted;
