-- name: SourceCursor :one
-- Where a pulling source (bluesky:jetstream, mastodon:<instance>:<tag>) stopped; no row: start fresh.
SELECT position FROM source_cursors WHERE source = $1;

-- name: SaveSourceCursor :exec
-- Saved only after the posts before it were stored, so a restart may repeat posts (harmless:
-- they are de-duplicated) but never skips one.
INSERT INTO source_cursors (source, position) VALUES ($1, $2)
ON CONFLICT (source) DO UPDATE SET position = excluded.position, updated_at = now();
