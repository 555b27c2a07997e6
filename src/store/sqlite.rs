//! What is SQLite-specific: the connection URL (create the file when missing), per-connection
//! pragmas, and the embedded `migrations/sqlite` set.

use sqlx::migrate::Migrator;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// The embedded SQLite migrations.
pub(super) fn migrator() -> &'static Migrator {
    &MIGRATOR
}

/// Adds `mode=rwc` so a missing database file is created.
pub(super) fn connect_url(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// WAL for concurrent readers, a busy timeout (`busy_ms`, the pool's acquire timeout: a lock held
/// longer by another process is an outage answered 503) instead of immediate "database is
/// locked", foreign keys.
pub(super) async fn after_connect(
    conn: &mut sqlx::AnyConnection,
    busy_ms: u64,
) -> Result<(), sqlx::Error> {
    use sqlx::Executor;
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.execute(format!("PRAGMA busy_timeout = {busy_ms}").as_str())
        .await?;
    conn.execute("PRAGMA foreign_keys = ON").await?;
    conn.execute("PRAGMA synchronous = NORMAL").await?;
    // Deleted or overwritten content (a plain key sealed at upgrade) is zeroed, not left in free pages.
    conn.execute("PRAGMA secure_delete = ON").await?;
    Ok(())
}
