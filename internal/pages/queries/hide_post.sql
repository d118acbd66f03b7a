-- Takes post ($2, $3) off campaign $1's wall; answers its author for the audit log.
WITH h AS (
    INSERT INTO wall_hidden_posts (campaign_id, network, post_id, hidden_by) VALUES ($1, $2, $3, $4)
    ON CONFLICT DO NOTHING
)
SELECT coalesce((SELECT handle FROM tweets WHERE network = $2 AND id = $3), '');
