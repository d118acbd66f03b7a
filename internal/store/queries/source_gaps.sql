-- name: InsertSourceGap :one
-- A source records a stretch it could not read (internal/source.RecordGap).
INSERT INTO source_gaps (source, kind, from_at, to_at, detail)
VALUES (@source, @kind, @from_at, @to_at, @detail)
RETURNING id, recorded_at;

-- name: RecentSourceGaps :many
-- The newest gaps first, for the organiser's sources view.
SELECT id, source, kind, from_at, to_at, detail, recorded_at
FROM source_gaps
WHERE to_at >= @since
ORDER BY to_at DESC, id DESC
LIMIT @max_rows;
