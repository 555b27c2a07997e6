-- Core tables: apps, signing keys, instance secrets, sessions, login states, replay cache, audit.
CREATE TABLE apps (
    name          TEXT PRIMARY KEY,
    entity_id     TEXT NOT NULL UNIQUE,
    metadata_json TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    metadata_xml  TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE signing_keys (
    id         TEXT PRIMARY KEY,
    key_pem    TEXT NOT NULL,
    cert_pem   TEXT NOT NULL,
    state      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE instance_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    userid        TEXT NOT NULL,
    profile_json  TEXT NOT NULL,
    authn_instant INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_userid ON sessions (userid);

CREATE TABLE login_states (
    state          TEXT PRIMARY KEY,
    browser_hash   TEXT NOT NULL,
    pending_json   TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    consumed_at    INTEGER,
    code_hash      TEXT,
    result_session TEXT
);
CREATE INDEX login_states_expires ON login_states (expires_at);

CREATE TABLE replay_cache (
    issuer     TEXT NOT NULL,
    request_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, request_id)
);
CREATE INDEX replay_cache_expires ON replay_cache (expires_at);

CREATE TABLE pairwise_ids (
    app        TEXT NOT NULL,
    userid     TEXT NOT NULL,
    value      TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (app, userid)
);

CREATE TABLE audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    event      TEXT NOT NULL,
    app        TEXT,
    userid     TEXT,
    result     TEXT NOT NULL,
    reason     TEXT NOT NULL,
    client_ip  TEXT,
    request_id TEXT
);
CREATE INDEX audit_at ON audit (at);
