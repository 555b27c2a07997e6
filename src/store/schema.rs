//! The schema's migration state, read without changing anything (for `serve --check`): which of
//! this binary's migrations the database has applied, and whether it holds some this binary does
//! not know (a newer wecom-idp migrated it).

use super::{Backend, Result, Store};

/// How the database's schema compares with this binary's migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaState {
    /// Migrations this binary has.
    pub known: usize,
    /// Versions of this binary's migrations the database has not applied yet (`serve` and
    /// `migrate` apply them).
    pub pending: Vec<i64>,
    /// Versions applied to the database that this binary does not have.
    pub unknown: Vec<i64>,
}

impl Store {
    /// Whether the database has applied exactly this binary's migrations (see [`up_to_date`]): a
    /// start then skips the migrator.
    pub async fn schema_up_to_date(&self) -> Result<bool> {
        let migrator = match self.backend {
            Backend::Sqlite => super::sqlite::migrator(),
            Backend::Postgres => super::postgres::migrator(),
        };
        let mut conn = self.pool.acquire().await?;
        Ok(up_to_date(&mut conn, migrator).await)
    }

    /// The migration state of the database, without applying anything.
    pub async fn schema_state(&self) -> Result<SchemaState> {
        let migrator = match self.backend {
            Backend::Sqlite => super::sqlite::migrator(),
            Backend::Postgres => super::postgres::migrator(),
        };
        let known: Vec<i64> = migrator
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .map(|m| m.version)
            .collect();
        let exists_sql = match self.backend {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = \
                 '_sqlx_migrations' AND table_schema = current_schema()"
            }
        };
        let exists: i64 = sqlx::query_scalar(exists_sql).fetch_one(&self.pool).await?;
        let applied: Vec<i64> = if exists > 0 {
            sqlx::query_scalar(
                "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
            )
            .fetch_all(&self.pool)
            .await?
        } else {
            Vec::new()
        };
        Ok(SchemaState {
            known: known.len(),
            pending: known
                .iter()
                .filter(|v| !applied.contains(v))
                .copied()
                .collect(),
            unknown: applied
                .iter()
                .filter(|v| !known.contains(v))
                .copied()
                .collect(),
        })
    }
}

/// Whether the database has applied exactly this binary's migrations, each successfully and with the
/// same checksum: then a start needs none of the migrator's work (its lock, its `CREATE TABLE IF NOT
/// EXISTS`, its checks) — one read instead of seven round trips. Anything else (no table yet, a
/// pending, failed, changed or unknown migration, an error) answers `false`, and the migrator runs
/// and reports as it always does.
pub(super) async fn up_to_date(
    conn: &mut sqlx::AnyConnection,
    migrator: &sqlx::migrate::Migrator,
) -> bool {
    // `success` as a number: SQLite stores the BOOLEAN column as an integer.
    let Ok(rows) = sqlx::query_as::<_, Applied>(
        "SELECT version, checksum, CAST(CASE WHEN success THEN 1 ELSE 0 END AS BIGINT) AS success \
         FROM _sqlx_migrations ORDER BY version",
    )
    .fetch_all(&mut *conn)
    .await
    else {
        return false;
    };
    let known: Vec<&sqlx::migrate::Migration> = migrator
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .collect();
    rows.len() == known.len()
        && rows.iter().zip(known).all(|(row, m)| {
            row.version == m.version && row.checksum == m.checksum.as_ref() && row.success == 1
        })
}

/// One applied migration as `_sqlx_migrations` records it.
#[derive(sqlx::FromRow)]
struct Applied {
    version: i64,
    checksum: Vec<u8>,
    /// 1 when it succeeded (a number: SQLite stores the BOOLEAN column as an integer).
    success: i64,
}
