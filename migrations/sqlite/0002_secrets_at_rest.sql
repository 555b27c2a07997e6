-- Issue 6. Secrets at rest: the signing private key is kept sealed (AES-256-GCM under the master key,
-- hex of nonce ‖ tag ‖ ciphertext) in key_enc, with the ID of the master key that sealed it; key_pem
-- is emptied once a row is sealed (existing plain rows are sealed at the first start with a master key).
-- Limits: login states remember the client IP, for the per-IP cap on unfinished logins.
ALTER TABLE signing_keys ADD COLUMN key_enc TEXT;
ALTER TABLE signing_keys ADD COLUMN master_key_id TEXT;
ALTER TABLE login_states ADD COLUMN client_ip TEXT;
CREATE INDEX login_states_client_ip ON login_states (client_ip, expires_at);
