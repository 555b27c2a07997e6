-- Signing-key rollover (issue 5 item 6): keys move next -> active -> previous -> retired. When a key
-- became active (so a previous key is retired only once every instance has followed the switch) and
-- when it was retired (its private key is erased then; the certificate stays for the record).
ALTER TABLE signing_keys ADD COLUMN activated_at BIGINT;
ALTER TABLE signing_keys ADD COLUMN retired_at BIGINT;
CREATE INDEX audit_event ON audit (event, at);
