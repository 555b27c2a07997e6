//! Stored apps (SP registrations): insert, update, look up by name or entity ID, remove. Several
//! apps may share an SP entity ID when no ACS URL is in two of them (see
//! [`Store::acs_clash`]).

use super::{AppRow, Result, Store, StoreError};
use crate::saml::sp_metadata::{shared_acs, SpMetadata};

impl Store {
    /// Adds an app; a name that exists, or an app of the same entity ID with one of its ACS URLs,
    /// is a [`StoreError::Conflict`].
    pub async fn insert_app(&self, app: &AppRow) -> Result<()> {
        if self.app(&app.name).await?.is_some() || self.oidc_client(&app.name).await?.is_some() {
            return Err(StoreError::Conflict(format!("an app named `{}`", app.name)));
        }
        let metadata: SpMetadata = serde_json::from_str(&app.metadata_json)
            .map_err(|e| StoreError::Corrupt(format!("{}: metadata: {e}", app.name)))?;
        if let Some((other, url)) = self.acs_clash(None, &metadata).await? {
            return Err(StoreError::Conflict(format!(
                "an app (`{other}`) with entity ID `{}` and ACS URL {url}",
                app.entity_id
            )));
        }
        sqlx::query(
            "INSERT INTO apps (name, entity_id, metadata_json, settings_json, metadata_xml, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&app.name)
        .bind(&app.entity_id)
        .bind(&app.metadata_json)
        .bind(&app.settings_json)
        .bind(&app.metadata_xml)
        .bind(app.created_at)
        .bind(app.updated_at)
        .execute(&self.pool)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Conflict(format!("an app named `{}` or with its entity ID", app.name))
            }
            e => e.into(),
        })?;
        Ok(())
    }

    /// Replaces an app's metadata and settings.
    pub async fn update_app(&self, app: &AppRow) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE apps SET entity_id = $2, metadata_json = $3, settings_json = $4, \
             metadata_xml = $5, updated_at = $6 WHERE name = $1",
        )
        .bind(&app.name)
        .bind(&app.entity_id)
        .bind(&app.metadata_json)
        .bind(&app.settings_json)
        .bind(&app.metadata_xml)
        .bind(app.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// The app called `name`.
    pub async fn app(&self, name: &str) -> Result<Option<AppRow>> {
        Ok(sqlx::query_as(&format!("{APP_COLUMNS} WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The apps whose SP entity ID is `entity_id`, by name.
    pub async fn apps_by_entity_id(&self, entity_id: &str) -> Result<Vec<AppRow>> {
        Ok(
            sqlx::query_as(&format!("{APP_COLUMNS} WHERE entity_id = $1 ORDER BY name"))
                .bind(entity_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// An app of `metadata`'s entity ID (other than `except`, the app being changed) that has one
    /// of its ACS URLs: that app's name and the first URL they share. Such two apps could not be
    /// told apart by a request.
    pub async fn acs_clash(
        &self,
        except: Option<&str>,
        metadata: &SpMetadata,
    ) -> Result<Option<(String, String)>> {
        for row in self.apps_by_entity_id(&metadata.entity_id).await? {
            if Some(row.name.as_str()) == except {
                continue;
            }
            let other: SpMetadata = serde_json::from_str(&row.metadata_json)
                .map_err(|e| StoreError::Corrupt(format!("{}: metadata: {e}", row.name)))?;
            if let Some(url) = shared_acs(metadata, &other).first() {
                return Ok(Some((row.name, url.to_string())));
            }
        }
        Ok(None)
    }

    /// Every app, by name.
    pub async fn apps(&self) -> Result<Vec<AppRow>> {
        Ok(sqlx::query_as(&format!("{APP_COLUMNS} ORDER BY name"))
            .fetch_all(&self.pool)
            .await?)
    }

    /// Removes an app; false when there was none.
    pub async fn remove_app(&self, name: &str) -> Result<bool> {
        // One transaction: an outage between the two must not leave the app's pairwise IDs to a
        // later app of the same name.
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query("DELETE FROM apps WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM pairwise_ids WHERE app = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        // A later app of the same name starts provisioning afresh, with a token of its own.
        for table in [
            "scim_tokens",
            "scim_resources",
            "scim_runs",
            "scim_dry_runs",
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE app = $1"))
                .bind(name)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(r.rows_affected() == 1)
    }
}

const APP_COLUMNS: &str = "SELECT name, entity_id, metadata_json, settings_json, metadata_xml, \
                           created_at, updated_at FROM apps";
