DELETE FROM blocked_people WHERE campaign_id = $1 AND network = $2 AND handle_norm = $3;
