-- name: Campaign :one
-- The campaign a report is about.
SELECT id, slug, name, time_zone, required_hashtags, display_hashtags, starts_at, ends_at
FROM campaigns
WHERE slug = $1;

-- name: TuneSession :exec
-- For the report's transaction only (SET LOCAL): the aggregates hash up to one group per author,
-- so give them memory rather than temp files; JIT compiling costs more than it saves on these
-- one-pass queries.
SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true);
