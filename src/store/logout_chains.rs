//! Logout chains: the state of one Single Logout (which SPs are still to be told, whom we wait
//! for, whom to answer at the end) as JSON the login domain owns, keyed by a random ID, so any
//! instance can carry the chain on.

use super::{Result, Store};

impl Store {
    /// Stores a new chain.
    pub async fn create_logout_chain(
        &self,
        id: &str,
        chain_json: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO logout_chains (id, chain_json, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(chain_json)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The chain with this ID while it has not expired.
    pub async fn logout_chain(&self, id: &str, now: i64) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT chain_json FROM logout_chains WHERE id = $1 AND expires_at > $2",
        )
        .bind(id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Replaces a chain's state, only if it still is `expected` (two tabs or instances moving
    /// the same chain on: the second sees false and reads it again).
    pub async fn update_logout_chain(&self, id: &str, expected: &str, next: &str) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE logout_chains SET chain_json = $3 WHERE id = $1 AND chain_json = $2",
        )
        .bind(id)
        .bind(expected)
        .bind(next)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Ends a chain.
    pub async fn delete_logout_chain(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM logout_chains WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
