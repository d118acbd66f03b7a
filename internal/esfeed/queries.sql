-- The feed's SQL, one statement per name, loaded at start so a missing name fails at boot.

-- name: claim
-- Claims a batch and marks it done in the round's transaction, which stays open until
-- Elasticsearch has answered for every item; rows that did not make it are put back (mark_retry)
-- before the commit, so no one ever sees a row done that Elasticsearch did not confirm, and a
-- feeder that dies rolls its claim back. One write per row instead of a lock now and an update
-- later. SKIP LOCKED lets other feeders take the next rows meanwhile.
-- The batch size is written into the text as a constant (see claimSQL): a parameterised
-- LIMIT $1 lets PostgreSQL switch the statement pgx prepares and caches to a generic plan that
-- cannot know the limit and may scan the whole table. And id = ANY(ARRAY(...)), not IN (...):
-- with IN the planner may hash-join the batch against a sequential scan of the whole outbox.
UPDATE outbox SET done_at = now(), last_error = NULL
WHERE id = ANY (ARRAY(SELECT id FROM outbox
                      WHERE done_at IS NULL
                      ORDER BY id
                      LIMIT {{batch}}
                      FOR UPDATE SKIP LOCKED))
RETURNING id, kind, ref_network, ref_id;

-- name: campaigns
SELECT id, slug, required_hashtags, starts_at, ends_at, tweets_index, purged_at IS NOT NULL
FROM campaigns;

-- name: tweets
-- The retweeted post's count comes from its own row when stored, else from a v1.1 payload.
SELECT t.network, t.id, coalesce(t.author_id, ''), t.handle, t.created_at, t.text, coalesce(t.lang, ''),
       t.hashtags, t.hashtags_norm, coalesce(t.retweet_of, ''), coalesce(t.retweet_of_handle, ''),
       CASE WHEN t.retweet_of IS NULL THEN -1
            ELSE coalesce((SELECT rt.retweet_count FROM tweets rt
                           WHERE rt.network = t.network AND rt.id = t.retweet_of),
                          (SELECT CASE WHEN r.raw #>> '{retweeted_status,retweet_count}' ~ '^[0-9]{1,18}$'
                                       THEN (r.raw #>> '{retweeted_status,retweet_count}')::bigint END
                           FROM tweet_raw r WHERE r.network = t.network AND r.id = t.id),
                          -1)
       END,
       coalesce(t.quote_of, ''), coalesce(t.reply_to, ''), t.retweet_count
FROM unnest($1::text[], $2::text[]) AS k(network, id)
JOIN tweets t ON t.network = k.network AND t.id = k.id;

-- name: matched_claims
-- Only claims a tweet verified and that still stand mark the tweet as matched.
SELECT c.campaign_id, c.tweet_network, c.tweet_id, c.id, c.code
FROM unnest($1::text[], $2::text[]) AS k(network, id)
JOIN claims c ON c.tweet_network = k.network AND c.tweet_id = k.id
WHERE c.status IN ('verified', 'given');

-- name: hidden
-- Posts taken off a campaign's wall, by staff hiding them or blocking their author: the document
-- in that campaign's index carries hidden = true, which the dashboards' wall panels filter on.
SELECT h.campaign_id, h.network, h.post_id
FROM unnest($1::text[], $2::text[]) AS k(network, id)
JOIN wall_hidden_posts h ON h.network = k.network AND h.post_id = k.id
UNION
SELECT b.campaign_id, t.network, t.id
FROM unnest($1::text[], $2::text[]) AS k(network, id)
JOIN tweets t ON t.network = k.network AND t.id = k.id
JOIN blocked_people b ON b.network = t.network AND b.handle_norm = t.handle_norm;

-- name: events
-- details keys read: prize (the prize key), staff (falls back to the actor), verified_by (how a
-- verification proved the claim; other events carry the claim's).
SELECT a.id, a.at, a.action, a.actor, coalesce(a.claim_id, 0), cp.slug,
       coalesce(c.code, ''), coalesce(c.network, ''), coalesce(c.handle, ''),
       coalesce(c.tweet_network, ''), coalesce(c.tweet_id, ''),
       coalesce(a.details->>'prize', ''), coalesce(p.name, ''),
       coalesce(a.details->>'staff', a.actor), coalesce(a.details->>'verified_by', c.verified_by, '')
FROM unnest($1::bigint[]) AS k(id)
JOIN audit_log a ON a.id = k.id
LEFT JOIN campaigns cp ON cp.id = a.campaign_id
LEFT JOIN claims c ON c.id = a.claim_id
LEFT JOIN prizes p ON p.campaign_id = a.campaign_id AND p.key = a.details->>'prize';

-- name: mark_retry
UPDATE outbox AS o SET done_at = NULL, attempts = o.attempts + 1, last_error = r.reason
FROM unnest($1::bigint[], $2::text[]) AS r(id, reason)
WHERE o.id = r.id;

-- name: mark_dead
-- The row stays done (claimed so) so it no longer blocks the head of the queue; the dead letter
-- keeps everything retry-dead needs to send it again.
WITH dead AS (
    INSERT INTO outbox_dead (outbox_id, kind, ref_network, ref_id, index_name, reason)
    SELECT o.id, o.kind, o.ref_network, o.ref_id, r.index_name, r.reason
    FROM unnest($1::bigint[], $2::text[], $3::text[]) AS r(id, index_name, reason)
    JOIN outbox o ON o.id = r.id
    ON CONFLICT (outbox_id) DO UPDATE SET reason = excluded.reason, index_name = excluded.index_name,
                                          failed_at = now()
    RETURNING outbox_id
)
UPDATE outbox SET attempts = attempts + 1, last_error = r.reason
FROM unnest($1::bigint[], $3::text[]) AS r(id, reason)
WHERE outbox.id = r.id AND outbox.id IN (SELECT outbox_id FROM dead);

-- name: status
SELECT (SELECT count(*) FROM outbox WHERE done_at IS NULL),
       (SELECT created_at FROM outbox WHERE done_at IS NULL ORDER BY id LIMIT 1),
       (SELECT count(*) FROM outbox WHERE done_at IS NULL AND attempts > 0),
       (SELECT last_error FROM outbox WHERE done_at IS NULL AND last_error IS NOT NULL ORDER BY id LIMIT 1),
       (SELECT count(*) FROM outbox_dead),
       now();

-- name: dead_letters
SELECT outbox_id, kind, ref_network, ref_id, index_name, reason, failed_at
FROM outbox_dead ORDER BY outbox_id LIMIT $1;

-- name: retry_dead
-- New rows, so new (higher) versions: the feeder reads the current state when it sends them.
WITH dead AS (DELETE FROM outbox_dead RETURNING kind, ref_network, ref_id),
ins AS (
    INSERT INTO outbox (kind, ref_network, ref_id)
    SELECT DISTINCT kind, ref_network, ref_id FROM dead
    RETURNING id
)
SELECT count(*), coalesce(min(id), 0), coalesce(max(id), 0) FROM ins;

-- name: backfill
-- Everything the campaign's indexes should hold: its tweets, deletes for tombstoned posts (a
-- post with no row is deleted from every campaign index), and its giveaway events.
WITH c AS (SELECT id, required_hashtags FROM campaigns WHERE slug = $1),
rows AS (
    SELECT 1 AS part, t.created_at AS at, 'tweet' AS kind, t.network AS ref_network, t.id AS ref_id
    FROM tweets t, c WHERE t.hashtags_norm && c.required_hashtags
    UNION ALL
    SELECT 2, tt.deleted_at, 'tweet', tt.network, tt.id FROM tweet_tombstones tt
    UNION ALL
    SELECT 3, a.at, 'event', '', a.id::text FROM audit_log a, c WHERE a.campaign_id = c.id
),
ins AS (
    INSERT INTO outbox (kind, ref_network, ref_id)
    SELECT kind, ref_network, ref_id FROM rows ORDER BY part, at
    RETURNING id
)
SELECT count(*), coalesce(min(id), 0), coalesce(max(id), 0) FROM ins;

-- name: progress
SELECT count(*) FROM outbox WHERE id BETWEEN $1 AND $2 AND done_at IS NOT NULL;

-- name: prune
-- In slices, so a large prune never holds one long transaction.
DELETE FROM outbox WHERE id IN (
    SELECT id FROM outbox WHERE done_at < now() - make_interval(secs => $1) LIMIT 10000);

-- name: notify
SELECT pg_notify('outbox', '');
