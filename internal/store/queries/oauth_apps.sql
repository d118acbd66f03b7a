-- name: OAuthApp :one
SELECT * FROM oauth_apps WHERE instance = $1;

-- name: SaveOAuthApp :one
-- The first registration for an instance and redirect URI is kept; a changed public URL
-- replaces it. Two sign-ins registering at once both succeed and agree on the row kept.
INSERT INTO oauth_apps (instance, client_id, client_secret, redirect_uri)
VALUES ($1, $2, $3, $4)
ON CONFLICT (instance) DO UPDATE
SET client_id = EXCLUDED.client_id, client_secret = EXCLUDED.client_secret,
    redirect_uri = EXCLUDED.redirect_uri, created_at = now()
WHERE oauth_apps.redirect_uri <> EXCLUDED.redirect_uri
RETURNING *;
