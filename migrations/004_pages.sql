-- Moderation of the live wall, and the notification that tells the pages about new posts.

-- One row per campaign that has changed its wall from the default (automatic, shown).
CREATE TABLE wall_settings (
    campaign_id bigint PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    -- auto: shown unless a filter catches it; manual: shown once staff approve it.
    mode        text NOT NULL DEFAULT 'auto' CHECK (mode IN ('auto', 'manual')),
    -- The kill switch: the wall shows nothing while set.
    killed      boolean NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT ''
);

-- Posts staff took off the wall of one campaign.
CREATE TABLE wall_hidden_posts (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    network     text NOT NULL,
    post_id     text NOT NULL,
    hidden_at   timestamptz NOT NULL DEFAULT now(),
    hidden_by   text NOT NULL,
    PRIMARY KEY (campaign_id, network, post_id)
);

-- Posts staff let onto a manual wall.
CREATE TABLE wall_approved_posts (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    network     text NOT NULL,
    post_id     text NOT NULL,
    approved_at timestamptz NOT NULL DEFAULT now(),
    approved_by text NOT NULL,
    PRIMARY KEY (campaign_id, network, post_id)
);

-- People staff blocked in one campaign: none of their posts reach its wall.
CREATE TABLE blocked_people (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    network     text NOT NULL,
    handle_norm text NOT NULL,
    blocked_at  timestamptz NOT NULL DEFAULT now(),
    blocked_by  text NOT NULL,
    PRIMARY KEY (campaign_id, network, handle_norm)
);

-- New eligible posts reach open walls through the ingest path's notification on
-- 'giveaway_posts' (internal/ingest/wall.go), sent with the batch's transaction.

---- create above / drop below ----
DROP TABLE blocked_people, wall_approved_posts, wall_hidden_posts, wall_settings;
