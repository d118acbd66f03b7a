-- Lets post ($2, $3) onto campaign $1's manual wall.
INSERT INTO wall_approved_posts (campaign_id, network, post_id, approved_by) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING;
