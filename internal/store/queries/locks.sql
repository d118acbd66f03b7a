-- name: TryLeaderLock :one
-- A session-level lock (internal/leader): held until the session ends or lets it go, so the
-- caller keeps one connection for as long as it leads.
SELECT pg_try_advisory_lock(@class::int, hashtext(@name::text));

-- name: WaitLeaderLock :exec
-- A standby waits here, so it takes the lock the moment the holder's session ends rather than
-- at its next try.
SELECT pg_advisory_lock(@class::int, hashtext(@name::text));
