//! `wecom-idp user …`: the account directory from the command line — CSV import (all lines checked
//! first, then one transaction) and export, list, bind/unbind a WeCom member, disable (ends the
//! member's sessions), set a bind password (read from stdin), issue a one-time bind code.

use super::CliError;
use crate::admin::users::{self, ImportError};
use crate::admin::{Actor, AdminError};
use crate::clock::Clock;
use crate::config::Config;
use crate::identity::directory::AccountStatus;
use crate::random::Rng;
use crate::store::Store;
use clap::Subcommand;
use std::path::PathBuf;

/// `user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Import accounts from CSV (`username,display_name,email,mobile,employee_no,status`).
    Import {
        /// The CSV file.
        file: PathBuf,
    },
    /// Print every account as CSV (the import format).
    Export,
    /// List accounts with their WeCom binding.
    List,
    /// Bind an account to a WeCom member.
    Bind {
        /// The account's username.
        username: String,
        /// The WeCom userid.
        wecom_userid: String,
    },
    /// Remove an account's binding (its member's sessions end at their next request).
    Unbind {
        /// The account's username.
        username: String,
    },
    /// Disable an account and end its member's sessions.
    Disable {
        /// The account's username.
        username: String,
    },
    /// Enable a disabled account.
    Enable {
        /// The account's username.
        username: String,
    },
    /// Set the password the member can prove the account with on the bind page (read from stdin).
    SetPassword {
        /// The account's username.
        username: String,
    },
    /// Print a one-time bind code for the account (valid 24 hours; stored hashed).
    IssueCode {
        /// The account's username.
        username: String,
    },
}

fn admin_error(e: AdminError) -> CliError {
    CliError(e.to_string())
}

/// Runs a `user` subcommand. The work is [`crate::admin::users`]'s, the same functions the console
/// and the API call; changes are audited with the actor `shell`.
pub async fn run(
    config: &Config,
    store: &Store,
    cmd: &UserCommand,
    clock: &dyn Clock,
    rng: &dyn Rng,
) -> Result<(), CliError> {
    // The corp ID in force: the admin console's, or the configuration's.
    let corp = &crate::settings::corp_id(config, store)
        .await
        .map_err(|e| CliError(e.to_string()))?;
    let now = clock.unix();
    let me = Actor::Shell;
    match cmd {
        UserCommand::Import { file } => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| CliError(format!("cannot read {}: {e}", file.display())))?;
            match users::import(store, &me, now, rng, &text, None).await {
                Ok(done) => println!(
                    "imported {} accounts ({} new, {} updated)",
                    done.created + done.updated,
                    done.created,
                    done.updated
                ),
                Err(ImportError::Lines(errors)) => {
                    return Err(CliError(format!(
                        "{}: nothing was imported:\n  {}",
                        file.display(),
                        errors.join("\n  ")
                    )))
                }
                Err(ImportError::Admin(e)) => return Err(admin_error(e)),
            }
        }
        UserCommand::Export => {
            print!("{}", users::export(store).await.map_err(admin_error)?);
        }
        UserCommand::List => {
            let mut offset = 0;
            loop {
                let page = users::search(
                    store,
                    corp,
                    &users::SearchInput {
                        limit: Some(users::MAX_LIMIT),
                        offset: Some(offset),
                        ..users::SearchInput::default()
                    },
                )
                .await
                .map_err(admin_error)?;
                for u in &page.users {
                    println!(
                        "{}\t{}\t{}\t{}",
                        u.account.username,
                        u.account.display_name,
                        u.account.status,
                        u.binding
                            .as_ref()
                            .map(|b| format!("wecom:{} ({})", b.userid, b.how))
                            .unwrap_or_else(|| "unbound".into())
                    );
                }
                if !page.more {
                    break;
                }
                offset += page.limit;
            }
        }
        UserCommand::Bind {
            username,
            wecom_userid,
        } => {
            users::bind(store, corp, &me, now, username, wecom_userid, None)
                .await
                .map_err(admin_error)?;
            println!("`{username}` is bound to WeCom member `{wecom_userid}`");
        }
        UserCommand::Unbind { username } => {
            match users::unbind(store, corp, &me, now, username, None).await {
                Ok(u) => println!("`{username}` is no longer bound to `{u}`; their sessions ended"),
                Err(AdminError::NotFound(what)) if what.starts_with("a binding") => {
                    println!("`{username}` was not bound")
                }
                Err(e) => return Err(admin_error(e)),
            }
        }
        UserCommand::Disable { username } | UserCommand::Enable { username } => {
            let status = if matches!(cmd, UserCommand::Disable { .. }) {
                AccountStatus::Disabled
            } else {
                AccountStatus::Active
            };
            let profile = users::Profile {
                status: Some(status.as_str().into()),
                ..users::Profile::default()
            };
            users::update(store, corp, &me, now, username, &profile, None)
                .await
                .map_err(admin_error)?;
            println!("`{username}` is {}", status.as_str());
        }
        UserCommand::SetPassword { username } => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| CliError(format!("reading the password from stdin: {e}")))?;
            let password = line.trim_end_matches(['\n', '\r']);
            users::set_password(
                store,
                corp,
                &me,
                now,
                rng,
                users::NewPassword { username, password },
                None,
            )
            .await
            .map_err(admin_error)?;
            println!("password set for `{username}`");
        }
        UserCommand::IssueCode { username } => {
            let (code, _) = users::issue_code(store, corp, &me, now, rng, username, None)
                .await
                .map_err(admin_error)?;
            println!("{code}");
            eprintln!("one-time bind code for `{username}`, valid 24 hours");
        }
    }
    Ok(())
}
