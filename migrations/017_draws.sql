-- Fair draws (issue 15): a draw is defined (open), its pool frozen with a commitment to a secret
-- seed (committed), then the seed revealed with the winners and backups it draws (revealed). The
-- database holds the invariants: the seed matches its commitment, a frozen pool never changes,
-- one entry per claim (an entry id is a function of the claim, and the primary key), one holder
-- per winner slot.
CREATE TABLE draws (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id      bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    prize            text NOT NULL CHECK (length(prize) BETWEEN 1 AND 200),
    winners          int NOT NULL CHECK (winners BETWEEN 1 AND 1000),
    backups          int NOT NULL DEFAULT 0 CHECK (backups BETWEEN 0 AND 1000),
    -- Which claims enter (draws.PoolFilter), as the organiser gave it.
    pool_filter      jsonb NOT NULL,
    must_be_present  boolean NOT NULL DEFAULT false,
    -- How long a called winner has to be confirmed present before staff may pass the prize on.
    presence_minutes int CHECK (presence_minutes BETWEEN 1 AND 1440),
    state            text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'committed', 'revealed')),
    algorithm        text NOT NULL,
    entrants         int CHECK (entrants >= 0),
    pool_hash        bytea CHECK (length(pool_hash) = 32),
    seed_commit      bytea CHECK (length(seed_commit) = 32),
    -- Secret until the reveal; NULL until then when the operator keeps the seed off the service.
    seed             bytea CHECK (length(seed) = 32),
    beacon           text CHECK (length(beacon) <= 1000),
    -- Never published: the HMAC key of the draw's entry ids (internal/draws.entryID).
    entry_key        bytea CHECK (length(entry_key) = 32),
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    committed_at     timestamptz,
    revealed_at      timestamptz,
    CHECK (state = 'open' OR (entrants IS NOT NULL AND pool_hash IS NOT NULL AND seed_commit IS NOT NULL
                              AND committed_at IS NOT NULL)),
    CHECK (state <> 'revealed' OR (seed IS NOT NULL AND revealed_at IS NOT NULL)),
    -- No seed but the committed one can ever be stored.
    CHECK (seed IS NULL OR sha256(seed) = seed_commit)
);
CREATE INDEX draws_campaign ON draws (campaign_id, id);

-- The frozen pool: one entry id per (draw, claim), an HMAC of the claim id under the draw's secret
-- entry_key, so it looks random, says nothing of the handle, and a claim's page finds its entry
-- by recomputing it. One index, filled in order (the commit sends the entries sorted), and no
-- foreign keys: their per-row checks and a second index were most of a million-entrant commit.
-- The draw's deletion takes its entries along (draws_delete_entries); a purged claim leaves a
-- frozen pool as it was, as it must.
CREATE TABLE draw_entries (
    draw_id  bigint NOT NULL,
    -- 16 of [a-z2-7] (a regular expression per row cost the commit more than the COPY).
    entry_id text COLLATE "C" NOT NULL CHECK (length(entry_id) = 16),
    claim_id bigint NOT NULL,
    PRIMARY KEY (draw_id, entry_id)
);

-- Who the seed drew, in its order: positions below the draw's winners are the winners, then the
-- backups. A backup is waiting until an absent winner's slot passes to it.
CREATE TABLE draw_picks (
    draw_id   bigint NOT NULL REFERENCES draws (id) ON DELETE CASCADE,
    position  int NOT NULL CHECK (position >= 0),
    entry_id  text COLLATE "C" NOT NULL,
    slot      int CHECK (slot >= 1),
    status    text NOT NULL CHECK (status IN ('called', 'present', 'absent', 'waiting')),
    called_at timestamptz,
    decided_at timestamptz,
    decided_by text,
    PRIMARY KEY (draw_id, position),
    UNIQUE (draw_id, entry_id),
    CHECK ((status = 'waiting') = (slot IS NULL)),
    CHECK (status = 'waiting' OR called_at IS NOT NULL)
);
-- A winner slot has one holder at a time.
CREATE UNIQUE INDEX draw_picks_one_holder ON draw_picks (draw_id, slot) WHERE status IN ('called', 'present');

-- A frozen pool never changes (a campaign's deletion removes it whole). The commit inserts the
-- entries before it marks the draw committed, and nothing inserts after; a row trigger on insert
-- would cost the million-entrant commit a lookup per row.
CREATE FUNCTION draw_entries_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM draws WHERE id = COALESCE(NEW.draw_id, OLD.draw_id) AND state <> 'open') THEN
        RAISE EXCEPTION 'the pool of draw % is frozen', COALESCE(NEW.draw_id, OLD.draw_id);
    END IF;
    RETURN COALESCE(NEW, OLD);
END $$;
CREATE TRIGGER draw_entries_frozen BEFORE UPDATE OR DELETE ON draw_entries
    FOR EACH ROW EXECUTE FUNCTION draw_entries_frozen();

CREATE FUNCTION draws_delete_entries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM draw_entries WHERE draw_id IN (SELECT id FROM gone);
    RETURN NULL;
END $$;
CREATE TRIGGER draws_delete_entries AFTER DELETE ON draws REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION draws_delete_entries();

---- create above / drop below ----
DROP TABLE draw_picks, draw_entries, draws;
DROP FUNCTION draw_entries_frozen(), draws_delete_entries();
