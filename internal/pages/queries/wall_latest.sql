-- The newest eligible posts of campaign $1 (at most $2) that are neither hidden nor by a blocked
-- author; $3 narrows them: 'all', 'approved' (a manual wall) or 'unapproved' (the staff queue).
SELECT t.network, t.id, t.handle, t.text, t.created_at, t.hashtags, (a.post_id IS NOT NULL) AS approved
FROM campaigns c
JOIN tweets t ON t.hashtags_norm @> c.required_hashtags
             AND t.created_at >= c.starts_at AND t.created_at < c.ends_at
             AND t.retweet_of IS NULL
LEFT JOIN wall_approved_posts a ON a.campaign_id = c.id AND a.network = t.network AND a.post_id = t.id
WHERE c.id = $1
  AND NOT EXISTS (SELECT 1 FROM wall_hidden_posts h
                  WHERE h.campaign_id = c.id AND h.network = t.network AND h.post_id = t.id)
  AND NOT EXISTS (SELECT 1 FROM blocked_people b
                  WHERE b.campaign_id = c.id AND b.network = t.network AND b.handle_norm = t.handle_norm)
  AND ($3 = 'all' OR ($3 = 'approved') = (a.post_id IS NOT NULL))
ORDER BY t.created_at DESC, t.id DESC
LIMIT $2;
