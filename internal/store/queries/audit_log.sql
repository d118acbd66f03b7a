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
