-- name: ReserveIdempotencyKey :one
-- Zero rows when the key is already known; the caller then looks at what it holds.
INSERT INTO idempotency_keys (scope, key, request_hash, locked_until)
VALUES (@scope, @key, @request_hash, now() + make_interval(secs => @lease_secs::float8))
ON CONFLICT (scope, key) DO NOTHING
RETURNING scope;

-- name: GetIdempotencyKey :one
SELECT request_hash, status_code, response, locked_until < now() AS abandoned
FROM idempotency_keys WHERE scope = $1 AND key = $2;

-- name: RetakeIdempotencyKey :one
-- A request that died without answering leaves its key to the next try once the lease runs out.
UPDATE idempotency_keys SET locked_until = now() + make_interval(secs => @lease_secs::float8)
WHERE scope = @scope AND key = @key AND response IS NULL AND locked_until < now()
RETURNING scope;

-- name: CompleteIdempotencyKey :exec
UPDATE idempotency_keys SET status_code = @status_code, response = @response
WHERE scope = @scope AND key = @key;

-- name: ReleaseIdempotencyKey :exec
DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND response IS NULL;

-- name: DeleteOldIdempotencyKeys :execrows
DELETE FROM idempotency_keys WHERE created_at < $1;

-- name: DeleteIdempotencyKeysOfCampaign :execrows
-- Stored answers name the attendee, so a purge removes them with the claims.
DELETE FROM idempotency_keys k USING claims c
WHERE c.campaign_id = $1 AND (convert_from(k.response, 'UTF8')::jsonb ->> 'claim_id') = c.id::text;
