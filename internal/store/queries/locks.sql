-- name: TryLeaderLock :one
-- A session-level lock (internal/leader): held until the session ends or lets it go, so the
-- caller keeps one connection for as long as it leads.
SELECT pg_try_advisory_lock(@class::int, hashtext(@name::text));
