-- The booth's wall: its settings, hidden and approved posts, and blocked people (migration 004).
-- Changes here are moderation; internal/moderation runs each with its audit row and notification.

-- name: WallSettings :one
-- The wall's moderation mode and kill switch; a campaign without a row is automatic and live.
SELECT coalesce(max(mode), 'auto')::text AS mode, coalesce(bool_or(killed), false)::boolean AS killed
FROM wall_settings WHERE campaign_id = $1;

-- name: SetWallSettings :exec
-- Changes the mode and kill switch of a campaign's wall.
INSERT INTO wall_settings (campaign_id, mode, killed, updated_by) VALUES (@campaign_id, @mode, @killed, @updated_by)
ON CONFLICT (campaign_id) DO UPDATE
SET mode = excluded.mode, killed = excluded.killed, updated_by = excluded.updated_by, updated_at = now();

-- name: WallLatest :many
-- The newest eligible posts of a campaign (at most @lim) that are neither hidden nor by a blocked
-- author; @which narrows them: 'all', 'approved' (a manual wall) or 'unapproved' (the staff queue).
SELECT t.network, t.id, t.handle, t.text, t.created_at, t.hashtags, (a.post_id IS NOT NULL)::boolean AS approved
FROM campaigns c
JOIN tweets t ON t.hashtags_norm @> c.required_hashtags
             AND t.created_at >= c.starts_at AND t.created_at < c.ends_at
             AND t.retweet_of IS NULL
LEFT JOIN wall_approved_posts a ON a.campaign_id = c.id AND a.network = t.network AND a.post_id = t.id
WHERE c.id = @campaign_id
  AND NOT EXISTS (SELECT 1 FROM wall_hidden_posts h
                  WHERE h.campaign_id = c.id AND h.network = t.network AND h.post_id = t.id)
  AND NOT EXISTS (SELECT 1 FROM blocked_people b
                  WHERE b.campaign_id = c.id AND b.network = t.network AND b.handle_norm = t.handle_norm)
  AND (@which::text = 'all' OR (@which::text = 'approved') = (a.post_id IS NOT NULL))
ORDER BY t.created_at DESC, t.id DESC
LIMIT @lim;

-- name: WallPostsByID :many
-- The named posts as a campaign's wall may show them: hidden posts and blocked authors left out,
-- approval flagged.
SELECT t.network, t.id, t.handle, t.text, t.created_at, t.hashtags, (a.post_id IS NOT NULL)::boolean AS approved
-- (two SRFs in one select list zip like unnest(a, b), which sqlc cannot analyse)
FROM (SELECT unnest(@networks::text[]) AS network, unnest(@ids::text[]) AS id) AS i
JOIN tweets t ON t.network = i.network AND t.id = i.id
LEFT JOIN wall_approved_posts a ON a.campaign_id = @campaign_id AND a.network = t.network AND a.post_id = t.id
WHERE NOT EXISTS (SELECT 1 FROM wall_hidden_posts h
                  WHERE h.campaign_id = @campaign_id AND h.network = t.network AND h.post_id = t.id)
  AND NOT EXISTS (SELECT 1 FROM blocked_people b
                  WHERE b.campaign_id = @campaign_id AND b.network = t.network AND b.handle_norm = t.handle_norm)
ORDER BY t.created_at, t.id;

-- name: WallCounts :one
-- The wall's counters: eligible posts and prizes given (not undone) in a campaign.
SELECT (SELECT count(*) FROM tweets t
        WHERE t.hashtags_norm @> c.required_hashtags AND t.retweet_of IS NULL
          AND t.created_at >= c.starts_at AND t.created_at < c.ends_at) AS posts,
       (SELECT count(*) FROM giveaways g WHERE g.campaign_id = c.id AND g.undone_at IS NULL) AS given
FROM campaigns c WHERE c.id = $1;

-- name: WallTopHashtags :many
-- The most used hashtags among the newest 2000 eligible posts of a campaign (a bounded read
-- however long the event runs), at most @lim of them.
SELECT tag::text AS tag, count(*) AS n
FROM (SELECT t.hashtags_norm FROM campaigns c
      JOIN tweets t ON t.hashtags_norm @> c.required_hashtags AND t.retweet_of IS NULL
                   AND t.created_at >= c.starts_at AND t.created_at < c.ends_at
      WHERE c.id = @campaign_id
      ORDER BY t.created_at DESC LIMIT 2000) p,
     unnest(p.hashtags_norm) AS tag
GROUP BY tag
ORDER BY n DESC, tag
LIMIT @lim;

-- name: WallPost :one
-- A post as a campaign's moderation sees it: its author, and whether it belongs on the
-- campaign's wall (carries the campaign's hashtags, is the author's own post rather than a
-- repost, and was posted while the campaign ran). No row: the post is not stored.
SELECT t.handle,
       (t.hashtags_norm @> c.required_hashtags AND t.retweet_of IS NULL
       AND t.created_at >= c.starts_at AND t.created_at < c.ends_at)::boolean AS on_wall
FROM campaigns c
JOIN tweets t ON t.network = @network AND t.id = @id
WHERE c.id = @campaign_id;

-- name: HideWallPost :exec
-- Takes a post off a campaign's wall, and queues it so its document in the index gets
-- hidden = true in the same transaction.
WITH hidden AS (
    INSERT INTO wall_hidden_posts (campaign_id, network, post_id, hidden_by) VALUES (@campaign_id, @network, @post_id, @hidden_by)
    ON CONFLICT DO NOTHING
    RETURNING network, post_id
)
INSERT INTO outbox (kind, ref_network, ref_id) SELECT 'tweet', network, post_id FROM hidden;

-- name: ApproveWallPost :exec
-- Lets a post onto a campaign's manual wall.
INSERT INTO wall_approved_posts (campaign_id, network, post_id, approved_by) VALUES (@campaign_id, @network, @post_id, @approved_by)
ON CONFLICT DO NOTHING;

-- name: BlockPerson :exec
-- Blocks a person (normalized handle) from a campaign's wall; their stored posts are queued
-- so their documents in the index get hidden = true.
WITH blocked AS (
    INSERT INTO blocked_people (campaign_id, network, handle_norm, blocked_by) VALUES (@campaign_id, @network, @handle_norm, @blocked_by)
    ON CONFLICT DO NOTHING
    RETURNING network, handle_norm
)
INSERT INTO outbox (kind, ref_network, ref_id)
SELECT 'tweet', t.network, t.id FROM blocked b JOIN tweets t ON t.network = b.network AND t.handle_norm = b.handle_norm;

-- name: UnblockPerson :exec
-- Unblocks a person on a campaign's wall; their posts are queued to show again.
WITH unblocked AS (
    DELETE FROM blocked_people d WHERE d.campaign_id = @campaign_id AND d.network = @network AND d.handle_norm = @handle_norm
    RETURNING d.network, d.handle_norm
)
INSERT INTO outbox (kind, ref_network, ref_id)
SELECT 'tweet', t.network, t.id FROM unblocked u JOIN tweets t ON t.network = u.network AND t.handle_norm = u.handle_norm;

-- name: BlockedPeople :many
-- Who is blocked from a campaign's wall, newest first.
SELECT network, handle_norm, blocked_at, blocked_by FROM blocked_people
WHERE campaign_id = $1 ORDER BY blocked_at DESC LIMIT 200;

-- name: NotifyWall :exec
-- Tells every instance's open walls about a moderation change.
SELECT pg_notify('giveaway_wall', @payload::text);

-- name: FeedHiddenPosts :many
-- Of the named posts, those taken off a campaign's wall, by staff hiding them or blocking their
-- author: the document in that campaign's index carries hidden = true, which the dashboards' wall
-- panels filter on.
SELECT h.campaign_id, h.network, h.post_id
FROM (SELECT unnest(@networks::text[]) AS network, unnest(@ids::text[]) AS id) AS k
JOIN wall_hidden_posts h ON h.network = k.network AND h.post_id = k.id
UNION
SELECT b.campaign_id, t.network, t.id
FROM (SELECT unnest(@networks::text[]) AS network, unnest(@ids::text[]) AS id) AS k
JOIN tweets t ON t.network = k.network AND t.id = k.id
JOIN blocked_people b ON b.network = t.network AND b.handle_norm = t.handle_norm;
