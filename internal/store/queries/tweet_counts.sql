-- name: LockTweetCounts :many
-- The first statement of an ingest batch: one row per original it stores and per original it raises,
-- in key order, inserted or updated, and so locked until the batch commits. A batch storing an
-- original and one raising it through a retweet meet here, so the second waits for the first to
-- commit; its next statement then sees what the first wrote (the stored original to raise).
-- Without it, each missed the other's uncommitted rows under READ COMMITTED and the original
-- kept 0. Every row is written, even unchanged, so that RETURNING gives each key's latest counts
-- (a row committed after this statement began is not in its snapshot, only in what ON CONFLICT
-- DO UPDATE locks): a new post starts at them. Keys come unique and sorted (ingest's countKeys).
INSERT INTO tweet_counts AS c (network, id, retweet_count, quote_count)
SELECT unnest(@network::text[]), unnest(@id::text[]), unnest(@retweet_count::bigint[]),
       unnest(@quote_count::bigint[])
ON CONFLICT (network, id) DO UPDATE SET
    retweet_count = greatest(c.retweet_count, excluded.retweet_count),
    quote_count = greatest(c.quote_count, excluded.quote_count)
RETURNING network, id, retweet_count, quote_count;
