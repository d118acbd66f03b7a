-- A claim verified by its handle only is upgraded to 'code' when a later post of the person carries
-- its code: matching probes this small index per post, as it probes claims_person for pending ones.
CREATE INDEX claims_person_by_handle ON claims (network, handle_norm)
    WHERE status = 'verified' AND verified_by = 'handle';

---- create above / drop below ----
DROP INDEX claims_person_by_handle;
