//! IdP sessions (keyed by the SHA-256 of the cookie value), what each served (per app: NameID and
//! SessionIndex, deleted with the session by a trigger) and pairwise NameIDs.

use super::{Result, ServiceRow, SessionRow, Store};

impl Store {
    /// Stores a new session.
    pub async fn create_session(&self, s: &SessionRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, userid, profile_json, authn_instant, last_seen, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&s.id_hash)
        .bind(&s.userid)
        .bind(&s.profile_json)
        .bind(s.authn_instant)
        .bind(s.last_seen)
        .bind(s.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session with this hash, if it exists (expiry is the caller's decision).
    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>> {
        Ok(sqlx::query_as(
            "SELECT id_hash, userid, profile_json, authn_instant, last_seen, expires_at \
             FROM sessions WHERE id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Records use of a session (idle timeout).
    pub async fn touch_session(&self, id_hash: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen = $2 WHERE id_hash = $1")
            .bind(id_hash)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends a session.
    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a Response issued to `row.app` in `row.session_hash`'s session and returns the
    /// SessionIndex it carries: the one this session already gave that app (an SP keeps its
    /// index for the session's life), else `row.session_index`. The NameID is the latest sent.
    /// A repeated Response with the same NameID writes nothing, and costs no round trip when this
    /// instance recorded the pair ([`super::served`]): a write (and commit) on every Response cost
    /// PostgreSQL a quarter of its Responses/s in the load tool, a read about a tenth.
    pub async fn remember_service(&self, row: &ServiceRow) -> Result<String> {
        let (session, app) = (row.session_hash.as_str(), row.app.as_str());
        if let Some(index) = self
            .served
            .index(session, app, &row.name_id, &row.name_id_format)
        {
            return Ok(index);
        }
        let known: Option<(String, String, String)> = sqlx::query_as(
            "SELECT session_index, name_id, name_id_format FROM session_services \
             WHERE session_hash = $1 AND app = $2",
        )
        .bind(&row.session_hash)
        .bind(&row.app)
        .fetch_optional(&self.pool)
        .await?;
        if let Some((index, name_id, format)) = known {
            if name_id == row.name_id && format == row.name_id_format {
                self.served
                    .remember(session, app, (index.clone(), name_id, format));
                return Ok(index);
            }
        }
        let index: String = sqlx::query_scalar(
            "INSERT INTO session_services (session_hash, app, name_id, name_id_format, \
             name_qualifier, sp_name_qualifier, session_index, issued_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (session_hash, app) DO UPDATE SET name_id = excluded.name_id, \
             name_id_format = excluded.name_id_format, name_qualifier = excluded.name_qualifier, \
             sp_name_qualifier = excluded.sp_name_qualifier, issued_at = excluded.issued_at \
             RETURNING session_index",
        )
        .bind(&row.session_hash)
        .bind(&row.app)
        .bind(&row.name_id)
        .bind(&row.name_id_format)
        .bind(&row.name_qualifier)
        .bind(&row.sp_name_qualifier)
        .bind(&row.session_index)
        .bind(row.issued_at)
        .fetch_one(&self.pool)
        .await?;
        let stored = (
            index.clone(),
            row.name_id.clone(),
            row.name_id_format.clone(),
        );
        self.served.remember(session, app, stored);
        Ok(index)
    }

    /// What a session served, oldest Response first.
    pub async fn services_of(&self, session_hash: &str) -> Result<Vec<ServiceRow>> {
        Ok(sqlx::query_as(
            "SELECT session_hash, app, name_id, name_id_format, name_qualifier, \
             sp_name_qualifier, session_index, issued_at FROM session_services \
             WHERE session_hash = $1 ORDER BY issued_at, app",
        )
        .bind(session_hash)
        .fetch_all(&self.pool)
        .await?)
    }

    /// What every session of a member served, oldest Response first: read before
    /// [`Store::delete_sessions_of`] (its trigger deletes these rows), so a leaver's apps can be
    /// told on the back channel.
    pub async fn services_of_member(&self, userid: &str) -> Result<Vec<ServiceRow>> {
        Ok(sqlx::query_as(
            "SELECT ss.session_hash, ss.app, ss.name_id, ss.name_id_format, ss.name_qualifier, \
             ss.sp_name_qualifier, ss.session_index, ss.issued_at FROM session_services ss \
             JOIN sessions s ON s.id_hash = ss.session_hash \
             WHERE s.userid = $1 ORDER BY ss.issued_at, ss.app",
        )
        .bind(userid)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Ends every session of a member (status no longer active).
    pub async fn delete_sessions_of(&self, userid: &str) -> Result<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE userid = $1")
            .bind(userid)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    /// The persistent pairwise NameID a member already has for an app, storing nothing (the
    /// admin's member preview: looking must not assign one).
    pub async fn existing_pairwise_id(&self, app: &str, userid: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM pairwise_ids WHERE app = $1 AND userid = $2")
                .bind(app)
                .bind(userid)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The persistent pairwise NameID of a member for an app, storing `candidate` the first time.
    pub async fn pairwise_id(
        &self,
        app: &str,
        userid: &str,
        candidate: &str,
        now: i64,
    ) -> Result<String> {
        sqlx::query(
            "INSERT INTO pairwise_ids (app, userid, value, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (app, userid) DO NOTHING",
        )
        .bind(app)
        .bind(userid)
        .bind(candidate)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM pairwise_ids WHERE app = $1 AND userid = $2")
                .bind(app)
                .bind(userid)
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
