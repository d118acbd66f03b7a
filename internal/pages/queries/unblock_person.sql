-- Unblocks person ($2, $3) on campaign $1's wall; their posts are queued to show again.
WITH unblocked AS (
    DELETE FROM blocked_people WHERE campaign_id = $1 AND network = $2 AND handle_norm = $3
    RETURNING network, handle_norm
)
INSERT INTO outbox (kind, ref_network, ref_id)
SELECT 'tweet', t.network, t.id FROM unblocked u JOIN tweets t USING (network, handle_norm);
