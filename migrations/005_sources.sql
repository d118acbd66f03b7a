-- Posts from the open networks: Mastodon and Bluesky claims name an account the service checks
-- itself (like a twitter handle), and the pulling sources remember where they stopped.

-- A mastodon or bluesky claim is verified by the account's posts, so it needs no post link.
ALTER TABLE claims DROP CONSTRAINT claims_check1;
ALTER TABLE claims ADD CONSTRAINT claims_post_url_needed
    CHECK (network IN ('twitter', 'mastodon', 'bluesky') OR post_url IS NOT NULL OR manual
           OR handle_norm LIKE 'purged-%');

-- Where each pulling source stopped, so a restart resumes there instead of losing posts: the
-- Jetstream cursor (time_us) for Bluesky, the newest status id per hashtag for Mastodon.
CREATE TABLE source_cursors (
    source     text PRIMARY KEY,
    position   text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Bluesky posts name their author by DID, claims by handle: resolved handles are kept, so a
-- restart during the event does not ask the directory again for every author.
CREATE TABLE bluesky_handles (
    did         text PRIMARY KEY,
    handle      text NOT NULL,
    resolved_at timestamptz NOT NULL DEFAULT now()
);

---- create above / drop below ----
DROP TABLE bluesky_handles, source_cursors;
ALTER TABLE claims DROP CONSTRAINT claims_post_url_needed;
ALTER TABLE claims ADD CONSTRAINT claims_check1
    CHECK (network = 'twitter' OR post_url IS NOT NULL OR manual OR handle_norm LIKE 'purged-%');
