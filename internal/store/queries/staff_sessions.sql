-- name: CreateSession :exec
INSERT INTO staff_sessions (token_hash, staff_id, expires_at) VALUES ($1, $2, $3);

-- name: SessionStaff :one
-- A deactivated member's sessions stop at once. campaign_ids is NULL for an unscoped member.
SELECT s.id, s.name, s.role, ss.expires_at,
       (SELECT array_agg(sc.campaign_id) FROM staff_campaigns sc WHERE sc.staff_id = s.id)::bigint[] AS campaign_ids
FROM staff_sessions ss JOIN staff s ON s.id = ss.staff_id
WHERE ss.token_hash = $1 AND ss.expires_at > now() AND s.active;

-- name: DeleteSession :exec
DELETE FROM staff_sessions WHERE token_hash = $1;

-- name: DeleteStaffSessions :execrows
DELETE FROM staff_sessions WHERE staff_id = $1;

-- name: DeleteExpiredSessions :execrows
-- Login throttle windows that ended a day ago go with them.
WITH old_windows AS (
    DELETE FROM login_throttle WHERE window_ends < now() - interval '1 day'
)
DELETE FROM staff_sessions WHERE expires_at <= now();
