-- Several apps may share an SP entity ID (one console, several apps told apart by their ACS URLs),
-- so `apps.entity_id` is no longer UNIQUE. SQLite cannot drop a column constraint: the table is
-- rebuilt with the same columns, its rows copied, and its triggers made again. No table refers to
-- `apps` by foreign key. Sign-in requests look apps up by entity ID, hence the plain index.
CREATE TABLE apps_new (
    name          TEXT PRIMARY KEY,
    entity_id     TEXT NOT NULL,
    metadata_json TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    metadata_xml  TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

INSERT INTO apps_new (name, entity_id, metadata_json, settings_json, metadata_xml, created_at, updated_at)
    SELECT name, entity_id, metadata_json, settings_json, metadata_xml, created_at, updated_at FROM apps;

DROP TABLE apps;

ALTER TABLE apps_new RENAME TO apps;

CREATE INDEX apps_entity_id ON apps (entity_id);

CREATE TRIGGER apps_revision_insert AFTER INSERT ON apps
BEGIN
    UPDATE revisions SET n = n + 1 WHERE name = 'apps';
END;
CREATE TRIGGER apps_revision_update AFTER UPDATE ON apps
BEGIN
    UPDATE revisions SET n = n + 1 WHERE name = 'apps';
END;
CREATE TRIGGER apps_revision_delete AFTER DELETE ON apps
BEGIN
    UPDATE revisions SET n = n + 1 WHERE name = 'apps';
END;

-- Caches filled before the rebuild read again.
UPDATE revisions SET n = n + 1 WHERE name = 'apps';
