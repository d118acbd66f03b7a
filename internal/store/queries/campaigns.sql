-- name: CreateCampaign :one
INSERT INTO campaigns (slug, name, required_hashtags, display_hashtags, starts_at, ends_at, time_zone,
                       per_person_limit, limit_period, tweets_index, require_code)
VALUES (@slug, @name, @required_hashtags, @display_hashtags, @starts_at, @ends_at, @time_zone,
        @per_person_limit, @limit_period, @tweets_index, @require_code)
ON CONFLICT (slug) DO NOTHING
RETURNING *;

-- name: CampaignBySlug :one
SELECT * FROM campaigns WHERE slug = $1;

-- name: CampaignByID :one
SELECT * FROM campaigns WHERE id = $1;

-- name: MatchableCampaigns :many
-- Campaigns a post can still count for; the window itself is checked against the post's time.
SELECT id, required_hashtags, starts_at, ends_at FROM campaigns WHERE purged_at IS NULL;

-- name: MarkCampaignPurged :exec
UPDATE campaigns SET purged_at = now() WHERE id = $1;

-- name: NotifyCampaignsChanged :exec
-- Delivered at commit: the X stream holder, on whichever instance, reconciles its rules.
SELECT pg_notify('campaigns_changed', '');

-- name: ListeningCampaigns :many
-- Campaigns whose hashtags the pulling sources follow: not over, and starting within a day, so
-- the sources are listening before the doors open.
SELECT id, slug, display_hashtags, required_hashtags FROM campaigns
WHERE purged_at IS NULL AND ends_at > $1 AND starts_at < $1 + interval '1 day'
ORDER BY slug;

-- name: SetCampaignRequireCode :one
-- Whether only posts with the claim's code verify; it applies to matches made from now on.
UPDATE campaigns SET require_code = @require_code WHERE slug = @slug AND purged_at IS NULL
RETURNING *;

-- name: TabletCampaigns :many
-- Campaigns the tablet can work on: running ones first, then the newest.
SELECT slug, name FROM campaigns
WHERE purged_at IS NULL
ORDER BY (now() >= starts_at AND now() < ends_at) DESC, starts_at DESC
LIMIT 50;

-- name: FeedCampaigns :many
-- Every campaign as the Elasticsearch feeder routes posts to its indexes.
SELECT id, slug, required_hashtags, starts_at, ends_at, tweets_index, (purged_at IS NOT NULL)::boolean AS purged
FROM campaigns;

-- name: HomeCampaigns :many
-- The home page's campaigns: those running now, newest first.
SELECT slug, name, starts_at, ends_at, time_zone FROM campaigns
WHERE purged_at IS NULL AND now() >= starts_at AND now() < ends_at
ORDER BY starts_at DESC, slug
LIMIT 50;

-- name: AnyCampaign :one
-- Whether this install has a campaign at all (a fresh one says how to make the first).
SELECT EXISTS (SELECT 1 FROM campaigns) AS any;
