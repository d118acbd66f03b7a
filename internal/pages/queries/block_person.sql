-- Blocks person ($2, $3 normalized handle) from campaign $1's wall; their stored posts are queued
-- so their documents in the index get hidden = true.
WITH blocked AS (
    INSERT INTO blocked_people (campaign_id, network, handle_norm, blocked_by) VALUES ($1, $2, $3, $4)
    ON CONFLICT DO NOTHING
    RETURNING network, handle_norm
)
INSERT INTO outbox (kind, ref_network, ref_id)
SELECT 'tweet', t.network, t.id FROM blocked b JOIN tweets t USING (network, handle_norm);
