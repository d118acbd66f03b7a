-- Exactly once, whatever the network does. An idempotency key's row is now written in the same
-- transaction as the request's effect and its answer: a retry's INSERT of the same key waits on
-- the primary key until that transaction commits (it replays the answer) or rolls back (it runs
-- the request itself). A key whose holder died is free as soon as PostgreSQL has rolled it back,
-- so the lease column goes. Rows reserved under the lease but never answered are dropped: their
-- requests ended long ago, and under the new rule a committed key always has its answer.
DELETE FROM idempotency_keys WHERE status_code IS NULL OR response IS NULL;
ALTER TABLE idempotency_keys DROP COLUMN locked_until;

-- The tablet's "I checked their account on their phone", for claims proven by handle only.
ALTER TABLE giveaways ADD COLUMN account_checked boolean NOT NULL DEFAULT false;

---- create above / drop below ----
ALTER TABLE giveaways DROP COLUMN account_checked;
ALTER TABLE idempotency_keys ADD COLUMN locked_until timestamptz NOT NULL DEFAULT now();
ALTER TABLE idempotency_keys ALTER COLUMN locked_until DROP DEFAULT;
