-- The end-of-day report (internal/report) counts a campaign's posts per local hour. It bins them
-- by quarter hour first: every UTC offset in use is a multiple of 15 minutes, so a bin never
-- straddles two local hours, and binning is arithmetic where a time zone conversion per row is
-- not. These statistics tell the planner how few bins a day has, so it hashes the day's posts
-- into them instead of sorting every row. The report's other reads use the indexes of 001.
CREATE STATISTICS tweets_quarter_hours ON (date_bin('15 minutes', created_at, '2000-01-01 00:00+00')) FROM tweets;

---- create above / drop below ----
DROP STATISTICS tweets_quarter_hours;
