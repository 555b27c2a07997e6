//! `wecom-idp app add|list|show|set|remove`: apps from the shell, through the same domain functions
//! as the console and the API ([`crate::admin::apps`]), audited with the actor `shell`. `app set`
//! asks WeCom about the members, tags and departments its access and role rules name, as the
//! console's Save does (see `cli/names.rs`).

use super::names::{self, Saved};
use super::{CliError, Shell};
use crate::admin::app_create::{self, Created};
use crate::admin::app_metadata::MetadataInput;
use crate::admin::apps::{self as admin_apps, NewApp};
use crate::admin::oidc_clients::{self, NewOidcClient};
use crate::admin::wecom_names::{self, NamesCheck};
use crate::admin::{app_checks, Actor, AdminError};
use crate::apps::{App, AppName, SETTING_KEYS};
use crate::clock::Clock;
use crate::config::Config;
use crate::providers;
use crate::store::Store;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};

/// `app` subcommands.
#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Register an app from its SP metadata.
    Add(AddArgs),
    /// List the apps.
    List,
    /// Show an app, its mount address and the WeCom homepage URL.
    Show {
        /// App name.
        name: String,
    },
    /// Change an app's settings.
    Set(SetArgs),
    /// Remove an app.
    Remove {
        /// App name.
        name: String,
    },
    /// Push the members who may open the app to its SCIM endpoint (provision=scim): create,
    /// update, deactivate users and groups; a second run with nothing changed sends nothing.
    Provision {
        /// App name.
        name: String,
        /// List the changes without sending anything.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `app add` options.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// `[a-z0-9-]{1,64}`; part of the mount address.
    pub name: String,
    /// The SP's SAML metadata file (EntityDescriptor, or EntitiesDescriptor).
    #[arg(long)]
    pub metadata: Option<PathBuf>,
    /// Which SP to take from an EntitiesDescriptor holding several.
    #[arg(long)]
    pub entity_id: Option<String>,
    /// A cloud console preset (generic, huawei, huawei-identity-center, tencent-role,
    /// tencent-user, tencent-cic, aliyun-role, aliyun-user, aliyun-cloudsso, aws-role,
    /// aws-identity-center, volcengine-role, volcengine-user, baidu-role, kingsoft-role); its
    /// parameters are given with --set.
    #[arg(long)]
    pub preset: Option<String>,
    /// A setting, KEY=VALUE (repeatable); `app set --help` lists them.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// An OpenID Connect client instead of a SAML app: prints its client ID and, for a
    /// confidential client, its secret (once).
    #[arg(long, conflicts_with_all = ["metadata", "entity_id"])]
    pub oidc: bool,
    /// A redirect URI of the OIDC client (repeatable; https, or http on a loopback host).
    #[arg(long = "redirect-uri", value_name = "URL", requires = "oidc")]
    pub redirect_uris: Vec<String>,
    /// Add even though WeCom does not know a member, tag or department the access or role rules
    /// name (or the WeCom app cannot see it); audited with what the check found.
    #[arg(long)]
    pub force: bool,
}

/// `app set` options.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// App name.
    pub name: String,
    /// KEY=VALUE (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE", required = true, long_help = settings_help())]
    pub sets: Vec<String>,
    /// Save even though WeCom does not know a member, tag or department the access or role rules
    /// name (or the WeCom app cannot see it); audited with what the check found.
    #[arg(long)]
    pub force: bool,
}

fn settings_help() -> String {
    let mut s = String::from("KEY=VALUE (repeatable). Keys:\n");
    for (k, h) in SETTING_KEYS {
        s.push_str(&format!("  {k}: {h}\n"));
    }
    s.push_str(&format!(
        "  {}: a file holding the app's SCIM bearer token (sealed under the master key when \
         stored, never shown)\n",
        super::provision::TOKEN_FILE_KEY
    ));
    s
}

/// Runs an `app` subcommand.
pub async fn run(shell: &Shell<'_>, cmd: &AppCommand) -> Result<(), CliError> {
    match cmd {
        AppCommand::Add(args) => add(shell, args).await,
        AppCommand::List => list(shell.config, shell.store).await,
        AppCommand::Show { name } => {
            if let Some(c) = oidc_clients::find(shell.store, name)
                .await
                .map_err(admin_err)?
            {
                print_client(shell.config, &c);
                return Ok(());
            }
            print_app(shell.config, &load(shell.store, name).await?);
            Ok(())
        }
        AppCommand::Set(args) => set(shell, args).await,
        AppCommand::Remove { name } => remove(shell, name).await,
        AppCommand::Provision { name, dry_run } => {
            let app = load(shell.store, name).await?;
            super::provision::run(shell, &app, *dry_run).await
        }
    }
}

/// The context of a change made from the command line.
fn shell_ctx<'a>(store: &'a Store, clock: &dyn Clock) -> admin_apps::Ctx<'a> {
    admin_apps::Ctx {
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

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError(format!("cannot read {}: {e}", path.display())))
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
    create(
        store,
        metadata_app(name, metadata_xml, entity_id, sets)?,
        clock,
    )
    .await
}

/// The app of `app add --metadata`.
fn metadata_app(
    name: &str,
    metadata_xml: &[u8],
    entity_id: Option<&str>,
    sets: &[String],
) -> Result<NewApp, CliError> {
    Ok(NewApp {
        name: name.to_string(),
        metadata: Some(MetadataInput::Xml {
            xml: metadata_xml.to_vec(),
            field: "metadata",
            fetched_from: None,
        }),
        entity_id: entity_id.map(str::to_string),
        settings: kv_pairs(&sets.iter().map(String::as_str).collect::<Vec<_>>())?,
        ..NewApp::default()
    })
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
    let new = preset_app(name, preset, metadata_xml, entity_id, sets)?;
    create(store, new, clock).await
}

/// The app of `app add --preset`.
fn preset_app(
    name: &str,
    preset: &str,
    metadata_xml: Option<&[u8]>,
    entity_id: Option<&str>,
    sets: &[String],
) -> Result<NewApp, CliError> {
    let p = providers::find(preset).map_err(|e| CliError(e.to_string()))?;
    let (params, rest) = p.split(sets).map_err(|e| CliError(e.to_string()))?;
    Ok(NewApp {
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
        ..NewApp::default()
    })
}

/// Creates the app; the command line accepts expired SP certificates, with a warning.
async fn create(
    store: &Store,
    new: NewApp,
    clock: &dyn Clock,
) -> Result<(App, Vec<String>), CliError> {
    let saved = admin_apps::create(&shell_ctx(store, clock), &shell_app(new))
        .await
        .map_err(admin_err)?;
    Ok((saved.app, saved.warnings))
}

/// The command line accepts expired SP certificates, with a warning.
fn shell_app(new: NewApp) -> NewApp {
    NewApp {
        accept_expired_certificates: true,
        ..new
    }
}

/// Creates the app once WeCom knows the names its access and role rules name (or with `force`,
/// or unchecked when WeCom cannot be asked, with a warning), after the app's own checks: a mistake
/// in what was typed is the first thing to fix, before WeCom is asked. The console's creation:
/// planned once, checked, stored and audited by [`app_create::create`].
async fn create_checked(
    shell: &Shell<'_>,
    new: NewApp,
    force: bool,
) -> Result<(App, Vec<String>), CliError> {
    let new = shell_app(new);
    let ctx = shell_ctx(shell.store, shell.clock.as_ref());
    let wecom = shell.wecom().await;
    match app_create::create(&ctx, &new, &wecom, names::mode(force))
        .await
        .map_err(admin_err)?
    {
        Created::Saved { saved, forced } => {
            if let Some(found) = &forced {
                names::warn(found, &wecom);
            }
            Ok((saved.app, saved.warnings))
        }
        Created::Refused { found, .. } => Err(names::refused(&found)),
    }
}

/// `app add`: from a preset (the SP's metadata optional), or from the SP's metadata.
async fn add(shell: &Shell<'_>, a: &AddArgs) -> Result<(), CliError> {
    if a.oidc {
        return add_client(shell, a).await;
    }
    let xml = a.metadata.as_deref().map(read).transpose()?;
    let entity_id = a.entity_id.as_deref();
    let (new, how) = match &a.preset {
        Some(p) => {
            let new = preset_app(&a.name, p, xml.as_deref(), entity_id, &a.sets)?;
            (new, format!(", preset {p}"))
        }
        None => {
            let Some(xml) = xml else {
                return Err(CliError(
                    "give the SP's metadata with --metadata FILE".into(),
                ));
            };
            (
                metadata_app(&a.name, &xml, entity_id, &a.sets)?,
                String::new(),
            )
        }
    };
    let (app, warnings) = create_checked(shell, new, a.force).await?;
    for w in &warnings {
        println!("warning: {w}");
    }
    println!("added app `{}` ({}{how})", app.name, app.metadata.entity_id);
    print_app(shell.config, &app);
    Ok(())
}

/// `app add NAME --oidc --redirect-uri URL…`: the client ID, and a confidential client's secret
/// printed this once.
async fn add_client(shell: &Shell<'_>, a: &AddArgs) -> Result<(), CliError> {
    let ctx = shell_ctx(shell.store, shell.clock.as_ref());
    let preset = a
        .preset
        .as_deref()
        .map(providers::oidc::find)
        .transpose()
        .map_err(|e| CliError(e.to_string()))?;
    let sets = kv_pairs(&a.sets.iter().map(String::as_str).collect::<Vec<_>>())?;
    let new = NewOidcClient {
        name: a.name.clone(),
        redirect_uris: a.redirect_uris.clone(),
        settings: match preset {
            Some(p) => p.with(&sets),
            None => sets,
        },
    };
    let made = oidc_clients::create(&ctx, &crate::random::OsRng, &new)
        .await
        .map_err(admin_err)?;
    println!("added OIDC client `{}`", made.client.name);
    if let Some(secret) = &made.secret {
        println!("client_secret:   {secret}");
        println!(
            "(shown this once: only its hash is stored; keep it in the app's configuration now)"
        );
    }
    print_client(shell.config, &made.client);
    if let Some(p) = preset {
        let base = shell.config.base();
        let jwks = format!("{base}{}", crate::oidc::jwks::JWKS_PATH);
        println!("next steps ({}):", p.name);
        for (i, step) in p
            .next_steps(&base, &jwks, made.client.client_id.as_str())
            .iter()
            .enumerate()
        {
            println!("  {}. {step}", i + 1);
        }
    }
    Ok(())
}

/// An OIDC client, as `app show` prints it: the same `homepage:`/`mode:` lines as a SAML app.
fn print_client(config: &Config, c: &crate::oidc::Client) {
    let base = config.base();
    println!("{:<17}{}", "name:", c.name);
    println!("{:<17}oidc", "protocol:");
    println!("{:<17}{}", "client_id:", c.client_id);
    println!("{:<17}{}", "client_type:", c.config.client_type.as_str());
    println!("{:<17}{base}", "issuer:");
    println!(
        "{:<17}{base}/.well-known/openid-configuration",
        "discovery:"
    );
    for u in &c.config.redirect_uris {
        println!("{:<17}{}", "redirect_uri:", u.as_str());
    }
    for u in &c.config.post_logout_redirect_uris {
        println!("{:<17}{}", "post-logout uri:", u.as_str());
    }
    println!("{:<17}{}", "scopes:", c.config.scopes.to_wire());
    println!(
        "{:<17}{}",
        "id_token alg:",
        c.config.id_token_signed_response_alg.as_str()
    );
    println!("{:<17}{}", "consent:", c.config.consent.as_str());
    if let Some(h) = c.homepage() {
        println!("{:<17}{h}", "login starts at:");
    }
    let mount = config.mount_url(c.name.as_str());
    println!("{:<17}{mount}", "mount address:");
    println!("WeCom app homepage (paste it in the WeCom admin console):");
    println!("homepage: {mount}");
    println!("mode: idp-initiated");
    println!(
        "why: the mount address sends the member to the client's initiate_login_uri (or its \
         first redirect URI's origin), and the client starts the sign-in"
    );
}

async fn list(config: &Config, store: &Store) -> Result<(), CliError> {
    let apps = store.apps().await?;
    let clients = oidc_clients::list(store).await.map_err(admin_err)?;
    for c in &clients {
        println!(
            "{}\toidc:{}\t{}",
            c.name,
            c.client_id,
            config.mount_url(c.name.as_str())
        );
    }
    if apps.is_empty() && clients.is_empty() {
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

/// `app set`: the settings, once WeCom knows the names their rules name.
async fn set(shell: &Shell<'_>, a: &SetArgs) -> Result<(), CliError> {
    let mut pairs = kv_pairs(&a.sets.iter().map(String::as_str).collect::<Vec<_>>())?;
    if oidc_clients::find(shell.store, &a.name)
        .await
        .map_err(admin_err)?
        .is_some()
    {
        let ctx = shell_ctx(shell.store, shell.clock.as_ref());
        let c = oidc_clients::update_settings(&ctx, &a.name, &pairs)
            .await
            .map_err(admin_err)?;
        println!("updated OIDC client `{}`", c.name);
        print_client(shell.config, &c);
        return Ok(());
    }
    // The token file is not a setting: it is read, sealed and stored once the settings are saved.
    let token_file = pairs
        .iter()
        .rposition(|(k, _)| k == super::provision::TOKEN_FILE_KEY)
        .map(|i| pairs.remove(i).1);
    pairs.retain(|(k, _)| k != super::provision::TOKEN_FILE_KEY);
    if pairs.is_empty() {
        if let Some(path) = token_file {
            let app = load(shell.store, &a.name).await?;
            return super::provision::set_token(shell, &app, Path::new(path.trim())).await;
        }
    }
    let forced = check_rule_names(shell, &a.name, &pairs, a.force).await?;
    let ctx = shell_ctx(shell.store, shell.clock.as_ref());
    let saved = admin_apps::update_settings(&ctx, &a.name, &pairs)
        .await
        .map_err(admin_err)?;
    if let Some(found) = forced {
        let saved = Saved {
            what: wecom_names::field_of(&pairs, &found),
            app: Some(&a.name),
            userid: None,
        };
        shell.audit(saved, &found).await;
    }
    println!("updated app `{}`", saved.app.name);
    print_app(shell.config, &saved.app);
    if let Some(path) = token_file {
        super::provision::set_token(shell, &saved.app, Path::new(path.trim())).await?;
    }
    Ok(())
}

/// The WeCom check of the names in the `access` and `role_rules` being saved, after the values'
/// own checks (a syntax error is the first thing to fix, before WeCom is asked).
async fn check_rule_names(
    shell: &Shell<'_>,
    name: &str,
    pairs: &[(String, String)],
    force: bool,
) -> Result<Option<NamesCheck>, CliError> {
    let names = wecom_names::named_in_settings(pairs);
    if names.is_empty() {
        return Ok(None);
    }
    let app = admin_apps::load(shell.store, name)
        .await
        .map_err(admin_err)?;
    if let Some(e) = app_checks::settings(&app, pairs).into_iter().next() {
        return Err(admin_err(e));
    }
    shell.check(&names, force).await
}

async fn remove(shell: &Shell<'_>, name: &str) -> Result<(), CliError> {
    let ctx = shell_ctx(shell.store, shell.clock.as_ref());
    if oidc_clients::find(shell.store, name)
        .await
        .map_err(admin_err)?
        .is_some()
    {
        oidc_clients::delete(&ctx, name).await.map_err(admin_err)?;
        println!("removed OIDC client `{name}`");
        return Ok(());
    }
    match admin_apps::delete(&ctx, name).await {
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
