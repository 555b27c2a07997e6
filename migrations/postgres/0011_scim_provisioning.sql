-- SCIM provisioning per app: the bearer token sealed under the master key (never in the app's
-- settings JSON, so never in its versions or audit details); what was last sent for each user and
-- group (the remote ID and a hash of the resource, so a second run with nothing changed sends
-- nothing); and the status of the app's last run for the console and the API.
CREATE TABLE scim_tokens (
    app           TEXT PRIMARY KEY,
    token_enc     TEXT NOT NULL,
    master_key_id TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE scim_resources (
    app        TEXT NOT NULL,
    kind       TEXT NOT NULL,
    local_key  TEXT NOT NULL,
    remote_id  TEXT NOT NULL,
    sent_hash  TEXT NOT NULL,
    active     INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (app, kind, local_key)
);

CREATE TABLE scim_runs (
    app         TEXT PRIMARY KEY,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    created     INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    deactivated INTEGER NOT NULL,
    group_changes INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    last_error  TEXT
);
