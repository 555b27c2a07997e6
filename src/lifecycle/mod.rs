//! The member's lifecycle as WeCom tells it: a member deleted, disabled or marked left is cut off —
//! every IdP session of that userid ended in the database (every instance reads sessions there, so
//! the next request on any instance finds none), the bound local account disabled, unbound or kept
//! per `[lifecycle] leaver_account` — and a member active again is restored by the same rule. Only
//! what the rules did is undone: the account's state is remembered (`lifecycle_holds`) when the rule
//! acts, so an account an admin disabled stays disabled. Every decision is audited with its reason.
//!
//! No HTTP here. [`member_changed`] is the one entry point: the event callback calls it, and so do
//! the periodic reconciliation and SCIM deactivation through the call points named below; after
//! the cut-off, [`back_channel`] tells the apps of the ended sessions on the SOAP binding, and
//! their OIDC clients by Back-Channel Logout. [`reconcile::after_full_sync`] runs them for what a
//! full directory sync found, then provisioning. [`on_contact_change`] turns one `change_contact` event into that call,
//! re-reading the member from WeCom when the event does not carry the status.

use crate::admin::Actor;
use crate::config::LeaverAccount;
use crate::provision;
use crate::secrets::MasterKey;
use crate::store::{
    AccountStatus, AuditKind, AuditResult, AuditRow, Hold, HoldAction, Store, StoreError,
};
use crate::wecom::client::WecomClient;
use crate::wecom::contact_change::{ContactChange, MemberStatus};
use serde_json::json;

pub mod back_channel;
mod contact;
mod oidc_logout;
pub mod reconcile;
mod rename;
pub use contact::{on_contact_change, on_transitions};
pub use rename::member_renamed;

/// What the rules need: the store, the corp whose bindings they act on, the time and the setting.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The store (sessions, accounts, bindings, holds, audit).
    pub store: &'a Store,
    /// The corp ID in force (bindings are per corp).
    pub corp_id: &'a str,
    /// Unix seconds, from the injected clock.
    pub now: i64,
    /// `[lifecycle] leaver_account`.
    pub leaver_account: LeaverAccount,
    /// The WeCom client, to re-read a member an event names without its status.
    pub client: Option<&'a WecomClient>,
    /// The master key that opens the apps' SCIM tokens: with it, a leaver's provisioned cloud
    /// users are deactivated at once; without it (a context that cannot reach them), the next
    /// provisioning run does it.
    pub master_key: Option<&'a MasterKey>,
    /// Back-channel Single Logout: with it, the apps of a leaver's ended sessions are told on
    /// the SOAP binding; without it (a context that cannot sign), the audit row says none was sent.
    pub back_channel: Option<&'a back_channel::BackChannel>,
    /// Who set the rules going, for the audit rows (the lifecycle's and the deactivations'):
    /// the shell or the scheduler that ran a full sync; none for a WeCom event (the server acts
    /// on its own, and the deactivations say `scheduler`).
    pub actor: Option<&'a Actor>,
}

/// Who told us (the audit row's `trigger`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A `change_contact` event (its `ChangeType`).
    Event(&'static str),
    /// The periodic or on-demand full reconciliation of the directory.
    Reconciliation,
    /// An admin's action (console, API or CLI).
    Admin,
}

impl Trigger {
    /// The audit word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Event(change_type) => change_type,
            Self::Reconciliation => "reconciliation",
            Self::Admin => "admin",
        }
    }
}

/// What happened to the local account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountOutcome {
    /// The member has no bound account.
    NoAccount,
    /// Disabled by this rule.
    Disabled,
    /// It was already disabled (by an admin, or by this rule earlier): left as it is.
    AlreadyDisabled,
    /// Its binding was removed by this rule.
    Unbound,
    /// `leaver_account = keep`: left as it is.
    Kept,
    /// Enabled again (the rule had disabled it).
    Enabled,
    /// Bound again (the rule had unbound it).
    Rebound,
    /// Changed since the rule acted (by an admin), or taken by another member: left as it is.
    LeftAsIs,
}

impl AccountOutcome {
    /// The audit word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoAccount => "no_account",
            Self::Disabled => "disabled",
            Self::AlreadyDisabled => "already_disabled",
            Self::Unbound => "unbound",
            Self::Kept => "kept",
            Self::Enabled => "enabled",
            Self::Rebound => "rebound",
            Self::LeftAsIs => "left_as_is",
        }
    }
}

/// What [`member_changed`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The member may sign in and nothing was held: nothing to do.
    Unchanged,
    /// Cut off: sessions ended, the account handled.
    CutOff {
        /// IdP sessions ended.
        sessions_ended: u64,
        /// The account.
        account: AccountOutcome,
    },
    /// Restored after a rejoin.
    Restored {
        /// The account.
        account: AccountOutcome,
    },
    /// The userid was renamed: what was kept moved to the new one.
    Renamed {
        /// IdP sessions under the old userid ended.
        sessions_ended: u64,
    },
}

/// Why the rules could not run (the store failed; nothing half-done is left unaudited).
#[derive(Debug)]
pub enum LifecycleError {
    /// The store failed.
    Store(StoreError),
}

impl std::fmt::Display for LifecycleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Store(e) => write!(f, "lifecycle: {e}"),
        }
    }
}

impl std::error::Error for LifecycleError {}

impl From<StoreError> for LifecycleError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

fn status_word(s: Option<MemberStatus>) -> serde_json::Value {
    match s {
        Some(s) => json!(s.code()),
        None => json!("deleted"),
    }
}

/// A member's status changed from `before` to `after` (`None` after: deleted from WeCom; `None`
/// before: not known). A member who may no longer sign in is cut off; one who may again is
/// restored when the rules had acted on them. Idempotent: the same change twice ends no more
/// sessions and changes no account again.
pub async fn member_changed(
    ctx: &Ctx<'_>,
    userid: &str,
    before: Option<MemberStatus>,
    after: Option<MemberStatus>,
    trigger: Trigger,
) -> Result<Outcome, LifecycleError> {
    if after.is_some_and(MemberStatus::may_sign_in) {
        return rejoin(ctx, userid, before, after, trigger).await;
    }
    let cut = cut_off(ctx, userid, before, after).await?;
    Ok(tell_and_audit(ctx, cut, trigger).await)
}

/// What the database part of a cut-off did, and what is left to tell.
pub(crate) struct CutOff {
    userid: String,
    before: Option<MemberStatus>,
    after: Option<MemberStatus>,
    sessions_ended: u64,
    consents_removed: u64,
    account: AccountOutcome,
    /// The ended sessions' SAML participants, read before the sessions were deleted.
    participants: Option<Vec<crate::store::ServiceRow>>,
    /// The ended sessions' OIDC clients, read before the sessions were deleted.
    oidc_participants: oidc_logout::Read,
}

/// The part of a cut-off that must not wait: the member's sessions ended on every instance, their
/// OIDC consents removed, the account handled. Nothing outside the database is called.
pub(crate) async fn cut_off(
    ctx: &Ctx<'_>,
    userid: &str,
    before: Option<MemberStatus>,
    after: Option<MemberStatus>,
) -> Result<CutOff, LifecycleError> {
    // The participants are read first: deleting the sessions deletes what they served.
    let participants = match ctx.back_channel {
        Some(_) => back_channel::participants(ctx.store, userid).await,
        None => None,
    };
    let oidc_participants = oidc_logout::participants(ctx, userid).await;
    let sessions_ended = ctx.store.delete_sessions_of(userid).await?;
    // A member who comes back is asked again before an OIDC client receives their claims.
    let consents_removed = ctx.store.delete_oidc_consents_of(userid).await?;
    let account = cut_account(ctx, userid, after).await?;
    Ok(CutOff {
        userid: userid.to_string(),
        before,
        after,
        sessions_ended,
        consents_removed,
        account,
        participants,
        oidc_participants,
    })
}

/// The part of a cut-off that reaches out, after the member is cut off here: provisioned users
/// deactivated, the apps told on the back channel (each call bounded), then the audit row.
pub(crate) async fn tell_and_audit(ctx: &Ctx<'_>, cut: CutOff, trigger: Trigger) -> Outcome {
    let userid = cut.userid.as_str();
    let scim_deactivated = deprovision(ctx, userid).await;
    let slo = match (ctx.back_channel, cut.participants) {
        (Some(bc), Some(rows)) => {
            let now = time::OffsetDateTime::from_unix_timestamp(ctx.now)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            back_channel::audit_value(&back_channel::tell_all(bc, ctx.store, rows, now).await)
        }
        (Some(_), None) => json!("participants_unreadable"),
        // Said, not implied: this context cannot sign, so the apps' own sessions are not told.
        (None, _) => json!("back_channel_not_available"),
    };
    let oidc_logout = oidc_logout::tell(ctx, cut.oidc_participants).await;
    let reason = match cut.after {
        None => "member_deleted",
        Some(MemberStatus::Left) => "member_left",
        Some(MemberStatus::Disabled) => "member_disabled",
        Some(_) => "member_not_active",
    };
    let (sessions_ended, account) = (cut.sessions_ended, cut.account);
    tracing::info!(
        userid = %crate::logsafe::Escaped(userid), reason, trigger = trigger.as_str(),
        sessions_ended, account = account.as_str(), scim_deactivated,
        "member may no longer sign in: sessions ended, account handled per lifecycle.leaver_account"
    );
    let detail = json!({
        "trigger": trigger.as_str(), "status_before": cut.before.map(|s| s.code()),
        "status_after": status_word(cut.after), "sessions_ended": sessions_ended,
        "account": account.as_str(), "leaver_account": ctx.leaver_account.as_str(),
        "scim_deactivated": scim_deactivated, "oidc_consents_removed": cut.consents_removed,
        "slo": slo, "oidc_logout": oidc_logout,
    });
    audit(ctx, AuditKind::MemberLeft, userid, reason, detail).await;
    Outcome::CutOff {
        sessions_ended,
        account,
    }
}

/// Deactivates the leaver's users in every app that provisioned them; how many apps were told
/// (each app's outcome is its own `provision` audit row and status).
async fn deprovision(ctx: &Ctx<'_>, userid: &str) -> usize {
    let Some(master_key) = ctx.master_key else {
        return 0;
    };
    let pctx = provision::Ctx {
        store: ctx.store,
        master_key,
        now: ctx.now,
        retry: provision::client::Retry::default(),
        actor: ctx.actor.unwrap_or(&Actor::Scheduler),
        ip: None,
    };
    match provision::member_left(&pctx, userid).await {
        Ok(apps) => apps.len(),
        Err(e) => {
            tracing::warn!(userid = %crate::logsafe::Escaped(userid), error = %e,
                "could not deactivate the leaver's provisioned users; the next provisioning run will");
            0
        }
    }
}

/// The leaver's account per `leaver_account`, remembering what the rule did.
async fn cut_account(
    ctx: &Ctx<'_>,
    userid: &str,
    after: Option<MemberStatus>,
) -> Result<AccountOutcome, LifecycleError> {
    if ctx.leaver_account == LeaverAccount::Keep {
        return Ok(AccountOutcome::Kept);
    }
    let Some((account, _how)) = ctx.store.bound_account(ctx.corp_id, userid).await? else {
        return Ok(AccountOutcome::NoAccount);
    };
    let reason = status_word(after).to_string();
    let hold = |action| Hold {
        userid: userid.to_string(),
        account_id: account.id.clone(),
        action,
        account_updated_at: ctx.now,
        reason: reason.clone(),
        created_at: ctx.now,
    };
    match ctx.leaver_account {
        LeaverAccount::Disable if account.status == AccountStatus::Disabled => {
            Ok(AccountOutcome::AlreadyDisabled)
        }
        LeaverAccount::Disable => {
            ctx.store
                .set_account_status(&account.id, AccountStatus::Disabled, ctx.now)
                .await?;
            ctx.store
                .put_lifecycle_hold(ctx.corp_id, &hold(HoldAction::Disabled))
                .await?;
            Ok(AccountOutcome::Disabled)
        }
        LeaverAccount::Unbind => {
            ctx.store
                .put_lifecycle_hold(ctx.corp_id, &hold(HoldAction::Unbound))
                .await?;
            ctx.store.unbind_account(ctx.corp_id, &account.id).await?;
            Ok(AccountOutcome::Unbound)
        }
        LeaverAccount::Keep => Ok(AccountOutcome::Kept),
    }
}

/// A member who may sign in again: undo what the rules did, and only that.
async fn rejoin(
    ctx: &Ctx<'_>,
    userid: &str,
    before: Option<MemberStatus>,
    after: Option<MemberStatus>,
    trigger: Trigger,
) -> Result<Outcome, LifecycleError> {
    let Some(hold) = ctx.store.take_lifecycle_hold(ctx.corp_id, userid).await? else {
        return Ok(Outcome::Unchanged);
    };
    let account = match hold.action {
        HoldAction::Disabled => match ctx.store.account(&hold.account_id).await? {
            Some(a)
                if a.status == AccountStatus::Disabled
                    && a.updated_at == hold.account_updated_at =>
            {
                ctx.store
                    .set_account_status(&a.id, AccountStatus::Active, ctx.now)
                    .await?;
                AccountOutcome::Enabled
            }
            _ => AccountOutcome::LeftAsIs,
        },
        HoldAction::Unbound => {
            let bound = ctx
                .store
                .bind_account(ctx.corp_id, userid, &hold.account_id, "lifecycle", ctx.now)
                .await;
            match bound {
                Ok(()) => AccountOutcome::Rebound,
                Err(StoreError::Conflict(_)) => AccountOutcome::LeftAsIs,
                Err(e) => return Err(e.into()),
            }
        }
    };
    tracing::info!(
        userid = %crate::logsafe::Escaped(userid), trigger = trigger.as_str(),
        account = account.as_str(), "member active again: account restored by the lifecycle rule"
    );
    let detail = json!({
        "trigger": trigger.as_str(), "status_before": before.map(|s| s.code()),
        "status_after": status_word(after), "account": account.as_str(),
        "held_since": hold.created_at, "held_action": hold.action.as_str(),
    });
    audit(
        ctx,
        AuditKind::MemberRejoined,
        userid,
        "member_active",
        detail,
    )
    .await;
    Ok(Outcome::Restored { account })
}

async fn audit(ctx: &Ctx<'_>, event: AuditKind, userid: &str, reason: &str, d: serde_json::Value) {
    let row = AuditRow {
        at: ctx.now,
        event,
        app: None,
        userid: Some(userid.to_string()),
        result: AuditResult::Success,
        reason: reason.to_string(),
        client_ip: None,
        request_id: None,
        actor: ctx.actor.map(Actor::label),
        detail: Some(d.to_string()),
    };
    if let Err(e) = ctx.store.audit(&row).await {
        tracing::error!(error = %crate::logsafe::Escaped(&e), "could not write the lifecycle audit row");
    }
}

/// The member a change names, when it is a member's change.
pub fn userid_of(change: &ContactChange) -> Option<&str> {
    match change {
        ContactChange::UserCreated { userid }
        | ContactChange::UserDeleted { userid }
        | ContactChange::UserUpdated { userid, .. } => Some(userid),
        _ => None,
    }
}
