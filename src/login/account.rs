//! The account step of a login, between reading the WeCom member and starting the session:
//! resolve the bound account ([`crate::identity::binding`]), refuse a disabled account, and apply
//! `binding.when_unmatched` (create, reject, or the bind page of [`super::bind`]). The binding
//! settings are the effective ones: the console's over the configuration's.

use super::audit::{AuditEvent, AuditKind, AuditResult, Who};
use super::pending::Pending;
use super::refusal::{Error, Refusal};
use super::Ctx;
use crate::crypto::sha256_hex;
use crate::identity::binding::{self, Resolution};
use crate::identity::directory::WhenUnmatched;
use crate::identity::Profile;
use crate::logsafe::Escaped;
use crate::settings::Effective;
use crate::store::{AccountRow, BindStateRow};

/// What the account step decided.
#[derive(Debug)]
pub enum Step {
    /// Go on with this profile (the bound account's values).
    Ready(Box<Profile>),
    /// The member must prove an account on the bind page.
    Bind {
        /// The page's single-use token.
        token: String,
        /// Whether the page offers a new account.
        allow_create: bool,
    },
}

/// The member of a login and where the login goes.
pub struct Member<'a> {
    /// The settings in force.
    pub effective: &'a Effective,
    /// The app's name.
    pub app: &'a str,
    /// The login (a SAML app's or an OIDC client's).
    pub login: &'a Pending,
    /// The member as WeCom gave them.
    pub profile: Profile,
    /// The hash of the browser binding the login state was bound to (the bind page is too).
    pub browser_hash: &'a str,
}

/// A `bind` audit row of this member and app.
fn bind_event<'a>(
    app: &'a str,
    profile: &'a Profile,
    result: AuditResult,
    reason: impl Into<std::borrow::Cow<'a, str>>,
) -> AuditEvent<'a> {
    AuditEvent::new(AuditKind::Bind, result, reason)
        .who(Who::app(app).userid(Some(&profile.userid)))
}

/// Resolves the member's account for a login.
pub async fn resolve(ctx: &Ctx<'_>, m: Member<'_>) -> Result<Step, Error> {
    let policy = &m.effective.policy;
    let corp = &m.effective.wecom.corp_id;
    let profile = &m.profile;
    let now = ctx.unix();
    let resolution =
        binding::resolve(ctx.store, &m.effective.client, corp, policy, profile, now).await?;
    let account = match resolution {
        Resolution::Bound { account, reason } => {
            tracing::info!(userid = %Escaped(&profile.userid), reason, "account resolved");
            if reason != "bound" {
                ctx.record(&bind_event(m.app, profile, AuditResult::Success, reason))
                    .await;
            }
            *account
        }
        Resolution::Ambiguous { key } => {
            let reason = format!("ambiguous_{}", key.as_str());
            ctx.record(&bind_event(m.app, profile, AuditResult::Refused, reason))
                .await;
            return Err(Refusal::AmbiguousAccount {
                contact: policy.contact.clone(),
            }
            .into());
        }
        Resolution::Unmatched => match policy.when_unmatched {
            WhenUnmatched::Create => {
                let a = binding::create(ctx.store, corp, profile, now, |n| ctx.rng.hex(n)).await?;
                ctx.record(&bind_event(m.app, profile, AuditResult::Success, "created"))
                    .await;
                a
            }
            WhenUnmatched::Reject => {
                return Err(Refusal::NoAccount {
                    contact: policy.contact.clone(),
                }
                .into())
            }
            WhenUnmatched::Bind | WhenUnmatched::BindOrCreate => {
                let token = bind_page(ctx, &m).await?;
                let allow_create = policy.when_unmatched == WhenUnmatched::BindOrCreate;
                return Ok(Step::Bind {
                    token,
                    allow_create,
                });
            }
        },
    };
    let profile = ready(ctx, account, m.profile).await?;
    Ok(Step::Ready(Box::new(profile)))
}

/// Keeps the login and the member for the bind page under the hash of a new single-use token.
async fn bind_page(ctx: &Ctx<'_>, m: &Member<'_>) -> Result<String, Error> {
    let token = ctx.rng.token();
    let row = BindStateRow {
        token_hash: sha256_hex(token.as_bytes()),
        browser_hash: m.browser_hash.to_string(),
        pending_json: serde_json::to_string(m.login)
            .map_err(|e| Error::broken("pending encoding", &e))?,
        profile_json: serde_json::to_string(&m.profile)
            .map_err(|e| Error::broken("profile encoding", &e))?,
        attempts: 0,
        expires_at: ctx.unix() + ctx.config.saml.login_state_ttl_secs,
        consumed_at: None,
    };
    ctx.store.create_bind_state(&row).await?;
    ctx.record(&bind_event(
        m.app,
        &m.profile,
        AuditResult::Pending,
        "bind_page",
    ))
    .await;
    Ok(token)
}

/// A disabled account is refused (and its member's sessions end); otherwise the profile to use.
pub async fn ready(ctx: &Ctx<'_>, account: AccountRow, profile: Profile) -> Result<Profile, Error> {
    if !binding::usable(&account) {
        if let Err(e) = ctx.store.delete_sessions_of(&profile.userid).await {
            tracing::error!(error = %Escaped(&e), "could not end the sessions of a disabled account");
        }
        return Err(Refusal::AccountDisabled.into());
    }
    Ok(binding::apply(ctx.store, account, profile, ctx.unix()).await?)
}
