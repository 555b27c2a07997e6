//! What a full sync of the stored directory sets in motion, whoever ran it (the periodic loop or
//! `wecom-idp directory sync`): the lifecycle rules for every member whose status the sync found
//! changed (a leaver whose event never arrived is cut off here), then every `provision=scim` app
//! brought in line with the directory just stored.

use super::back_channel::BackChannel;
use super::{on_transitions, Ctx, Outcome, Trigger};
use crate::admin::Actor;
use crate::config::Config;
use crate::contacts::StatusTransition;
use crate::provision;
use crate::settings::Effective;
use crate::store::Store;

/// What followed a sync.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Followed {
    /// Members cut off.
    pub cut_off: usize,
    /// Members restored.
    pub restored: usize,
    /// Provisioning apps run (each app's outcome is its own status and audit rows).
    pub provisioned_apps: usize,
}

/// Runs the rules for `transitions`, then provisioning; failures are logged (each part's own
/// audit rows say the detail) and the next sync repairs them. With `back_channel`, a leaver's
/// apps are told on the SOAP binding. `actor` ran the sync (the shell, or the scheduler of the
/// periodic one): every audit row that follows names it.
pub async fn after_full_sync(
    store: &Store,
    config: &Config,
    effective: &Effective,
    transitions: &[StatusTransition],
    now: i64,
    back_channel: Option<&BackChannel>,
    actor: &Actor,
) -> Followed {
    let master_key = config.master_key().ok();
    let ctx = Ctx {
        store,
        corp_id: &effective.wecom.corp_id,
        now,
        leaver_account: config.lifecycle.leaver_account,
        client: Some(&effective.client),
        master_key,
        back_channel,
        actor: Some(actor),
    };
    let mut followed = Followed::default();
    match on_transitions(&ctx, transitions, Trigger::Reconciliation).await {
        Ok(outcomes) => {
            for (_, o) in outcomes {
                match o {
                    Outcome::CutOff { .. } => followed.cut_off += 1,
                    Outcome::Restored { .. } => followed.restored += 1,
                    Outcome::Unchanged | Outcome::Renamed { .. } => {}
                }
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "the lifecycle rules after the directory sync failed; the next sync retries")
        }
    }
    let Some(master_key) = master_key else {
        return followed;
    };
    let pctx = provision::Ctx {
        store,
        master_key,
        now,
        retry: provision::client::Retry::default(),
        actor,
        ip: None,
    };
    match provision::after_sync::run_all(&pctx, effective).await {
        Ok(apps) => followed.provisioned_apps = apps.len(),
        Err(e) => {
            tracing::warn!(error = %e, "provisioning after the directory sync could not start")
        }
    }
    followed
}
