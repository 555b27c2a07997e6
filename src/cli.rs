//! The `wecom-idp` command line: `serve`, `migrate`, `demo`, `idp-metadata`, `app add|list|show|
//! set|remove` (and `user …`, `admin …` in their own files). Each command loads the configuration, checks what it needs, and prints what the admin
//! must know (mount address, homepage URL, warnings) in plain words.

use crate::apps::{App, AppName, AppSettings, NameIdFormat, SETTING_KEYS};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::providers::{self, Sp};
use crate::random::OsRng;
use crate::saml::sp_metadata;
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
    /// Run the identity provider.
    Serve,
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
    User(crate::cli_user::UserCommand),
    /// Admin console access: admins and API tokens.
    #[command(subcommand)]
    Admin(crate::cli_admin::AdminCommand),
    /// The master key that encrypts the secrets stored in the database.
    #[command(subcommand)]
    MasterKey(MasterKeyCommand),
}

/// `master-key` subcommands (issue 6, secrets at rest).
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
        /// A cloud console preset (generic, huawei, tencent-role, tencent-user, aliyun-role,
        /// aliyun-user, aliyun-cloudsso, aws-role, aws-identity-center, volcengine-role,
        /// volcengine-user, baidu-role, kingsoft-role); its parameters are given with --set.
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

fn load_config(cli: &Cli) -> Result<Config, CliError> {
    Ok(Config::load(cli.config.as_deref(), std::env::vars())?)
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    match &cli.command {
        Command::Demo(args) => crate::demo::run(args).await,
        Command::Serve => serve(load_config(&cli)?).await,
        Command::Migrate => {
            let config = load_config(&cli)?;
            crate::open_store(&config).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::IdpMetadata => {
            let config = load_config(&cli)?;
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
            rotate_master_key(load_config(&cli)?, new_key_file).await
        }
        Command::App(cmd) => {
            let config = load_config(&cli)?;
            config.validate_common()?;
            let store = crate::open_store(&config).await?;
            app_command(&config, &store, cmd, &SystemClock).await
        }
        Command::User(cmd) => {
            let config = load_config(&cli)?;
            config.validate_common()?;
            let store = crate::open_store(&config).await?;
            crate::cli_user::run(&config, &store, cmd, &SystemClock, &OsRng).await
        }
        Command::Admin(cmd) => {
            let config = load_config(&cli)?;
            config.validate_common()?;
            let store = crate::open_store(&config).await?;
            crate::cli_admin::run(&config, &store, cmd, &SystemClock, &OsRng).await
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
    tracing::info!(%addr, entity_id = %state.config.entity_id(), "wecom-idp serving");
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

/// Registers an app from metadata bytes with settings; returns the app and import warnings.
pub async fn add_app(
    store: &Store,
    name: &str,
    metadata_xml: &[u8],
    entity_id: Option<&str>,
    sets: &[String],
    clock: &dyn Clock,
) -> Result<(App, Vec<String>), CliError> {
    let name = AppName::parse(name)?;
    let imported = sp_metadata::import(metadata_xml, entity_id, clock.now())
        .map_err(|e| CliError(format!("the metadata cannot be imported: {e}")))?;
    let mut settings = AppSettings::default();
    settings.apply_all(sets.iter().map(String::as_str))?;
    let now = clock.unix();
    let app = App {
        name,
        metadata: imported.metadata,
        settings,
        metadata_xml: Some(String::from_utf8_lossy(metadata_xml).into_owned()),
        created_at: now,
        updated_at: now,
    };
    store.insert_app(&app.to_row()?).await?;
    Ok((app, imported.warnings))
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
    let name = AppName::parse(name)?;
    let preset = providers::find(preset).map_err(|e| CliError(e.to_string()))?;
    let (params, rest) = preset.split(sets).map_err(|e| CliError(e.to_string()))?;
    let built = preset.build(&params).map_err(|e| CliError(e.to_string()))?;
    let mut settings = built.settings;
    settings.apply_all(rest)?;
    preset
        .check(&settings)
        .map_err(|e| CliError(e.to_string()))?;
    let mut warnings = Vec::new();
    let (metadata, xml) = match (built.sp, metadata_xml) {
        (Sp::Fixed(m), None) => (m, None),
        (sp, Some(xml)) => {
            let imported = sp_metadata::import(xml, entity_id, clock.now())
                .map_err(|e| CliError(format!("the metadata cannot be imported: {e}")))?;
            if let Sp::Fixed(m) = &sp {
                if imported.metadata.entity_id != m.entity_id {
                    return Err(CliError(format!(
                        "--metadata: this file is for {} but preset {} is for {}; give the                          console's own file, or no file",
                        imported.metadata.entity_id, preset.name, m.entity_id
                    )));
                }
            } else if let Some(a) = settings.params.get("account_id") {
                if !imported.metadata.entity_id.contains(a.as_str()) {
                    warnings.push(format!(
                        "the metadata's entity ID {} does not mention account {a}: is it this                          account's file?",
                        imported.metadata.entity_id
                    ));
                }
            }
            warnings.extend(imported.warnings);
            (
                imported.metadata,
                Some(String::from_utf8_lossy(xml).into_owned()),
            )
        }
        (Sp::FromFile(where_), None) => {
            return Err(CliError(format!(
                "preset {} needs this account's SP metadata: --metadata FILE ({where_})",
                preset.name
            )))
        }
    };
    let now = clock.unix();
    let app = App {
        name,
        metadata,
        settings,
        metadata_xml: xml,
        created_at: now,
        updated_at: now,
    };
    store.insert_app(&app.to_row()?).await?;
    Ok((app, warnings))
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
            let mut app = load(store, name).await?;
            let preset = match app.settings.preset.as_deref() {
                Some(p) => Some(providers::find(p).map_err(|e| CliError(e.to_string()))?),
                None => None,
            };
            if let Some(p) = &preset {
                for kv in sets {
                    let k = kv.split_once('=').map_or(kv.as_str(), |(k, _)| k.trim());
                    let setting =
                        SETTING_KEYS.iter().any(|(s, _)| *s == k) || k.starts_with("param.");
                    if !setting
                        && p.params
                            .iter()
                            .any(|x| x.key == k || x.aliases.contains(&k))
                    {
                        return Err(CliError(format!(
                            "`{k}` is a parameter of preset {}, fixed when the app was added: \
                             remove the app and add it again",
                            p.name
                        )));
                    }
                }
            }
            app.settings.apply_all(sets.iter().map(String::as_str))?;
            if let Some(p) = &preset {
                p.check(&app.settings)
                    .map_err(|e| CliError(e.to_string()))?;
            }
            app.updated_at = clock.unix();
            store.update_app(&app.to_row()?).await?;
            println!("updated app `{}`", app.name);
            print_app(config, &app);
            Ok(())
        }
        AppCommand::Remove { name } => {
            let name = AppName::parse(name)?;
            if store.remove_app(name.as_str()).await? {
                println!("removed app `{name}`");
                Ok(())
            } else {
                Err(CliError(format!(
                    "no app named `{name}` (wecom-idp app list shows them)"
                )))
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
    let m = &app.metadata;
    let s = &app.settings;
    println!("name:            {}", app.name);
    println!("entity ID:       {}", m.entity_id);
    for a in &m.acs {
        println!(
            "ACS:             {} [{}]{}{}",
            a.location,
            a.binding.rsplit(':').next().unwrap_or(&a.binding),
            a.index.map(|i| format!(" index={i}")).unwrap_or_default(),
            if a.is_default == Some(true) {
                " default"
            } else {
                ""
            }
        );
    }
    println!(
        "certificates:    {} signing, {} encryption",
        m.signing_certs.len(),
        m.encryption_certs.len()
    );
    println!(
        "signed requests: {}",
        if app.requires_signed_requests(config.saml.want_authn_requests_signed) {
            "required"
        } else {
            "not required (verified when present)"
        }
    );
    let name_id_from = match (&s.name_id_format, &s.name_id_source) {
        (NameIdFormat::Transient, _) => "a new random value each time".to_string(),
        (NameIdFormat::Persistent, _) => "a stable random pairwise ID".to_string(),
        (_, crate::identity::Source::Template(t)) => t.clone(),
        (_, crate::identity::Source::Constant(c)) => format!("\"{c}\""),
        (_, src) => src.label().to_string(),
    };
    println!(
        "NameID:          {} = {name_id_from}",
        s.name_id_format.uri()
    );
    println!(
        "signing:         {}",
        match (s.sign_response, s.sign_assertion) {
            (true, true) => "Response and Assertion",
            (true, false) => "Response only",
            _ => "Assertion only",
        }
    );
    let attrs: Vec<String> = s
        .attributes
        .iter()
        .map(|a| match &a.source {
            crate::identity::Source::Constant(v) => format!("{}=\"{v}\"", a.name),
            crate::identity::Source::Template(t) => format!("{}={t}", a.name),
            other => format!("{}←{}", a.name, other.label()),
        })
        .collect();
    println!(
        "attributes:      {}",
        if attrs.is_empty() {
            "(none)".into()
        } else {
            attrs.join(", ")
        }
    );
    if s.attribute_per_value {
        println!("                 (one Attribute element per value)");
    }
    if let Some(p) = &s.preset {
        println!("preset:          {p}");
    }
    if !s.params.is_empty() {
        let kv: Vec<String> = s.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("parameters:      {}", kv.join(", "));
    }
    let r = &s.roles;
    if r.required || r.default_role.is_some() || !r.rules.is_empty() {
        println!(
            "roles:           {}{}{} ({}){}",
            r.default_role
                .as_deref()
                .map(|d| format!("role={d}"))
                .unwrap_or_else(|| "no default role".into()),
            if r.rules.is_empty() {
                ""
            } else {
                "; role_rules="
            },
            crate::identity::roles::format_rules(&r.rules),
            match r.mode {
                crate::identity::roles::RoleMode::First => "first match",
                crate::identity::roles::RoleMode::Union => "union",
            },
            if r.required {
                "; members without a role are refused"
            } else {
                ""
            }
        );
    }
    if let Some(n) = &s.session_name {
        println!(
            "session name:    from {}, {} {}–{} characters (changed values get a hash suffix)",
            n.source.label(),
            n.charset.describe(),
            n.min,
            n.max
        );
    }
    if let Some(rs) = &s.default_relay_state {
        println!("relay state:     {rs}");
    }
    let mount = config.mount_url(app.name.as_str());
    println!("mount address:   {mount}");
    let home = providers::homepage(s, &mount);
    println!("WeCom app homepage (paste it in the WeCom admin console):");
    println!("homepage: {}", home.url);
    println!("mode: {}", home.mode.as_str());
    println!("why: {}", home.reason);
}
