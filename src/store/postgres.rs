//! What is PostgreSQL-specific: the embedded `migrations/postgres` set. Several instances may run the
//! migrations at once; sqlx serialises them with an advisory lock.

use sqlx::migrate::Migrator;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// The embedded PostgreSQL migrations.
pub(super) fn migrator() -> &'static Migrator {
    &MIGRATOR
}
