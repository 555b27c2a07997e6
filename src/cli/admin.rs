//! `wecom-idp admin …`: the shell side of the admin console — the bootstrap of the first admin
//! (`admin add USERID`: whoever can run this on the server can already read the database, so it is
//! the trust anchor; there is never a default password), and API tokens (`admin token create --name
//! N` prints the token once; only its SHA-256 is stored).

use super::CliError;
use crate::admin::auth::{self as admin_auth, check_userid};
use crate::admin::{Actor, AdminError};
use crate::clock::Clock;
use crate::config::Config;
use crate::random::Rng;
use crate::store::Store;
use clap::Subcommand;

/// `admin` subcommands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Allow a WeCom member to sign in to the admin console (the first admin is added this way, or
    /// in `[admin] userids`).
    Add {
        /// The member's WeCom userid (账号).
        userid: String,
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
pub async fn run(
    config: &Config,
    store: &Store,
    cmd: &AdminCommand,
    clock: &dyn Clock,
    rng: &dyn Rng,
) -> Result<(), CliError> {
    let now = clock.unix();
    match cmd {
        AdminCommand::Add { userid } => {
            let userid = userid.trim();
            check_userid(userid).map_err(admin_error)?;
            if store.add_admin(userid, &Actor::Shell.label(), now).await? {
                admin_auth::audit_change(store, now, admin_auth::AdminChange { actor: &Actor::Shell, event: "admin_add", app: None, userid: Some(userid), detail: Some(serde_json::json!({"before": {"admin": false}, "after": {"admin": true}})), client_ip: None })
                .await;
                println!(
                    "`{userid}` is now an admin: they sign in at {}/admin with WeCom.",
                    config.base()
                );
            } else {
                println!("`{userid}` was already an admin.");
            }
            Ok(())
        }
        AdminCommand::Remove { userid } => {
            if config.admin.userids.iter().any(|u| u.trim() == userid) {
                return Err(CliError(format!(
                    "`{userid}` is named in the configuration (`[admin] userids`): remove it there"
                )));
            }
            if !store.remove_admin(userid).await? {
                return Err(CliError(format!(
                    "`{userid}` is not an admin (wecom-idp admin list)"
                )));
            }
            admin_auth::audit_change(
                store,
                now,
                admin_auth::AdminChange {
                    actor: &Actor::Shell,
                    event: "admin_remove",
                    app: None,
                    userid: Some(userid),
                    detail: Some(
                        serde_json::json!({"before": {"admin": true}, "after": {"admin": false}}),
                    ),
                    client_ip: None,
                },
            )
            .await;
            println!("`{userid}` is no longer an admin; their console sessions have ended.");
            Ok(())
        }
        AdminCommand::List => {
            for u in &config.admin.userids {
                println!("{}\tconfiguration", u.trim());
            }
            for a in store.admins().await? {
                println!(
                    "{}\tadded by {} at {}",
                    a.userid,
                    a.added_by,
                    when(a.added_at)
                );
            }
            Ok(())
        }
        AdminCommand::Token(TokenCommand::Create { name }) => {
            let (row, token) = admin_auth::create_token(store, name, &Actor::Shell, now, rng)
                .await
                .map_err(admin_error)?;
            admin_auth::audit_change(
                store,
                now,
                admin_auth::AdminChange {
                    actor: &Actor::Shell,
                    event: "token_create",
                    app: None,
                    userid: None,
                    detail: Some(serde_json::json!({ "token": row.name })),
                    client_ip: None,
                },
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
        AdminCommand::Token(TokenCommand::List) => {
            for t in store.admin_tokens().await? {
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
        AdminCommand::Token(TokenCommand::Revoke { name }) => {
            if !store.revoke_admin_token(name, now).await? {
                return Err(CliError(format!(
                    "no live token named `{name}` (wecom-idp admin token list)"
                )));
            }
            admin_auth::audit_change(
                store,
                now,
                admin_auth::AdminChange {
                    actor: &Actor::Shell,
                    event: "token_revoke",
                    app: None,
                    userid: None,
                    detail: Some(serde_json::json!({ "token": name })),
                    client_ip: None,
                },
            )
            .await;
            println!("token `{name}` revoked.");
            Ok(())
        }
    }
}
