-- The campaign a report is about.
SELECT id, slug, name, time_zone, required_hashtags, display_hashtags, starts_at, ends_at
FROM campaigns
WHERE slug = $1;
