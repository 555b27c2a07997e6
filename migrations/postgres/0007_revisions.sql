-- Per-table change counters that instances compare against their caches: one cheap read tells an
-- instance whether any app changed (added, edited, rolled back, refreshed, removed) since it parsed
-- the apps it holds. A trigger keeps the counter, so no write path can forget to bump it.
CREATE TABLE revisions (
    name TEXT PRIMARY KEY,
    n    BIGINT NOT NULL
);
INSERT INTO revisions (name, n) VALUES ('apps', 0);

CREATE FUNCTION bump_apps_revision() RETURNS trigger AS $$
BEGIN
    UPDATE revisions SET n = n + 1 WHERE name = 'apps';
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER apps_revision AFTER INSERT OR UPDATE OR DELETE ON apps
    FOR EACH STATEMENT EXECUTE FUNCTION bump_apps_revision();
