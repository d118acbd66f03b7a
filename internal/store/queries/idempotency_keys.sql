-- name: InsertIdempotencyKey :one
-- Run inside the request's own transaction, before its effect. While another transaction holds
-- the same key uncommitted this waits (up to lock_timeout) for its outcome: zero rows when it
-- committed (the caller replays its answer), the new row when it rolled back or died.
INSERT INTO idempotency_keys (scope, key, request_hash)
VALUES (@scope, @key, @request_hash)
ON CONFLICT (scope, key) DO NOTHING
RETURNING scope;

-- name: GetIdempotencyKey :one
SELECT request_hash, status_code, response
FROM idempotency_keys WHERE scope = $1 AND key = $2;

-- name: AnswerIdempotencyKey :exec
-- The answer commits with the effect it describes.
UPDATE idempotency_keys SET status_code = @status_code, response = @response
WHERE scope = @scope AND key = @key;

-- name: LimitLockWait :exec
-- How long the next statements of this transaction wait for a lock, in milliseconds.
SELECT set_config('lock_timeout', @millis::text, true);

-- name: RestoreLockWait :exec
-- Back to the session's own lock_timeout for the rest of the transaction.
SET LOCAL lock_timeout TO DEFAULT;

-- name: DeleteOldIdempotencyKeys :execrows
DELETE FROM idempotency_keys WHERE created_at < $1;

-- name: DeleteIdempotencyKeysOfCampaign :execrows
-- Stored answers name the attendee, so a purge removes them with the claims: a give's answer
-- names its claim as claim_id, a re-issue's (API or tablet) as claim.id, the other staff actions'
-- answers are the claim itself (id).
DELETE FROM idempotency_keys k USING claims c
WHERE c.campaign_id = $1
  AND (CASE WHEN k.scope IN ('reissue', 'tablet_reissue')
            THEN convert_from(k.response, 'UTF8')::jsonb -> 'claim' ->> 'id'
            ELSE convert_from(k.response, 'UTF8')::jsonb ->> CASE k.scope WHEN 'give' THEN 'claim_id' ELSE 'id' END
       END) = c.id::text;
