-- name: InsertClaim :one
-- Nothing when the person already has a claim here (the caller returns it) or the code is taken.
INSERT INTO claims (campaign_id, network, handle, handle_norm, post_url, note, code, status, manual,
                    created_by, verified_at, decided_by, verified_by)
VALUES (@campaign_id, @network, @handle, @handle_norm, @post_url, @note, @code, @status, @manual,
        @created_by, @verified_at, @decided_by,
        -- A manual claim is staff's word: proven by staff.
        CASE WHEN @manual::boolean THEN 'staff' END)
ON CONFLICT DO NOTHING
RETURNING *;

-- name: ClaimByPerson :one
SELECT * FROM claims WHERE campaign_id = $1 AND network = $2 AND handle_norm = $3;

-- name: ClaimByIDForUpdate :one
SELECT * FROM claims WHERE id = $1 FOR UPDATE;

-- name: ClaimByTokenHash :one
SELECT c.* FROM claim_tokens ct JOIN claims c ON c.id = ct.claim_id WHERE ct.token_hash = $1;

-- name: ClaimDevice :one
-- The device that holds a claim token in a campaign: its claim's device, or (a claim made without
-- one) the token's own hash.
SELECT COALESCE(c.device_hash, ct.token_hash)::bytea FROM claim_tokens ct JOIN claims c ON c.id = ct.claim_id
WHERE ct.token_hash = $1 AND c.campaign_id = $2;

-- name: AddClaimToken :exec
INSERT INTO claim_tokens (token_hash, claim_id) VALUES ($1, $2);

-- name: VerifyClaim :one
UPDATE claims
SET status = 'verified', verified_at = now(), decided_by = @decided_by, verified_by = 'staff',
    tweet_network = @tweet_network, tweet_id = @tweet_id, updated_at = now()
WHERE id = @id AND status = 'pending'
RETURNING *;

-- name: SetClaimStatus :one
UPDATE claims SET status = @status, updated_at = now() WHERE id = @id RETURNING *;

-- name: RejectClaim :one
UPDATE claims SET status = 'rejected', updated_at = now(), decided_by = @staff_id
WHERE id = @id AND status IN ('pending', 'verified')
RETURNING *;

-- name: MatchPendingClaims :many
-- The tweet side of matching: claims of the authors of these posts that one of the posts
-- verifies (every required hashtag, own post, inside the window). A post that carries the
-- claim's short code as a whole word (any case) proves the poster holds the claim: verified_by
-- 'code'; one without it proves only the handle, and verifies nothing where the campaign has
-- require_code. A code post wins over a handle-only one, then the earliest; a claim verified by
-- handle (not yet given) is upgraded to 'code' by a later post with its code.
-- The posts are looked up first (MATERIALIZED), so the planner cannot start from the claims and
-- pair every claim with every post of the same network.
WITH posts AS MATERIALIZED (
    SELECT t.network, t.id, t.handle_norm, t.hashtags_norm, t.created_at, t.text
    FROM (SELECT unnest(@network::text[]) AS network, unnest(@id::text[]) AS id) i
    -- LATERAL: one primary-key probe per post, whatever the statistics say.
    CROSS JOIN LATERAL (SELECT * FROM tweets t WHERE t.network = i.network AND t.id = i.id LIMIT 1) t
    WHERE t.retweet_of IS NULL
), cand AS (
    SELECT DISTINCT ON (cl.id) cl.id AS claim_id, p.network, p.id AS tweet_id,
           CASE WHEN cl.has_code THEN 'code' ELSE 'handle' END AS verified_by
    FROM posts p
    -- OFFSET 0 keeps each branch a probe of an index per post (the pending-claims index; the
    -- person's claim for an upgrade), not a scan of them all. \y is a word boundary.
    CROSS JOIN LATERAL (
        SELECT cl.id, cl.campaign_id, p.text ~* ('\y' || cl.code || '\y') AS has_code
        FROM claims cl
        WHERE cl.network = p.network AND cl.handle_norm = p.handle_norm AND cl.status = 'pending'
        UNION ALL
        SELECT cl.id, cl.campaign_id, true
        FROM claims cl
        WHERE cl.network = p.network AND cl.handle_norm = p.handle_norm AND cl.status = 'verified'
          AND cl.verified_by = 'handle' AND p.text ~* ('\y' || cl.code || '\y')
        OFFSET 0) cl
    JOIN campaigns c ON c.id = cl.campaign_id
    WHERE p.hashtags_norm @> c.required_hashtags
      AND p.created_at >= c.starts_at AND p.created_at < c.ends_at
      AND (cl.has_code OR NOT c.require_code)
    ORDER BY cl.id, cl.has_code DESC, p.created_at, p.id
)
UPDATE claims cl
SET status = 'verified', verified_at = CASE WHEN cl.status = 'verified' THEN cl.verified_at ELSE now() END,
    verified_by = cand.verified_by, tweet_network = cand.network, tweet_id = cand.tweet_id, updated_at = now()
FROM cand
WHERE cl.id = cand.claim_id AND (cl.status = 'pending' OR (cl.status = 'verified' AND cl.verified_by = 'handle'))
RETURNING cl.id, cl.campaign_id, cl.tweet_network, cl.tweet_id, cl.verified_by;

-- name: UnverifyClaimsOfTweets :many
-- A deleted post no longer verifies a claim that has not had its prize yet.
UPDATE claims cl
SET status = 'pending', verified_at = NULL, verified_by = NULL, tweet_network = NULL, tweet_id = NULL,
    updated_at = now()
FROM (SELECT unnest(@network::text[]) AS network, unnest(@id::text[]) AS id) i
WHERE cl.tweet_network = i.network AND cl.tweet_id = i.id AND cl.status = 'verified' AND NOT cl.manual
RETURNING cl.*;

-- name: ListClaims :many
-- The staff queue and search: by status, by short code, or by handle prefix.
SELECT c.*, t.text AS tweet_text, t.author_created_at
FROM claims c
LEFT JOIN tweets t ON t.network = c.tweet_network AND t.id = c.tweet_id
WHERE c.campaign_id = @campaign_id
  AND (sqlc.narg(status)::text IS NULL OR c.status = sqlc.narg(status))
  AND (sqlc.narg(q)::text IS NULL
       OR c.code = upper(sqlc.narg(q))
       OR c.handle_norm LIKE lower(sqlc.narg(q)) || '%')
ORDER BY c.updated_at DESC, c.id DESC
LIMIT @max_rows;

-- name: LockPeople :exec
-- Serialises the two sides of matching for the same person (a claim looking for its post, a post
-- looking for its claim), so neither can miss the other when both commit at the same moment.
-- Keys are "network:handle_norm"; taking them in one sorted order keeps batches from deadlocking.
SELECT pg_advisory_xact_lock(k)
FROM (SELECT DISTINCT hashtextextended(unnest(@people::text[]), 0) AS k ORDER BY 1) s;

-- name: AnonymiseClaims :execrows
-- Purge: the claim keeps its network, status and times for the counts; the person goes.
UPDATE claims
SET handle = 'purged-' || id, handle_norm = 'purged-' || id, post_url = NULL, note = NULL, client_addr = NULL, device_hash = NULL,
    updated_at = now()
WHERE campaign_id = $1 AND handle_norm NOT LIKE 'purged-%';

-- name: DeleteClaimTokens :execrows
DELETE FROM claim_tokens ct USING claims c WHERE c.id = ct.claim_id AND c.campaign_id = $1;

-- name: CreateClaims :many
-- Attendees' claims in one statement, one row of the arrays per request (idx names it; a person
-- and a capped address are each in a batch at most once): a new claim, which a stored post
-- verifies at once if one came first, with its audit events, outbox rows and token; or else the
-- person's existing claim, which is this device's only when held_hash is the hash of one of its
-- tokens (owned): a claim is never handed to another device, and no token is minted for it.
-- A request with client_addr set (an other-network claim, which staff must review) is refused
-- (capped) while that address has @max_pending pending claims in the campaign (0: no address
-- cap) or its device (device_hash) has @max_pending_device. The caller holds the people's, the
-- addresses' and the devices' locks. A request without a row back found its campaign closed,
-- its short code taken, or a claim for the person made concurrently: the caller finds out which.
-- The insert comes first and a person's existing claim is looked up only when it refused the row:
-- a plan made while claims had no statistics yet (a new event's first minute) finds a claim by
-- person through any index that starts with campaign_id, reading every claim of the campaign.
WITH input AS (
    SELECT unnest(@idx::int[]) AS idx, unnest(@campaign_id::bigint[]) AS campaign_id,
           unnest(@network::text[]) AS network, unnest(@handle_norm::text[]) AS handle_norm,
           unnest(@handle::text[]) AS handle, unnest(@post_url::text[]) AS post_url,
           unnest(@code::text[]) AS code, unnest(@token_hash::bytea[]) AS token_hash,
           unnest(@match_posts::boolean[]) AS match_posts, unnest(@held_hash::bytea[]) AS held_hash,
           NULLIF(unnest(@client_addr::text[]), '')::inet AS client_addr,
           NULLIF(unnest(@device_hash::bytea[]), '') AS device_hash
), camp AS (
    SELECT cp.id, cp.required_hashtags, cp.starts_at, cp.ends_at, cp.require_code FROM campaigns cp
    WHERE cp.id IN (SELECT campaign_id FROM input) AND cp.purged_at IS NULL AND cp.ends_at > @now::timestamptz
), over AS (
    -- New claims from an address or a device that already has its share of pending ones (the
    -- person's own existing claim is answered as such instead).
    SELECT i.idx FROM input i
    WHERE i.client_addr IS NOT NULL AND i.campaign_id IN (SELECT id FROM camp)
      AND NOT EXISTS (SELECT 1 FROM claims ex WHERE ex.campaign_id = i.campaign_id AND ex.network = i.network
                      AND ex.handle_norm = i.handle_norm)
      AND ((@max_pending::int > 0
            AND (SELECT count(*) FROM claims pc WHERE pc.campaign_id = i.campaign_id AND pc.client_addr = i.client_addr
                 AND pc.status = 'pending') >= @max_pending::int)
        OR (i.device_hash IS NOT NULL
            AND (SELECT count(*) FROM claims pd WHERE pd.campaign_id = i.campaign_id AND pd.device_hash = i.device_hash
                 AND pd.status = 'pending') >= @max_pending_device::int))
), fresh AS (
    SELECT i.idx, i.campaign_id, i.network, i.handle_norm, i.handle, NULLIF(i.post_url, '') AS post_url, i.code,
           i.token_hash, i.held_hash, i.client_addr, i.device_hash, p.network AS post_network, p.id AS post_id, p.verified_by
    FROM input i
    JOIN camp ON camp.id = i.campaign_id
    LEFT JOIN LATERAL (
        -- The person's stored post: one carrying the claim's code (a whole word, any case: see
        -- MatchPendingClaims) first, then the earliest; a handle-only one not where the campaign
        -- requires the code. A person has few posts: reading them all through tweets_author is cheap.
        SELECT t.network, t.id, CASE WHEN t.has_code THEN 'code' ELSE 'handle' END AS verified_by
        FROM (SELECT t.network, t.id, t.created_at, t.text ~* ('\y' || i.code || '\y') AS has_code FROM tweets t
              WHERE i.match_posts AND t.network = i.network AND t.handle_norm = i.handle_norm
                AND t.retweet_of IS NULL AND t.hashtags_norm @> camp.required_hashtags
                AND t.created_at >= camp.starts_at AND t.created_at < camp.ends_at) t
        WHERE t.has_code OR NOT camp.require_code
        ORDER BY t.has_code DESC, t.created_at, t.id
        LIMIT 1
    ) p ON true
    WHERE i.idx NOT IN (SELECT idx FROM over)
), ins AS (
    INSERT INTO claims (campaign_id, network, handle, handle_norm, post_url, code, status, verified_at,
                        verified_by, tweet_network, tweet_id, client_addr, device_hash)
    SELECT campaign_id, network, handle, handle_norm, post_url, code,
           CASE WHEN post_id IS NULL THEN 'pending' ELSE 'verified' END,
           CASE WHEN post_id IS NULL THEN NULL ELSE now() END,
           verified_by, post_network, post_id, client_addr, device_hash
    FROM fresh
    ORDER BY idx
    ON CONFLICT DO NOTHING
    RETURNING *
), made AS (
    -- Each inserted claim back to its request, by the person (unique in a batch).
    SELECT f.idx, f.token_hash, ins.id, ins.campaign_id, ins.network, ins.post_url, ins.code, ins.status,
           ins.handle, ins.tweet_network, ins.tweet_id, ins.verified_at, ins.verified_by, ins.created_at
    FROM ins
    JOIN fresh f ON f.campaign_id = ins.campaign_id AND f.network = ins.network AND f.handle_norm = ins.handle_norm
), refused AS MATERIALIZED (
    SELECT f.idx, f.held_hash, f.campaign_id, f.network, f.handle_norm FROM fresh f
    WHERE NOT EXISTS (SELECT 1 FROM made m WHERE m.idx = f.idx)
), existing AS (
    -- The statement's snapshot predates the insert: these are claims made before it.
    SELECT r.idx, ex.id, ex.code, ex.status, ex.handle, ex.post_url, ex.tweet_id, ex.verified_at, ex.verified_by,
           ex.created_at,
           EXISTS (SELECT 1 FROM claim_tokens ct WHERE ct.token_hash = r.held_hash AND ct.claim_id = ex.id) AS owned
    FROM refused r
    JOIN claims ex ON ex.campaign_id = r.campaign_id AND ex.network = r.network AND ex.handle_norm = r.handle_norm
), events AS (
    INSERT INTO audit_log (campaign_id, claim_id, actor, action, details)
    SELECT m.campaign_id, m.id, 'attendee', 'claimed', jsonb_build_object('network', m.network) FROM made m
    UNION ALL
    SELECT m.campaign_id, m.id, 'matcher', 'verified', jsonb_build_object('tweet_id', m.tweet_id, 'verified_by', m.verified_by)
    FROM made m WHERE m.status = 'verified'
    RETURNING id, campaign_id, claim_id, action
), queued AS (
    INSERT INTO outbox (kind, ref_network, ref_id)
    SELECT 'event', '', e.id::text FROM events e
    UNION ALL
    -- The post's document now names the claim it matched.
    SELECT 'tweet', m.tweet_network, m.tweet_id FROM made m WHERE m.tweet_id IS NOT NULL
), token AS (
    -- Only a new claim gets a token: the holder of an existing one already has one.
    INSERT INTO claim_tokens (token_hash, claim_id)
    SELECT m.token_hash, m.id FROM made m
), notified AS (
    -- Only what an open page shows: a verified claim (the tablets' queue) and a claim staff must
    -- decide. A new pending claim that waits for its post interests no page yet, and a NOTIFY
    -- would take PostgreSQL's commit-time notify lock, which serialises every claim at the booth.
    SELECT pg_notify('giveaway_events', json_build_object('campaign_id', e.campaign_id, 'claim_id', e.claim_id,
        'action', e.action)::text)
    FROM events e JOIN made m ON m.id = e.claim_id
    WHERE e.action <> 'claimed' OR m.network NOT IN ('twitter', 'mastodon', 'bluesky') OR m.post_url IS NOT NULL
)
-- Someone else's claim comes back as a bare refusal (id 0, nothing of the claim), so no caller can
-- leak it by mistake.
SELECT made.idx::int AS idx, made.id, made.code, made.status, made.handle, made.post_url, made.tweet_id, made.verified_at,
       made.verified_by, made.created_at, true AS created, true AS owned, false AS capped,
       (SELECT count(*) FROM notified) AS notified
FROM made
UNION ALL
SELECT existing.idx::int AS idx, existing.id, existing.code, existing.status, existing.handle, existing.post_url,
       existing.tweet_id, existing.verified_at, existing.verified_by, existing.created_at, false AS created,
       true AS owned, false AS capped, 0::bigint AS notified
FROM existing WHERE existing.owned
UNION ALL
SELECT existing.idx::int AS idx, 0::bigint AS id, '' AS code, '' AS status, '' AS handle, NULL::text AS post_url,
       NULL::text AS tweet_id, NULL::timestamptz AS verified_at, NULL::text AS verified_by,
       @now::timestamptz AS created_at, false AS created, false AS owned, false AS capped, 0::bigint AS notified
FROM existing WHERE NOT existing.owned
UNION ALL
SELECT over.idx::int AS idx, 0::bigint AS id, '' AS code, '' AS status, '' AS handle, NULL::text AS post_url,
       NULL::text AS tweet_id, NULL::timestamptz AS verified_at, NULL::text AS verified_by,
       @now::timestamptz AS created_at, false AS created, false AS owned, true AS capped, 0::bigint AS notified
FROM over;

-- name: RevokeClaimTokens :execrows
-- Re-issue: every link the claim had stops working.
DELETE FROM claim_tokens WHERE claim_id = $1;

-- name: ProveClaimAccount :one
-- Sign-in proved the claim's account: remembered for a post still to come, and a claim verified
-- by the handle alone is now verified by 'oauth' (claims_proven_account_proof raises it); its
-- post's document is queued again, as it names how the claim was proven.
WITH up AS (
    UPDATE claims cl SET proven_account = true, updated_at = now() WHERE cl.id = @id RETURNING cl.*
), queued AS (
    INSERT INTO outbox (kind, ref_network, ref_id)
    SELECT 'tweet', up.tweet_network, up.tweet_id FROM up WHERE up.tweet_id IS NOT NULL
)
SELECT * FROM up;

-- name: VerifyProvenClaim :one
-- A pending claim whose account sign-in proved is verified by the earliest stored eligible post of
-- that account, as matching would; the post's document is queued again (it now names the claim).
WITH post AS (
    SELECT t.network, t.id
    FROM claims cl
    JOIN campaigns c ON c.id = cl.campaign_id
    JOIN LATERAL (
        SELECT t.network, t.id FROM tweets t
        WHERE t.network = cl.network AND t.handle_norm = cl.handle_norm AND t.retweet_of IS NULL
          AND t.hashtags_norm @> c.required_hashtags AND t.created_at >= c.starts_at AND t.created_at < c.ends_at
        ORDER BY t.created_at, t.id
        LIMIT 1
    ) t ON true
    -- Where the campaign requires the code, only a post carrying it verifies, as in matching.
    WHERE cl.id = @id AND cl.status = 'pending' AND NOT c.require_code
), up AS (
    UPDATE claims cl
    SET status = 'verified', verified_at = now(), verified_by = 'oauth', tweet_network = post.network,
        tweet_id = post.id, updated_at = now()
    FROM post
    WHERE cl.id = @id
    RETURNING cl.*
), queued AS (
    INSERT INTO outbox (kind, ref_network, ref_id) SELECT 'tweet', up.tweet_network, up.tweet_id FROM up
)
SELECT * FROM up;

-- name: FeedMatchedClaims :many
-- The claims the named posts verified, for the feeder: only claims that still stand mark a post
-- as matched.
SELECT c.campaign_id, c.tweet_network::text AS tweet_network, c.tweet_id::text AS tweet_id, c.id, c.code,
       coalesce(c.verified_by, '')::text AS verified_by
FROM (SELECT unnest(@networks::text[]) AS network, unnest(@ids::text[]) AS id) AS k
JOIN claims c ON c.tweet_network = k.network AND c.tweet_id = k.id
WHERE c.status IN ('verified', 'given');
