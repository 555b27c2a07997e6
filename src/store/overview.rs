//! The audit-log reads behind the console's overview: refusals counted by reason since a time, and
//! the newest successful login of a kind (SP- or IdP-initiated, of one app or any), which is what
//! proves a console has the IdP metadata and a homepage was pasted.

use super::{AuditRow, Result, Store};
use sqlx::Row;

impl Store {
    /// Refused logins at or after `since`, counted by reason, most frequent first.
    pub async fn refusals_by_reason(&self, since: i64) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT reason, COUNT(*) AS n FROM audit WHERE result = 'refused' AND at >= $1 \
             GROUP BY reason ORDER BY n DESC, reason",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
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
        let mut q = sqlx::query(&sql);
        if let Some(app) = app {
            q = q.bind(app);
        }
        let row = q.fetch_optional(&self.pool).await?;
        row.map(|r| {
            Ok(AuditRow {
                at: r.try_get(0)?,
                event: r.try_get(1)?,
                app: r.try_get(2)?,
                userid: r.try_get(3)?,
                result: r.try_get(4)?,
                reason: r.try_get(5)?,
                client_ip: r.try_get(6)?,
                request_id: r.try_get(7)?,
                actor: r.try_get(8)?,
                detail: r.try_get(9)?,
            })
        })
        .transpose()
    }
}
