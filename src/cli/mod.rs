//! The `wecom-idp` command line: `serve`, `migrate`, `demo`, `idp-metadata`, `app add|list|show|
//! set|remove` (and `user …`, `admin …`, `settings …` in their own files, `serve --check` and `health` in
//! [`check`]). Each command loads the configuration, checks what it needs, and prints what the admin
//! must know (mount address, homepage URL, warnings) in plain words.

pub mod admin;
pub mod check;
pub mod demo;
pub mod settings;
pub mod user;

use crate::admin::app_metadata::MetadataInput;
use crate::admin::apps::{self as admin_apps, NewApp};
use crate::admin::{Actor, AdminError};
use crate::apps::{App, AppName, SETTING_KEYS};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::providers;
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

/// `app` subcommands.
#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Register an app from its SP metadata.
    Add {
        /// `[a-z0-9-]{1,64}`; part of the mount address.
        name: String,
        /// The SP's SAML metadata file (EntityDescriptor, or EntitiesDescriptor).
        #[arg(long)]
        metadata: Option<PathBuf>,
        /// Which SP to take from an EntitiesDescriptor holding several.
        #[arg(long)]
        entity_id: Option<String>,
        /// A cloud console preset (generic, huawei, huawei-identity-center, tencent-role,
        /// tencent-user, tencent-cic, aliyun-role, aliyun-user, aliyun-cloudsso, aws-role,
        /// aws-identity-center, volcengine-role, volcengine-user, baidu-role, kingsoft-role); its
        /// parameters are given with --set.
        #[arg(long)]
        preset: Option<String>,
        /// A setting, KEY=VALUE (repeatable); `app set --help` lists them.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
    },
    /// List the apps.
    List,
    /// Show an app, its mount address and the WeCom homepage URL.
    Show {
        /// App name.
        name: String,
    },
    /// Change an app's settings.
    Set {
        /// App name.
        name: String,
        /// KEY=VALUE (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE", required = true, long_help = settings_help())]
        sets: Vec<String>,
    },
    /// Remove an app.
    Remove {
        /// App name.
        name: String,
    },
}

fn settings_help() -> String {
    let mut s = String::from("KEY=VALUE (repeatable). Keys:\n");
    for (k, h) in SETTING_KEYS {
        s.push_str(&format!("  {k}: {h}\n"));
    }
    s
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
            let config = config?;
            crate::open_store(&config).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::IdpMetadata => {
            let config = config?;
            config.validate_common()?;
            let store = crate::open_store(&config).await?;
            let keys = crate::keys::KeyRing::load(&config, &store, &SystemClock, &OsRng)
                .await
                .map_err(|e| CliError(e.to_string()))?;
            let doc = crate::http::metadata_document(&config, &keys)
                .map_err(|e| CliError(format!("IdP metadata: {e}")))?;
            println!("{}", String::from_utf8_lossy(&doc));
            Ok(())
        }
        Command::MasterKey(MasterKeyCommand::Rotate { new_key_file }) => {
            rotate_master_key(config?, new_key_file).await
        }
        Command::App(cmd) => {
            let config = config?;
            config.validate_common()?;
            let store = crate::open_store(&config).await?;
            app_command(&config, &store, cmd, &SystemClock).await
        }
        Command::User(cmd) => {
            let config = config?;
            config.validate_common()?;
            let store = crate::open_store(&config).await?;
            user::run(&config, &store, cmd, &SystemClock, &OsRng).await
        }
        Command::Admin(cmd) => {
            let config = config?;
            config.validate_common()?;
            let store = crate::open_store(&config).await?;
            admin::run(&config, &store, cmd, &SystemClock, &OsRng).await
        }
        Command::Settings(cmd) => {
            let config = config?;
            config.validate_common()?;
            let store = crate::open_store(&config).await?;
            settings::run(&config, &store, cmd, Arc::new(SystemClock), &OsRng).await
        }
    }
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

/// The context of a change made from the command line.
fn shell_ctx<'a>(store: &'a Store, clock: &dyn Clock) -> crate::admin::apps::Ctx<'a> {
    crate::admin::apps::Ctx {
        store,
        now: clock.now(),
        actor: &Actor::Shell,
        ip: None,
        fetch: Default::default(),
    }
}

fn kv_pairs(sets: &[&str]) -> Result<Vec<(String, String)>, CliError> {
    sets.iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .ok_or_else(|| CliError(format!("--set `{kv}`: expected KEY=VALUE")))
        })
        .collect()
}

fn admin_err(e: AdminError) -> CliError {
    CliError(match e {
        AdminError::Invalid { field, message } if field.starts_with("metadata") => {
            format!("the metadata cannot be imported: {message}")
        }
        e => e.to_string(),
    })
}

/// Registers an app from metadata bytes with settings; returns the app and import warnings.
/// (The command line accepts expired SP certificates, with a warning.)
pub async fn add_app(
    store: &Store,
    name: &str,
    metadata_xml: &[u8],
    entity_id: Option<&str>,
    sets: &[String],
    clock: &dyn Clock,
) -> Result<(App, Vec<String>), CliError> {
    let new = NewApp {
        name: name.to_string(),
        metadata: Some(MetadataInput::Xml {
            xml: metadata_xml.to_vec(),
            field: "metadata",
            fetched_from: None,
        }),
        entity_id: entity_id.map(str::to_string),
        settings: kv_pairs(&sets.iter().map(String::as_str).collect::<Vec<_>>())?,
        accept_expired_certificates: true,
        ..NewApp::default()
    };
    let saved = admin_apps::create(&shell_ctx(store, clock), &new)
        .await
        .map_err(admin_err)?;
    Ok((saved.app, saved.warnings))
}

/// Registers an app from a cloud preset: its parameters and the other settings from `sets`, the SP
/// from the preset's built-in data or from `metadata_xml` (required for per-account variants).
pub async fn add_preset_app(
    store: &Store,
    name: &str,
    preset: &str,
    metadata_xml: Option<&[u8]>,
    entity_id: Option<&str>,
    sets: &[String],
    clock: &dyn Clock,
) -> Result<(App, Vec<String>), CliError> {
    let p = providers::find(preset).map_err(|e| CliError(e.to_string()))?;
    let (params, rest) = p.split(sets).map_err(|e| CliError(e.to_string()))?;
    let new = NewApp {
        name: name.to_string(),
        preset: Some(preset.to_string()),
        params: params.into_iter().collect(),
        metadata: metadata_xml.map(|xml| MetadataInput::Xml {
            xml: xml.to_vec(),
            field: "metadata",
            fetched_from: None,
        }),
        entity_id: entity_id.map(str::to_string),
        settings: kv_pairs(&rest)?,
        accept_expired_certificates: true,
        ..NewApp::default()
    };
    let saved = admin_apps::create(&shell_ctx(store, clock), &new)
        .await
        .map_err(admin_err)?;
    Ok((saved.app, saved.warnings))
}

async fn app_command(
    config: &Config,
    store: &Store,
    cmd: &AppCommand,
    clock: &dyn Clock,
) -> Result<(), CliError> {
    match cmd {
        AppCommand::Add {
            name,
            metadata,
            entity_id,
            preset,
            sets,
        } => {
            if let Some(p) = preset {
                let xml =
                    match metadata {
                        Some(path) => Some(std::fs::read(path).map_err(|e| {
                            CliError(format!("cannot read {}: {e}", path.display()))
                        })?),
                        None => None,
                    };
                let (app, warnings) = add_preset_app(
                    store,
                    name,
                    p,
                    xml.as_deref(),
                    entity_id.as_deref(),
                    sets,
                    clock,
                )
                .await?;
                for w in &warnings {
                    println!("warning: {w}");
                }
                println!(
                    "added app `{}` ({}, preset {p})",
                    app.name, app.metadata.entity_id
                );
                print_app(config, &app);
                return Ok(());
            }
            let Some(path) = metadata else {
                return Err(CliError(
                    "give the SP's metadata with --metadata FILE".into(),
                ));
            };
            let xml = std::fs::read(path)
                .map_err(|e| CliError(format!("cannot read {}: {e}", path.display())))?;
            let (app, warnings) =
                add_app(store, name, &xml, entity_id.as_deref(), sets, clock).await?;
            for w in &warnings {
                println!("warning: {w}");
            }
            println!("added app `{}` ({})", app.name, app.metadata.entity_id);
            print_app(config, &app);
            Ok(())
        }
        AppCommand::List => {
            let apps = store.apps().await?;
            if apps.is_empty() {
                println!(
                    "no apps yet: wecom-idp app add NAME --metadata SP-METADATA.xml, or \
                     --preset PRESET --set KEY=VALUE… for a cloud console (README: Cloud console presets)"
                );
            }
            for row in apps {
                let app = App::from_row(row)?;
                println!(
                    "{}\t{}\t{}",
                    app.name,
                    app.metadata.entity_id,
                    config.mount_url(app.name.as_str())
                );
            }
            Ok(())
        }
        AppCommand::Show { name } => {
            let app = load(store, name).await?;
            print_app(config, &app);
            Ok(())
        }
        AppCommand::Set { name, sets } => {
            let pairs = kv_pairs(&sets.iter().map(String::as_str).collect::<Vec<_>>())?;
            let saved = admin_apps::update_settings(&shell_ctx(store, clock), name, &pairs)
                .await
                .map_err(admin_err)?;
            println!("updated app `{}`", saved.app.name);
            print_app(config, &saved.app);
            Ok(())
        }
        AppCommand::Remove { name } => {
            match admin_apps::delete(&shell_ctx(store, clock), name).await {
                Ok(()) => {
                    println!("removed app `{name}`");
                    Ok(())
                }
                Err(AdminError::NotFound(_)) => Err(CliError(format!(
                    "no app named `{name}` (wecom-idp app list shows them)"
                ))),
                Err(e) => Err(admin_err(e)),
            }
        }
    }
}

async fn load(store: &Store, name: &str) -> Result<App, CliError> {
    let name = AppName::parse(name)?;
    match store.app(name.as_str()).await? {
        Some(row) => Ok(App::from_row(row)?),
        None => Err(CliError(format!(
            "no app named `{name}` (wecom-idp app list shows them)"
        ))),
    }
}

fn print_app(config: &Config, app: &App) {
    for (label, value) in crate::admin::app_view::lines(config, app) {
        let label = if label.en.is_empty() {
            String::new()
        } else {
            format!("{}:", label.en)
        };
        println!("{label:<17}{}", value.en);
    }
    let a = crate::admin::app_view::addresses(config, app);
    println!("{:<17}{}", "mount address:", a.mount);
    println!("WeCom app homepage (paste it in the WeCom admin console):");
    println!("homepage: {}", a.homepage.url);
    println!("mode: {}", a.homepage.mode.as_str());
    println!("why: {}", a.homepage.reason.en);
}
