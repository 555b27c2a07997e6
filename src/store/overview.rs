//! The audit-log reads behind the console's overview: refusals counted by reason since a time, and
//! the newest successful login of a kind (SP- or IdP-initiated, of one app or any), which is what
//! proves a console has the IdP metadata and a homepage was pasted.

use super::{AuditRow, Result, Store};

impl Store {
    /// Refused logins at or after `since`, counted by reason, most frequent first.
    pub async fn refusals_by_reason(&self, since: i64) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT reason, COUNT(*) AS n FROM audit WHERE result = 'refused' AND at >= $1 \
             GROUP BY reason ORDER BY n DESC, reason",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The newest successful login of an app (of `app` when given): when `sp_initiated`, one the
    /// SP started with an AuthnRequest (a request ID); else an IdP-initiated one (none).
    pub async fn latest_login(
        &self,
        sp_initiated: bool,
        app: Option<&str>,
    ) -> Result<Option<AuditRow>> {
        let cond = if sp_initiated {
            "IS NOT NULL"
        } else {
            "IS NULL"
        };
        let app_cond = if app.is_some() {
            "app = $1"
        } else {
            "app IS NOT NULL"
        };
        let sql = format!(
            "SELECT at, event, app, userid, result, reason, client_ip, request_id, actor, detail \
             FROM audit WHERE event = 'login' AND result = 'success' AND {app_cond} \
             AND request_id {cond} ORDER BY id DESC LIMIT 1"
        );
        let mut q = sqlx::query_as(&sql);
        if let Some(app) = app {
            q = q.bind(app);
        }
        Ok(q.fetch_optional(&self.pool).await?)
    }
}
