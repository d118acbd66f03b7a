-- name: LockTweetCounts :exec
-- The first statement of an ingest batch: one row per original it stores or raises, in key
-- order, inserted or locked (ON CONFLICT DO UPDATE locks the row even when it changes nothing).
-- A batch storing an original and one raising it through a retweet meet here, so the second
-- waits for the first to commit; its next statement then sees what the first wrote (the raised
-- count, or the stored original to raise). Without it, each missed the other's uncommitted rows
-- under READ COMMITTED and the original kept 0. Keys come unique and sorted (ingest's split).
INSERT INTO tweet_counts AS c (network, id, retweet_count, quote_count)
SELECT unnest(@network::text[]), unnest(@id::text[]), unnest(@retweet_count::bigint[]),
       unnest(@quote_count::bigint[])
ON CONFLICT (network, id) DO UPDATE SET
    retweet_count = greatest(c.retweet_count, excluded.retweet_count),
    quote_count = greatest(c.quote_count, excluded.quote_count)
WHERE excluded.retweet_count > c.retweet_count OR excluded.quote_count > c.quote_count;
