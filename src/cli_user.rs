//! `wecom-idp user …`: the account directory from the command line — CSV import (all lines checked
//! first, then one transaction) and export, list, bind/unbind a WeCom member, disable (ends the
//! member's sessions), set a bind password (read from stdin), issue a one-time bind code.

use crate::cli::CliError;
use crate::clock::Clock;
use crate::config::Config;
use crate::identity::directory::{self, AccountId, AccountStatus, BindHow};
use crate::random::Rng;
use crate::store::{AccountRow, Store, StoreError};
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

async fn find(store: &Store, username: &str) -> Result<AccountRow, CliError> {
    store.account_by_username(username).await?.ok_or_else(|| {
        CliError(format!(
            "no account named `{username}` (wecom-idp user list)"
        ))
    })
}

/// Runs a `user` subcommand.
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
    match cmd {
        UserCommand::Import { file } => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| CliError(format!("cannot read {}: {e}", file.display())))?;
            let rows = directory::parse_csv(&text, now, || AccountId::new(&rng.hex(16))).map_err(
                |errors| {
                    CliError(format!(
                        "{}: nothing was imported:\n  {}",
                        file.display(),
                        errors.join("\n  ")
                    ))
                },
            )?;
            store.import_accounts(&rows).await?;
            println!("imported {} accounts", rows.len());
        }
        UserCommand::Export => {
            println!("{}", directory::CSV_HEADER);
            for a in store.accounts().await? {
                println!("{}", directory::csv_line(&a));
            }
        }
        UserCommand::List => {
            let bindings = store.bindings(corp).await?;
            for a in store.accounts().await? {
                let b = bindings.iter().find(|b| b.account_id == a.id);
                println!(
                    "{}\t{}\t{}\t{}",
                    a.username,
                    a.display_name,
                    a.status,
                    b.map(|b| format!("wecom:{} ({})", b.userid, b.how))
                        .unwrap_or_else(|| "unbound".into())
                );
            }
        }
        UserCommand::Bind {
            username,
            wecom_userid,
        } => {
            let a = find(store, username).await?;
            match store
                .bind_account(corp, wecom_userid, &a.id, BindHow::Admin.as_str(), now)
                .await
            {
                Ok(()) => println!("`{username}` is bound to WeCom member `{wecom_userid}`"),
                Err(StoreError::Conflict(_)) => {
                    return Err(CliError(format!(
                    "`{username}` or WeCom member `{wecom_userid}` is already bound: unbind first"
                )))
                }
                Err(e) => return Err(e.into()),
            }
        }
        UserCommand::Unbind { username } => {
            let a = find(store, username).await?;
            match store.unbind_account(corp, &a.id).await? {
                Some(u) => {
                    store.delete_sessions_of(&u).await?;
                    println!("`{username}` is no longer bound to `{u}`; their sessions ended");
                }
                None => println!("`{username}` was not bound"),
            }
        }
        UserCommand::Disable { username } | UserCommand::Enable { username } => {
            let status = if matches!(cmd, UserCommand::Disable { .. }) {
                AccountStatus::Disabled
            } else {
                AccountStatus::Active
            };
            let a = find(store, username).await?;
            store
                .set_account_status(&a.id, status.as_str(), now)
                .await?;
            if status == AccountStatus::Disabled {
                if let Some(u) = store.binding_of_account(corp, &a.id).await? {
                    store.delete_sessions_of(&u).await?;
                }
            }
            println!("`{username}` is {}", status.as_str());
        }
        UserCommand::SetPassword { username } => {
            let a = find(store, username).await?;
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| CliError(format!("reading the password from stdin: {e}")))?;
            let password = line.trim_end_matches(['\n', '\r']);
            if password.chars().count() < 8 {
                return Err(CliError(
                    "the password must be at least 8 characters".into(),
                ));
            }
            let mut salt = [0u8; 16];
            rng.fill(&mut salt);
            let hash = directory::hash_password(password, &salt).map_err(CliError)?;
            store.set_account_password(&a.id, &hash, now).await?;
            println!("password set for `{username}`");
        }
        UserCommand::IssueCode { username } => {
            let a = find(store, username).await?;
            let code = rng.hex(5).to_ascii_uppercase();
            store
                .set_bind_code(
                    &a.id,
                    &directory::code_hash(&code),
                    now + directory::CODE_TTL_SECS,
                )
                .await?;
            println!("{code}");
            eprintln!("one-time bind code for `{username}`, valid 24 hours");
        }
    }
    Ok(())
}
