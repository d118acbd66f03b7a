-- Proof of account, graded. A claim says how it was proven (verified_by): 'code' (a post that
-- carries the claim's short code, so its poster holds the claim), 'handle' (a post by the handle
-- only, so staff check the account on the attendee's phone), 'oauth' (the attendee signed in to
-- the account) or 'staff' (a manual claim or an approval). The staff member who decided a claim
-- (approved, rejected or recorded it) is decided_by, the column's old meaning.
ALTER TABLE claims RENAME COLUMN verified_by TO decided_by;
ALTER TABLE claims ADD COLUMN verified_by text
    CHECK (verified_by IN ('code', 'handle', 'oauth', 'staff'));
UPDATE claims SET verified_by = CASE WHEN manual OR decided_by IS NOT NULL THEN 'staff' ELSE 'handle' END
WHERE status IN ('verified', 'given');
-- A claim that is verified or given says how; a pending or rejected one may keep what it had.
ALTER TABLE claims ADD CONSTRAINT claims_verified_says_how
    CHECK (status NOT IN ('verified', 'given') OR verified_by IS NOT NULL);

-- Only posts that carry the claim's code verify, where the organiser asks for it.
ALTER TABLE campaigns ADD COLUMN require_code boolean NOT NULL DEFAULT false;

-- The address a claim came from, for the bound on pending other-network claims per address
-- (the staff approval queue is not anyone's to fill). Cleared by the purge with the person.
ALTER TABLE claims ADD COLUMN client_addr inet;
CREATE INDEX claims_pending_by_addr ON claims (campaign_id, client_addr)
    WHERE status = 'pending' AND client_addr IS NOT NULL;

-- Sign-in with X or Mastodon. A state row lives from the redirect to the callback, once: only its
-- hash is kept, with the PKCE verifier and the hash of the sign-in cookie that binds the callback
-- to the browser that started it.
CREATE TABLE oauth_states (
    state_hash    bytea PRIMARY KEY,
    claim_id      bigint NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    provider      text NOT NULL CHECK (provider IN ('x', 'mastodon')),
    -- The Mastodon instance's host; empty for X.
    instance      text NOT NULL DEFAULT '',
    code_verifier text NOT NULL,
    browser_hash  bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);

-- Mastodon has no central app registry: the service registers itself once per instance.
CREATE TABLE oauth_apps (
    instance      text PRIMARY KEY,
    client_id     text NOT NULL,
    client_secret text NOT NULL,
    redirect_uri  text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

---- create above / drop below ----
DROP TABLE oauth_apps;
DROP TABLE oauth_states;
DROP INDEX claims_pending_by_addr;
ALTER TABLE claims DROP COLUMN client_addr;
ALTER TABLE campaigns DROP COLUMN require_code;
ALTER TABLE claims DROP CONSTRAINT claims_verified_says_how;
ALTER TABLE claims DROP COLUMN verified_by;
ALTER TABLE claims RENAME COLUMN decided_by TO verified_by;
