-- The wall's moderation mode and kill switch; a campaign without a row is automatic and live.
SELECT coalesce(max(mode), 'auto'), coalesce(bool_or(killed), false)
FROM wall_settings WHERE campaign_id = $1;
