-- Admin console and API (issue 5). Admins beside those in the configuration; API tokens (only a
-- SHA-256 of each token is kept; a token is shown once); admin browser sessions (keyed by the hash of
-- the cookie); settings the console edits over the configuration's defaults (one JSON value per name,
-- version bumped at each write so instances notice); every saved version of an app, for rollback;
-- metadata URLs refreshed periodically, with the last result. The audit log gains the acting admin
-- and a JSON detail (before/after of a setting, never a secret).
CREATE TABLE admins (
    userid   TEXT PRIMARY KEY,
    added_by TEXT NOT NULL,
    added_at INTEGER NOT NULL
);

CREATE TABLE admin_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

CREATE TABLE admin_sessions (
    id_hash    TEXT PRIMARY KEY,
    userid     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX admin_sessions_expires ON admin_sessions (expires_at);

CREATE TABLE settings (
    name       TEXT PRIMARY KEY,
    value_json TEXT NOT NULL,
    version    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE app_versions (
    app           TEXT NOT NULL,
    version       INTEGER NOT NULL,
    entity_id     TEXT NOT NULL,
    metadata_json TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    metadata_xml  TEXT,
    saved_at      INTEGER NOT NULL,
    saved_by      TEXT NOT NULL,
    PRIMARY KEY (app, version)
);

CREATE TABLE app_sources (
    app           TEXT PRIMARY KEY,
    url           TEXT NOT NULL,
    refresh_secs  INTEGER NOT NULL,
    next_fetch_at INTEGER NOT NULL,
    last_fetch_at INTEGER,
    last_result   TEXT,
    last_error    TEXT
);

ALTER TABLE audit ADD COLUMN actor TEXT;
ALTER TABLE audit ADD COLUMN detail TEXT;
CREATE INDEX audit_app ON audit (app, at);
CREATE INDEX audit_userid ON audit (userid, at);
