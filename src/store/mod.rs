//! Persistence of everything instances share: apps, signing keys, instance secrets, IdP sessions, WeCom
//! login states, the AuthnRequest replay cache, pairwise NameIDs, the audit log and the account
//! directory (accounts, WeCom bindings, bind codes and pending bind pages), and the admin side
//! (admins, API tokens, admin sessions, console-edited settings).
//!
//! One [`Store`] over an sqlx `AnyPool`: every query is written once and runs on SQLite and PostgreSQL
//! (integers are Unix seconds, `$N` placeholders work on both). What differs per database — connection
//! options and the embedded migration set — lives in `sqlite.rs` and `postgres.rs`.

mod accounts;
mod admin;
mod app_versions;
mod apps;
mod audit;
mod audit_batch;
mod audit_words;
mod directory;
mod keys;
mod lifecycle;
mod login_states;
mod logout_chains;
mod oidc;
mod oidc_consents;
mod overview;
mod postgres;
mod provision;
mod readers;
mod rename;
mod schema;
mod served;
mod sessions;
mod snapshot;
mod sqlite;
mod states;
mod users;
mod verify_files;

pub use accounts::{AccountKey, AccountRow, BindStateRow, BindingRow, Created};
pub use admin::{AdminRow, AdminSessionRow, AdminTokenRow, SettingRow};
pub use app_versions::{AppSourceRow, AppVersionRow};
pub use audit::{AuditEntry, AuditQuery};
pub use audit_words::{AuditKind, AuditResult};
pub use directory::{
    DepartmentRow, DirectoryDiff, DirectorySnapshot, MemberRow, SyncStatusRow, TagRow,
};
pub use lifecycle::{Hold, HoldAction};
pub use oidc::{GrantRow, OidcClientRow, Use};
pub use provision::{ScimResourceRow, ScimRunRow};
pub use rename::Renamed;
pub use schema::SchemaState;
pub use snapshot::Snapshot;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
pub use states::{AccountStatus, KeyState, UnknownState};
pub use users::AccountSearch;
pub use verify_files::VerifyFileRow;

/// A pooled connection idle at least this long is pinged before it is handed out.
const IDLE_PING_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

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
    /// The database answered with an error.
    Database(sqlx::Error),
    /// The database could not be reached in time (connection refused or lost, pool acquire timed
    /// out, server shutting down): a passing condition, answered "try again in a moment".
    Unavailable(sqlx::Error),
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
            Self::Unavailable(e) => write!(f, "database unavailable: {e}"),
            Self::Migrate(e) => write!(f, "migration failed: {e}"),
            Self::Conflict(what) => write!(f, "{what} already exists"),
            Self::Corrupt(what) => write!(f, "stored data is corrupt: {what}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<sqlx::Error> for StoreError {
    /// The one place that tells unavailability (worth a retry) from other database errors.
    fn from(e: sqlx::Error) -> Self {
        if unavailable(&e) {
            Self::Unavailable(e)
        } else {
            Self::Database(e)
        }
    }
}

impl StoreError {
    /// Whether the database was unreachable rather than wrong: the request may succeed in a moment.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// Connection-level failures: the pool could not hand out a working connection in time, the
/// connection broke, or the server refused work for a passing reason. PostgreSQL SQLSTATE class 08
/// (connection exception), 57P01–57P03 (shutting down, cannot connect now) and 53300 (too many
/// connections); SQLite `SQLITE_BUSY` (another process held the write lock past the busy timeout).
fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => {
            let code = d.code();
            let code = code.as_deref().unwrap_or("");
            code.starts_with("08")
                || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
                || (code.parse::<u32>().is_ok_and(|c| c & 0xff == 5)
                    && d.message().contains("locked"))
        }
        _ => false,
    }
}

type Result<T> = std::result::Result<T, StoreError>;

/// How the connection pool behaves during faults (the configuration's `[database]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// How long a request waits for a connection (a new one included) before the store answers
    /// [`StoreError::Unavailable`]; SQLite also waits as long for another process's lock.
    pub acquire_timeout: std::time::Duration,
    /// Connections kept open while idle; 0 opens them on demand.
    pub min_connections: u32,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            acquire_timeout: std::time::Duration::from_millis(1500),
            min_connections: 0,
        }
    }
}

/// A stored app row, as the table holds it (the app module parses it into its domain type).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AppRow {
    /// `[a-z0-9-]{1,64}`.
    pub name: String,
    /// The SP's entity ID (shared only by apps with different ACS URLs).
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
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    /// Stable key ID.
    pub id: String,
    /// PEM private key; empty once the key is sealed in `key_enc`.
    pub key_pem: String,
    /// The private key sealed under the master key (`secrets::MasterKey::seal`).
    pub key_enc: Option<String>,
    /// ID of the master key that sealed `key_enc`.
    pub master_key_id: Option<String>,
    /// PEM certificate.
    pub cert_pem: String,
    /// Where the key is in its rollover.
    pub state: KeyState,
    /// Unix seconds.
    pub created_at: i64,
    /// When it became the active key, Unix seconds (None for the first key and for keys never
    /// activated).
    pub activated_at: Option<i64>,
    /// When it was retired, Unix seconds.
    pub retired_at: Option<i64>,
    /// Its P-256 companion for ES256 tokens, PKCS#8 PEM sealed under the same master key (context
    /// `signing_key:ID:es256`); None for a key made before ES256 existed, and once retired.
    pub ec_key_enc: Option<String>,
}

/// A stored IdP session (keyed by the hash of the cookie value).
#[derive(Debug, Clone, sqlx::FromRow)]
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

/// What a session served one app: the NameID exactly as sent and the SessionIndex of the
/// Assertion, so a logout names the member to that SP the way it knows them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ServiceRow {
    /// The session's id hash.
    pub session_hash: String,
    /// The app's name.
    pub app: String,
    /// The NameID value.
    pub name_id: String,
    /// The NameID's Format URI.
    pub name_id_format: String,
    /// `NameQualifier` as sent, if any.
    pub name_qualifier: Option<String>,
    /// `SPNameQualifier` as sent, if any.
    pub sp_name_qualifier: Option<String>,
    /// `AuthnStatement/@SessionIndex`: random per session and SP, kept for the session's life.
    pub session_index: String,
    /// When the first Response to this app in the session was issued (or the latest that changed
    /// its NameID), Unix seconds: the order the session's apps are told of a logout.
    pub issued_at: i64,
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
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRow {
    /// Unix seconds.
    pub at: i64,
    /// What happened.
    pub event: AuditKind,
    /// App name when known.
    pub app: Option<String>,
    /// WeCom userid when known.
    pub userid: Option<String>,
    /// How it ended.
    pub result: AuditResult,
    /// Short machine-readable reason.
    pub reason: String,
    /// Client IP as seen by us (text in the database).
    #[sqlx(try_from = "audit_words::StoredIp")]
    pub client_ip: Option<std::net::IpAddr>,
    /// SAML request ID when there was one.
    pub request_id: Option<String>,
    /// Who acted, for admin changes: `wecom:USERID`, `token:NAME` or `shell`.
    pub actor: Option<String>,
    /// JSON detail of an admin change (before/after of settings, never a secret).
    pub detail: Option<String>,
}

/// The store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    audit_batch: audit_batch::AuditBatcher,
    readers: std::sync::Arc<readers::Readers>,
    served: std::sync::Arc<served::Served>,
}

impl Store {
    /// Connects to `url` (`sqlite://PATH`, created when missing, or `postgres://…`) with the
    /// default `[database]` settings.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, &PoolSettings::default()).await
    }

    /// Connects to `url` with the pool's settings: a request waits at most `acquire_timeout` for a
    /// connection (a new one included), each connection is tested before use so the ones that died
    /// during an outage are replaced (recovery without a restart), and SQLite waits as long for a
    /// lock held by another process.
    pub async fn connect_with(url: &str, db: &PoolSettings) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let acquire = db.acquire_timeout;
        let busy_ms = u64::try_from(acquire.as_millis()).unwrap_or(u64::MAX);
        let (backend, url, max) = if url.starts_with("sqlite:") {
            (Backend::Sqlite, sqlite::connect_url(url), 4)
        } else {
            if let Some(advice) = postgres::tls_advice(url) {
                tracing::warn!("{advice}");
            }
            (Backend::Postgres, postgres::connect_url(url), 16)
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .min_connections(db.min_connections.min(max))
            .acquire_timeout(acquire)
            // A connection that sat idle (through a database restart, say) is pinged before use; a
            // busy one is not: sqlx already pings every connection when it returns to the pool and
            // drops it if broken, so a ping before each use too only doubles the round trips.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= IDLE_PING_AFTER {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        sqlite::after_connect(conn, busy_ms).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        let audit_batch = audit_batch::AuditBatcher::start(pool.clone());
        // One kept read connection per core: as many reads as can run at once without queueing.
        let kept = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
        Ok(Self {
            pool,
            backend,
            audit_batch,
            readers: std::sync::Arc::new(readers::Readers::new(kept, acquire)),
            served: std::sync::Arc::default(),
        })
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
        let mut conn = self.pool.acquire().await?;
        if schema::up_to_date(&mut conn, migrator).await {
            return Ok(());
        }
        migrator.run(&mut *conn).await.map_err(StoreError::Migrate)
    }

    /// Whether the database answers (`/readyz`) within `within`; a slower answer counts as
    /// unavailable.
    pub async fn ping(&self, within: std::time::Duration) -> Result<()> {
        match tokio::time::timeout(within, sqlx::query("SELECT 1").execute(&self.pool)).await {
            Ok(r) => {
                r?;
                Ok(())
            }
            Err(_) => Err(StoreError::Unavailable(sqlx::Error::PoolTimedOut)),
        }
    }
}
