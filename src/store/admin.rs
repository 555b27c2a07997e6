//! The admin side of the store: admins kept in the database (beside those in the
//! configuration), API tokens (only their SHA-256 is stored), admin browser sessions (keyed by the
//! hash of the cookie) and the settings the console edits over the configuration's defaults.

use super::{Result, Store, StoreError};

/// An admin added in the store (`admin add`, or by another admin).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AdminRow {
    /// WeCom userid.
    pub userid: String,
    /// Who added them (`shell`, `wecom:USERID`, `token:NAME`).
    pub added_by: String,
    /// Unix seconds.
    pub added_at: i64,
}

/// An API token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AdminTokenRow {
    /// Stable ID (random hex).
    pub id: String,
    /// The name given at creation (unique).
    pub name: String,
    /// Who created it.
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Last successful use, Unix seconds.
    pub last_used_at: Option<i64>,
    /// When it was revoked; a revoked token never authenticates again.
    pub revoked_at: Option<i64>,
}

/// An admin browser session.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AdminSessionRow {
    /// SHA-256 of the cookie value, hex.
    pub id_hash: String,
    /// The admin's WeCom userid.
    pub userid: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Last use, Unix seconds (idle timeout).
    pub last_seen: i64,
    /// Absolute end, Unix seconds.
    pub expires_at: i64,
}

/// One stored setting (a JSON value over the configuration's default).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SettingRow {
    /// Setting name, e.g. `binding`, `wecom`.
    pub name: String,
    /// The value as JSON; `null` means "back to the configuration's default".
    pub value_json: String,
    /// Bumped at every write, so an instance can tell its cached copy is stale.
    pub version: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// Who wrote it.
    pub updated_by: String,
}

impl Store {
    /// Admins stored in the database, by userid.
    pub async fn admins(&self) -> Result<Vec<AdminRow>> {
        Ok(
            sqlx::query_as("SELECT userid, added_by, added_at FROM admins ORDER BY userid")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Whether `userid` is an admin in the database.
    pub async fn is_stored_admin(&self, userid: &str) -> Result<bool> {
        let row = sqlx::query("SELECT 1 FROM admins WHERE userid = $1")
            .bind(userid)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Adds an admin; false when they already were one.
    pub async fn add_admin(&self, userid: &str, added_by: &str, now: i64) -> Result<bool> {
        let r = sqlx::query(
            "INSERT INTO admins (userid, added_by, added_at) VALUES ($1, $2, $3) \
             ON CONFLICT (userid) DO NOTHING",
        )
        .bind(userid)
        .bind(added_by)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Removes an admin and ends their console sessions; false when they were not one.
    pub async fn remove_admin(&self, userid: &str) -> Result<bool> {
        // One transaction: a removed admin never keeps a console session because of an outage.
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query("DELETE FROM admins WHERE userid = $1")
            .bind(userid)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM admin_sessions WHERE userid = $1")
            .bind(userid)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }

    /// Stores a new token (its hash only); a name in use is a [`StoreError::Conflict`].
    pub async fn insert_admin_token(&self, row: &AdminTokenRow, token_hash: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO admin_tokens (id, name, token_hash, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&row.id)
        .bind(&row.name)
        .bind(token_hash)
        .bind(&row.created_by)
        .bind(row.created_at)
        .execute(&self.pool)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Conflict(format!("a token named `{}`", row.name))
            }
            e => e.into(),
        })?;
        Ok(())
    }

    /// Every token (revoked ones too), newest first.
    pub async fn admin_tokens(&self) -> Result<Vec<AdminTokenRow>> {
        Ok(
            sqlx::query_as(&format!("{TOKEN_COLUMNS} ORDER BY created_at DESC, name"))
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The live (not revoked) token whose hash is `token_hash`.
    pub async fn admin_token_by_hash(&self, token_hash: &str) -> Result<Option<AdminTokenRow>> {
        Ok(sqlx::query_as(&format!(
            "{TOKEN_COLUMNS} WHERE token_hash = $1 AND revoked_at IS NULL"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Records a use of a token.
    pub async fn touch_admin_token(&self, id: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE admin_tokens SET last_used_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Revokes the token named (or with ID) `name_or_id`; false when there is no live one.
    pub async fn revoke_admin_token(&self, name_or_id: &str, now: i64) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE admin_tokens SET revoked_at = $2 \
             WHERE (name = $1 OR id = $1) AND revoked_at IS NULL",
        )
        .bind(name_or_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() >= 1)
    }

    /// Stores a new admin session.
    pub async fn create_admin_session(&self, row: &AdminSessionRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO admin_sessions (id_hash, userid, created_at, last_seen, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&row.id_hash)
        .bind(&row.userid)
        .bind(row.created_at)
        .bind(row.last_seen)
        .bind(row.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The admin session whose cookie hashes to `id_hash`, if live at `now` (absolute end and idle
    /// cutoff applied); its last use is recorded.
    pub async fn admin_session(
        &self,
        id_hash: &str,
        now: i64,
        idle_cutoff: i64,
    ) -> Result<Option<AdminSessionRow>> {
        let row: Option<AdminSessionRow> = sqlx::query_as(
            "SELECT id_hash, userid, created_at, last_seen, expires_at FROM admin_sessions \
             WHERE id_hash = $1 AND expires_at > $2 AND last_seen >= $3",
        )
        .bind(id_hash)
        .bind(now)
        .bind(idle_cutoff)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        sqlx::query("UPDATE admin_sessions SET last_seen = $2 WHERE id_hash = $1")
            .bind(id_hash)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(Some(row))
    }

    /// Ends an admin session.
    pub async fn delete_admin_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM admin_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every stored setting, by name.
    pub async fn settings(&self) -> Result<Vec<SettingRow>> {
        Ok(sqlx::query_as(
            "SELECT name, value_json, version, updated_at, updated_by FROM settings ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The versions of the settings `names` that exist, by name: the cheap check an instance makes
    /// before trusting its cached copy.
    pub async fn setting_versions(&self, names: &[&str]) -> Result<Vec<(String, i64)>> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT name, version FROM settings ORDER BY name")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .filter(|(name, _)| names.contains(&name.as_str()))
            .collect())
    }

    /// Writes setting `name` (insert or update), bumping its version.
    pub async fn put_setting(
        &self,
        name: &str,
        value_json: &str,
        updated_by: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (name, value_json, version, updated_at, updated_by) \
             VALUES ($1, $2, 1, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET value_json = excluded.value_json, \
             version = settings.version + 1, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
        )
        .bind(name)
        .bind(value_json)
        .bind(now)
        .bind(updated_by)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

const TOKEN_COLUMNS: &str =
    "SELECT id, name, created_by, created_at, last_used_at, revoked_at FROM admin_tokens";
