//! The `wecom-idp` command line: `serve`, `migrate`, `demo`, `idp-metadata`, `master-key rotate`
//! here, and one file per command group: [`app`], [`user`], [`admin`], [`settings`], `serve --check`
//! and `health` in [`check`], the [`demo`]; `names` is the WeCom check of the names a command
//! saves. Each command loads the configuration, checks what it needs, and prints what the admin must
//! know (mount address, homepage URL, warnings) in plain words.

pub mod admin;
pub mod app;
pub mod check;
pub mod demo;
mod names;
pub mod settings;
pub mod user;
pub mod wecom;

pub use app::{add_app, add_preset_app, AppCommand};

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::random::OsRng;
use crate::store::Store;
use crate::StartError;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;

/// A SAML identity provider for WeChat Work (WeCom).
#[derive(Debug, Parser)]
#[command(name = "wecom-idp", version, about)]
pub struct Cli {
    /// Configuration file (TOML). Settings can also come from WECOM_IDP_* variables.
    #[arg(long, global = true, env = "WECOM_IDP_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the identity provider (with --check: check the set-up and exit).
    Serve(ServeArgs),
    /// Ask a running server's /healthz (for container health checks); exits non-zero when it is
    /// not healthy.
    Health(check::HealthArgs),
    /// Create or update the database schema, then exit.
    Migrate,
    /// Run everything on this machine: SQLite, a generated key, the WeCom simulator and a demo app.
    Demo(DemoArgs),
    /// Print our IdP metadata (upload it to each console).
    IdpMetadata,
    /// Register and inspect apps (service providers).
    #[command(subcommand)]
    App(AppCommand),
    /// Local accounts and their WeCom bindings.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Admin console access: admins and API tokens.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// The master key that encrypts the secrets stored in the database.
    #[command(subcommand)]
    MasterKey(MasterKeyCommand),
    /// The WeCom source and binding settings in force (`show`), and `reset` of the values saved in
    /// the admin console (the way back when a console Save locked everyone out).
    #[command(subcommand)]
    Settings(settings::SettingsCommand),
    /// WeCom set-up helpers: the domain-ownership files (`verify-file add|list|remove`).
    #[command(subcommand)]
    Wecom(wecom::WecomCommand),
}

/// `master-key` subcommands (the key that seals the secrets stored in the database).
#[derive(Debug, Subcommand)]
pub enum MasterKeyCommand {
    /// Re-encrypt every stored secret under a new master key (the current one comes from
    /// WECOM_IDP_MASTER_KEY or master_key_file); then configure the new key and restart.
    Rotate {
        /// File holding the new key (32 bytes, base64 or hex: `openssl rand -base64 32`).
        #[arg(long)]
        new_key_file: PathBuf,
    },
}

/// `serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Check the configuration, database, signing key and WeCom connection, print one line per
    /// check, and exit (non-zero if any failed) without serving.
    #[arg(long)]
    pub check: bool,
}

/// `demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Loopback address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Folder for the demo database.
    #[arg(long, default_value = "demo-data")]
    pub data: PathBuf,
}

/// A command failure, printed as `error: …`.
#[derive(Debug)]
pub struct CliError(pub String);

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CliError {}

impl From<StartError> for CliError {
    fn from(e: StartError) -> Self {
        Self(e.to_string())
    }
}

impl From<crate::config::ConfigError> for CliError {
    fn from(e: crate::config::ConfigError) -> Self {
        Self(e.to_string())
    }
}

impl From<crate::store::StoreError> for CliError {
    fn from(e: crate::store::StoreError) -> Self {
        Self(e.to_string())
    }
}

impl From<crate::apps::AppError> for CliError {
    fn from(e: crate::apps::AppError) -> Self {
        Self(e.to_string())
    }
}

/// Loads the configuration the command line names (file, environment, secret files).
pub fn load_config(cli: &Cli) -> Result<Config, CliError> {
    Ok(Config::load(cli.config.as_deref(), std::env::vars())?)
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    let config = load_config(&cli);
    run_with(cli, config).await
}

/// Runs a parsed command line with its configuration already loaded (the binary reads it first to
/// set up logging); commands that need no configuration ignore a loading error.
pub async fn run_with(cli: Cli, config: Result<Config, CliError>) -> Result<(), CliError> {
    match &cli.command {
        Command::Demo(args) => demo::run(args).await,
        Command::Serve(ServeArgs { check: true }) => check::serve_check(config).await,
        Command::Serve(ServeArgs { check: false }) => serve(config?).await,
        Command::Health(args) => check::health(args, config).await,
        Command::Migrate => {
            crate::open_store(&config?).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::IdpMetadata => idp_metadata(&open(config).await?).await,
        Command::MasterKey(MasterKeyCommand::Rotate { new_key_file }) => {
            rotate_master_key(config?, new_key_file).await
        }
        Command::App(cmd) => app::run(&shell(&open(config).await?), cmd).await,
        Command::User(cmd) => user::run(&shell(&open(config).await?), cmd, &OsRng).await,
        Command::Admin(cmd) => admin::run(&shell(&open(config).await?), cmd, &OsRng).await,
        Command::Wecom(cmd) => wecom::run(&shell(&open(config).await?), cmd).await,
        Command::Settings(cmd) => {
            let (config, store) = open(config).await?;
            settings::run(&config, &store, cmd, Arc::new(SystemClock), &OsRng).await
        }
    }
}

/// The configuration, checked, and its database (migrated).
async fn open(config: Result<Config, CliError>) -> Result<(Config, Store), CliError> {
    let config = config?;
    config.validate_common()?;
    let store = crate::open_store(&config).await?;
    Ok((config, store))
}

/// The shell of a command on `opened`, on the system clock.
fn shell((config, store): &(Config, Store)) -> Shell<'_> {
    Shell {
        config,
        store,
        clock: Arc::new(SystemClock),
    }
}

/// `idp-metadata`: our IdP metadata with the stored signing key.
async fn idp_metadata((config, store): &(Config, Store)) -> Result<(), CliError> {
    let keys = crate::keys::KeyRing::load(config, store, &SystemClock, &OsRng)
        .await
        .map_err(|e| CliError(e.to_string()))?;
    let doc = crate::http::metadata_document(config, &keys)
        .map_err(|e| CliError(format!("IdP metadata: {e}")))?;
    println!("{}", String::from_utf8_lossy(&doc));
    Ok(())
}

async fn serve(config: Config) -> Result<(), CliError> {
    config.validate()?;
    let addr = config.listen_addr()?;
    let state = crate::build_state(config, Arc::new(SystemClock), Arc::new(OsRng), None).await?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        CliError(format!(
            "configuration `listen`: cannot listen on {addr}: {e}"
        ))
    })?;
    if let Some(w) = state.config.audit.warning() {
        tracing::warn!("{w}");
    }
    tracing::info!(
        %addr,
        entity_id = %state.config.entity_id(),
        audit_retention_days = state.config.audit.retention_days,
        "wecom-idp serving"
    );
    crate::run(state, listener, shutdown_signal()).await?;
    Ok(())
}

/// `master-key rotate`: re-seals the stored keys under the new master key and checks they open.
async fn rotate_master_key(
    mut config: Config,
    new_key_file: &std::path::Path,
) -> Result<(), CliError> {
    config.validate_common()?;
    let old = config.master_key()?.clone();
    let new = crate::secrets::read_key_file(new_key_file)
        .map_err(|e| CliError(format!("--new-key-file: {e}")))?;
    if new.id() == old.id() {
        return Err(CliError(format!(
            "--new-key-file: this is the current master key (ID {}); make a new one with \
             `openssl rand -base64 32`",
            old.id()
        )));
    }
    let store = crate::open_store(&config).await?;
    let n = crate::keys::rotate_master_key(&store, &old, &new, &OsRng)
        .await
        .map_err(|e| CliError(e.to_string()))?;
    // The WeCom secret set in the admin console is sealed under the master key too.
    let secret = crate::settings::reseal_secret(&store, &old, &new, &OsRng, SystemClock.unix())
        .await
        .map_err(|e| CliError(e.to_string()))?;
    if secret {
        println!("re-encrypted the WeCom secret set in the admin console.");
    }
    config.master_key = Some(new.clone());
    crate::keys::KeyRing::load(&config, &store, &SystemClock, &OsRng)
        .await
        .map_err(|e| CliError(format!("the re-encrypted keys do not load: {e}")))?;
    println!(
        "re-encrypted {n} stored key(s) from master key ID {} to ID {}.",
        old.id(),
        new.id()
    );
    println!(
        "Now point master_key_file (or WECOM_IDP_MASTER_KEY) at the new key on every instance and \
         restart them; the old key no longer opens the database."
    );
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

/// What a command works with: the configuration, the database and the clock.
pub struct Shell<'a> {
    /// The configuration (the admin console's settings are read over it from the database).
    pub config: &'a Config,
    /// The database.
    pub store: &'a Store,
    /// The clock.
    pub clock: Arc<dyn Clock>,
}
