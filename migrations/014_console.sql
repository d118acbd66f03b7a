-- The organiser's console (issue 12): prizes can be retired (no longer given, still reported)
-- and capped per day. Stock never goes below what was given: that is prizes' CHECK
-- (stock_left >= 0 AND stock_left <= stock), since given = stock - stock_left, so a correction
-- that would take more than is left fails in the database whatever the code does.
ALTER TABLE prizes
    ADD COLUMN retired_at timestamptz,
    -- At most this many given per local day of the campaign (NULL: no cap).
    ADD COLUMN daily_cap  int CHECK (daily_cap IS NULL OR daily_cap BETWEEN 0 AND 1000000);

-- The console's audit log reads a campaign's rows by time, newest first, filtered by action.
CREATE INDEX audit_log_campaign_action ON audit_log (campaign_id, action, at);

---- create above / drop below ----
DROP INDEX audit_log_campaign_action;
ALTER TABLE prizes DROP COLUMN retired_at, DROP COLUMN daily_cap;
