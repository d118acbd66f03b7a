-- name: DatabaseExists :one
-- Asked of the development cluster's maintenance database before the service's own exists.
SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1);
