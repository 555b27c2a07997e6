//! Persistence of everything instances share: apps, signing keys, instance secrets, IdP sessions, WeCom
//! login states, the AuthnRequest replay cache, pairwise NameIDs and the audit log.
//!
//! One [`Store`] over an sqlx `AnyPool`: every query is written once and runs on SQLite and PostgreSQL
//! (integers are Unix seconds, `$N` placeholders work on both). What differs per database — connection
//! options and the embedded migration set — lives in [`sqlite`] and [`postgres`].

mod postgres;
mod sqlite;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A local file; the embedded default.
    Sqlite,
    /// Shared by several instances.
    Postgres,
}

/// A storage failure. The detail is for the log, never for a browser.
#[derive(Debug)]
pub enum StoreError {
    /// The database could not be reached or answered with an error.
    Database(sqlx::Error),
    /// A migration failed.
    Migrate(sqlx::migrate::MigrateError),
    /// A row that must be unique already exists (`what` names it).
    Conflict(String),
    /// Stored data could not be decoded (corrupt JSON, say).
    Corrupt(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Database(e) => write!(f, "database error: {e}"),
            Self::Migrate(e) => write!(f, "migration failed: {e}"),
            Self::Conflict(what) => write!(f, "{what} already exists"),
            Self::Corrupt(what) => write!(f, "stored data is corrupt: {what}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        Self::Database(e)
    }
}

type Result<T> = std::result::Result<T, StoreError>;

/// A stored app row (the domain type lives in [`crate::apps`]).
#[derive(Debug, Clone)]
pub struct AppRow {
    /// `[a-z0-9-]{1,64}`.
    pub name: String,
    /// The SP's entity ID (unique).
    pub entity_id: String,
    /// `SpMetadata` as JSON.
    pub metadata_json: String,
    /// `AppSettings` as JSON.
    pub settings_json: String,
    /// The metadata document as uploaded, for reference.
    pub metadata_xml: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// A stored signing key.
#[derive(Debug, Clone)]
pub struct KeyRow {
    /// Stable key ID.
    pub id: String,
    /// PEM private key.
    pub key_pem: String,
    /// PEM certificate.
    pub cert_pem: String,
    /// `active`, `next` or `retired`.
    pub state: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// A stored IdP session (keyed by the hash of the cookie value).
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// SHA-256 of the cookie value, hex.
    pub id_hash: String,
    /// WeCom userid.
    pub userid: String,
    /// The member's profile at login, JSON.
    pub profile_json: String,
    /// When WeCom authenticated the member, Unix seconds.
    pub authn_instant: i64,
    /// Last use, Unix seconds (idle timeout).
    pub last_seen: i64,
    /// Absolute end, Unix seconds.
    pub expires_at: i64,
}

/// What consuming a login state found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consumed {
    /// First use: go on with this pending login.
    Fresh {
        /// The pending login, JSON.
        pending_json: String,
    },
    /// The same browser repeated the same callback: give it the first result.
    Repeat {
        /// The pending login, JSON.
        pending_json: String,
        /// The session the first callback created, if it has finished.
        result_session: Option<String>,
    },
    /// No such state.
    Unknown,
    /// Started by another browser.
    Foreign,
    /// Past its lifetime.
    Expired,
    /// Already used with another code.
    Used,
}

/// One audit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// Unix seconds.
    pub at: i64,
    /// `login`, `sso_request`, `app_add`, …
    pub event: String,
    /// App name when known.
    pub app: Option<String>,
    /// WeCom userid when known.
    pub userid: Option<String>,
    /// `success`, `refused`, `error`.
    pub result: String,
    /// Short machine-readable reason.
    pub reason: String,
    /// Client IP as seen by us.
    pub client_ip: Option<String>,
    /// SAML request ID when there was one.
    pub request_id: Option<String>,
}

/// The store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Connects to `url` (`sqlite://PATH`, created when missing, or `postgres://…`).
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let (backend, url, max) = if url.starts_with("sqlite:") {
            (Backend::Sqlite, sqlite::connect_url(url), 4)
        } else {
            (Backend::Postgres, url.to_string(), 16)
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        sqlite::after_connect(conn).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        Ok(Self { pool, backend })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Brings the schema up to date (also run at every start).
    pub async fn migrate(&self) -> Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlite::migrator(),
            Backend::Postgres => postgres::migrator(),
        };
        migrator.run(&self.pool).await.map_err(StoreError::Migrate)
    }

    /// Whether the database answers (`/readyz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    // ---- apps ----

    /// Adds an app; a name or entity ID that exists is a [`StoreError::Conflict`].
    pub async fn insert_app(&self, app: &AppRow) -> Result<()> {
        if self.app(&app.name).await?.is_some() {
            return Err(StoreError::Conflict(format!("an app named `{}`", app.name)));
        }
        if self.app_by_entity_id(&app.entity_id).await?.is_some() {
            return Err(StoreError::Conflict(format!(
                "an app with entity ID `{}`",
                app.entity_id
            )));
        }
        sqlx::query(
            "INSERT INTO apps (name, entity_id, metadata_json, settings_json, metadata_xml, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&app.name)
        .bind(&app.entity_id)
        .bind(&app.metadata_json)
        .bind(&app.settings_json)
        .bind(&app.metadata_xml)
        .bind(app.created_at)
        .bind(app.updated_at)
        .execute(&self.pool)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Conflict(format!("an app named `{}` or with its entity ID", app.name))
            }
            e => e.into(),
        })?;
        Ok(())
    }

    /// Replaces an app's metadata and settings.
    pub async fn update_app(&self, app: &AppRow) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE apps SET entity_id = $2, metadata_json = $3, settings_json = $4, \
             metadata_xml = $5, updated_at = $6 WHERE name = $1",
        )
        .bind(&app.name)
        .bind(&app.entity_id)
        .bind(&app.metadata_json)
        .bind(&app.settings_json)
        .bind(&app.metadata_xml)
        .bind(app.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// The app called `name`.
    pub async fn app(&self, name: &str) -> Result<Option<AppRow>> {
        let row = sqlx::query(&format!("{APP_COLUMNS} WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| app_row(&r)).transpose()
    }

    /// The app whose SP entity ID is `entity_id`.
    pub async fn app_by_entity_id(&self, entity_id: &str) -> Result<Option<AppRow>> {
        let row = sqlx::query(&format!("{APP_COLUMNS} WHERE entity_id = $1"))
            .bind(entity_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| app_row(&r)).transpose()
    }

    /// Every app, by name.
    pub async fn apps(&self) -> Result<Vec<AppRow>> {
        let rows = sqlx::query(&format!("{APP_COLUMNS} ORDER BY name"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(app_row).collect()
    }

    /// Removes an app; false when there was none.
    pub async fn remove_app(&self, name: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM apps WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM pairwise_ids WHERE app = $1")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    // ---- keys and instance secrets ----

    /// Stores a key unless one with `id` exists (several instances starting at once converge on the
    /// first one stored). Returns whether this call stored it.
    pub async fn insert_key_if_absent(&self, key: &KeyRow) -> Result<bool> {
        let r = sqlx::query(
            "INSERT INTO signing_keys (id, key_pem, cert_pem, state, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&key.id)
        .bind(&key.key_pem)
        .bind(&key.cert_pem)
        .bind(&key.state)
        .bind(key.created_at)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Every signing key, oldest first.
    pub async fn signing_keys(&self) -> Result<Vec<KeyRow>> {
        let rows = sqlx::query(
            "SELECT id, key_pem, cert_pem, state, created_at FROM signing_keys ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(KeyRow {
                    id: r.try_get(0)?,
                    key_pem: r.try_get(1)?,
                    cert_pem: r.try_get(2)?,
                    state: r.try_get(3)?,
                    created_at: r.try_get(4)?,
                })
            })
            .collect()
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
        let row = sqlx::query("SELECT value FROM instance_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    // ---- sessions ----

    /// Stores a new session.
    pub async fn create_session(&self, s: &SessionRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, userid, profile_json, authn_instant, last_seen, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&s.id_hash)
        .bind(&s.userid)
        .bind(&s.profile_json)
        .bind(s.authn_instant)
        .bind(s.last_seen)
        .bind(s.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session with this hash, if it exists (expiry is the caller's decision).
    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>> {
        let row = sqlx::query(
            "SELECT id_hash, userid, profile_json, authn_instant, last_seen, expires_at \
             FROM sessions WHERE id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SessionRow {
                id_hash: r.try_get(0)?,
                userid: r.try_get(1)?,
                profile_json: r.try_get(2)?,
                authn_instant: r.try_get(3)?,
                last_seen: r.try_get(4)?,
                expires_at: r.try_get(5)?,
            })
        })
        .transpose()
    }

    /// Records use of a session (idle timeout).
    pub async fn touch_session(&self, id_hash: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen = $2 WHERE id_hash = $1")
            .bind(id_hash)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends a session.
    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends every session of a member (status no longer active).
    pub async fn delete_sessions_of(&self, userid: &str) -> Result<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE userid = $1")
            .bind(userid)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    // ---- login states ----

    /// Stores a single-use WeCom login state bound to a browser.
    pub async fn create_login_state(
        &self,
        state: &str,
        browser_hash: &str,
        pending_json: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO login_states (state, browser_hash, pending_json, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(state)
        .bind(browser_hash)
        .bind(pending_json)
        .bind(now)
        .bind(expires_at)
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

    /// Counts live login states started by a browser (abuse cap).
    pub async fn live_login_states(&self, browser_hash: &str, now: i64) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM login_states WHERE browser_hash = $1 AND expires_at > $2 \
             AND consumed_at IS NULL",
        )
        .bind(browser_hash)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get(0)?)
    }

    // ---- replay cache ----

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

    // ---- pairwise IDs ----

    /// The persistent pairwise NameID of a member for an app, storing `candidate` the first time.
    pub async fn pairwise_id(
        &self,
        app: &str,
        userid: &str,
        candidate: &str,
        now: i64,
    ) -> Result<String> {
        sqlx::query(
            "INSERT INTO pairwise_ids (app, userid, value, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (app, userid) DO NOTHING",
        )
        .bind(app)
        .bind(userid)
        .bind(candidate)
        .bind(now)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query("SELECT value FROM pairwise_ids WHERE app = $1 AND userid = $2")
            .bind(app)
            .bind(userid)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    // ---- audit ----

    /// Appends an audit row.
    pub async fn audit(&self, a: &AuditRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit (at, event, app, userid, result, reason, client_ip, request_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(a.at)
        .bind(&a.event)
        .bind(&a.app)
        .bind(&a.userid)
        .bind(&a.result)
        .bind(&a.reason)
        .bind(&a.client_ip)
        .bind(&a.request_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The latest `limit` audit rows, newest first.
    pub async fn audit_rows(&self, limit: i64) -> Result<Vec<AuditRow>> {
        let rows = sqlx::query(
            "SELECT at, event, app, userid, result, reason, client_ip, request_id FROM audit \
             ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRow {
                    at: r.try_get(0)?,
                    event: r.try_get(1)?,
                    app: r.try_get(2)?,
                    userid: r.try_get(3)?,
                    result: r.try_get(4)?,
                    reason: r.try_get(5)?,
                    client_ip: r.try_get(6)?,
                    request_id: r.try_get(7)?,
                })
            })
            .collect()
    }

    // ---- housekeeping ----

    /// Deletes expired sessions, login states and replay entries; returns how many rows went.
    /// `idle_cutoff`: sessions unused since before it are gone too. Login states are kept a while
    /// past expiry so a late callback is told "expired" rather than "unknown".
    pub async fn purge_expired(&self, now: i64, idle_cutoff: i64) -> Result<u64> {
        let mut n = 0;
        n += sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen < $2")
            .bind(now)
            .bind(idle_cutoff)
            .execute(&self.pool)
            .await?
            .rows_affected();
        n += sqlx::query("DELETE FROM login_states WHERE expires_at <= $1")
            .bind(now - 3600)
            .execute(&self.pool)
            .await?
            .rows_affected();
        n += sqlx::query("DELETE FROM replay_cache WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n)
    }
}

const APP_COLUMNS: &str = "SELECT name, entity_id, metadata_json, settings_json, metadata_xml, \
                           created_at, updated_at FROM apps";

fn app_row(r: &sqlx::any::AnyRow) -> Result<AppRow> {
    Ok(AppRow {
        name: r.try_get(0)?,
        entity_id: r.try_get(1)?,
        metadata_json: r.try_get(2)?,
        settings_json: r.try_get(3)?,
        metadata_xml: r.try_get(4)?,
        created_at: r.try_get(5)?,
        updated_at: r.try_get(6)?,
    })
}
