-- Pending other-network claims are bounded per device as well as per address (a venue NAT puts a
-- whole crowd behind one address). A device is the holder of a claim cookie: device_hash is the
-- hash of the first claim token the device was given in the campaign, inherited by every claim it
-- makes while it holds one of that chain's tokens. Only other-network claims carry it.
ALTER TABLE claims ADD COLUMN device_hash bytea CHECK (length(device_hash) = 32);
CREATE INDEX claims_pending_by_device ON claims (campaign_id, device_hash)
    WHERE status = 'pending' AND device_hash IS NOT NULL;

---- create above / drop below ----
ALTER TABLE claims DROP COLUMN device_hash;
