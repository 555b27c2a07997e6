-- SCIM provisioning: an app's last dry run is kept apart from its last real run, so listing what a
-- run would do never hides when the app was last brought in line (and how that ended). A dry run
-- row already in scim_runs moves here (the real run it replaced is gone; the next run records one).
CREATE TABLE scim_dry_runs (
    app           TEXT PRIMARY KEY,
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER NOT NULL,
    created       INTEGER NOT NULL,
    updated       INTEGER NOT NULL,
    deactivated   INTEGER NOT NULL,
    group_changes INTEGER NOT NULL,
    failed        INTEGER NOT NULL,
    last_error    TEXT,
    run_trigger   TEXT NOT NULL DEFAULT ''
);
INSERT INTO scim_dry_runs (app, started_at, finished_at, created, updated, deactivated,
    group_changes, failed, last_error, run_trigger)
SELECT app, started_at, finished_at, created, updated, deactivated, group_changes, failed,
    last_error, run_trigger FROM scim_runs WHERE dry_run <> 0;
DELETE FROM scim_runs WHERE dry_run <> 0;
