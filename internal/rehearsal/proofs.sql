-- The rehearsal's proofs read the tables directly, not through the service's own queries, so a
-- bug in those cannot vouch for itself. Each statement answers one number; $1 is the campaign slug.

-- name: eligible_unverified
-- Claims still pending although their person has an eligible post on the claim's network
-- (every required hashtag, inside the window, not a plain retweet).
SELECT count(*) FROM claims c JOIN campaigns k ON k.id = c.campaign_id
WHERE k.slug = $1 AND c.status = 'pending'
  AND EXISTS (SELECT 1 FROM tweets t WHERE t.network = c.network AND t.handle_norm = c.handle_norm
              AND t.hashtags_norm @> k.required_hashtags AND t.retweet_of IS NULL
              AND t.created_at >= k.starts_at AND t.created_at < k.ends_at);

-- name: verified_without_post
-- Claims verified by a post (not by staff) whose person has no eligible post. A claim given its
-- prize keeps it when the post that verified it is deleted later: its tombstone stands for it.
SELECT count(*) FROM claims c JOIN campaigns k ON k.id = c.campaign_id
WHERE k.slug = $1 AND c.status IN ('verified', 'given') AND c.verified_by IN ('handle', 'code')
  AND NOT EXISTS (SELECT 1 FROM tweets t WHERE t.network = c.network AND t.handle_norm = c.handle_norm
                  AND t.hashtags_norm @> k.required_hashtags AND t.retweet_of IS NULL
                  AND t.created_at >= k.starts_at AND t.created_at < k.ends_at)
  AND NOT (c.status = 'given' AND EXISTS (SELECT 1 FROM tweet_tombstones d
                                          WHERE d.network = c.tweet_network AND d.id = c.tweet_id));

-- name: verified_claims
SELECT count(*) FROM claims c JOIN campaigns k ON k.id = c.campaign_id
WHERE k.slug = $1 AND c.status IN ('verified', 'given');

-- name: over_limit
-- People holding more live prizes than the campaign's limit.
SELECT count(*) FROM (
    SELECT c.id FROM claims c JOIN campaigns k ON k.id = c.campaign_id
    JOIN giveaways g ON g.claim_id = c.id AND g.undone_at IS NULL
    WHERE k.slug = $1 GROUP BY c.id, k.per_person_limit HAVING count(*) > k.per_person_limit) o;

-- name: stock_mismatch
-- Prizes whose stock left is not initial − given + undone, counted from the audit log.
SELECT count(*) FROM prizes p JOIN campaigns k ON k.id = p.campaign_id
WHERE k.slug = $1 AND p.stock_left <> p.stock
    - (SELECT count(*) FROM audit_log a WHERE a.campaign_id = k.id AND a.action = 'given' AND a.details ->> 'prize' = p.key)
    + (SELECT count(*) FROM audit_log a WHERE a.campaign_id = k.id AND a.action = 'undone' AND a.details ->> 'prize' = p.key);

-- name: stock_below_zero
SELECT count(*) FROM prizes p JOIN campaigns k ON k.id = p.campaign_id WHERE k.slug = $1 AND p.stock_left < 0;

-- name: sold_out
-- Prizes given until none was left.
SELECT count(*) FROM prizes p JOIN campaigns k ON k.id = p.campaign_id WHERE k.slug = $1 AND p.stock_left = 0;

-- name: tshirt_stock
-- The T-shirts there ever were, restocks included: a restock form resubmitted adds once.
SELECT coalesce(sum(p.stock), 0) FROM prizes p JOIN campaigns k ON k.id = p.campaign_id
WHERE k.slug = $1 AND p.key = 'tshirt';

-- name: give_rows
-- Giveaway rows of one claim at one moment: $2 claim id, $3 given_at; $4 true: undone ones.
SELECT count(*) FROM giveaways g JOIN campaigns k ON k.id = g.campaign_id
WHERE k.slug = $1 AND g.claim_id = $2 AND g.given_at = $3 AND (g.undone_at IS NOT NULL) = $4;

-- name: gives_total
SELECT count(*) FROM giveaways g JOIN campaigns k ON k.id = g.campaign_id WHERE k.slug = $1;

-- name: tweets_total
SELECT count(*) FROM tweets WHERE network = 'twitter';

-- name: retweet_count_wrong
-- Stored originals whose retweet count is not what their retweets say: the retweets stored of it,
-- or the highest count a retweet carried (tweet_counts: one lost or deleted since still counted).
-- Batches storing an original and its retweet at once must not leave it at 0.
SELECT count(*) FROM tweets o LEFT JOIN tweet_counts c ON c.network = o.network AND c.id = o.id
WHERE o.retweet_of IS NULL
  AND o.retweet_count <> greatest(coalesce(c.retweet_count, 0),
                                  (SELECT count(*) FROM tweets r WHERE r.network = o.network AND r.retweet_of = o.id));

-- name: retweets_total
SELECT count(*) FROM tweets WHERE network = 'twitter' AND retweet_of IS NOT NULL;

-- name: tweet_ids
-- The posts the campaign's tweets index should hold: those carrying any of its hashtags, as
-- "network id".
SELECT t.network || ' ' || t.id FROM tweets t JOIN campaigns k ON k.slug = $1
WHERE t.hashtags_norm && k.required_hashtags ORDER BY 1;

-- name: mastodon_posts
SELECT count(*) FROM tweets WHERE network = 'mastodon';

-- name: bluesky_posts
SELECT count(*) FROM tweets WHERE network = 'bluesky';

-- name: network_claims_verified
-- Claims on the open networks a source reads (Mastodon, Bluesky) that are verified or given.
SELECT count(*) FROM claims c JOIN campaigns k ON k.id = c.campaign_id
WHERE k.slug = $1 AND c.network IN ('mastodon', 'bluesky') AND c.status IN ('verified', 'given');

-- name: all_tweet_ids
SELECT id FROM tweets WHERE network = 'twitter' ORDER BY id;

-- name: x_gaps
-- Stretches the X reader knows it could not read (reconnects without backfill): the report shows
-- them, so a post sent inside one is accounted for.
SELECT from_at, to_at FROM source_gaps WHERE source = 'x_stream';

-- name: event_ids
-- The audit rows the feed reports as giveaway events (what the outbox named).
SELECT DISTINCT ref_id FROM outbox WHERE kind = 'event' ORDER BY ref_id;

-- name: outbox_pending
SELECT count(*) FROM outbox WHERE done_at IS NULL;

-- name: outbox_pending_before
-- Outbox rows written before a moment ($1) that the feed has not sent yet.
SELECT count(*) FROM outbox WHERE done_at IS NULL AND created_at <= $1;

-- name: outbox_dead
SELECT count(*) FROM outbox_dead;

-- name: audit_given_today
-- Gives of the campaign's day ($2, local date) not undone since, from the audit log alone.
SELECT count(*) FROM audit_log a JOIN campaigns k ON k.id = a.campaign_id
WHERE k.slug = $1 AND a.action = 'given' AND (a.at AT TIME ZONE k.time_zone)::date = $2::date
  AND NOT EXISTS (SELECT 1 FROM audit_log u WHERE u.campaign_id = a.campaign_id AND u.action = 'undone'
                  AND u.details -> 'giveaway_id' = a.details -> 'giveaway_id');

-- name: claim_states
-- Each claim's status, when it was verified and when its live prize was given.
SELECT c.id, c.status, coalesce(c.verified_by, ''), c.verified_at,
       (SELECT max(g.given_at) FROM giveaways g WHERE g.claim_id = c.id AND g.undone_at IS NULL)
FROM claims c JOIN campaigns k ON k.id = c.campaign_id WHERE k.slug = $1;
