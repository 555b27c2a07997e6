-- OpenID Connect consent: what a member allowed a client to receive (the scopes, space-separated),
-- so a later login asking for the same or fewer scopes does not ask again; removed with the client
-- and when the member leaves. And the consent pages waiting for an answer: the authorization
-- request, bound to the browser's IdP session, answered once (Allow or Deny) within minutes.
CREATE TABLE oidc_consents (
    userid     TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (userid, client_id)
);
CREATE INDEX oidc_consents_client ON oidc_consents (client_id);

CREATE TABLE oidc_consent_requests (
    id_hash      TEXT PRIMARY KEY,
    session_hash TEXT NOT NULL,
    request_json TEXT NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX oidc_consent_requests_expires ON oidc_consent_requests (expires_at);
