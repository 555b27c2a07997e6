//! Signing keys and instance secrets: first writer wins, so instances starting together converge.
//! Key rollover moves a key `next` → `active` (the old active becomes `previous`) → `retired`, each
//! step one conditional statement (or one transaction), so two admins racing cannot leave two active
//! keys or none.

use super::{KeyRow, Result, Store};

impl Store {
    /// Stores a key unless one with `id` exists (several instances starting at once converge on the
    /// first one stored). Returns whether this call stored it.
    pub async fn insert_key_if_absent(&self, key: &KeyRow) -> Result<bool> {
        let r = sqlx::query(
            "INSERT INTO signing_keys (id, key_pem, cert_pem, state, created_at, key_enc, \
             master_key_id, ec_key_enc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&key.id)
        .bind(&key.key_pem)
        .bind(&key.cert_pem)
        .bind(key.state)
        .bind(key.created_at)
        .bind(&key.key_enc)
        .bind(&key.master_key_id)
        .bind(&key.ec_key_enc)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Every signing key, oldest first.
    pub async fn signing_keys(&self) -> Result<Vec<KeyRow>> {
        Ok(sqlx::query_as(
            "SELECT id, key_pem, cert_pem, state, created_at, key_enc, master_key_id, \
             activated_at, retired_at, ec_key_enc FROM signing_keys ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Makes the `next` key `id` the active one and the active key `previous`, in one transaction.
    /// Returns false (and changes nothing) when `id` is not a `next` key.
    pub async fn activate_key(&self, id: &str, now: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let promoted = sqlx::query(
            "UPDATE signing_keys SET state = 'active', activated_at = $2 \
             WHERE id = $1 AND state = 'next'",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if promoted != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "UPDATE signing_keys SET state = 'previous' WHERE state = 'active' AND id <> $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Retires a `next` or `previous` key: it leaves the metadata and the JWKS, and its private
    /// keys (RSA and P-256) are erased (the certificate stays, for the record). Returns false when `id` is not such a key.
    pub async fn retire_key(&self, id: &str, now: i64) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE signing_keys SET state = 'retired', retired_at = $2, key_enc = NULL, \
             key_pem = '', ec_key_enc = NULL WHERE id = $1 AND state IN ('next', 'previous')",
        )
        .bind(id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Seals a key stored in plain PEM (a row from before keys were sealed): stores `key_enc` and the master
    /// key ID and empties `key_pem`, unless another instance sealed it first. Returns whether it did.
    pub async fn seal_plain_key(
        &self,
        id: &str,
        key_enc: &str,
        master_key_id: &str,
    ) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE signing_keys SET key_enc = $2, master_key_id = $3, key_pem = '' \
             WHERE id = $1 AND key_enc IS NULL",
        )
        .bind(id)
        .bind(key_enc)
        .bind(master_key_id)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Replaces a sealed key (and its P-256 companion, `ec_key_enc`) by the same keys sealed under
    /// another master key (rotation), if it is still sealed under `old_master_key_id`. Returns
    /// whether it did.
    pub async fn reseal_key(
        &self,
        id: &str,
        old_master_key_id: &str,
        key_enc: &str,
        ec_key_enc: Option<&str>,
        new_master_key_id: &str,
    ) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE signing_keys SET key_enc = $3, master_key_id = $4, key_pem = '', \
             ec_key_enc = $5 WHERE id = $1 AND master_key_id = $2",
        )
        .bind(id)
        .bind(old_master_key_id)
        .bind(key_enc)
        .bind(new_master_key_id)
        .bind(ec_key_enc)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Gives the key `id` its P-256 companion `ec_key_enc` (sealed under `master_key_id`) unless it
    /// has one, is retired, or is sealed under another master key: instances starting together keep
    /// the first one stored. Returns whether this call stored it.
    pub async fn add_ec_companion(
        &self,
        id: &str,
        ec_key_enc: &str,
        master_key_id: &str,
    ) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE signing_keys SET ec_key_enc = $2 WHERE id = $1 AND ec_key_enc IS NULL \
             AND master_key_id = $3 AND state IN ('active', 'next')",
        )
        .bind(id)
        .bind(ec_key_enc)
        .bind(master_key_id)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// The instance secret `name`, creating it from `candidate` when absent (first writer wins).
    pub async fn instance_secret(&self, name: &str, candidate: &str, now: i64) -> Result<String> {
        sqlx::query(
            "INSERT INTO instance_secrets (name, value, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(candidate)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM instance_secrets WHERE name = $1")
                .bind(name)
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
