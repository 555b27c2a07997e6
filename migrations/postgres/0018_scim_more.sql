-- SCIM provisioning, more: how the app's last run was started (the actor: shell, scheduler, an
-- admin) and whether it was a dry run, for the typed status in the API; and, for each group, the
-- remote IDs of the members last sent (a JSON array), so an app that takes no PUT on groups (AWS
-- IAM Identity Center) gets a PATCH adding and removing only the members that changed.
ALTER TABLE scim_runs ADD COLUMN run_trigger TEXT NOT NULL DEFAULT '';
ALTER TABLE scim_runs ADD COLUMN dry_run INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scim_resources ADD COLUMN members TEXT NOT NULL DEFAULT '';
