//! Stored OpenID Connect consent: the grants a member gave a client (member, client, scopes) and
//! the consent pages waiting for an answer (the authorization request, bound to the browser's IdP
//! session, taken once by one DELETE so two answers cannot both win).

use super::{Result, Store};

impl Store {
    /// The scopes `userid` allowed `client_id` (space-separated), if any.
    pub async fn oidc_consent(&self, userid: &str, client_id: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT scopes FROM oidc_consents WHERE userid = $1 AND client_id = $2",
        )
        .bind(userid)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Stores (or replaces) what `userid` allowed `client_id`.
    pub async fn put_oidc_consent(
        &self,
        userid: &str,
        client_id: &str,
        scopes: &str,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM oidc_consents WHERE userid = $1 AND client_id = $2")
            .bind(userid)
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO oidc_consents (userid, client_id, scopes, granted_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(userid)
        .bind(client_id)
        .bind(scopes)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes every consent a member gave (the member left); how many.
    pub async fn delete_oidc_consents_of(&self, userid: &str) -> Result<u64> {
        let r = sqlx::query("DELETE FROM oidc_consents WHERE userid = $1")
            .bind(userid)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    /// Keeps a consent page's authorization request until it is answered or expires.
    pub async fn create_consent_request(
        &self,
        id_hash: &str,
        session_hash: &str,
        request_json: &str,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO oidc_consent_requests (id_hash, session_hash, request_json, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id_hash)
        .bind(session_hash)
        .bind(request_json)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes a consent page's request once: only by the session it was shown to, before it
    /// expires. Expired ones are dropped on the way.
    pub async fn take_consent_request(
        &self,
        id_hash: &str,
        session_hash: &str,
        now: i64,
    ) -> Result<Option<String>> {
        sqlx::query("DELETE FROM oidc_consent_requests WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(sqlx::query_scalar(
            "DELETE FROM oidc_consent_requests WHERE id_hash = $1 AND session_hash = $2 \
             AND expires_at > $3 RETURNING request_json",
        )
        .bind(id_hash)
        .bind(session_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }
}
