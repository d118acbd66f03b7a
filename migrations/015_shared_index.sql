-- Retweet and quote counts reach us on the retweets and quotes themselves (a v1.1 retweet embeds
-- retweeted_status.retweet_count, a v2 one includes the original's public_metrics), not on the
-- original, which was stored when it had none. tweet_counts keeps the highest count seen for a
-- post id whether or not the post is stored yet, so an original arriving after its retweets
-- starts at their count; a stored original is raised in the same statement. No foreign key: the
-- counts may name posts never stored, and a deleted post's tombstone keeps it from returning.
CREATE TABLE tweet_counts (
    network       text NOT NULL,
    id            text NOT NULL,
    retweet_count bigint NOT NULL DEFAULT 0,
    quote_count   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (network, id)
);
ALTER TABLE tweets ADD COLUMN quote_count bigint NOT NULL DEFAULT 0;

---- create above / drop below ----
ALTER TABLE tweets DROP COLUMN quote_count;
DROP TABLE tweet_counts;
