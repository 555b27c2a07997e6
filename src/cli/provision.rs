//! `wecom-idp app provision NAME [--dry-run]` and the `scim_token_file=PATH` of `app set`: the SCIM
//! provisioning of one app from the shell, through [`crate::provision`], audited with the actor
//! `shell`. The token file is read here, sealed under the master key, and never printed.

use super::{CliError, Shell};
use crate::admin::Actor;
use crate::apps::{App, ProvisionGroups};
use crate::provision::client::{Retry, ScimToken};
use crate::provision::{self, source, Outcome};
use crate::random::OsRng;
use crate::settings::LiveSettings;
use std::path::Path;
use std::sync::Arc;

/// The `--set` key whose value is a file holding the app's SCIM bearer token.
pub const TOKEN_FILE_KEY: &str = "scim_token_file";

/// Reads, seals and stores the token in `path` for `app`.
pub(super) async fn set_token(shell: &Shell<'_>, app: &App, path: &Path) -> Result<(), CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError(format!(
            "{TOKEN_FILE_KEY}: cannot read {}: {e}",
            path.display()
        ))
    })?;
    let token = ScimToken::parse(&text).map_err(|e| CliError(format!("{TOKEN_FILE_KEY}: {e}")))?;
    let master_key = shell.config.master_key()?;
    let ctx = provision::Ctx {
        store: shell.store,
        master_key,
        now: shell.clock.unix(),
        retry: Retry::default(),
        actor: &Actor::Shell,
        ip: None,
    };
    provision::set_token(&ctx, app, &token, &OsRng)
        .await
        .map_err(|e| CliError(e.to_string()))?;
    println!("stored the SCIM token of app `{}` (sealed)", app.name);
    Ok(())
}

/// Whether the stored directory is current: its last full sync finished within two sync intervals
/// (the rule the console's pickers follow). With the periodic sync off, WeCom is read live.
async fn stored_is_current(shell: &Shell<'_>) -> bool {
    let Ok(Some(interval)) = shell.config.directory.interval() else {
        return false;
    };
    let fresh = i64::try_from(interval.as_secs())
        .unwrap_or(i64::MAX)
        .saturating_mul(2);
    let now = shell.clock.unix();
    match shell.store.directory_sync_status().await {
        Ok(s) => s.finished_at.is_some_and(|at| now - at <= fresh),
        Err(_) => false,
    }
}

/// `app provision`: reads the address book (the stored directory when current, else WeCom), then runs (or with `dry_run` lists) the
/// changes, printing each with how it ended and the counts.
pub(super) async fn run(shell: &Shell<'_>, app: &App, dry_run: bool) -> Result<(), CliError> {
    let live = LiveSettings::new(
        Arc::new(shell.config.clone()),
        shell.clock.clone(),
        Default::default(),
    );
    let effective = live
        .current(shell.store)
        .await
        .map_err(|e| CliError(format!("the WeCom settings in force do not work: {e}")))?;
    let s = &app.settings;
    let with_tags = s.provision_groups == ProvisionGroups::Tags
        || !s.access.tag_refs().is_empty()
        || !s.roles.tag_refs().is_empty();
    let dir = if stored_is_current(shell).await {
        println!("address book: the stored directory (wecom-idp directory sync)");
        let snapshot = shell.store.directory_snapshot().await?;
        source::from_store(snapshot, &effective.client, &effective.policy).await
    } else {
        println!("address book: read from WeCom now (the stored directory is not current)");
        source::from_wecom(&effective.client, &effective.policy, with_tags)
            .await
            .map_err(|e| {
                CliError(format!(
                    "the address book could not be read from WeCom: {e}"
                ))
            })?
    };
    let ctx = provision::Ctx {
        store: shell.store,
        master_key: shell.config.master_key()?,
        now: shell.clock.unix(),
        retry: Retry::default(),
        actor: &Actor::Shell,
        ip: None,
    };
    let report = provision::run(&ctx, app, &dir, &effective.default_access, dry_run)
        .await
        .map_err(|e| CliError(e.to_string()))?;
    for (change, outcome) in &report.changes {
        let how = match outcome {
            Outcome::Planned => "would".to_string(),
            Outcome::Done => "done:".to_string(),
            Outcome::Failed(e) => format!("FAILED ({e}):"),
        };
        println!("{how} {}", change.describe());
    }
    for s in &report.skipped {
        println!("skipped {}: {}", s.userid, s.reason);
    }
    if dry_run {
        println!("dry run: {} change(s), nothing sent", report.changes.len());
        return Ok(());
    }
    let st = &report.status;
    println!(
        "app `{}`: {} created, {} updated, {} deactivated, {} group change(s), {} failed",
        app.name, st.created, st.updated, st.deactivated, st.group_changes, st.failed
    );
    match &st.last_error {
        Some(e) => Err(CliError(format!("some changes failed; the first: {e}"))),
        None => Ok(()),
    }
}
