-- name: UpsertTweets :many
-- One statement for a whole batch. Arrays hold one element per post; hashtag lists travel as
-- U+001F-joined strings because PostgreSQL cannot unnest arrays of arrays of different lengths.
-- A known post is rewritten only by a newer edit or a higher retweet or quote count; a post
-- deleted earlier (tombstone) is not stored again. The raw JSON follows the version the row now
-- holds. A retweet's (quote's) embedded count of its original raises the stored original, never
-- lowering it. LockTweetCounts ran first in the same transaction: it wrote the embedded counts,
-- holds every key's counts row (a concurrent batch storing or raising the same original has
-- committed before this statement's snapshot or waits for this one) and gave each post's latest
-- counts, which the caller passed in retweet_count and quote_count, so a post stored after its
-- retweets starts at their count. Every stored change queues its outbox row.
WITH input AS (
    SELECT * FROM (
    SELECT
           unnest(@network::text[]) AS network,
           unnest(@id::text[]) AS id,
           unnest(@version_id::text[]) AS version_id,
           unnest(@author_id::text[]) AS author_id,
           unnest(@handle::text[]) AS handle,
           unnest(@handle_norm::text[]) AS handle_norm,
           unnest(@author_created_at::timestamptz[]) AS author_created_at,
           unnest(@created_at::timestamptz[]) AS created_at,
           unnest(@text::text[]) AS text,
           unnest(@lang::text[]) AS lang,
           unnest(@hashtags::text[]) AS hashtags,
           unnest(@hashtags_norm::text[]) AS hashtags_norm,
           unnest(@retweet_of::text[]) AS retweet_of,
           unnest(@retweet_of_handle::text[]) AS retweet_of_handle,
           unnest(@quote_of::text[]) AS quote_of,
           unnest(@reply_to::text[]) AS reply_to,
           unnest(@retweet_count::bigint[]) AS retweet_count,
           unnest(@quote_count::bigint[]) AS quote_count,
           unnest(@retweet_of_count::bigint[]) AS retweet_of_count,
           unnest(@quote_of_count::bigint[]) AS quote_of_count,
           unnest(@raw::text[]) AS raw
    ) i
    WHERE NOT EXISTS (SELECT 1 FROM tweet_tombstones tt WHERE tt.network = i.network AND tt.id = i.id)
), embedded AS (
    -- The originals' counts this batch carries, one row per original.
    SELECT network, id, max(retweet_count) AS retweet_count, max(quote_count) AS quote_count
    FROM (SELECT network, retweet_of AS id, retweet_of_count AS retweet_count, 0::bigint AS quote_count
          FROM input WHERE retweet_of <> '' AND retweet_of_count > 0
          UNION ALL
          SELECT network, quote_of, 0, quote_of_count FROM input WHERE quote_of <> '' AND quote_of_count > 0) e
    GROUP BY network, id
), raised AS (
    -- Stored originals outside this batch; those inside it were raised by the caller.
    UPDATE tweets t SET retweet_count = greatest(t.retweet_count, e.retweet_count),
                        quote_count = greatest(t.quote_count, e.quote_count), updated_at = now()
    FROM embedded e
    WHERE t.network = e.network AND t.id = e.id
      AND (e.retweet_count > t.retweet_count OR e.quote_count > t.quote_count)
      AND NOT EXISTS (SELECT 1 FROM input i WHERE i.network = e.network AND i.id = e.id)
    RETURNING t.network, t.id
), up AS (
    INSERT INTO tweets AS t (network, id, version_id, author_id, handle, handle_norm, author_created_at,
                             created_at, text, lang, hashtags, hashtags_norm, retweet_of,
                             retweet_of_handle, quote_of, reply_to, retweet_count, quote_count)
    SELECT i.network, i.id, version_id, NULLIF(author_id, ''), handle, handle_norm,
           NULLIF(author_created_at, 'epoch'), created_at, text, NULLIF(lang, ''),
           COALESCE(string_to_array(NULLIF(hashtags, ''), E'\x1f'), '{}'),
           COALESCE(string_to_array(NULLIF(hashtags_norm, ''), E'\x1f'), '{}'),
           NULLIF(retweet_of, ''), NULLIF(retweet_of_handle, ''), NULLIF(quote_of, ''),
           NULLIF(reply_to, ''), i.retweet_count, i.quote_count
    FROM input i
    ORDER BY i.network, i.id
    ON CONFLICT (network, id) DO UPDATE SET
        version_id = CASE WHEN id_newer(excluded.version_id, t.version_id) THEN excluded.version_id ELSE t.version_id END,
        text = CASE WHEN id_newer(excluded.version_id, t.version_id) THEN excluded.text ELSE t.text END,
        hashtags = CASE WHEN id_newer(excluded.version_id, t.version_id) THEN excluded.hashtags ELSE t.hashtags END,
        hashtags_norm = CASE WHEN id_newer(excluded.version_id, t.version_id) THEN excluded.hashtags_norm ELSE t.hashtags_norm END,
        retweet_count = greatest(t.retweet_count, excluded.retweet_count),
        quote_count = greatest(t.quote_count, excluded.quote_count),
        updated_at = now()
    WHERE id_newer(excluded.version_id, t.version_id)
       OR excluded.retweet_count > t.retweet_count OR excluded.quote_count > t.quote_count
    RETURNING t.network, t.id, t.version_id, (xmax = 0) AS inserted
), raws AS (
    INSERT INTO tweet_raw AS r (network, id, raw)
    SELECT i.network, i.id, i.raw::json
    FROM input i JOIN up ON up.network = i.network AND up.id = i.id AND up.version_id = i.version_id
    WHERE i.raw <> ''
    ORDER BY i.network, i.id
    ON CONFLICT (network, id) DO UPDATE SET raw = excluded.raw
), queued AS (
    INSERT INTO outbox (kind, ref_network, ref_id)
    SELECT 'tweet', network, id FROM up UNION ALL SELECT 'tweet', network, id FROM raised
)
SELECT network, id, inserted FROM up;

-- name: DeleteTweets :many
-- Honours delete notices: the post goes, a tombstone keeps a late copy out, the index is told.
WITH input AS (
    SELECT DISTINCT unnest(@network::text[]) AS network, unnest(@id::text[]) AS id
), tomb AS (
    INSERT INTO tweet_tombstones (network, id) SELECT network, id FROM input
    ON CONFLICT DO NOTHING
), gone AS (
    DELETE FROM tweets t USING input i WHERE t.network = i.network AND t.id = i.id
    RETURNING t.network, t.id, t.handle_norm
), raw_gone AS (
    DELETE FROM tweet_raw r USING input i WHERE r.network = i.network AND r.id = i.id
), queued AS (
    INSERT INTO outbox (kind, ref_network, ref_id) SELECT 'tweet', network, id FROM gone
)
SELECT network, id, handle_norm FROM gone;

-- name: EligibleTweetFor :one
-- The post of this person that carries every required hashtag inside the window and would
-- verify the claim best: one with the claim's code first (see MatchPendingClaims), then the earliest.
SELECT network, id FROM tweets
WHERE network = @network AND handle_norm = @handle_norm
  AND retweet_of IS NULL
  AND hashtags_norm @> @required_hashtags::text[]
  AND created_at >= @starts_at AND created_at < @ends_at
ORDER BY text ~* ('\y' || @code::text || '\y') DESC, created_at, id
LIMIT 1;

-- name: AnonymiseTweets :one
-- Purge: posts that count only for this campaign lose their author, text and raw JSON; hashtags,
-- times and retweet counts stay for the anonymous figures.
WITH anon AS (
    UPDATE tweets t
    SET text = '', handle = '', handle_norm = '', author_id = NULL, author_created_at = NULL,
        retweet_of_handle = NULL, updated_at = now()
    FROM campaigns c
    WHERE c.id = @campaign_id AND t.hashtags_norm && c.required_hashtags AND t.handle <> ''
      AND NOT EXISTS (SELECT 1 FROM campaigns o
                      WHERE o.id <> c.id AND o.purged_at IS NULL AND t.hashtags_norm && o.required_hashtags)
    RETURNING t.network, t.id
), gone AS (
    DELETE FROM tweet_raw r USING anon a WHERE r.network = a.network AND r.id = a.id
)
SELECT count(*) FROM anon;

-- name: NotifyNewPosts :exec
-- Tells open walls about new eligible posts, at commit; the payload names them per campaign.
SELECT pg_notify('giveaway_posts', @payload::text);

-- name: StoredTweetIDs :many
-- Which of these posts are stored: a source that sees every delete on its network (Bluesky's
-- Jetstream) passes on only the deletes of posts we hold, instead of a tombstone for each.
SELECT id FROM tweets WHERE network = @network AND id = ANY(@ids::text[]);

-- name: MastodonPostsByLocalID :many
-- Mastodon's delete event names a status by the instance's local id, while posts are stored by
-- their uri: the local id is in the stored status itself. Mastodon posts are few (one instance,
-- the campaigns' hashtags), and the primary key's network prefix keeps this to them.
SELECT id FROM tweet_raw WHERE network = 'mastodon' AND raw ->> 'id' = ANY(@local_ids::text[]);

-- name: FeedTweets :many
-- The named posts as the Elasticsearch feeder indexes them, with their raw JSON (the full
-- document is built from it). The retweeted post's count is the highest known: its own row's
-- when stored, else what retweets embedded.
SELECT t.network, t.id, coalesce(t.author_id, '')::text AS author_id, t.handle, t.created_at, t.text,
       coalesce(t.lang, '')::text AS lang,
       t.hashtags, t.hashtags_norm, coalesce(t.retweet_of, '')::text AS retweet_of,
       coalesce(t.retweet_of_handle, '')::text AS retweet_of_handle,
       (CASE WHEN t.retweet_of IS NULL THEN -1
            ELSE greatest((SELECT rt.retweet_count FROM tweets rt
                           WHERE rt.network = t.network AND rt.id = t.retweet_of),
                          (SELECT c.retweet_count FROM tweet_counts c
                           WHERE c.network = t.network AND c.id = t.retweet_of),
                          -1)
       END)::bigint AS retweet_of_count,
       coalesce(t.quote_of, '')::text AS quote_of, coalesce(t.reply_to, '')::text AS reply_to, t.retweet_count,
       t.quote_count, coalesce(r.raw::text, 'null')::text AS raw
FROM (SELECT unnest(@networks::text[]) AS network, unnest(@ids::text[]) AS id) AS k
JOIN tweets t ON t.network = k.network AND t.id = k.id
LEFT JOIN tweet_raw r ON r.network = t.network AND r.id = t.id;
