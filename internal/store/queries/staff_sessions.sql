-- name: CreateSession :exec
INSERT INTO staff_sessions (token_hash, staff_id, expires_at) VALUES ($1, $2, $3);

-- name: SessionStaff :one
SELECT s.id, s.name, s.role, ss.expires_at
FROM staff_sessions ss JOIN staff s ON s.id = ss.staff_id
WHERE ss.token_hash = $1 AND ss.expires_at > now();

-- name: DeleteSession :exec
DELETE FROM staff_sessions WHERE token_hash = $1;

-- name: DeleteExpiredSessions :execrows
DELETE FROM staff_sessions WHERE expires_at <= now();
