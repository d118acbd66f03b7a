-- name: InsertOAuthState :exec
INSERT INTO oauth_states (state_hash, claim_id, provider, instance, code_verifier, browser_hash, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: TakeOAuthState :one
-- A state is used once: the callback deletes it whatever it then decides.
DELETE FROM oauth_states WHERE state_hash = $1 RETURNING *;

-- name: DeleteExpiredOAuthStates :execrows
DELETE FROM oauth_states WHERE expires_at < $1;
