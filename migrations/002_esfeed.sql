-- The Elasticsearch feed reads, for every batch of tweets it sends, the claims those tweets
-- verified (matched_claim); without this it hash-joins a scan of all claims each round.
CREATE INDEX IF NOT EXISTS claims_tweet ON claims (tweet_network, tweet_id) WHERE tweet_id IS NOT NULL;

---- create above / drop below ----
DROP INDEX IF EXISTS claims_tweet;
