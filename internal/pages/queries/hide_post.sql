-- Takes post ($2, $3) off campaign $1's wall, and queues it so its document in the index gets
-- hidden = true in the same transaction.
WITH hidden AS (
    INSERT INTO wall_hidden_posts (campaign_id, network, post_id, hidden_by) VALUES ($1, $2, $3, $4)
    ON CONFLICT DO NOTHING
    RETURNING network, post_id
)
INSERT INTO outbox (kind, ref_network, ref_id) SELECT 'tweet', network, post_id FROM hidden;
