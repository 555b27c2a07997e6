-- Account directory (issue 4): local accounts, WeCom member bindings (one member <-> one account per
-- corp, enforced by the primary key and the unique constraint), one-time bind codes, and pending
-- bind pages (a login waiting for the member to prove an account).
CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL DEFAULT '',
    email           TEXT,
    mobile          TEXT,
    employee_no     TEXT,
    status          TEXT NOT NULL,
    groups_csv      TEXT NOT NULL DEFAULT '',
    password_hash   TEXT,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    locked_until    BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX accounts_email ON accounts (email);
CREATE INDEX accounts_mobile ON accounts (mobile);
CREATE INDEX accounts_employee_no ON accounts (employee_no);
CREATE INDEX accounts_display_name ON accounts (display_name);

CREATE TABLE bindings (
    corp_id    TEXT NOT NULL,
    userid     TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    how        TEXT NOT NULL,
    bound_at   BIGINT NOT NULL,
    PRIMARY KEY (corp_id, userid),
    UNIQUE (corp_id, account_id)
);

CREATE TABLE bind_codes (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE bind_states (
    token_hash   TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    pending_json TEXT NOT NULL,
    profile_json TEXT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    expires_at   BIGINT NOT NULL,
    consumed_at  BIGINT
);
CREATE INDEX bind_states_expires ON bind_states (expires_at);
