-- Who is blocked from campaign $1's wall, newest first.
SELECT network, handle_norm, blocked_at, blocked_by FROM blocked_people
WHERE campaign_id = $1 ORDER BY blocked_at DESC LIMIT 200;
