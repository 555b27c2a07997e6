//! The one read a sign-in request starts with: the versions an instance checks its caches against
//! (console settings, apps) and, when the browser sent a session cookie, that session with its
//! account's status — in a single round trip, so answering a member with a live session costs one
//! read and the audit write.

use super::{AccountStatus, Result, SessionRow, Store, StoreError};
use sqlx::{FromRow, Row};

/// What [`Store::request_snapshot`] read.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// `(name, version)` of the stored console settings among the names asked for that exist, by
    /// name (the shape [`Store::setting_versions`] returns).
    pub setting_versions: Vec<(String, i64)>,
    /// The apps' change counter (bumped by the database on every app insert, update and delete).
    pub apps_revision: i64,
    /// The session with the given hash and its account's status for the given corp (`None` when
    /// unbound), when the session exists.
    pub session: Option<(SessionRow, Option<AccountStatus>)>,
}

impl Store {
    /// Reads the cache versions and, if `session_hash` is given, the session joined with the status
    /// of the account bound to its member in `corp_id` — one query. `settings` are the names whose
    /// versions to report, in ascending order.
    pub async fn request_snapshot(
        &self,
        settings: [&str; 2],
        session_hash: Option<&str>,
        corp_id: &str,
    ) -> Result<Snapshot> {
        if let Some(mut kept) = self.readers.borrow(&self.pool).await {
            if let Some(conn) = kept.conn() {
                let read = snapshot_query(settings, session_hash, corp_id).fetch_one(conn);
                match tokio::time::timeout(self.readers.timeout(), read).await {
                    Ok(Ok(row)) => return snapshot_from_row(&row, settings, session_hash),
                    // Whatever broke the kept connection, the pool (with its own checks) answers.
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, "kept read connection failed; reading through the pool")
                    }
                    // A database that does not answer within the pool's acquire timeout is
                    // unavailable: trying the pool too would only double the wait for the same 503.
                    Err(_) => {
                        kept.discard();
                        return Err(StoreError::Unavailable(sqlx::Error::PoolTimedOut));
                    }
                }
            }
            kept.discard();
        }
        let row = snapshot_query(settings, session_hash, corp_id)
            .fetch_one(&self.pool)
            .await?;
        snapshot_from_row(&row, settings, session_hash)
    }
}

/// The snapshot's one query.
fn snapshot_query<'q>(
    settings: [&'q str; 2],
    session_hash: Option<&'q str>,
    corp_id: &'q str,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    sqlx::query(
        "SELECT r.n AS apps_revision, \
         (SELECT version FROM settings WHERE name = $3) AS setting_0, \
         (SELECT version FROM settings WHERE name = $4) AS setting_1, \
         s.id_hash, s.userid, s.profile_json, s.authn_instant, s.last_seen, s.expires_at, a.status \
         FROM revisions r \
         LEFT JOIN sessions s ON s.id_hash = $1 \
         LEFT JOIN bindings b ON b.corp_id = $2 AND b.userid = s.userid \
         LEFT JOIN accounts a ON a.id = b.account_id \
         WHERE r.name = 'apps'",
    )
    .bind(session_hash.unwrap_or(""))
    .bind(corp_id)
    .bind(settings[0])
    .bind(settings[1])
}

/// Reads the snapshot's row.
fn snapshot_from_row(
    row: &sqlx::any::AnyRow,
    settings: [&str; 2],
    session_hash: Option<&str>,
) -> Result<Snapshot> {
    let mut setting_versions = Vec::new();
    for (column, name) in ["setting_0", "setting_1"].into_iter().zip(settings) {
        if let Some(v) = row.try_get::<Option<i64>, _>(column)? {
            setting_versions.push((name.to_string(), v));
        }
    }
    // The session's columns are null when there is no such session (an outer join).
    let session = match row.try_get::<Option<&str>, _>("id_hash")? {
        Some(_) if session_hash.is_some() => {
            Some((SessionRow::from_row(row)?, row.try_get("status")?))
        }
        _ => None,
    };
    Ok(Snapshot {
        setting_versions,
        apps_revision: row.try_get("apps_revision")?,
        session,
    })
}
