//! Saved versions of apps (each change keeps the state before it, for rollback) and metadata URL
//! sources (where an app's metadata is fetched from, how often, and the last result), with the
//! conditional claim that lets only one instance fetch a due source.

use super::{AppRow, Result, Store};

/// One saved state of an app (`app_versions`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AppVersionRow {
    /// App name.
    pub app: String,
    /// 1, 2, … per app.
    pub version: i64,
    /// The SP entity ID of that state.
    pub entity_id: String,
    /// `SpMetadata` as JSON.
    pub metadata_json: String,
    /// `AppSettings` as JSON.
    pub settings_json: String,
    /// The metadata document, when there was one.
    pub metadata_xml: Option<String>,
    /// When it was saved (the moment it was replaced), Unix seconds.
    pub saved_at: i64,
    /// Who made the change that replaced it.
    pub saved_by: String,
}

impl AppVersionRow {
    /// The app row this version holds (timestamps from `created_at` and the version's save).
    pub fn to_app_row(&self, created_at: i64, updated_at: i64) -> AppRow {
        AppRow {
            name: self.app.clone(),
            entity_id: self.entity_id.clone(),
            metadata_json: self.metadata_json.clone(),
            settings_json: self.settings_json.clone(),
            metadata_xml: self.metadata_xml.clone(),
            created_at,
            updated_at,
        }
    }
}

/// Where an app's metadata comes from (`app_sources`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AppSourceRow {
    /// App name.
    pub app: String,
    /// `http`/`https` URL of the SP metadata.
    pub url: String,
    /// Seconds between automatic fetches; 0 = only on demand.
    pub refresh_secs: i64,
    /// When the next automatic fetch is due, Unix seconds.
    pub next_fetch_at: i64,
    /// When it was last fetched, Unix seconds.
    pub last_fetch_at: Option<i64>,
    /// `unchanged`, `updated` or `failed`.
    pub last_result: Option<String>,
    /// Why the last fetch failed (for the admin; never the body).
    pub last_error: Option<String>,
}

const VERSION_COLUMNS: &str = "SELECT app, version, entity_id, metadata_json, settings_json, \
                               metadata_xml, saved_at, saved_by FROM app_versions";
const SOURCE_COLUMNS: &str = "SELECT app, url, refresh_secs, next_fetch_at, last_fetch_at, \
                              last_result, last_error FROM app_sources";

impl Store {
    /// Saves `row` as the app's next version; returns its number.
    pub async fn save_app_version(
        &self,
        row: &AppRow,
        saved_at: i64,
        saved_by: &str,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO app_versions (app, version, entity_id, metadata_json, settings_json, \
             metadata_xml, saved_at, saved_by) \
             SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5, $6, $7 \
             FROM app_versions WHERE app = $1 RETURNING version",
        )
        .bind(&row.name)
        .bind(&row.entity_id)
        .bind(&row.metadata_json)
        .bind(&row.settings_json)
        .bind(&row.metadata_xml)
        .bind(saved_at)
        .bind(saved_by)
        .fetch_one(&self.pool)
        .await?)
    }

    /// The saved versions of `app`, newest first.
    pub async fn app_versions(&self, app: &str) -> Result<Vec<AppVersionRow>> {
        Ok(sqlx::query_as(&format!(
            "{VERSION_COLUMNS} WHERE app = $1 ORDER BY version DESC"
        ))
        .bind(app)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Version `version` of `app`.
    pub async fn app_version(&self, app: &str, version: i64) -> Result<Option<AppVersionRow>> {
        Ok(sqlx::query_as(&format!(
            "{VERSION_COLUMNS} WHERE app = $1 AND version = $2"
        ))
        .bind(app)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Sets (or replaces) the metadata URL of `app`; the next automatic fetch is at `next_fetch_at`.
    pub async fn set_app_source(
        &self,
        app: &str,
        url: &str,
        refresh_secs: i64,
        next_fetch_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO app_sources (app, url, refresh_secs, next_fetch_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (app) DO UPDATE SET url = $2, refresh_secs = $3, next_fetch_at = $4",
        )
        .bind(app)
        .bind(url)
        .bind(refresh_secs)
        .bind(next_fetch_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The metadata URL of `app`, if it has one.
    pub async fn app_source(&self, app: &str) -> Result<Option<AppSourceRow>> {
        Ok(sqlx::query_as(&format!("{SOURCE_COLUMNS} WHERE app = $1"))
            .bind(app)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Forgets the metadata URL of `app`.
    pub async fn remove_app_source(&self, app: &str) -> Result<()> {
        sqlx::query("DELETE FROM app_sources WHERE app = $1")
            .bind(app)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Sources with periodic refresh whose fetch is due at `now`.
    pub async fn due_app_sources(&self, now: i64) -> Result<Vec<AppSourceRow>> {
        Ok(sqlx::query_as(&format!(
            "{SOURCE_COLUMNS} WHERE refresh_secs > 0 AND next_fetch_at <= $1 ORDER BY next_fetch_at"
        ))
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Claims a due source for this instance: moves its `next_fetch_at` from the value it read to
    /// `until`, only if no other instance has moved it since. True when this instance won.
    pub async fn claim_app_source(&self, app: &str, seen_next: i64, until: i64) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE app_sources SET next_fetch_at = $3 WHERE app = $1 AND next_fetch_at = $2",
        )
        .bind(app)
        .bind(seen_next)
        .bind(until)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Records the outcome of a fetch of `app`'s source.
    pub async fn record_app_fetch(
        &self,
        app: &str,
        at: i64,
        result: &str,
        error: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE app_sources SET last_fetch_at = $2, last_result = $3, last_error = $4 \
             WHERE app = $1",
        )
        .bind(app)
        .bind(at)
        .bind(result)
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
