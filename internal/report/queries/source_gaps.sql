-- name: SourceGaps :many
-- The gaps the sources recorded that overlap the report's range, oldest first.
SELECT source, kind, from_at, to_at, detail
FROM source_gaps
WHERE from_at < @range_end AND to_at > @range_start
ORDER BY from_at, id
LIMIT 200; -- report.SourceGapsLimit
