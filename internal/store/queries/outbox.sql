-- The outbox and its dead letters: what the Elasticsearch feeder (internal/esfeed) claims, marks
-- and re-queues. The rows themselves are written by the statements that change what they name.

-- name: ClaimOutbox :many
-- Claims a batch and marks it done in the round's transaction, which stays open until
-- Elasticsearch has answered for every item; rows that did not make it are put back (mark_retry)
-- before the commit, so no one ever sees a row done that Elasticsearch did not confirm, and a
-- feeder that dies rolls its claim back. One write per row instead of a lock now and an update
-- later. SKIP LOCKED lets other feeders take the next rows meanwhile.
-- The feeder runs this as an unnamed statement (esfeed's customPlan), so PostgreSQL plans it for
-- the batch size it is given: a cached generic plan cannot know the LIMIT and may scan the whole
-- table. And id = ANY(ARRAY(...)), not IN (...): with IN the planner may hash-join the batch
-- against a sequential scan of the whole outbox.
UPDATE outbox SET done_at = now(), last_error = NULL
WHERE id = ANY (ARRAY(SELECT id FROM outbox
                      WHERE done_at IS NULL
                      ORDER BY id
                      LIMIT @batch::int
                      FOR UPDATE SKIP LOCKED))
RETURNING id, kind, ref_network, ref_id;

-- name: MarkOutboxRetry :exec
UPDATE outbox AS o SET done_at = NULL, attempts = o.attempts + 1, last_error = r.reason
FROM (SELECT unnest(@ids::bigint[]) AS id, unnest(@reasons::text[]) AS reason) AS r
WHERE o.id = r.id;

-- name: MarkOutboxDead :exec
-- The row stays done (claimed so) so it no longer blocks the head of the queue; the dead letter
-- keeps everything retry-dead needs to send it again.
WITH dead AS (
    INSERT INTO outbox_dead (outbox_id, kind, ref_network, ref_id, index_name, reason)
    SELECT o.id, o.kind, o.ref_network, o.ref_id, r.index_name, r.reason
    FROM (SELECT unnest(@ids::bigint[]) AS id, unnest(@index_names::text[]) AS index_name,
                 unnest(@reasons::text[]) AS reason) AS r
    JOIN outbox o ON o.id = r.id
    ON CONFLICT (outbox_id) DO UPDATE SET reason = excluded.reason, index_name = excluded.index_name,
                                          failed_at = now()
    RETURNING outbox_id
)
UPDATE outbox SET attempts = outbox.attempts + 1, last_error = r.reason
FROM (SELECT unnest(@ids::bigint[]) AS id, unnest(@reasons::text[]) AS reason) AS r
WHERE outbox.id = r.id AND outbox.id IN (SELECT outbox_id FROM dead);

-- name: OutboxStatus :one
-- The oldest pending row's time and the oldest failing row's error come as arrays of at most one
-- element, so that "none" needs no NULL.
SELECT (SELECT count(*) FROM outbox WHERE done_at IS NULL) AS pending,
       array(SELECT created_at FROM outbox WHERE done_at IS NULL ORDER BY id LIMIT 1)::timestamptz[] AS oldest_pending,
       (SELECT count(*) FROM outbox WHERE done_at IS NULL AND attempts > 0) AS retrying,
       array(SELECT last_error FROM outbox WHERE done_at IS NULL AND last_error IS NOT NULL ORDER BY id LIMIT 1)::text[] AS last_error,
       (SELECT count(*) FROM outbox_dead) AS dead_letters,
       now()::timestamptz AS now;

-- name: DeadLetters :many
SELECT outbox_id, kind, ref_network, ref_id, index_name, reason, failed_at
FROM outbox_dead ORDER BY outbox_id LIMIT @lim;

-- name: RetryDeadLetters :one
-- New rows, so new (higher) versions: the feeder reads the current state when it sends them.
WITH dead AS (DELETE FROM outbox_dead RETURNING kind, ref_network, ref_id),
ins AS (
    INSERT INTO outbox (kind, ref_network, ref_id)
    SELECT DISTINCT kind, ref_network, ref_id FROM dead
    RETURNING id
)
SELECT count(*) AS rows, coalesce(min(id), 0)::bigint AS first_id, coalesce(max(id), 0)::bigint AS last_id FROM ins;

-- name: BackfillOutbox :one
-- Everything the campaign's indexes should hold: its tweets, deletes for tombstoned posts (a
-- post with no row is deleted from every campaign index), and its giveaway events.
WITH c AS (SELECT id, required_hashtags FROM campaigns WHERE slug = @slug),
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
SELECT count(*) AS rows, coalesce(min(id), 0)::bigint AS first_id, coalesce(max(id), 0)::bigint AS last_id FROM ins;

-- name: OutboxProgress :one
SELECT count(*) FROM outbox WHERE id BETWEEN @first_id AND @last_id AND done_at IS NOT NULL;

-- name: PruneOutbox :execrows
-- In slices, so a large prune never holds one long transaction.
DELETE FROM outbox WHERE id IN (
    SELECT id FROM outbox WHERE done_at < now() - make_interval(secs => @older_than_secs::float8) LIMIT 10000);
