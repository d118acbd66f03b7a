-- Stretches of time a pulling source knows it could not read, so the report and the console can
-- say what might be missing before winners are announced: an X reconnect without backfill (or
-- longer than it), a Bluesky cursor older than Jetstream's replay window, a Mastodon gap fill
-- that stopped early. One row per gap; the sources only insert.
CREATE TABLE source_gaps (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source      text NOT NULL CHECK (source IN ('x_stream', 'mastodon', 'bluesky')),
    kind        text NOT NULL CHECK (kind IN ('reconnect', 'cursor_too_old', 'fill_incomplete')),
    from_at     timestamptz NOT NULL,
    to_at       timestamptz NOT NULL,
    detail      text NOT NULL DEFAULT '' CHECK (length(detail) <= 500),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    CHECK (to_at > from_at)
);

-- The report asks which gaps overlap a range of days.
CREATE INDEX source_gaps_to_at ON source_gaps (to_at, from_at);

---- create above / drop below ----
DROP TABLE source_gaps;
