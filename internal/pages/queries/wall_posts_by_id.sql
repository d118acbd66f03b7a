-- The named posts ($2 networks, $3 ids) as campaign $1's wall may show them: hidden posts and
-- blocked authors left out, approval flagged.
SELECT t.network, t.id, t.handle, t.text, t.created_at, t.hashtags, (a.post_id IS NOT NULL) AS approved
FROM unnest($2::text[], $3::text[]) AS i (network, id)
JOIN tweets t ON t.network = i.network AND t.id = i.id
LEFT JOIN wall_approved_posts a ON a.campaign_id = $1 AND a.network = t.network AND a.post_id = t.id
WHERE NOT EXISTS (SELECT 1 FROM wall_hidden_posts h
                  WHERE h.campaign_id = $1 AND h.network = t.network AND h.post_id = t.id)
  AND NOT EXISTS (SELECT 1 FROM blocked_people b
                  WHERE b.campaign_id = $1 AND b.network = t.network AND b.handle_norm = t.handle_norm)
ORDER BY t.created_at, t.id;
