//! `[server]` (how connections are accepted, timed out and capped) and `[database]` (how long a
//! request waits for the database before it is told the database is unavailable). Both exist so
//! that a hostile client or a database outage costs seconds, never the whole service.

use super::{err, ConfigError};
use serde::{Deserialize, Serialize};

/// `[server]`: connection handling (see README, Operations and Sizing).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// A client must send a request's complete headers within this many seconds of starting it;
    /// the same timer closes a kept-alive connection that sends no next request for this long.
    pub header_read_timeout_secs: u64,
    /// Open connections in total; 0 derives it from the open-files limit (leaving room for the
    /// database pool, WeCom calls and files).
    pub max_connections: u64,
    /// Open connections from one client address (trusted proxies are exempt); 0 means
    /// `min(4096, max_connections / 2)`: room for an office behind one NAT address, yet never the
    /// whole server for one source.
    pub max_connections_per_ip: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            header_read_timeout_secs: 10,
            max_connections: 0,
            max_connections_per_ip: 0,
        }
    }
}

/// `[database]`: pool behaviour during faults (`database_url` stays at the top level).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// How long a request waits for a database connection (including opening a new one) before it
    /// is answered 503 "database unavailable", milliseconds.
    pub acquire_timeout_ms: u64,
    /// How long `/readyz` waits for the database to answer before it says not ready, milliseconds.
    pub ready_timeout_ms: u64,
    /// Connections kept open while idle; 0 opens them on demand. Connections that died during an
    /// outage are tested before use and replaced, so instances recover without a restart.
    pub min_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        let pool = crate::store::PoolSettings::default();
        Self {
            acquire_timeout_ms: u64::try_from(pool.acquire_timeout.as_millis()).unwrap_or(1500),
            ready_timeout_ms: 1000,
            min_connections: pool.min_connections,
        }
    }
}

impl DatabaseConfig {
    /// The pool's settings these values give.
    pub fn pool(&self) -> crate::store::PoolSettings {
        crate::store::PoolSettings {
            acquire_timeout: std::time::Duration::from_millis(self.acquire_timeout_ms),
            min_connections: self.min_connections,
        }
    }
}

impl ServerConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.header_read_timeout_secs == 0 || self.header_read_timeout_secs > 300 {
            return Err(err(
                "server.header_read_timeout_secs",
                "must be between 1 and 300",
            ));
        }
        if self.max_connections != 0 && self.max_connections < 16 {
            return Err(err(
                "server.max_connections",
                "must be at least 16 (or 0 to derive it from the open-files limit)",
            ));
        }
        Ok(())
    }
}

impl DatabaseConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if !(100..=60_000).contains(&self.acquire_timeout_ms) {
            return Err(err(
                "database.acquire_timeout_ms",
                "must be between 100 and 60000 (1.5 s is the default)",
            ));
        }
        if !(100..=60_000).contains(&self.ready_timeout_ms) {
            return Err(err(
                "database.ready_timeout_ms",
                "must be between 100 and 60000 (1 s is the default)",
            ));
        }
        if self.min_connections > 16 {
            return Err(err(
                "database.min_connections",
                "must be at most 16 (the pool's size)",
            ));
        }
        Ok(())
    }
}
