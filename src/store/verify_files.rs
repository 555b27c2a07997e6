//! WeCom's domain-ownership files (`WW_verify_<code>.txt`) as uploaded: name, content, when. The
//! admin domain (`admin::verify_files`) checks names and content before anything reaches here.

use super::{Result, Store, StoreError};

/// One stored ownership file.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct VerifyFileRow {
    /// `WW_verify_<code>.txt`.
    pub name: String,
    /// The file's content, exactly as uploaded.
    pub content: String,
    /// Unix seconds.
    pub created_at: i64,
}

impl Store {
    /// Stores a new file; [`StoreError::Conflict`] when one of that name exists.
    pub async fn add_verify_file(&self, row: &VerifyFileRow) -> Result<()> {
        let r = sqlx::query(
            "INSERT INTO wecom_verify_files (name, content, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(&row.name)
        .bind(&row.content)
        .bind(row.created_at)
        .execute(&self.pool)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "verification file {}",
                row.name
            )));
        }
        Ok(())
    }

    /// The file of this name.
    pub async fn verify_file(&self, name: &str) -> Result<Option<VerifyFileRow>> {
        Ok(sqlx::query_as(
            "SELECT name, content, created_at FROM wecom_verify_files WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Every file, by name.
    pub async fn verify_files(&self) -> Result<Vec<VerifyFileRow>> {
        Ok(
            sqlx::query_as(
                "SELECT name, content, created_at FROM wecom_verify_files ORDER BY name",
            )
            .fetch_all(&self.pool)
            .await?,
        )
    }

    /// Deletes a file; whether it existed.
    pub async fn remove_verify_file(&self, name: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM wecom_verify_files WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }
}
