//! WeCom login states: single use, bound to a browser, consumed in one conditional update; and the
//! AuthnRequest replay cache.

use super::{Consumed, Result, Store};
use std::net::IpAddr;

/// A consumed (or foreign, or expired) login state, as a repeated callback finds it.
#[derive(sqlx::FromRow)]
struct SeenState {
    browser_hash: String,
    expires_at: i64,
    consumed_at: Option<i64>,
    code_hash: Option<String>,
    result_session: Option<String>,
    pending_json: String,
}

impl Store {
    /// Stores a single-use WeCom login state bound to a browser.
    pub async fn create_login_state(
        &self,
        state: &str,
        browser_hash: &str,
        pending_json: &str,
        now: i64,
        expires_at: i64,
        client_ip: Option<IpAddr>,
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
        .bind(client_ip.map(|ip| ip.to_string()))
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
        let fresh: Option<String> = sqlx::query_scalar(
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
        if let Some(pending_json) = fresh {
            return Ok(Consumed::Fresh { pending_json });
        }
        let row: Option<SeenState> = sqlx::query_as(
            "SELECT browser_hash, expires_at, consumed_at, code_hash, result_session, pending_json \
             FROM login_states WHERE state = $1",
        )
        .bind(state)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(Consumed::Unknown);
        };
        let expires_at = row.expires_at;
        if !crate::crypto::constant_time_eq(row.browser_hash.as_bytes(), browser_hash.as_bytes()) {
            return Ok(Consumed::Foreign);
        }
        if row.consumed_at.is_none() {
            // Not consumed, same browser: it can only have expired.
            return Ok(if expires_at <= now {
                Consumed::Expired
            } else {
                Consumed::Unknown
            });
        }
        match row.code_hash {
            // A repeat is only honoured within the state's lifetime.
            Some(_) if expires_at <= now => Ok(Consumed::Expired),
            Some(c) if crate::crypto::constant_time_eq(c.as_bytes(), code_hash.as_bytes()) => {
                Ok(Consumed::Repeat {
                    result_session: row.result_session,
                    pending_json: row.pending_json,
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
        let row: Option<Option<String>> =
            sqlx::query_scalar("SELECT result_session FROM login_states WHERE state = $1")
                .bind(state)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.flatten())
    }

    /// Counts every login state not yet expired (the table-size cap across all clients).
    pub async fn live_login_states_total(&self, now: i64) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM login_states WHERE expires_at > $1")
                .bind(now)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Counts live login states started from a client IP (abuse cap across browsers).
    pub async fn live_login_states_from_ip(&self, client_ip: IpAddr, now: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_states WHERE client_ip = $1 AND expires_at > $2 \
             AND consumed_at IS NULL",
        )
        .bind(client_ip.to_string())
        .bind(now)
        .fetch_one(&self.pool)
        .await?)
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

    /// Forgets a remembered request, so the same one is taken again: for a request whose work
    /// failed after it was remembered, which its sender will retry.
    pub async fn forget_request(&self, issuer: &str, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM replay_cache WHERE issuer = $1 AND request_id = $2")
            .bind(issuer)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
