//! SCIM provisioning's rows: each app's sealed bearer token, what was last sent for each user and
//! group (remote ID, hash of the resource, active), and the app's last run and last dry run (kept
//! apart, so a dry run never hides the last real one).

use super::{Result, Store};

/// What was last sent for one user or group of an app.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ScimResourceRow {
    /// `user` or `group`.
    pub kind: String,
    /// The userid, or the group's key (`dept:ID`, `tag:ID`).
    pub local_key: String,
    /// The resource's `id` at the app.
    pub remote_id: String,
    /// SHA-256 (hex) of the resource as last sent.
    pub sent_hash: String,
    /// 1 when last sent active (users), else 0.
    pub active: i64,
    /// A group's members as last sent: their remote IDs, a JSON array (empty text when unknown,
    /// e.g. sent before this was kept); what a PATCH of the group's members diffs against.
    pub members: String,
}

/// The last provisioning run (or dry run) of an app.
#[derive(Debug, Clone, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct ScimRunRow {
    /// When it started (Unix seconds).
    pub started_at: i64,
    /// When it ended.
    pub finished_at: i64,
    /// Users created.
    pub created: i64,
    /// Users updated.
    pub updated: i64,
    /// Users deactivated.
    pub deactivated: i64,
    /// Groups created or updated.
    pub group_changes: i64,
    /// Changes that failed.
    pub failed: i64,
    /// The first failure's message, when one failed.
    pub last_error: Option<String>,
    /// Who started it (the actor's label: `shell`, `scheduler`, `admin:NAME`, …).
    pub run_trigger: String,
    /// 1 when it was a dry run (the counts are then what it would have done), else 0.
    pub dry_run: i64,
}

impl Store {
    /// Stores the app's sealed SCIM token (replacing one).
    pub async fn put_scim_token(
        &self,
        app: &str,
        sealed: &str,
        master_key_id: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO scim_tokens (app, token_enc, master_key_id, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (app) DO UPDATE SET token_enc = $2, \
             master_key_id = $3, updated_at = $4",
        )
        .bind(app)
        .bind(sealed)
        .bind(master_key_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The app's sealed SCIM token and the ID of the master key that sealed it.
    pub async fn scim_token(&self, app: &str) -> Result<Option<(String, String)>> {
        Ok(
            sqlx::query_as("SELECT token_enc, master_key_id FROM scim_tokens WHERE app = $1")
                .bind(app)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// When the app's SCIM token was set (Unix seconds), if one is.
    pub async fn scim_token_set_at(&self, app: &str) -> Result<Option<i64>> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT updated_at FROM scim_tokens WHERE app = $1")
                .bind(app)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|r| r.0))
    }

    /// Removes the app's SCIM token; whether there was one.
    pub async fn delete_scim_token(&self, app: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM scim_tokens WHERE app = $1")
            .bind(app)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Every sealed SCIM token: (app, sealed, master key ID), for master key rotation.
    pub async fn scim_tokens(&self) -> Result<Vec<(String, String, String)>> {
        Ok(
            sqlx::query_as("SELECT app, token_enc, master_key_id FROM scim_tokens ORDER BY app")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// What was last sent to the app, users and groups.
    pub async fn scim_resources(&self, app: &str) -> Result<Vec<ScimResourceRow>> {
        Ok(sqlx::query_as(
            "SELECT kind, local_key, remote_id, sent_hash, active, members FROM scim_resources \
             WHERE app = $1 ORDER BY kind, local_key",
        )
        .bind(app)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records what was just sent for one resource.
    pub async fn put_scim_resource(
        &self,
        app: &str,
        row: &ScimResourceRow,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO scim_resources (app, kind, local_key, remote_id, sent_hash, active, \
             updated_at, members) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (app, kind, local_key) DO UPDATE SET remote_id = $4, sent_hash = $5, \
             active = $6, updated_at = $7, members = $8",
        )
        .bind(app)
        .bind(&row.kind)
        .bind(&row.local_key)
        .bind(&row.remote_id)
        .bind(&row.sent_hash)
        .bind(row.active)
        .bind(now)
        .bind(&row.members)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records the end of a run: a dry run as the app's last dry run, else as its last run.
    pub async fn put_scim_run(&self, app: &str, run: &ScimRunRow) -> Result<()> {
        if run.dry_run != 0 {
            return self.put_scim_dry_run(app, run).await;
        }
        sqlx::query(
            "INSERT INTO scim_runs (app, started_at, finished_at, created, updated, deactivated, \
             group_changes, failed, last_error, run_trigger, dry_run) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (app) DO UPDATE SET started_at = $2, finished_at = $3, created = $4, \
             updated = $5, deactivated = $6, group_changes = $7, failed = $8, last_error = $9, \
             run_trigger = $10, dry_run = $11",
        )
        .bind(app)
        .bind(run.started_at)
        .bind(run.finished_at)
        .bind(run.created)
        .bind(run.updated)
        .bind(run.deactivated)
        .bind(run.group_changes)
        .bind(run.failed)
        .bind(&run.last_error)
        .bind(&run.run_trigger)
        .bind(run.dry_run)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn put_scim_dry_run(&self, app: &str, run: &ScimRunRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO scim_dry_runs (app, started_at, finished_at, created, updated, \
             deactivated, group_changes, failed, last_error, run_trigger) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (app) DO UPDATE SET started_at = $2, finished_at = $3, created = $4, \
             updated = $5, deactivated = $6, group_changes = $7, failed = $8, last_error = $9, \
             run_trigger = $10",
        )
        .bind(app)
        .bind(run.started_at)
        .bind(run.finished_at)
        .bind(run.created)
        .bind(run.updated)
        .bind(run.deactivated)
        .bind(run.group_changes)
        .bind(run.failed)
        .bind(&run.last_error)
        .bind(&run.run_trigger)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The app's last dry run, if it had one (`dry_run` is 1).
    pub async fn scim_dry_run(&self, app: &str) -> Result<Option<ScimRunRow>> {
        Ok(sqlx::query_as(
            "SELECT started_at, finished_at, created, updated, deactivated, group_changes, \
             failed, last_error, run_trigger, 1 AS dry_run FROM scim_dry_runs WHERE app = $1",
        )
        .bind(app)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The app's last real run (not a dry run), if it ever ran.
    pub async fn scim_run(&self, app: &str) -> Result<Option<ScimRunRow>> {
        Ok(sqlx::query_as(
            "SELECT started_at, finished_at, created, updated, deactivated, group_changes, \
             failed, last_error, run_trigger, dry_run FROM scim_runs WHERE app = $1",
        )
        .bind(app)
        .fetch_optional(&self.pool)
        .await?)
    }
}
