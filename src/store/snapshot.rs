//! The one read a sign-in request starts with: the versions an instance checks its caches against
//! (console settings, apps) and, when the browser sent a session cookie, that session with its
//! account's status — in a single round trip, so answering a member with a live session costs one
//! read and the audit write.

use super::{Result, SessionRow, Store, StoreError};
use sqlx::Row;

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
    pub session: Option<(SessionRow, Option<String>)>,
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
        "SELECT r.n, \
         (SELECT version FROM settings WHERE name = $3), \
         (SELECT version FROM settings WHERE name = $4), \
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
    for (i, name) in settings.iter().enumerate() {
        if let Some(v) = row.try_get::<Option<i64>, _>(i + 1)? {
            setting_versions.push(((*name).to_string(), v));
        }
    }
    let session = match row.try_get::<Option<String>, _>(3)? {
        Some(id_hash) if session_hash.is_some() => Some((
            SessionRow {
                id_hash,
                userid: row.try_get(4)?,
                profile_json: row.try_get(5)?,
                authn_instant: row.try_get(6)?,
                last_seen: row.try_get(7)?,
                expires_at: row.try_get(8)?,
            },
            row.try_get(9)?,
        )),
        _ => None,
    };
    Ok(Snapshot {
        setting_versions,
        apps_revision: row.try_get(0)?,
        session,
    })
}
