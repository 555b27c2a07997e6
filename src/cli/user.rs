//! `wecom-idp user …`: the account directory from the command line — CSV import (all lines checked
//! first, then one transaction) and export, list, bind/unbind a WeCom member, disable (ends the
//! member's sessions), set a bind password (read from stdin), issue a one-time bind code. `bind`
//! asks WeCom whether the userid is a member the WeCom app can see, as the console does (see
//! `cli/names.rs`).

use super::names::Saved;
use super::{CliError, Shell};
use crate::admin::users::{self, ImportError};
use crate::admin::wecom_names::Named;
use crate::admin::{Actor, AdminError};
use crate::identity::directory::AccountStatus;
use crate::random::Rng;
use clap::Subcommand;
use std::path::{Path, PathBuf};

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
        /// Bind even though WeCom does not know the userid (or the WeCom app cannot see them);
        /// audited with what the check found.
        #[arg(long)]
        force: bool,
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

/// A `user` command's context: the shell's, and the corp ID bindings are keyed by.
struct Users<'a> {
    shell: &'a Shell<'a>,
    /// The corp ID in force: the admin console's, or the configuration's.
    corp: String,
    rng: &'a dyn Rng,
}

impl Users<'_> {
    fn now(&self) -> i64 {
        self.shell.clock.unix()
    }
}

/// Runs a `user` subcommand. The work is [`crate::admin::users`]'s, the same functions the console
/// and the API call; changes are audited with the actor `shell`.
pub async fn run(shell: &Shell<'_>, cmd: &UserCommand, rng: &dyn Rng) -> Result<(), CliError> {
    let corp = crate::settings::corp_id(shell.config, shell.store)
        .await
        .map_err(|e| CliError(e.to_string()))?;
    let u = Users { shell, corp, rng };
    match cmd {
        UserCommand::Import { file } => import(&u, file).await,
        UserCommand::Export => {
            print!("{}", users::export(shell.store).await.map_err(admin_error)?);
            Ok(())
        }
        UserCommand::List => list(&u).await,
        UserCommand::Bind {
            username,
            wecom_userid,
            force,
        } => bind(&u, username, wecom_userid, *force).await,
        UserCommand::Unbind { username } => unbind(&u, username).await,
        UserCommand::Disable { username } => {
            set_status(&u, username, AccountStatus::Disabled).await
        }
        UserCommand::Enable { username } => set_status(&u, username, AccountStatus::Active).await,
        UserCommand::SetPassword { username } => set_password(&u, username).await,
        UserCommand::IssueCode { username } => issue_code(&u, username).await,
    }
}

async fn import(u: &Users<'_>, file: &Path) -> Result<(), CliError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError(format!("cannot read {}: {e}", file.display())))?;
    match users::import(u.shell.store, &Actor::Shell, u.now(), u.rng, &text, None).await {
        Ok(done) => {
            println!(
                "imported {} accounts ({} new, {} updated)",
                done.created + done.updated,
                done.created,
                done.updated
            );
            Ok(())
        }
        Err(ImportError::Lines(errors)) => Err(CliError(format!(
            "{}: nothing was imported:\n  {}",
            file.display(),
            errors.join("\n  ")
        ))),
        Err(ImportError::Admin(e)) => Err(admin_error(e)),
    }
}

async fn list(u: &Users<'_>) -> Result<(), CliError> {
    let mut offset = 0;
    loop {
        let input = users::SearchInput {
            limit: Some(users::MAX_LIMIT),
            offset: Some(offset),
            ..users::SearchInput::default()
        };
        let page = users::search(u.shell.store, &u.corp, &input)
            .await
            .map_err(admin_error)?;
        for r in &page.users {
            println!(
                "{}\t{}\t{}\t{}",
                r.account.username,
                r.account.display_name,
                r.account.status,
                r.binding
                    .as_ref()
                    .map(|b| format!("wecom:{} ({})", b.userid, b.how))
                    .unwrap_or_else(|| "unbound".into())
            );
        }
        if !page.more {
            return Ok(());
        }
        offset += page.limit;
    }
}

/// `user bind`: once WeCom knows the userid (a binding to anyone else is never used by a login).
async fn bind(u: &Users<'_>, username: &str, userid: &str, force: bool) -> Result<(), CliError> {
    let store = u.shell.store;
    let checked = userid.trim();
    // A bad userid or an unknown account is the first thing to say, before WeCom is asked.
    crate::admin::auth::check_userid(checked).map_err(admin_error)?;
    users::get(store, &u.corp, username)
        .await
        .map_err(admin_error)?;
    let forced = u
        .shell
        .check(&[Named::User(checked.to_string())], force)
        .await?;
    users::bind(
        store,
        &u.corp,
        &Actor::Shell,
        u.now(),
        username,
        userid,
        None,
    )
    .await
    .map_err(admin_error)?;
    if let Some(found) = forced {
        let saved = Saved {
            what: "binding",
            app: None,
            userid: Some(checked),
        };
        u.shell.audit(saved, &found).await;
    }
    println!("`{username}` is bound to WeCom member `{userid}`");
    Ok(())
}

async fn unbind(u: &Users<'_>, username: &str) -> Result<(), CliError> {
    match users::unbind(
        u.shell.store,
        &u.corp,
        &Actor::Shell,
        u.now(),
        username,
        None,
    )
    .await
    {
        Ok(userid) => {
            println!("`{username}` is no longer bound to `{userid}`; their sessions ended")
        }
        Err(AdminError::NotFound(what)) if what.starts_with("a binding") => {
            println!("`{username}` was not bound")
        }
        Err(e) => return Err(admin_error(e)),
    }
    Ok(())
}

async fn set_status(u: &Users<'_>, username: &str, status: AccountStatus) -> Result<(), CliError> {
    let profile = users::Profile {
        status: Some(status.as_str().into()),
        ..users::Profile::default()
    };
    users::update(
        u.shell.store,
        &u.corp,
        &Actor::Shell,
        u.now(),
        username,
        &profile,
        None,
    )
    .await
    .map_err(admin_error)?;
    println!("`{username}` is {}", status.as_str());
    Ok(())
}

async fn set_password(u: &Users<'_>, username: &str) -> Result<(), CliError> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| CliError(format!("reading the password from stdin: {e}")))?;
    let password = line.trim_end_matches(['\n', '\r']);
    let (store, corp, now) = (u.shell.store, &u.corp, u.now());
    users::set_password(
        store,
        corp,
        &Actor::Shell,
        now,
        u.rng,
        users::NewPassword { username, password },
        None,
    )
    .await
    .map_err(admin_error)?;
    println!("password set for `{username}`");
    Ok(())
}

async fn issue_code(u: &Users<'_>, username: &str) -> Result<(), CliError> {
    let (store, corp, now) = (u.shell.store, &u.corp, u.now());
    let (code, _) = users::issue_code(store, corp, &Actor::Shell, now, u.rng, username, None)
        .await
        .map_err(admin_error)?;
    println!("{code}");
    eprintln!("one-time bind code for `{username}`, valid 24 hours");
    Ok(())
}
