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

-- name: CampaignForUpdate :one
SELECT * FROM campaigns WHERE slug = $1 AND purged_at IS NULL FOR UPDATE;

-- name: UpdateCampaign :one
-- The organiser's edit of a campaign, every field at once (the caller merged the change). The
-- hashtags apply to posts matched from now on; claims already verified keep their proof.
UPDATE campaigns SET name = @name, required_hashtags = @required_hashtags, display_hashtags = @display_hashtags,
       starts_at = @starts_at, ends_at = @ends_at, time_zone = @time_zone,
       per_person_limit = @per_person_limit, require_code = @require_code
WHERE id = @id
RETURNING *;

-- name: ConsoleCampaigns :many
-- The organiser's list: every campaign not purged (or the one named), running ones first, with
-- live counts.
SELECT c.slug, c.name, c.starts_at, c.ends_at, c.time_zone,
       (now() >= c.starts_at AND now() < c.ends_at)::boolean AS running,
       (SELECT count(*) FROM claims cl WHERE cl.campaign_id = c.id) AS claims,
       (SELECT count(*) FROM claims cl WHERE cl.campaign_id = c.id AND cl.status = 'pending') AS pending,
       (SELECT count(*) FROM claims cl WHERE cl.campaign_id = c.id AND cl.status = 'verified') AS verified,
       (SELECT count(*) FROM giveaways g WHERE g.campaign_id = c.id AND g.undone_at IS NULL) AS given,
       (SELECT coalesce(sum(p.stock_left), 0) FROM prizes p
        WHERE p.campaign_id = c.id AND p.retired_at IS NULL)::bigint AS stock_left
FROM campaigns c
WHERE c.purged_at IS NULL AND (sqlc.narg(slug)::text IS NULL OR c.slug = sqlc.narg(slug))
ORDER BY (now() >= c.starts_at AND now() < c.ends_at) DESC, c.starts_at DESC, c.slug
LIMIT 200;
