//! wecom-idp: a SAML 2.0 identity provider whose only way to authenticate people is WeChat Work (WeCom).
//!
//! Module map (see `../shared/DESIGN.md` for the path of a request):
//! - [`config`]: every setting, TOML file + `WECOM_IDP_*` environment overrides.
//! - [`clock`], [`random`], [`crypto`]: time, randomness and token hashing as parameters and helpers.
//! - [`saml`]: the protocol, no HTTP: escaping writer, strict parser, c14n, signing, verification,
//!   AuthnRequest decoding, metadata in and out.
//! - [`wecom`]: the WeCom API client (token cache, error codes), OAuth URLs and the simulator.
//! - [`store`]: SQLite / PostgreSQL persistence of apps, keys, sessions, login states, replay cache, audit.
//! - [`apps`]: registered SPs and their settings; [`identity`]: the member profile and attribute sources;
//!   [`assertion`]: NameID, attributes and timestamps of a Response; [`keys`]: the signing key ring.
//! - [`http`]: axum routes, one file per route group; handlers are thin. [`error`]: the page errors.
//! - [`admin`]: the admin domain (admins, API tokens, audit of changes) behind the console and the
//!   JSON API in `http/admin/`.
//! - [`cli`]: the `wecom-idp` subcommands; [`demo`]: the one-command demo.
//!
//! [`build_state`] assembles the services from a configuration; [`run`] serves a bound listener until
//! `shutdown` resolves, so tests bind `127.0.0.1:0`.

pub mod admin;
pub mod apps;
pub mod assertion;
pub mod cli;
pub mod cli_admin;
pub mod cli_user;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod error;
pub mod http;
pub mod identity;
pub mod keys;
pub mod metrics;
pub mod providers;
pub mod random;
pub mod saml;
pub mod secrets;
pub mod store;
pub mod wecom;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

pub use http::AppState;

/// Why the service could not start.
#[derive(Debug)]
pub enum StartError {
    /// A setting is missing or wrong.
    Config(config::ConfigError),
    /// The database is unreachable or its migration failed.
    Store(store::StoreError),
    /// The signing key could not be loaded or made.
    Keys(keys::KeyError),
    /// The WeCom client could not be built.
    Wecom(String),
    /// Binding or serving failed.
    Io(std::io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Config(e) => e.fmt(f),
            Self::Store(e) => write!(
                f,
                "configuration `database_url`: cannot use the database ({e}); check the URL, \
                 that the server is running and that the user may create tables"
            ),
            Self::Keys(e) => e.fmt(f),
            Self::Wecom(e) => write!(f, "WeCom client: {e}"),
            Self::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for StartError {}

/// Connects the store (running migrations), loads or creates the signing key and builds the WeCom
/// client: everything a server needs.
pub async fn build_state(
    config: config::Config,
    clock: Arc<dyn clock::Clock>,
    rng: Arc<dyn random::Rng>,
    demo: Option<Arc<http::demo::Demo>>,
) -> Result<AppState, StartError> {
    let store = open_store(&config).await?;
    let keys = keys::KeyRing::load(&config, &store, clock.as_ref(), rng.as_ref())
        .await
        .map_err(StartError::Keys)?;
    let metrics = Arc::new(metrics::Metrics::default());
    let wecom = wecom_client(&config, clock.clone(), metrics.clone())?;
    let limiter = Arc::new(http::limits::RateLimiter::new(
        config.limits.requests_per_minute,
        config.limits.burst,
    ));
    let admin_limiter = Arc::new(http::limits::RateLimiter::new(
        config.admin.requests_per_minute,
        config.admin.burst,
    ));
    Ok(AppState {
        config: Arc::new(config),
        store,
        clock,
        rng,
        wecom,
        keys: keys::SharedKeys::new(keys),
        metrics,
        demo,
        limiter,
        admin_limiter,
    })
}

/// Connects to the configured database and brings its schema up to date.
pub async fn open_store(config: &config::Config) -> Result<store::Store, StartError> {
    let store = store::Store::connect(&config.database_url)
        .await
        .map_err(StartError::Store)?;
    store.migrate().await.map_err(StartError::Store)?;
    Ok(store)
}

fn wecom_client(
    config: &config::Config,
    clock: Arc<dyn clock::Clock>,
    metrics: Arc<metrics::Metrics>,
) -> Result<wecom::client::WecomClient, StartError> {
    let w = &config.wecom;
    let settings = wecom::client::Settings {
        corp_id: w.corp_id.clone(),
        agent_id: w.agent_id.clone(),
        secret: w.secret.clone(),
        api_base: w.api_base.clone(),
        timeout: std::time::Duration::from_secs(w.timeout_secs),
    };
    let observer: wecom::client::CallObserver =
        Arc::new(move |endpoint, took, errcode| metrics.wecom_call(endpoint, took, errcode));
    let options = wecom::client::Options {
        observer: Some(observer),
        ..wecom::client::Options::default()
    };
    wecom::client::WecomClient::with_options(settings, clock, options)
        .map_err(|e| StartError::Wecom(e.to_string()))
}

/// Serves `state` on `listener` until `shutdown` resolves; purges expired rows in the background.
pub async fn run(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let purge = tokio::spawn(purge_loop(state.clone()));
    let follow = tokio::spawn(keys_loop(state.clone()));
    let app = http::router(state);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    purge.abort();
    follow.abort();
    served.map_err(StartError::Io)
}

/// Deletes expired sessions, login states and replay entries every minute.
async fn purge_loop(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        let now = state.clock.unix();
        let idle_cutoff = now - state.config.session.idle_timeout_secs;
        match state.store.purge_expired(now, idle_cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(rows = n, "purged expired rows"),
            Err(e) => tracing::warn!(error = %e, "purging expired rows failed"),
        }
    }
}

/// Follows signing-key changes made on other instances (rollover) every [`keys::FOLLOW_SECS`].
async fn keys_loop(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(keys::FOLLOW_SECS));
    loop {
        tick.tick().await;
        state.follow_keys().await;
    }
}
