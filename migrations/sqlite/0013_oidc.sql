-- OpenID Connect: the clients (an app that speaks OIDC, beside the SAML apps and in the same name
-- space), and what a login leaves for a client: the grant (who, for which client, what was released,
-- the code's PKCE challenge and nonce), its single-use code, and its tokens (access tokens looked up
-- by hash for userinfo, refresh tokens rotated). Revoking a grant ends every code and token of it.
CREATE TABLE oidc_clients (
    name          TEXT PRIMARY KEY,
    client_id     TEXT NOT NULL UNIQUE,
    secret_hash   TEXT,
    client_json   TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE oidc_grants (
    id           TEXT PRIMARY KEY,
    client_id    TEXT NOT NULL,
    userid       TEXT NOT NULL,
    session_hash TEXT NOT NULL,
    grant_json   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX oidc_grants_expires ON oidc_grants (expires_at);
CREATE INDEX oidc_grants_session ON oidc_grants (session_hash);

CREATE TABLE oidc_codes (
    code_hash  TEXT PRIMARY KEY,
    grant_id   TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX oidc_codes_expires ON oidc_codes (expires_at);

CREATE TABLE oidc_tokens (
    token_hash TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    grant_id   TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX oidc_tokens_grant ON oidc_tokens (grant_id);
CREATE INDEX oidc_tokens_expires ON oidc_tokens (expires_at);
