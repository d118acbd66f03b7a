-- The staff door (issue 10): login failures are counted in windows per bucket (a name tried from
-- untrusted devices, a client address, one trusted device) and a slot is reserved before the PIN
-- is checked, so parallel guesses cannot outrun the lock; tablets that logged in before carry a
-- device token and never share a bucket with strangers; staff can be deactivated and scoped to
-- campaigns.
ALTER TABLE staff
    ADD COLUMN active        boolean NOT NULL DEFAULT true,
    ADD COLUMN last_login_at timestamptz,
    DROP COLUMN failed_logins,
    DROP COLUMN locked_until;

-- A scoped member works only in these campaigns; none listed means every campaign.
CREATE TABLE staff_campaigns (
    staff_id    bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    PRIMARY KEY (staff_id, campaign_id)
);
CREATE INDEX staff_campaigns_campaign ON staff_campaigns (campaign_id);

-- A device that logged in as a member: only the hash of the cookie's token is kept.
CREATE TABLE staff_devices (
    token_hash   bytea PRIMARY KEY,
    staff_id     bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_devices_staff ON staff_devices (staff_id);

-- One row per bucket (the SHA-256 of its key, so a name never reaches the table): failures in
-- the window that ends at window_ends, attempts under way counted as failures until they pass.
CREATE TABLE login_throttle (
    bucket      bytea PRIMARY KEY,
    failures    int NOT NULL CHECK (failures >= 0),
    window_ends timestamptz NOT NULL
);
CREATE INDEX login_throttle_window ON login_throttle (window_ends);

---- create above / drop below ----
DROP TABLE login_throttle;
DROP TABLE staff_devices;
DROP TABLE staff_campaigns;
ALTER TABLE staff
    DROP COLUMN active,
    DROP COLUMN last_login_at,
    ADD COLUMN failed_logins int NOT NULL DEFAULT 0,
    ADD COLUMN locked_until timestamptz;
