-- Tells every instance's open walls about a moderation change.
SELECT pg_notify('giveaway_wall', $1);
