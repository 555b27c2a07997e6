-- Per-table change counters that instances compare against their caches: one cheap read tells an
-- instance whether any app changed (added, edited, rolled back, refreshed, removed) since it parsed
-- the apps it holds. Triggers keep the counter, so no write path can forget to bump it.
CREATE TABLE revisions (
    name TEXT PRIMARY KEY,
    n    INTEGER NOT NULL
);
INSERT INTO revisions (name, n) VALUES ('apps', 0);

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
