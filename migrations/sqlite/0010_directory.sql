-- The stored WeCom address book (the app's visible range): departments, members, tags and who
-- carries each tag, as the last full sync or change event left them; and one row of sync status,
-- which is also the lease that lets only one instance run the periodic full sync at a time.
-- Lists (a member's departments, custom attributes) are JSON: they are read and written whole.
CREATE TABLE directory_departments (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    name_en    TEXT,
    parent_id  INTEGER NOT NULL,
    sort_order INTEGER NOT NULL
);

CREATE TABLE directory_members (
    userid           TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    departments_json TEXT NOT NULL,
    main_department  INTEGER,
    position         TEXT,
    status           INTEGER NOT NULL,
    alias            TEXT,
    mobile           TEXT,
    email            TEXT,
    biz_mail         TEXT,
    open_userid      TEXT,
    extattr_json     TEXT NOT NULL
);

CREATE TABLE directory_tags (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);

-- kind: 'user' (ref = userid) or 'department' (ref = department ID as text).
CREATE TABLE directory_tag_members (
    tag_id INTEGER NOT NULL,
    kind   TEXT NOT NULL,
    ref    TEXT NOT NULL,
    PRIMARY KEY (tag_id, kind, ref)
);

CREATE TABLE directory_sync (
    id            INTEGER PRIMARY KEY,
    started_at    INTEGER,
    finished_at   INTEGER,
    departments   INTEGER NOT NULL DEFAULT 0,
    members       INTEGER NOT NULL DEFAULT 0,
    tags          INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    error_at      INTEGER,
    lease_holder  TEXT,
    lease_until   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO directory_sync (id) VALUES (1);
