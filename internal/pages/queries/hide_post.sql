-- Takes post ($2, $3) off campaign $1's wall.
INSERT INTO wall_hidden_posts (campaign_id, network, post_id, hidden_by) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING;
