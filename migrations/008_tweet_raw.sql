-- A post's raw JSON moves to a table of its own. Inline it made every row of tweets three to
-- four times wider (a v2 post with its author is ~1 KB, stored uncompressed below PostgreSQL's
-- 2 KB toast threshold), so every scan of tweets (the end-of-day report reads the day three
-- times, the feed and matching read rows) paid for a column they almost never use.
-- No foreign key to tweets: its per-row check locks the tweet row just written and cost a tenth of
-- ingest throughput. Rows are written only with their post (UpsertTweets) and deleted with it
-- (DeleteTweets, AnonymiseTweets), each in one statement.
CREATE TABLE tweet_raw (
    network text NOT NULL,
    id      text NOT NULL,
    raw     json COMPRESSION lz4 NOT NULL,
    PRIMARY KEY (network, id)
);
INSERT INTO tweet_raw (network, id, raw)
SELECT network, id, raw FROM tweets WHERE raw IS NOT NULL;
-- Dropping a column does not rewrite the table: rows stored before this migration keep their
-- bytes until `VACUUM FULL tweets` (it locks the table; run it between events, not during one).
ALTER TABLE tweets DROP COLUMN raw;

---- create above / drop below ----
ALTER TABLE tweets ADD COLUMN raw json COMPRESSION lz4;
UPDATE tweets t SET raw = r.raw FROM tweet_raw r WHERE r.network = t.network AND r.id = t.id;
DROP TABLE tweet_raw;
