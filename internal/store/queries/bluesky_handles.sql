-- name: BlueskyHandles :many
-- The cached handles of these DIDs; DIDs not yet resolved are missing from the answer.
SELECT did, handle, resolved_at FROM bluesky_handles WHERE did = ANY(@dids::text[]);

-- name: SaveBlueskyHandle :exec
-- A handle can change (identity events, or a fresh resolution): the newest one wins.
INSERT INTO bluesky_handles (did, handle) VALUES ($1, $2)
ON CONFLICT (did) DO UPDATE SET handle = excluded.handle, resolved_at = now();
