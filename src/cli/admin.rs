//! `wecom-idp admin …`: the shell side of the admin console — the bootstrap of the first admin
//! (`admin add USERID`: whoever can run this on the server can already read the database, so it is
//! the trust anchor; there is never a default password), and API tokens (`admin token create --name
//! N` prints the token once; only its SHA-256 is stored). `admin add` asks WeCom whether the userid
//! is a member the WeCom app can see, as the console does (see `cli/names.rs`).

use super::names::Saved;
use super::{CliError, Shell};
use crate::admin::auth::{self as admin_auth, check_userid};
use crate::admin::wecom_names::Named;
use crate::admin::{Actor, AdminError};
use crate::random::Rng;
use crate::store::AuditKind;
use clap::Subcommand;

/// `admin` subcommands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Allow a WeCom member to sign in to the admin console (the first admin is added this way, or
    /// in `[admin] userids`).
    Add {
        /// The member's WeCom userid (账号).
        userid: String,
        /// Add them even though WeCom does not know the userid (or the WeCom app cannot see
        /// them); audited with what the check found.
        #[arg(long)]
        force: bool,
    },
    /// Stop a member from using the admin console (their console sessions end).
    Remove {
        /// The member's WeCom userid.
        userid: String,
    },
    /// List the admins (configuration and database).
    List,
    /// API tokens for `/api/v1`.
    #[command(subcommand)]
    Token(TokenCommand),
}

/// `admin token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token and print it (once: only its hash is kept).
    Create {
        /// What uses it, e.g. `ci` (letters, digits, `_ - .`).
        #[arg(long)]
        name: String,
    },
    /// List tokens: name, created, last used, revoked.
    List,
    /// Revoke a token (by name or ID); it never works again.
    Revoke {
        /// Token name or ID.
        name: String,
    },
}

fn admin_error(e: AdminError) -> CliError {
    CliError(e.to_string())
}

fn when(unix: i64) -> String {
    crate::http::admin::api::rfc3339(unix)
}

/// Runs an `admin` subcommand.
pub async fn run(shell: &Shell<'_>, cmd: &AdminCommand, rng: &dyn Rng) -> Result<(), CliError> {
    match cmd {
        AdminCommand::Add { userid, force } => add(shell, userid.trim(), *force).await,
        AdminCommand::Remove { userid } => remove(shell, userid).await,
        AdminCommand::List => list(shell).await,
        AdminCommand::Token(TokenCommand::Create { name }) => token_create(shell, name, rng).await,
        AdminCommand::Token(TokenCommand::List) => token_list(shell).await,
        AdminCommand::Token(TokenCommand::Revoke { name }) => token_revoke(shell, name).await,
    }
}

/// Audits a change made from the shell.
async fn audit(
    shell: &Shell<'_>,
    event: AuditKind,
    userid: Option<&str>,
    detail: serde_json::Value,
) {
    admin_auth::audit_change(
        shell.store,
        shell.clock.unix(),
        admin_auth::AdminChange {
            actor: &Actor::Shell,
            event,
            app: None,
            userid,
            detail: Some(detail),
            client_ip: None,
        },
    )
    .await;
}

/// `admin add`: once WeCom knows the userid (an admin it does not know can never sign in).
async fn add(shell: &Shell<'_>, userid: &str, force: bool) -> Result<(), CliError> {
    check_userid(userid).map_err(admin_error)?;
    let forced = shell
        .check(&[Named::User(userid.to_string())], force)
        .await?;
    let now = shell.clock.unix();
    if !shell
        .store
        .add_admin(userid, &Actor::Shell.label(), now)
        .await?
    {
        println!("`{userid}` was already an admin.");
        return Ok(());
    }
    audit(
        shell,
        AuditKind::AdminAdd,
        Some(userid),
        serde_json::json!({"before": {"admin": false}, "after": {"admin": true}}),
    )
    .await;
    if let Some(found) = forced {
        let saved = Saved {
            what: "admin",
            app: None,
            userid: Some(userid),
        };
        shell.audit(saved, &found).await;
    }
    println!(
        "`{userid}` is now an admin: they sign in at {}/admin with WeCom.",
        shell.config.base()
    );
    Ok(())
}

async fn remove(shell: &Shell<'_>, userid: &str) -> Result<(), CliError> {
    if shell
        .config
        .admin
        .userids
        .iter()
        .any(|u| u.trim() == userid)
    {
        return Err(CliError(format!(
            "`{userid}` is named in the configuration (`[admin] userids`): remove it there"
        )));
    }
    if !shell.store.remove_admin(userid).await? {
        return Err(CliError(format!(
            "`{userid}` is not an admin (wecom-idp admin list)"
        )));
    }
    audit(
        shell,
        AuditKind::AdminRemove,
        Some(userid),
        serde_json::json!({"before": {"admin": true}, "after": {"admin": false}}),
    )
    .await;
    println!("`{userid}` is no longer an admin; their console sessions have ended.");
    Ok(())
}

async fn list(shell: &Shell<'_>) -> Result<(), CliError> {
    for u in &shell.config.admin.userids {
        println!("{}\tconfiguration", u.trim());
    }
    for a in shell.store.admins().await? {
        println!(
            "{}\tadded by {} at {}",
            a.userid,
            a.added_by,
            when(a.added_at)
        );
    }
    Ok(())
}

async fn token_create(shell: &Shell<'_>, name: &str, rng: &dyn Rng) -> Result<(), CliError> {
    let now = shell.clock.unix();
    let (row, token) = admin_auth::create_token(shell.store, name, &Actor::Shell, now, rng)
        .await
        .map_err(admin_error)?;
    audit(
        shell,
        AuditKind::TokenCreate,
        None,
        serde_json::json!({ "token": row.name }),
    )
    .await;
    eprintln!(
        "API token `{}` created. It is printed once, below; store it now \
         (send it as `Authorization: Bearer TOKEN`).",
        row.name
    );
    println!("{token}");
    Ok(())
}

async fn token_list(shell: &Shell<'_>) -> Result<(), CliError> {
    for t in shell.store.admin_tokens().await? {
        let state = match t.revoked_at {
            Some(r) => format!("revoked {}", when(r)),
            None => "active".into(),
        };
        let used = t.last_used_at.map(when).unwrap_or_else(|| "never".into());
        println!(
            "{}\t{}\tcreated {} by {}\tlast used {}",
            t.name,
            state,
            when(t.created_at),
            t.created_by,
            used
        );
    }
    Ok(())
}

async fn token_revoke(shell: &Shell<'_>, name: &str) -> Result<(), CliError> {
    if !shell
        .store
        .revoke_admin_token(name, shell.clock.unix())
        .await?
    {
        return Err(CliError(format!(
            "no live token named `{name}` (wecom-idp admin token list)"
        )));
    }
    audit(
        shell,
        AuditKind::TokenRevoke,
        None,
        serde_json::json!({ "token": name }),
    )
    .await;
    println!("token `{name}` revoked.");
    Ok(())
}
