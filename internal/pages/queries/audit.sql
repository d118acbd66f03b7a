-- Moderation goes into the audit log (the end-of-day report lists it) but is not a giveaway event
-- for the dashboards; the posts it hides are queued for the index by the moderation statements.
INSERT INTO audit_log (campaign_id, actor, action, details) VALUES ($1, $2, $3, $4);
