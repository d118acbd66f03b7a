-- Core schema: the invariants of the giveaway live here, not only in Go.

CREATE TABLE campaigns (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug              text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- Normalized (NFKC, lower-case, no '#') for matching; display keeps what the organiser typed.
    required_hashtags text[] NOT NULL CHECK (cardinality(required_hashtags) BETWEEN 1 AND 10),
    display_hashtags  text[] NOT NULL CHECK (cardinality(display_hashtags) = cardinality(required_hashtags)),
    starts_at         timestamptz NOT NULL,
    ends_at           timestamptz NOT NULL,
    time_zone         text NOT NULL,
    per_person_limit  int NOT NULL DEFAULT 1 CHECK (per_person_limit BETWEEN 1 AND 100),
    limit_period      text NOT NULL DEFAULT 'campaign' CHECK (limit_period IN ('campaign', 'day')),
    tweets_index      text NOT NULL,
    purged_at         timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);

CREATE TABLE prizes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    key         text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    stock       int NOT NULL CHECK (stock >= 0),
    -- Stock can never go below zero, whatever the code above does.
    stock_left  int NOT NULL CHECK (stock_left >= 0 AND stock_left <= stock),
    UNIQUE (campaign_id, key)
);

CREATE TABLE staff (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    pin_hash        text NOT NULL,
    role            text NOT NULL CHECK (role IN ('staff', 'admin')),
    failed_logins   int NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX staff_name_key ON staff (lower(name));

CREATE TABLE staff_sessions (
    token_hash  bytea PRIMARY KEY,
    staff_id    bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX staff_sessions_expires ON staff_sessions (expires_at);

-- Post ids are snowflakes: a longer id is newer; ids of equal length compare as text.
CREATE FUNCTION id_newer(a text, b text) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$ SELECT (length(a), a) > (length(b), b) $$;

-- One row per post however often it arrives. An edited post keeps the id of the first version.
CREATE TABLE tweets (
    network           text NOT NULL DEFAULT 'twitter',
    id                text NOT NULL,
    version_id        text NOT NULL,
    author_id         text,
    handle            text NOT NULL,
    handle_norm       text NOT NULL,
    author_created_at timestamptz,
    created_at        timestamptz NOT NULL,
    text              text NOT NULL,
    lang              text,
    hashtags          text[] NOT NULL DEFAULT '{}',
    hashtags_norm     text[] NOT NULL DEFAULT '{}',
    retweet_of        text,
    retweet_of_handle text,
    quote_of          text,
    reply_to          text,
    retweet_count     bigint NOT NULL DEFAULT 0,
    raw               jsonb,
    received_at       timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (network, id)
);
CREATE INDEX tweets_author ON tweets (network, handle_norm, created_at);
CREATE INDEX tweets_created ON tweets (created_at);
CREATE INDEX tweets_hashtags ON tweets USING gin (hashtags_norm);

-- Delete notices can arrive before the post; the tombstone keeps a late copy out.
CREATE TABLE tweet_tombstones (
    network     text NOT NULL,
    id          text NOT NULL,
    deleted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (network, id)
);

CREATE TABLE claims (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id       bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    network           text NOT NULL CHECK (network IN ('twitter', 'instagram', 'facebook', 'linkedin',
                                                       'mastodon', 'bluesky', 'threads', 'other')),
    handle            text NOT NULL,
    handle_norm       text NOT NULL,
    post_url          text,
    note              text,
    code              text NOT NULL CHECK (code ~ '^[A-Z2-9]{6}$'),
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'verified', 'given', 'rejected')),
    manual            boolean NOT NULL DEFAULT false,
    created_by        bigint REFERENCES staff (id),
    verified_at       timestamptz,
    verified_by       bigint REFERENCES staff (id),
    tweet_network     text,
    tweet_id          text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    -- One claim per person per campaign.
    UNIQUE (campaign_id, network, handle_norm),
    UNIQUE (campaign_id, code),
    CHECK (status <> 'verified' OR verified_at IS NOT NULL),
    -- An attendee's claim for another network names its post, until a purge removes it.
    CHECK (network = 'twitter' OR post_url IS NOT NULL OR manual OR handle_norm LIKE 'purged-%')
);
CREATE INDEX claims_person ON claims (network, handle_norm) WHERE status = 'pending';
CREATE INDEX claims_campaign_status ON claims (campaign_id, status, created_at);

-- An attendee who claims again gets another token for the same claim; only hashes are kept.
CREATE TABLE claim_tokens (
    token_hash  bytea PRIMARY KEY,
    claim_id    bigint NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX claim_tokens_claim ON claim_tokens (claim_id);

CREATE TABLE giveaways (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id   bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    claim_id      bigint NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    prize_id      bigint NOT NULL REFERENCES prizes (id),
    -- 'campaign', or the local date in the campaign's time zone for per-day limits.
    period        text NOT NULL,
    slot          int NOT NULL CHECK (slot >= 1),
    given_at      timestamptz NOT NULL DEFAULT now(),
    given_by      bigint REFERENCES staff (id),
    given_by_name text NOT NULL,
    undone_at     timestamptz,
    undone_by_name text,
    CHECK ((undone_at IS NULL) = (undone_by_name IS NULL))
);
-- The exactly-once invariant: a claim holds each slot of its per-person limit once per period.
CREATE UNIQUE INDEX giveaways_one_per_slot ON giveaways (claim_id, period, slot) WHERE undone_at IS NULL;
CREATE INDEX giveaways_campaign_given ON giveaways (campaign_id, given_at);

CREATE TABLE idempotency_keys (
    scope         text NOT NULL,
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_hash  bytea NOT NULL,
    status_code   int,
    response      bytea,  -- the exact bytes first sent, replayed as they were
    locked_until  timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Append-only: the trigger refuses changes unless a purge says so for its transaction.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    campaign_id bigint REFERENCES campaigns (id) ON DELETE SET NULL,
    claim_id    bigint,
    actor       text NOT NULL,
    action      text NOT NULL,
    details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_campaign ON audit_log (campaign_id, at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('giveaway.purge', true) = 'on' THEN
        RETURN COALESCE(NEW, OLD);
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- The Elasticsearch feed's outbox, written in the transaction of the change it reports.
-- A row names what changed; the feeder reads the current state when it sends, and the row id is
-- the external version, so a late retry can never overwrite newer data.
CREATE TABLE outbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('tweet', 'event')),
    -- tweet: network/id of the post; event: the audit_log id as text.
    ref_network text NOT NULL DEFAULT '',
    ref_id      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    done_at     timestamptz,
    attempts    int NOT NULL DEFAULT 0,
    last_error  text
);
CREATE INDEX outbox_pending ON outbox (id) WHERE done_at IS NULL;
CREATE INDEX outbox_done ON outbox (done_at) WHERE done_at IS NOT NULL;

CREATE TABLE outbox_dead (
    outbox_id   bigint PRIMARY KEY,
    kind        text NOT NULL,
    ref_network text NOT NULL,
    ref_id      text NOT NULL,
    index_name  text NOT NULL,
    reason      text NOT NULL,
    failed_at   timestamptz NOT NULL DEFAULT now()
);

---- create above / drop below ----
DROP TABLE outbox_dead, outbox, audit_log, idempotency_keys, giveaways, claim_tokens, claims,
    tweet_tombstones, tweets, staff_sessions, staff, prizes, campaigns;
DROP FUNCTION audit_log_append_only();
DROP FUNCTION id_newer(text, text);
