-- Changes the mode ($2) and kill switch ($3) of a campaign's wall.
INSERT INTO wall_settings (campaign_id, mode, killed, updated_by) VALUES ($1, $2, $3, $4)
ON CONFLICT (campaign_id) DO UPDATE
SET mode = excluded.mode, killed = excluded.killed, updated_by = excluded.updated_by, updated_at = now();
