-- name: CreateStaff :one
INSERT INTO staff (name, pin_hash, role) VALUES ($1, $2, $3)
ON CONFLICT (lower(name)) DO NOTHING
RETURNING *;

-- name: StaffByName :one
SELECT * FROM staff WHERE lower(name) = lower($1);

-- name: RecordLoginFailure :one
-- Counted on the account, not the address: every tablet shares the venue's one NAT address.
-- From the @free_tries-th failure on, the account waits 1 s, 2 s, 4 s ... up to @max_lock.
UPDATE staff
SET failed_logins = failed_logins + 1,
    locked_until = CASE WHEN failed_logins + 1 >= @free_tries::int
        THEN now() + least(make_interval(secs => power(2, failed_logins + 1 - @free_tries::int)),
                           make_interval(secs => @max_lock_secs::float8))
        END
WHERE id = @id
RETURNING failed_logins, locked_until;

-- name: ResetLoginFailures :exec
UPDATE staff SET failed_logins = 0, locked_until = NULL WHERE id = $1;
