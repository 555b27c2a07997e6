//! `wecom-idp wecom verify-file add|list|remove`: WeCom's domain-ownership files from the shell,
//! through the same checks and audit rows as the console and the API (actor `shell`). Every instance
//! serves an added file at `{public_url}/WW_verify_<code>.txt` at once.

use super::{CliError, Shell};
use crate::admin::verify_files::{self as domain, VerifyCtx, MAX_CONTENT};
use crate::admin::Actor;
use clap::Subcommand;
use std::io::Read;
use std::path::{Path, PathBuf};

/// `wecom` subcommands.
#[derive(Debug, Subcommand)]
pub enum WecomCommand {
    /// WeCom's domain-ownership files (`WW_verify_<code>.txt`), served at the site's root.
    #[command(subcommand)]
    VerifyFile(VerifyFileCommand),
}

/// `wecom verify-file` subcommands.
#[derive(Debug, Subcommand)]
pub enum VerifyFileCommand {
    /// Upload the file WeCom offers (keep its name: `WW_verify_<code>.txt`).
    Add {
        /// The downloaded file.
        path: PathBuf,
    },
    /// List the uploaded files with their content.
    List,
    /// Remove an uploaded file by name.
    Remove {
        /// `WW_verify_<code>.txt`.
        name: String,
    },
}

/// Runs a `wecom` subcommand.
pub async fn run(shell: &Shell<'_>, cmd: &WecomCommand) -> Result<(), CliError> {
    let WecomCommand::VerifyFile(cmd) = cmd;
    let ctx = VerifyCtx {
        store: shell.store,
        now: shell.clock.unix(),
        actor: &Actor::Shell,
        ip: None,
    };
    match cmd {
        VerifyFileCommand::Add { path } => {
            let name = file_name(path)?;
            let bytes = read_capped(path)?;
            let f = domain::add(ctx, &name, &bytes).await.map_err(admin_err)?;
            let base = shell.config.public_url.trim_end_matches('/');
            println!("added {}; WeCom can now fetch {base}/{}", f.name, f.name);
            Ok(())
        }
        VerifyFileCommand::List => {
            let files = domain::list(shell.store).await.map_err(admin_err)?;
            if files.is_empty() {
                println!("no verification files");
            }
            for f in files {
                println!(
                    "{}\t{}\t{}",
                    f.name,
                    crate::admin::audit::utc(f.created_at),
                    f.content.trim_end()
                );
            }
            Ok(())
        }
        VerifyFileCommand::Remove { name } => {
            domain::remove(ctx, name).await.map_err(admin_err)?;
            println!("removed {name}");
            Ok(())
        }
    }
}

fn admin_err(e: crate::admin::AdminError) -> CliError {
    CliError(e.to_string())
}

/// The file's own name, which WeCom's check asks for.
fn file_name(path: &Path) -> Result<String, CliError> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| CliError(format!("{}: not a file name", path.display())))
}

/// Reads at most one byte past the cap, so a huge file is refused without being read whole.
fn read_capped(path: &Path) -> Result<Vec<u8>, CliError> {
    let file = std::fs::File::open(path)
        .map_err(|e| CliError(format!("{}: cannot read: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(MAX_CONTENT as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError(format!("{}: cannot read: {e}", path.display())))?;
    Ok(bytes)
}
