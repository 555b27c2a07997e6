//! wecom-idp: a SAML 2.0 identity provider whose only way to authenticate people is WeChat Work (WeCom).
//!
//! Module map, from the bottom layer up: a module uses the ones above it in this list, never one
//! below (`scripts/module-cycles.sh` fails CI on a cycle). README "How it works" gives the path of a
//! request.
//! - Leaf utilities: [`clock`] (the only reader of the wall clock), [`random`], [`crypto`] (token
//!   hashing, constant-time compare), [`secrets`] (the master key), [`logsafe`] (escaping for logs),
//!   [`lang`] (the two languages), [`jobs`] (the background loops' bookkeeping).
//! - Protocols and clients: [`saml`], no HTTP: escaping writer, strict parser, c14n, signing,
//!   verification, AuthnRequest decoding, metadata in and out, the URIs defined once in
//!   [`saml::uris`]; [`wecom`]: the WeCom API client (token cache, error codes), OAuth URLs and the
//!   simulator; [`metrics`]: the Prometheus exposition (WeCom calls among what it counts);
//!   [`oidc`], no HTTP: clients, the authorization request, JSON Web Signatures (RS256, ES256),
//!   the published JWK Set and logout's checks.
//! - [`store`]: SQLite / PostgreSQL persistence of apps, keys, sessions, login states, replay cache,
//!   audit and accounts; rows with named columns and their states as enums.
//! - Domain: [`identity`] (the member profile, attribute sources, access and role rules, the
//!   account directory; its own error type); [`apps`] (registered SPs and their settings) with
//!   [`app_cache`] (the parsed ones per instance) and [`providers`] (the cloud console presets);
//!   [`assertion`] (NameID, attributes and timestamps of a Response).
//! - [`config`]: every setting, TOML file + `WECOM_IDP_*` environment overrides, parsed into the
//!   domain's types; [`settings`]: the effective WeCom source and binding settings (configuration
//!   defaults overlaid by the console's stored values), cached per instance; [`keys`]: the signing
//!   key ring (from files or the store).
//! - [`contacts`]: the stored WeCom address book (departments, members, tags), its full sync and
//!   the incremental changes, with the members' status transitions.
//! - [`admin`]: the admin domain (admins, API tokens, apps, users, keys, audit of changes) behind the
//!   console, the JSON API and the command line.
//! - [`login`]: the WeCom login as a domain, without HTTP: pending logins, login states, the member,
//!   the account step and bind page, sessions, "may this member use this app and what do we
//!   release" (protocol-neutral), refusals and their audit rows.
//! - [`oidc_flow`]: the OpenID Connect grants (codes, tokens) and the token endpoint's rules,
//!   over the login.
//! - [`text`]: the one catalogue of member-page sentences and audit labels, in both languages.
//! - [`http`]: everything that speaks HTTP — axum routes, one file per route group, handlers thin;
//!   [`http::error`] the page errors; [`http::server`] the connections.
//! - [`cli`]: the `wecom-idp` subcommands, one file per command group, the one-command demo among
//!   them.
//!
//! [`build_state`] assembles the services from a configuration; [`run`] serves a bound listener until
//! `shutdown` resolves, so tests bind `127.0.0.1:0`.

// Every public item says what it is (CI runs clippy with -D warnings, so a gap fails the build).
#![warn(missing_docs)]

pub mod admin;
pub mod app_cache;
pub mod apps;
pub mod assertion;
pub mod cli;
pub mod clock;
pub mod config;
pub mod contacts;
pub mod crypto;
pub mod events;
pub mod http;
pub mod identity;
pub mod jobs;
pub mod keys;
pub mod lang;
pub mod lifecycle;
pub mod login;
pub mod logsafe;
pub mod metrics;
pub mod oidc;
pub mod oidc_flow;
pub mod providers;
pub mod provision;
pub mod random;
pub mod saml;
pub mod secrets;
pub mod settings;
pub mod store;
pub mod text;
pub mod told;
pub mod wecom;

use std::future::Future;
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
    /// The WeCom source or binding settings are missing or wrong (configuration and store together).
    Settings(settings::SettingsError),
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
            Self::Settings(settings::SettingsError::Store(e)) => write!(
                f,
                "configuration `database_url`: cannot read the console's settings ({e})"
            ),
            Self::Settings(e) => e.fmt(f),
            Self::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for StartError {}

/// Connects the store (running migrations), loads or creates the signing key and loads the effective
/// WeCom and binding settings (building the WeCom client): everything a server needs. A WeCom corp
/// ID, AgentId or secret given neither by the configuration nor by the store is refused here.
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
    let config = Arc::new(config);
    let settings = Arc::new(settings::LiveSettings::new(
        config.clone(),
        clock.clone(),
        wecom_options(metrics.clone()),
    ));
    settings
        .current(&store)
        .await
        .map_err(StartError::Settings)?;
    let limiter = Arc::new(http::limits::RateLimiter::new(
        config.limits.requests_per_minute,
        config.limits.burst,
        clock.clone(),
    ));
    let failure_limiter = Arc::new(http::limits::RateLimiter::new(
        config.limits.failures_per_minute,
        config.limits.failure_burst,
        clock.clone(),
    ));
    let browsers = Arc::new(http::browsers::Browsers::new(
        config.saml.login_state_ttl_secs,
    ));
    let admin_limiter = Arc::new(http::limits::RateLimiter::new(
        config.admin.requests_per_minute,
        config.admin.burst,
        clock.clone(),
    ));
    let back_channel_http = lifecycle::back_channel::configured_client(&config);
    Ok(AppState {
        config,
        store,
        clock,
        rng,
        settings,
        keys: keys::SharedKeys::new(keys),
        metrics,
        demo,
        apps: Arc::new(app_cache::AppCache::default()),
        limiter,
        failure_limiter,
        browsers,
        admin_limiter,
        back_channel_http,
    })
}

/// Connects to the configured database and brings its schema up to date.
pub async fn open_store(config: &config::Config) -> Result<store::Store, StartError> {
    let store = store::Store::connect_with(&config.database_url, &config.database.pool())
        .await
        .map_err(StartError::Store)?;
    store.migrate().await.map_err(StartError::Store)?;
    Ok(store)
}

/// The WeCom client options of a server: every call reported to the metrics.
fn wecom_options(metrics: Arc<metrics::Metrics>) -> wecom::client::Options {
    let observer: wecom::client::CallObserver =
        Arc::new(move |endpoint, took, outcome| metrics.wecom_call(endpoint, took, outcome));
    wecom::client::Options {
        observer: Some(observer),
        ..wecom::client::Options::default()
    }
}

/// Serves `state` on `listener` until `shutdown` resolves; purges expired rows in the background.
pub async fn run(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let purge = tokio::spawn(purge_loop(state.clone()));
    let refresh = tokio::spawn(metadata_refresh_loop(state.clone()));
    let follow = tokio::spawn(keys_loop(state.clone()));
    let buckets = tokio::spawn(buckets_loop(state.clone()));
    let directory = tokio::spawn(directory_loop(state.clone()));
    let open_files = http::server::raise_open_files();
    let options = http::server::Options::from_config(&state.config, open_files.after);
    tracing::info!(
        open_files_before = ?open_files.before,
        open_files = ?open_files.after,
        max_connections = options.caps.total,
        max_connections_per_ip = options.caps.per_ip,
        header_read_timeout_secs = options.header_read_timeout.as_secs(),
        "connection limits"
    );
    let app = http::router(state);
    let served = http::server::serve(app, listener, shutdown, options).await;
    purge.abort();
    refresh.abort();
    follow.abort();
    buckets.abort();
    directory.abort();
    served.map_err(StartError::Io)
}

/// Deletes expired sessions, login states and replay entries every minute.
async fn purge_loop(state: AppState) {
    let mut job = jobs::Job::new("purge", std::time::Duration::from_secs(60));
    loop {
        job.wait().await;
        let now = state.clock.unix();
        let idle_cutoff = now - state.config.session.idle_timeout_secs;
        match state.store.purge_expired(now, idle_cutoff).await {
            Ok(0) => job.ok(),
            Ok(n) => {
                job.ok();
                tracing::debug!(rows = n, "purged expired rows");
            }
            Err(e) => job.failed(&e),
        }
        admin::audit::apply_retention(&state.store, &state.config.audit, now).await;
    }
}

/// Fetches the metadata URLs of apps whose periodic refresh is due, every minute; each due source
/// is claimed by one instance only (`admin::app_refresh::refresh_due`).
async fn metadata_refresh_loop(state: AppState) {
    let mut job = jobs::Job::new("metadata refresh", std::time::Duration::from_secs(60));
    loop {
        job.wait().await;
        let ctx = admin::apps::Ctx {
            store: &state.store,
            now: state.clock.now(),
            actor: &admin::Actor::Scheduler,
            ip: None,
            fetch: admin::metadata_fetch::FetchPolicy {
                allow_private: state.config.admin.allow_private_metadata_urls,
                ..Default::default()
            },
        };
        match admin::app_refresh::refresh_due(&ctx).await {
            Ok(0) => job.ok(),
            Ok(n) => {
                job.ok();
                tracing::info!(sources = n, "refreshed app metadata URLs");
            }
            Err(e) => job.failed(&e),
        }
    }
}

/// The periodic full sync of the stored address book (`[directory] sync_interval`; off at 0):
/// every minute each instance asks for the lease, and the one that gets it syncs when the last
/// success is an interval old (`contacts::sync_if_due`).
async fn directory_loop(state: AppState) {
    let Ok(Some(interval)) = state.config.directory.interval() else {
        return;
    };
    let secs = i64::try_from(interval.as_secs()).unwrap_or(i64::MAX);
    // Who holds the lease: this instance, for as long as it runs.
    let holder = state.rng.hex(16);
    let mut job = jobs::Job::new("directory sync", interval.min(config::MIN_SYNC_INTERVAL));
    loop {
        job.wait().await;
        let effective = match state.settings.current(&state.store).await {
            Ok(e) => e,
            Err(e) => {
                job.failed(&e);
                continue;
            }
        };
        let ctx = contacts::Ctx {
            store: &state.store,
            client: &effective.client,
        };
        match contacts::sync_if_due(&ctx, &holder, state.clock.unix(), secs).await {
            Ok(Some(outcome)) => {
                job.ok();
                let back_channel = lifecycle::back_channel::for_server(
                    &state.config,
                    &state.keys(),
                    state.rng.clone(),
                    state.back_channel_http.as_ref(),
                );
                let followed = lifecycle::reconcile::after_full_sync(
                    &state.store,
                    &state.config,
                    &effective,
                    &outcome.transitions,
                    state.clock.unix(),
                    back_channel.as_ref(),
                    &admin::Actor::Scheduler,
                )
                .await;
                tracing::info!(?followed, "directory synced");
            }
            Ok(None) => job.ok(),
            Err(e) => job.failed(&e),
        }
    }
}

/// Drops the rate limiters' refilled buckets every ten seconds, so the memory a flood of addresses
/// took comes back (each limiter also caps how many it tracks).
async fn buckets_loop(state: AppState) {
    let mut job = jobs::Job::new(
        "rate-limit housekeeping",
        std::time::Duration::from_secs(10),
    );
    loop {
        job.wait().await;
        for limiter in [&state.limiter, &state.failure_limiter, &state.admin_limiter] {
            limiter.retain_recent();
        }
        job.ok();
    }
}

/// Follows signing-key changes made on other instances (rollover) every [`keys::FOLLOW_SECS`];
/// the current ring stays while the store cannot be read.
async fn keys_loop(state: AppState) {
    let mut job = jobs::Job::new(
        "signing key follow",
        std::time::Duration::from_secs(keys::FOLLOW_SECS),
    );
    loop {
        job.wait().await;
        match keys::follow(&state.config, &state.store, &state.keys).await {
            Ok(_) => job.ok(),
            Err(e) => job.failed(&e),
        }
    }
}
