//! `wecom-idp directory sync`: one full reconciliation of the stored WeCom address book now,
//! printing the counts, every changed entry and every member whose status changed; then the
//! lifecycle rules for those members and provisioning (what the periodic sync does after it).

use std::sync::Arc;

use clap::Subcommand;

use super::{CliError, Shell};
use crate::contacts::{self, Outcome};
use crate::settings::LiveSettings;

/// `directory` subcommands.
#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Read the whole address book the app may see from WeCom now and store the difference
    /// (what the periodic `[directory] sync_interval` does); prints what changed.
    Sync,
}

/// Runs a `directory` subcommand.
pub async fn run(shell: &Shell<'_>, cmd: &DirectoryCommand) -> Result<(), CliError> {
    match cmd {
        DirectoryCommand::Sync => sync(shell).await,
    }
}

async fn sync(shell: &Shell<'_>) -> Result<(), CliError> {
    let live = LiveSettings::new(
        Arc::new(shell.config.clone()),
        shell.clock.clone(),
        Default::default(),
    );
    let effective = live.current(shell.store).await.map_err(|e| {
        CliError(format!(
            "the WeCom settings in force do not work, so WeCom cannot be read: {e}"
        ))
    })?;
    let ctx = contacts::Ctx {
        store: shell.store,
        client: &effective.client,
    };
    let outcome = contacts::full_sync(&ctx, shell.clock.unix())
        .await
        .map_err(|e| CliError(format!("directory sync failed, nothing was changed: {e}")))?;
    let status = shell.store.directory_sync_status().await?;
    print!(
        "{}",
        report(&outcome, [status.departments, status.members, status.tags])
    );
    // The stored signing key, when there is one, signs the leavers' back-channel logouts.
    let keys = crate::keys::check(shell.config, shell.store)
        .await
        .ok()
        .flatten();
    let http = crate::lifecycle::back_channel::configured_client(shell.config);
    let back_channel = keys.and_then(|k| {
        crate::lifecycle::back_channel::for_server(
            shell.config,
            &std::sync::Arc::new(k),
            std::sync::Arc::new(crate::random::OsRng),
            http.as_ref(),
        )
    });
    let followed = crate::lifecycle::reconcile::after_full_sync(
        shell.store,
        shell.config,
        &effective,
        &outcome.transitions,
        shell.clock.unix(),
        back_channel.as_ref(),
        &crate::admin::Actor::Shell,
    )
    .await;
    println!(
        "lifecycle: {} member(s) cut off, {} restored; provisioning: {} app(s) run",
        followed.cut_off, followed.restored, followed.provisioned_apps
    );
    Ok(())
}

/// The printed report: one line of totals, then each change and each status transition.
pub fn report(outcome: &Outcome, stored: [i64; 3]) -> String {
    let mut out = format!(
        "directory synced: {} departments, {} members, {} tags stored\n",
        stored[0], stored[1], stored[2]
    );
    for (what, c) in [
        ("departments", outcome.departments),
        ("members", outcome.members),
        ("tags", outcome.tags),
    ] {
        out.push_str(&format!(
            "  {what}: {} created, {} updated, {} removed\n",
            c.created, c.updated, c.removed
        ));
    }
    if outcome.is_empty() {
        out.push_str("nothing changed\n");
    }
    for c in &outcome.changes {
        out.push_str(&format!(
            "{} {} {} ({})\n",
            c.action.as_str(),
            c.entity.as_str(),
            c.key,
            c.name
        ));
    }
    let word = |s: Option<crate::wecom::contact_change::MemberStatus>| match s {
        None => "absent".to_owned(),
        Some(s) => crate::text::member_status_word(s).to_owned(),
    };
    for t in &outcome.transitions {
        out.push_str(&format!(
            "status {}: {} -> {}\n",
            t.userid,
            word(t.before),
            word(t.after)
        ));
    }
    out
}
