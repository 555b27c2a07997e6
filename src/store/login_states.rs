//! WeCom login states: single use, bound to a browser, consumed in one conditional update; and the
//! AuthnRequest replay cache.

use super::{Consumed, Result, Store};
use sqlx::Row;

impl Store {
    /// Stores a single-use WeCom login state bound to a browser.
    pub async fn create_login_state(
        &self,
        state: &str,
        browser_hash: &str,
        pending_json: &str,
        now: i64,
        expires_at: i64,
        client_ip: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO login_states (state, browser_hash, pending_json, created_at, expires_at, \
             client_ip) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(state)
        .bind(browser_hash)
        .bind(pending_json)
        .bind(now)
        .bind(expires_at)
        .bind(client_ip)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Consumes a login state in one conditional update; see [`Consumed`].
    pub async fn consume_login_state(
        &self,
        state: &str,
        browser_hash: &str,
        code_hash: &str,
        now: i64,
    ) -> Result<Consumed> {
        let fresh = sqlx::query(
            "UPDATE login_states SET consumed_at = $4, code_hash = $3 \
             WHERE state = $1 AND browser_hash = $2 AND consumed_at IS NULL AND expires_at > $4 \
             RETURNING pending_json",
        )
        .bind(state)
        .bind(browser_hash)
        .bind(code_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = fresh {
            return Ok(Consumed::Fresh {
                pending_json: row.try_get(0)?,
            });
        }
        let row = sqlx::query(
            "SELECT browser_hash, expires_at, consumed_at, code_hash, result_session, pending_json \
             FROM login_states WHERE state = $1",
        )
        .bind(state)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(Consumed::Unknown);
        };
        let owner: String = row.try_get(0)?;
        let expires_at: i64 = row.try_get(1)?;
        let consumed_at: Option<i64> = row.try_get(2)?;
        let used_code: Option<String> = row.try_get(3)?;
        if !crate::crypto::constant_time_eq(owner.as_bytes(), browser_hash.as_bytes()) {
            return Ok(Consumed::Foreign);
        }
        if consumed_at.is_none() {
            // Not consumed, same browser: it can only have expired.
            return Ok(if expires_at <= now {
                Consumed::Expired
            } else {
                Consumed::Unknown
            });
        }
        match used_code {
            // A repeat is only honoured within the state's lifetime.
            Some(_) if expires_at <= now => Ok(Consumed::Expired),
            Some(c) if crate::crypto::constant_time_eq(c.as_bytes(), code_hash.as_bytes()) => {
                Ok(Consumed::Repeat {
                    result_session: row.try_get(4)?,
                    pending_json: row.try_get(5)?,
                })
            }
            _ => Ok(Consumed::Used),
        }
    }

    /// Records the session a consumed login state produced (for a repeated callback).
    pub async fn set_login_result(&self, state: &str, session_token: &str) -> Result<()> {
        sqlx::query("UPDATE login_states SET result_session = $2 WHERE state = $1")
            .bind(state)
            .bind(session_token)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The session a consumed login state produced, once it has.
    pub async fn login_result(&self, state: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT result_session FROM login_states WHERE state = $1")
            .bind(state)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(r.try_get(0)?),
            None => Ok(None),
        }
    }

    /// Counts every login state not yet expired (the table-size cap across all clients).
    pub async fn live_login_states_total(&self, now: i64) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) FROM login_states WHERE expires_at > $1")
            .bind(now)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// Counts live login states started from a client IP (abuse cap across browsers).
    pub async fn live_login_states_from_ip(&self, client_ip: &str, now: i64) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM login_states WHERE client_ip = $1 AND expires_at > $2 \
             AND consumed_at IS NULL",
        )
        .bind(client_ip)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// Remembers an AuthnRequest ID; false when it was already seen (a replay).
    pub async fn remember_request(&self, issuer: &str, id: &str, expires_at: i64) -> Result<bool> {
        let r = sqlx::query(
            "INSERT INTO replay_cache (issuer, request_id, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (issuer, request_id) DO NOTHING",
        )
        .bind(issuer)
        .bind(id)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }
}
