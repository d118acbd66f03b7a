-- Sign-in proves who holds the claim page, not that they posted: a claim whose account was proven
-- by signing in before its post arrived remembers it, and whatever verifies it later by the
-- handle alone records 'oauth' instead (the trigger, so every writer of claims agrees).
-- Only a 'handle' proof is raised: 'code' (and 'staff') stay as they are, so both code and oauth
-- outrank handle and sign-in never lowers a proof.
ALTER TABLE claims ADD COLUMN proven_account boolean NOT NULL DEFAULT false;

CREATE FUNCTION claims_proven_account_proof() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.proven_account AND NEW.verified_by = 'handle' THEN
        NEW.verified_by := 'oauth';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER claims_proven_account_proof BEFORE INSERT OR UPDATE ON claims
    FOR EACH ROW EXECUTE FUNCTION claims_proven_account_proof();

---- create above / drop below ----
DROP TRIGGER claims_proven_account_proof ON claims;
DROP FUNCTION claims_proven_account_proof();
ALTER TABLE claims DROP COLUMN proven_account;
