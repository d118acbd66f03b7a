-- Blocks person ($2, $3 normalized handle) from campaign $1's wall.
INSERT INTO blocked_people (campaign_id, network, handle_norm, blocked_by) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING;
