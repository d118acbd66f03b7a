-- A post's raw JSON is written with every post and read almost never (audits, re-parsing, one
-- field for the feed). json keeps it as received, without building jsonb's binary tree on every
-- insert, and lz4 compresses the large values several times faster than the default pglz: both
-- were most of the database's cost per ingested post.
ALTER TABLE tweets
    ALTER COLUMN raw TYPE json USING raw::json,
    ALTER COLUMN raw SET COMPRESSION lz4;

---- create above / drop below ----
ALTER TABLE tweets
    ALTER COLUMN raw TYPE jsonb USING raw::jsonb,
    ALTER COLUMN raw SET COMPRESSION default;
