-- Campaigns the tablet can work on: running ones first, then the newest.
SELECT slug, name FROM campaigns
WHERE purged_at IS NULL
ORDER BY (now() >= starts_at AND now() < ends_at) DESC, starts_at DESC
LIMIT 50;
