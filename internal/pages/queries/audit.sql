-- Moderation goes into the audit log (the end-of-day report lists it) but not into the outbox:
-- it is not a giveaway event for the dashboards.
INSERT INTO audit_log (campaign_id, actor, action, details) VALUES ($1, $2, $3, $4);
