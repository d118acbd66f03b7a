-- name: CreateStaff :one
INSERT INTO staff (name, pin_hash, role) VALUES ($1, $2, $3)
ON CONFLICT (lower(name)) DO NOTHING
RETURNING *;

-- name: StaffByName :one
-- A deactivated member is as unknown as a name that never existed.
SELECT * FROM staff WHERE lower(name) = lower($1) AND active;

-- name: StaffByID :one
SELECT * FROM staff WHERE id = $1;

-- name: StaffForUpdate :one
SELECT * FROM staff WHERE id = $1 FOR UPDATE;

-- name: ListStaff :many
SELECT s.id, s.name, s.role, s.active, s.last_login_at,
       ARRAY(SELECT c.slug FROM staff_campaigns sc JOIN campaigns c ON c.id = sc.campaign_id
             WHERE sc.staff_id = s.id ORDER BY c.slug)::text[] AS campaigns
FROM staff s
ORDER BY lower(s.name);

-- name: UpdateStaff :exec
UPDATE staff SET active = @active, role = @role, pin_hash = @pin_hash WHERE id = @id;

-- name: ClearStaffCampaigns :exec
DELETE FROM staff_campaigns WHERE staff_id = $1;

-- name: AddStaffCampaigns :many
-- Answers the slugs it found, so the caller can tell one that names no campaign.
INSERT INTO staff_campaigns (staff_id, campaign_id)
SELECT @staff_id, id FROM campaigns WHERE slug = ANY(@slugs::text[])
RETURNING campaign_id;

-- name: StaffLoggedIn :exec
UPDATE staff SET last_login_at = @at WHERE id = @id;

-- name: TakeLoginSlots :many
-- Reserves one attempt in each bucket before the PIN is checked, in one statement: concurrent
-- attempts queue on the rows, so no more than the limit ever reach the check. A window that
-- has ended starts again from this attempt. Buckets are locked in the order given (the caller
-- sorts them), so two attempts never deadlock.
WITH p AS (SELECT @now::timestamptz AS now, make_interval(secs => @window_secs::float8) AS win)
INSERT INTO login_throttle AS t (bucket, failures, window_ends)
SELECT k.b, 1, p.now + p.win
FROM p, unnest(@buckets::bytea[]) WITH ORDINALITY AS k(b, n)
ORDER BY k.n
ON CONFLICT (bucket) DO UPDATE
SET failures = CASE WHEN t.window_ends <= (SELECT now FROM p) THEN 1 ELSE t.failures + 1 END,
    window_ends = CASE WHEN t.window_ends <= (SELECT now FROM p) THEN excluded.window_ends ELSE t.window_ends END
RETURNING bucket, failures, window_ends;

-- name: GiveBackLoginSlot :exec
-- A right PIN was no failure: its slot is returned.
UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE bucket = ANY(@buckets::bytea[]);

-- name: ClearLoginBucket :exec
DELETE FROM login_throttle WHERE bucket = ANY(@buckets::bytea[]);

-- name: TrustedDevice :one
-- The first of the cookie's tokens that belongs to this member's devices.
SELECT token_hash FROM staff_devices
WHERE token_hash = ANY(@hashes::bytea[]) AND staff_id = @staff_id
LIMIT 1;

-- name: KnownDevices :many
SELECT token_hash FROM staff_devices WHERE token_hash = ANY(@hashes::bytea[]);

-- name: AddDevice :exec
INSERT INTO staff_devices (token_hash, staff_id) VALUES ($1, $2);

-- name: DeviceUsed :exec
UPDATE staff_devices SET last_used_at = now() WHERE token_hash = $1;

-- name: RevokeDevice :exec
DELETE FROM staff_devices WHERE token_hash = $1;

-- name: RevokeStaffDevices :exec
DELETE FROM staff_devices WHERE staff_id = $1;

-- name: CampaignIDBySlug :one
SELECT id FROM campaigns WHERE slug = $1;

-- name: CampaignIDOfClaim :one
SELECT campaign_id FROM claims WHERE id = $1;

-- name: AddStaffAudit :exec
-- Staff changes are audit rows only: they are no giveaway event for the feed or the live pages.
INSERT INTO audit_log (actor, action, details) VALUES (@actor, @action, @details::jsonb);
