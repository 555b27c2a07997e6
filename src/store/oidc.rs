//! Stored OpenID Connect state: the clients (in the apps' name space), the grants a login leaves,
//! their single-use codes and their tokens. Single use is one conditional UPDATE, so two instances
//! racing for one code or refresh token cannot both win.

use super::{Result, Store, StoreError};

/// A stored OIDC client, as the table holds it (`oidc::Client` parses it).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OidcClientRow {
    /// The app name.
    pub name: String,
    /// The client ID.
    pub client_id: String,
    /// SHA-256 of the secret (confidential clients).
    pub secret_hash: Option<String>,
    /// `ClientConfig` as JSON.
    pub client_json: String,
    /// `AppSettings` as JSON.
    pub settings_json: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// A stored grant: what one login gave one client.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GrantRow {
    /// Random ID.
    pub id: String,
    /// The client it was given to.
    pub client_id: String,
    /// The member.
    pub userid: String,
    /// The IdP session it came from (hash).
    pub session_hash: String,
    /// `oidc::grant::Grant` as JSON.
    pub grant_json: String,
    /// Unix seconds.
    pub created_at: i64,
    /// When the last token of it can expire.
    pub expires_at: i64,
    /// When it was revoked (a reused code or refresh token).
    pub revoked_at: Option<i64>,
}

/// What using a single-use code or refresh token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Use {
    /// First use, within its lifetime: the grant it belongs to.
    Fresh(String),
    /// Used before: the grant it belongs to (to revoke).
    Reused(String),
    /// Past its lifetime.
    Expired,
    /// No such value.
    Unknown,
}

const CLIENT_COLUMNS: &str = "SELECT name, client_id, secret_hash, client_json, settings_json, \
                              created_at, updated_at FROM oidc_clients";
const GRANT_COLUMNS: &str = "SELECT id, client_id, userid, session_hash, grant_json, created_at, \
                             expires_at, revoked_at FROM oidc_grants";

impl Store {
    /// Adds a client; a name an app or client has is a [`StoreError::Conflict`].
    pub async fn insert_oidc_client(&self, c: &OidcClientRow) -> Result<()> {
        if self.app(&c.name).await?.is_some() || self.oidc_client(&c.name).await?.is_some() {
            return Err(StoreError::Conflict(format!("an app named `{}`", c.name)));
        }
        sqlx::query(
            "INSERT INTO oidc_clients (name, client_id, secret_hash, client_json, settings_json, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&c.name)
        .bind(&c.client_id)
        .bind(&c.secret_hash)
        .bind(&c.client_json)
        .bind(&c.settings_json)
        .bind(c.created_at)
        .bind(c.updated_at)
        .execute(&self.pool)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Conflict(format!("an app named `{}`", c.name))
            }
            e => e.into(),
        })?;
        Ok(())
    }

    /// Replaces a client's secret hash, configuration and settings.
    pub async fn update_oidc_client(&self, c: &OidcClientRow) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE oidc_clients SET secret_hash = $2, client_json = $3, settings_json = $4, \
             updated_at = $5 WHERE name = $1",
        )
        .bind(&c.name)
        .bind(&c.secret_hash)
        .bind(&c.client_json)
        .bind(&c.settings_json)
        .bind(c.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// The client called `name`.
    pub async fn oidc_client(&self, name: &str) -> Result<Option<OidcClientRow>> {
        Ok(sqlx::query_as(&format!("{CLIENT_COLUMNS} WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The client whose ID is `client_id`.
    pub async fn client_by_id_row(&self, client_id: &str) -> Result<Option<OidcClientRow>> {
        Ok(
            sqlx::query_as(&format!("{CLIENT_COLUMNS} WHERE client_id = $1"))
                .bind(client_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Every client, by name.
    pub async fn oidc_clients(&self) -> Result<Vec<OidcClientRow>> {
        Ok(sqlx::query_as(&format!("{CLIENT_COLUMNS} ORDER BY name"))
            .fetch_all(&self.pool)
            .await?)
    }

    /// Removes a client, its pairwise subjects, its grants and the consents members gave it; false
    /// when there was none.
    pub async fn remove_oidc_client(&self, name: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let removed: Option<String> =
            sqlx::query_scalar("DELETE FROM oidc_clients WHERE name = $1 RETURNING client_id")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
        let client_id = removed.clone().unwrap_or_default();
        sqlx::query("DELETE FROM pairwise_ids WHERE app = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        // What members allowed this client goes with it: a new client of the same name asks again.
        sqlx::query("DELETE FROM oidc_consents WHERE client_id = $1")
            .bind(&client_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(removed.is_some())
    }

    /// Stores a grant.
    pub async fn create_grant(&self, g: &GrantRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO oidc_grants (id, client_id, userid, session_hash, grant_json, \
             created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
        )
        .bind(&g.id)
        .bind(&g.client_id)
        .bind(&g.userid)
        .bind(&g.session_hash)
        .bind(&g.grant_json)
        .bind(g.created_at)
        .bind(g.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The grant `id`.
    pub async fn grant(&self, id: &str) -> Result<Option<GrantRow>> {
        Ok(sqlx::query_as(&format!("{GRANT_COLUMNS} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Revokes grant `id`: its codes and tokens answer no more.
    pub async fn revoke_grant(&self, id: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE oidc_grants SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The unrevoked grants a session gave.
    pub async fn grants_of_session(&self, session_hash: &str) -> Result<Vec<GrantRow>> {
        Ok(sqlx::query_as(&format!(
            "{GRANT_COLUMNS} WHERE session_hash = $1 AND revoked_at IS NULL ORDER BY created_at"
        ))
        .bind(session_hash)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every grant a session gave, revoked ones included: the clients Back-Channel Logout tells
    /// when the session ends (RP-initiated logout revokes the grants before that).
    pub async fn all_grants_of_session(&self, session_hash: &str) -> Result<Vec<GrantRow>> {
        Ok(sqlx::query_as(&format!(
            "{GRANT_COLUMNS} WHERE session_hash = $1 ORDER BY created_at"
        ))
        .bind(session_hash)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every grant the member's sessions gave, revoked ones included, read before a leaver's
    /// sessions are deleted (grants stay; the sessions they name go).
    pub async fn grants_of_member_sessions(&self, userid: &str) -> Result<Vec<GrantRow>> {
        Ok(sqlx::query_as(
            "SELECT g.id, g.client_id, g.userid, g.session_hash, g.grant_json, g.created_at, \
             g.expires_at, g.revoked_at FROM oidc_grants g \
             JOIN sessions s ON s.id_hash = g.session_hash \
             WHERE s.userid = $1 ORDER BY g.created_at",
        )
        .bind(userid)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Revokes every grant of a session (its logout): their codes and tokens answer no more.
    /// Returns how many were revoked.
    pub async fn revoke_grants_of_session(&self, session_hash: &str, now: i64) -> Result<u64> {
        let r = sqlx::query(
            "UPDATE oidc_grants SET revoked_at = $2 WHERE session_hash = $1 AND revoked_at IS NULL",
        )
        .bind(session_hash)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// Stores a code (by hash) of grant `grant_id`.
    pub async fn create_code(
        &self,
        code_hash: &str,
        grant_id: &str,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO oidc_codes (code_hash, grant_id, expires_at, used_at) VALUES ($1, $2, $3, NULL)",
        )
        .bind(code_hash)
        .bind(grant_id)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Uses the code `code_hash` once.
    pub async fn use_code(&self, code_hash: &str, now: i64) -> Result<Use> {
        self.use_once("oidc_codes", "code_hash", code_hash, "", now)
            .await
    }

    /// Stores a token (by hash) of `kind` (`access` or `refresh`).
    pub async fn create_token(
        &self,
        token_hash: &str,
        kind: &str,
        grant_id: &str,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO oidc_tokens (token_hash, kind, grant_id, expires_at, used_at) \
             VALUES ($1, $2, $3, $4, NULL)",
        )
        .bind(token_hash)
        .bind(kind)
        .bind(grant_id)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Uses the refresh token `token_hash` once (rotation).
    pub async fn use_refresh_token(&self, token_hash: &str, now: i64) -> Result<Use> {
        self.use_once("oidc_tokens", "token_hash", token_hash, "refresh", now)
            .await
    }

    /// The grant of a live access token, when its grant is not revoked.
    pub async fn access_token_grant(&self, token_hash: &str, now: i64) -> Result<Option<GrantRow>> {
        let id: Option<(String,)> = sqlx::query_as(
            "SELECT grant_id FROM oidc_tokens WHERE token_hash = $1 AND kind = 'access' \
             AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some((id,)) = id else { return Ok(None) };
        Ok(self.grant(&id).await?.filter(|g| g.revoked_at.is_none()))
    }

    /// The single use of a code or refresh token: one conditional UPDATE claims it, then the row
    /// says why a claim failed.
    async fn use_once(
        &self,
        table: &'static str,
        key: &'static str,
        value: &str,
        kind: &'static str,
        now: i64,
    ) -> Result<Use> {
        let kind_clause = if kind.is_empty() {
            String::new()
        } else {
            format!(" AND kind = '{kind}'")
        };
        let claimed = sqlx::query(&format!(
            "UPDATE {table} SET used_at = $2 WHERE {key} = $1 AND used_at IS NULL \
             AND expires_at > $2{kind_clause}"
        ))
        .bind(value)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1;
        let row: Option<(String, i64, Option<i64>)> = sqlx::query_as(&format!(
            "SELECT grant_id, expires_at, used_at FROM {table} WHERE {key} = $1{kind_clause}"
        ))
        .bind(value)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            None => Use::Unknown,
            Some((grant, _, _)) if claimed => Use::Fresh(grant),
            Some((grant, _, Some(_))) => Use::Reused(grant),
            Some(_) => Use::Expired,
        })
    }

    /// Deletes grants past their last token's expiry with their codes and tokens, and consent
    /// pages left unanswered.
    pub async fn purge_oidc(&self, now: i64) -> Result<u64> {
        let mut n = 0;
        for q in [
            "DELETE FROM oidc_codes WHERE expires_at <= $1",
            "DELETE FROM oidc_tokens WHERE expires_at <= $1",
            "DELETE FROM oidc_grants WHERE expires_at <= $1",
            // Consent pages never answered.
            "DELETE FROM oidc_consent_requests WHERE expires_at <= $1",
        ] {
            n += sqlx::query(q)
                .bind(now - 3600)
                .execute(&self.pool)
                .await?
                .rows_affected();
        }
        Ok(n)
    }
}
