//! The audit log, and purging expired rows.

use super::{AuditRow, Result, Store};
use sqlx::Row;

impl Store {
    /// Appends an audit row.
    pub async fn audit(&self, a: &AuditRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit (at, event, app, userid, result, reason, client_ip, request_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(a.at)
        .bind(&a.event)
        .bind(&a.app)
        .bind(&a.userid)
        .bind(&a.result)
        .bind(&a.reason)
        .bind(&a.client_ip)
        .bind(&a.request_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The latest `limit` audit rows, newest first.
    pub async fn audit_rows(&self, limit: i64) -> Result<Vec<AuditRow>> {
        let rows = sqlx::query(
            "SELECT at, event, app, userid, result, reason, client_ip, request_id FROM audit \
             ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRow {
                    at: r.try_get(0)?,
                    event: r.try_get(1)?,
                    app: r.try_get(2)?,
                    userid: r.try_get(3)?,
                    result: r.try_get(4)?,
                    reason: r.try_get(5)?,
                    client_ip: r.try_get(6)?,
                    request_id: r.try_get(7)?,
                })
            })
            .collect()
    }

    /// Deletes expired sessions, login states and replay entries; returns how many rows went.
    /// `idle_cutoff`: sessions unused since before it are gone too. Login states are kept a while
    /// past expiry so a late callback is told "expired" rather than "unknown".
    pub async fn purge_expired(&self, now: i64, idle_cutoff: i64) -> Result<u64> {
        let mut n = 0;
        n += sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen < $2")
            .bind(now)
            .bind(idle_cutoff)
            .execute(&self.pool)
            .await?
            .rows_affected();
        n += sqlx::query("DELETE FROM login_states WHERE expires_at <= $1")
            .bind(now - 3600)
            .execute(&self.pool)
            .await?
            .rows_affected();
        n += sqlx::query("DELETE FROM replay_cache WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n)
    }
}
