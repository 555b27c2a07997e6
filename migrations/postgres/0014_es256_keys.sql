-- OIDC signing (issue 15): every stored signing key gets a P-256 companion for ES256 tokens, made
-- with it and moving through the rollover with it (next -> active -> previous -> retired). Sealed
-- under the master key like key_enc (hex of nonce ‖ tag ‖ ciphertext, same master_key_id), context
-- "signing_key:ID:es256"; erased when the key is retired. NULL for keys made before this column
-- (the active and next ones get a companion at the next start).
ALTER TABLE signing_keys ADD COLUMN ec_key_enc TEXT;
