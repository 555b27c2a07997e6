//! The audit log (logins and admin changes: search with filters, newest first), purging expired
//! rows, and deleting audit rows past their retention.

use super::{AuditKind, AuditResult, AuditRow, Result, Store};

/// Filters of an audit search; `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Exact app name.
    pub app: Option<String>,
    /// Exact WeCom userid.
    pub userid: Option<String>,
    /// How the request ended.
    pub result: Option<AuditResult>,
    /// What happened.
    pub event: Option<AuditKind>,
    /// Rows at or after this Unix second.
    pub since: Option<i64>,
    /// Rows before this Unix second.
    pub until: Option<i64>,
    /// Rows older than this row ID (the next page).
    pub before_id: Option<i64>,
    /// At most this many rows (capped at 10 000).
    pub limit: i64,
}

/// One audit row with its ID (for paging).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    /// Row ID, increasing with time.
    pub id: i64,
    /// The row.
    #[sqlx(flatten)]
    pub row: AuditRow,
}

impl Store {
    /// Appends an audit row; returns once it is committed (rows arriving together share one
    /// `INSERT`, see `audit_batch`).
    pub async fn audit(&self, a: &AuditRow) -> Result<()> {
        self.audit_batch.write(a.clone()).await
    }

    /// The latest `limit` audit rows, newest first.
    pub async fn audit_rows(&self, limit: i64) -> Result<Vec<AuditRow>> {
        let q = AuditQuery {
            limit,
            ..AuditQuery::default()
        };
        Ok(self
            .audit_search(&q)
            .await?
            .into_iter()
            .map(|e| e.row)
            .collect())
    }

    /// Audit rows matching `q`, newest first.
    pub async fn audit_search(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let mut sql = String::from(
            "SELECT id, at, event, app, userid, result, reason, client_ip, request_id, actor, \
             detail FROM audit WHERE 1 = 1",
        );
        let mut texts: Vec<&str> = Vec::new();
        let mut ints: Vec<i64> = Vec::new();
        // Placeholders are numbered in bind order: every text filter first, then the integers.
        for (col, v) in [
            ("app", q.app.as_deref()),
            ("userid", q.userid.as_deref()),
            ("result", q.result.map(AuditResult::as_str)),
            ("event", q.event.map(AuditKind::as_str)),
        ] {
            if let Some(v) = v {
                texts.push(v);
                sql.push_str(&format!(" AND {col} = ${}", texts.len()));
            }
        }
        for (cond, v) in [("at >=", q.since), ("at <", q.until), ("id <", q.before_id)] {
            if let Some(v) = v {
                ints.push(v);
                sql.push_str(&format!(" AND {cond} ${}", texts.len() + ints.len()));
            }
        }
        ints.push(q.limit.clamp(1, 10_000));
        sql.push_str(&format!(
            " ORDER BY id DESC LIMIT ${}",
            texts.len() + ints.len()
        ));
        let mut query = sqlx::query_as(&sql);
        for t in &texts {
            query = query.bind(*t);
        }
        for i in &ints {
            query = query.bind(*i);
        }
        Ok(query.fetch_all(&self.pool).await?)
    }

    /// Deletes expired sessions (IdP and admin), login states, logout chains, bind pages and
    /// replay entries;
    /// returns how many rows went. `idle_cutoff`: IdP sessions unused since before it are gone too.
    /// Login states and bind pages are kept an hour past expiry so a late request is told
    /// "expired" rather than "unknown".
    pub async fn purge_expired(&self, now: i64, idle_cutoff: i64) -> Result<u64> {
        let mut n = 0;
        n += sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen < $2")
            .bind(now)
            .bind(idle_cutoff)
            .execute(&self.pool)
            .await?
            .rows_affected();
        n += sqlx::query("DELETE FROM admin_sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected();
        n += sqlx::query("DELETE FROM login_states WHERE expires_at <= $1")
            .bind(now - 3600)
            .execute(&self.pool)
            .await?
            .rows_affected();
        n += sqlx::query("DELETE FROM logout_chains WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected();
        n += sqlx::query("DELETE FROM replay_cache WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected();
        // Bind pages outlive their expiry by an hour, like login states, so a late
        // double submit still finds its row and gets the page's own "expired" answer.
        n += sqlx::query("DELETE FROM bind_states WHERE expires_at <= $1")
            .bind(now - 3600)
            .execute(&self.pool)
            .await?
            .rows_affected();
        n += self.purge_oidc(now).await?;
        Ok(n)
    }

    /// Deletes audit rows older than `before` (Unix seconds), oldest first, at most `batch` rows per
    /// statement so a large backlog never holds the table for long; stops after `max_batches`
    /// statements (the next run goes on). Returns how many rows went.
    pub async fn purge_audit(&self, before: i64, batch: i64, max_batches: u32) -> Result<u64> {
        let mut n = 0;
        for _ in 0..max_batches {
            let deleted = sqlx::query(
                "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < $1 ORDER BY id \
                 LIMIT $2)",
            )
            .bind(before)
            .bind(batch)
            .execute(&self.pool)
            .await?
            .rows_affected();
            n += deleted;
            let full = i64::try_from(deleted).is_ok_and(|d| d >= batch);
            if deleted == 0 || !full {
                break;
            }
        }
        Ok(n)
    }
}
