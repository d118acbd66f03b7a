-- name: AddEvent :one
-- Every giveaway event is an audit row and an outbox row in the caller's transaction; the
-- notification reaches listeners (the feeder, live pages) when that transaction commits.
WITH a AS (
    INSERT INTO audit_log (campaign_id, claim_id, actor, action, details)
    VALUES (@campaign_id, @claim_id, @actor, @action, COALESCE(sqlc.narg(details)::jsonb, '{}'))
    RETURNING id, campaign_id, claim_id, action
), q AS (
    INSERT INTO outbox (kind, ref_id) SELECT 'event', id::text FROM a
)
SELECT a.id, pg_notify('giveaway_events', json_build_object(
    'campaign_id', a.campaign_id, 'claim_id', a.claim_id, 'action', a.action)::text)::text AS notified
FROM a;

-- name: AddEvents :many
WITH a AS (
    INSERT INTO audit_log (campaign_id, claim_id, actor, action, details)
    SELECT unnest(@campaign_id::bigint[]), unnest(@claim_id::bigint[]), @actor, @action,
           unnest(@details::jsonb[])
    RETURNING id, campaign_id, claim_id, action
), q AS (
    INSERT INTO outbox (kind, ref_id) SELECT 'event', id::text FROM a
)
SELECT a.id, pg_notify('giveaway_events', json_build_object(
    'campaign_id', a.campaign_id, 'claim_id', a.claim_id, 'action', a.action)::text)::text AS notified
FROM a;

-- name: NotifyOutbox :exec
SELECT pg_notify('outbox', '');

-- name: AddModeration :exec
-- Moderation goes into the audit log (the end-of-day report lists it) but is not a giveaway event
-- for the dashboards; the posts it hides are queued for the index by the moderation statements.
INSERT INTO audit_log (campaign_id, actor, action, details) VALUES (@campaign_id, @actor, @action, @details);

-- name: FeedEvents :many
-- The named audit rows as giveaway events for the feeder. details keys read: prize (the prize
-- key), staff (falls back to the actor), verified_by (how a verification proved the claim; other
-- events carry the claim's); stock_left as the dashboard's stock panel reads it.
SELECT a.id, a.at, a.action, a.actor, coalesce(a.claim_id, 0)::bigint AS claim_id, cp.slug,
       coalesce(c.code, '')::text AS code, coalesce(c.network, '')::text AS network,
       coalesce(c.handle, '')::text AS handle,
       coalesce(c.tweet_network, '')::text AS tweet_network, coalesce(c.tweet_id, '')::text AS tweet_id,
       coalesce(a.details->>'prize', '')::text AS prize, coalesce(p.name, '')::text AS prize_name,
       coalesce(a.details->>'staff', a.actor)::text AS staff,
       coalesce(a.details->>'verified_by', c.verified_by, '')::text AS verified_by,
       -- The prize's stock left when the feeder reads it (-1: no prize): the latest event of a
       -- prize shows its stock, whether sent at once or in a backfill.
       coalesce(p.stock_left, -1)::bigint AS stock_left
FROM unnest(@ids::bigint[]) AS k(id)
JOIN audit_log a ON a.id = k.id
LEFT JOIN campaigns cp ON cp.id = a.campaign_id
LEFT JOIN claims c ON c.id = a.claim_id
LEFT JOIN prizes p ON p.campaign_id = a.campaign_id AND p.key = a.details->>'prize';

-- name: CampaignAudit :many
-- A campaign's audit log for the console, newest first: by action, by who did it (the actor or
-- the staff named in the details) and by time, each filter off when NULL.
SELECT a.id, a.at, a.actor, a.action, a.claim_id, a.details
FROM audit_log a
WHERE a.campaign_id = @campaign_id
  AND (sqlc.narg(action)::text IS NULL OR a.action = sqlc.narg(action))
  AND (sqlc.narg(staff)::text IS NULL OR lower(a.actor) = lower(sqlc.narg(staff))
       OR lower(a.details->>'staff') = lower(sqlc.narg(staff)))
  AND (sqlc.narg(since)::timestamptz IS NULL OR a.at >= sqlc.narg(since))
  AND (sqlc.narg(until)::timestamptz IS NULL OR a.at < sqlc.narg(until))
  AND (sqlc.narg(before_id)::bigint IS NULL OR a.id < sqlc.narg(before_id))
ORDER BY a.id DESC
LIMIT @lim;
-- name: AddDrawEvent :exec
-- A draw's step (internal/draws): in the audit log, not a giveaway event for the dashboards; the
-- notice tells the walls, at commit, that a draw of their campaign moved.
WITH a AS (
    INSERT INTO audit_log (campaign_id, actor, action, details)
    VALUES (@campaign_id, @actor, @action, @details) RETURNING campaign_id, action, details
)
SELECT pg_notify('giveaway_draws', json_build_object('campaign_id', a.campaign_id,
    'draw_id', (a.details->>'draw_id')::bigint, 'action', a.action)::text)
FROM a;
