//! The bind page's proofs: a member whose login found no account proves an existing one by its
//! password or a one-time code from an administrator (or, where allowed, asks for a new account),
//! and the login goes on. The page's state (the login and the member) is kept server-side under the
//! hash of a single-use token bound to the browser; the token is the form's CSRF token too.
//!
//! An unknown username (or an account without a password) is checked against a dummy argon2 hash,
//! so the time an answer takes does not tell which usernames exist. Every outcome is audited as
//! event `bind` of the app and member.

use super::audit::{AuditEvent, AuditKind, AuditResult, Who};
use super::pending::Pending;
use super::refusal::{Error, Refusal};
use super::Ctx;
use crate::crypto::{constant_time_eq, sha256_hex};
use crate::identity::binding;
use crate::identity::directory::{self, BindHow, WhenUnmatched};
use crate::identity::Profile;
use crate::settings::Effective;
use crate::store::{AccountRow, StoreError};
use std::sync::OnceLock;

/// How the member proves an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// No proof: a new account (only when `when_unmatched` is `bind_or_create`).
    Create,
    /// The account's password.
    Password {
        /// The account's username.
        username: String,
        /// Its password.
        password: String,
    },
    /// A one-time code an administrator issued for the account.
    Code {
        /// The account's username.
        username: String,
        /// The code.
        code: String,
    },
}

/// A usable bind page: its login and member.
#[derive(Debug)]
pub struct Opened {
    /// The hash of the page's token.
    pub token_hash: String,
    /// The login waiting for the account (a SAML app's or an OIDC client's).
    pub login: Pending,
    /// The member as WeCom gave them.
    pub profile: Profile,
    /// The login's app name (`http` loads the app it answers).
    pub app: String,
}

/// Why the page is shown again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// The username, password or code is wrong.
    WrongProof,
    /// The account is linked to another member.
    Taken,
}

/// What a proof gave.
#[derive(Debug)]
pub enum Proved {
    /// The proved (or new) account, now bound to the member: the login goes on with the account
    /// step's end ([`super::account::ready`]).
    Account(Box<AccountRow>),
    /// The page again, saying why.
    Again(Retry),
}

/// Whether the bind page behind `token_hash` can still be used.
fn usable(row: &crate::store::BindStateRow, now: i64) -> bool {
    row.consumed_at.is_none() && row.expires_at > now && row.attempts < directory::MAX_PAGE_ATTEMPTS
}

/// Whether the bind page of `token` can still be shown (a repeated callback shows it again).
pub async fn still_usable(ctx: &Ctx<'_>, token: &str) -> Result<bool, Error> {
    let now = ctx.unix();
    let row = ctx.store.bind_state(&sha256_hex(token.as_bytes())).await?;
    Ok(row.is_some_and(|r| usable(&r, now)))
}

/// Opens the bind page of `token` for a browser carrying `carried` bindings.
pub async fn open(ctx: &Ctx<'_>, token: &str, carried: &[String]) -> Result<Opened, Error> {
    let token_hash = sha256_hex(token.as_bytes());
    let now = ctx.unix();
    let row = ctx
        .store
        .bind_state(&token_hash)
        .await?
        .ok_or(Refusal::BindExpired)?;
    let ours = carried.iter().any(|b| {
        constant_time_eq(
            row.browser_hash.as_bytes(),
            sha256_hex(b.as_bytes()).as_bytes(),
        )
    });
    if !ours || !usable(&row, now) {
        return Err(Refusal::BindExpired.into());
    }
    let login: Pending = serde_json::from_str(&row.pending_json)
        .map_err(|e| Error::broken("stored pending login", &e))?;
    let profile: Profile = serde_json::from_str(&row.profile_json)
        .map_err(|e| Error::broken("stored bind profile", &e))?;
    let app = match &login {
        Pending::App(l) => l.app.clone(),
        Pending::Oidc(r) => r.app.clone(),
        Pending::Admin(_) => return Err(Refusal::BindExpired.into()),
    };
    Ok(Opened {
        token_hash,
        login,
        profile,
        app,
    })
}

/// Whether the page offers a new account.
pub fn allows_create(effective: &Effective) -> bool {
    effective.policy.when_unmatched == WhenUnmatched::BindOrCreate
}

/// Checks `proof` on the page `page`; a proved account is bound to the member and the page is
/// used up.
pub async fn prove(
    ctx: &Ctx<'_>,
    effective: &Effective,
    page: &Opened,
    proof: Proof,
) -> Result<Proved, Error> {
    let corp = effective.wecom.corp_id.as_str();
    let account = match proof {
        Proof::Create if allows_create(effective) => {
            consume(ctx, page).await?;
            let a = binding::create(ctx.store, corp, &page.profile, ctx.unix(), |n| {
                ctx.rng.hex(n)
            })
            .await?;
            ctx.record(&page_event(page, AuditResult::Success, "created"))
                .await;
            a
        }
        Proof::Create => return Err(Refusal::BindExpired.into()),
        Proof::Password { username, password } => {
            let Some(account) = password_proof(ctx, page, &username, password).await? else {
                return wrong_proof(ctx, page).await;
            };
            if !bind(ctx, page, corp, &account, "manual_password").await? {
                return Ok(Proved::Again(Retry::Taken));
            }
            account
        }
        Proof::Code { username, code } => {
            let candidate = ctx.store.account_by_username(username.trim()).await?;
            let proved = match &candidate {
                Some(a) => {
                    ctx.store
                        .take_bind_code(&a.id, &directory::code_hash(&code), ctx.unix())
                        .await?
                }
                None => false,
            };
            let Some(account) = candidate.filter(|_| proved) else {
                return wrong_proof(ctx, page).await;
            };
            if !bind(ctx, page, corp, &account, "manual_code").await? {
                return Ok(Proved::Again(Retry::Taken));
            }
            account
        }
    };
    Ok(Proved::Account(Box::new(account)))
}

/// The account `username` when `password` is its password; a locked account is refused, and a
/// wrong password that locks it too.
async fn password_proof(
    ctx: &Ctx<'_>,
    page: &Opened,
    username: &str,
    password: String,
) -> Result<Option<AccountRow>, Error> {
    let now = ctx.unix();
    let Some(account) = ctx.store.account_by_username(username.trim()).await? else {
        // The same work as for a real account, so timing does not reveal usernames.
        verify(ctx, password, None).await;
        return Ok(None);
    };
    if let Some(until) = account.locked_until.filter(|&u| u > now) {
        return Err(locked(ctx, page, until - now).await);
    }
    let ok = verify(ctx, password, account.password_hash.clone()).await;
    if !ok
        && ctx
            .store
            .record_failed_password(
                &account.id,
                now,
                directory::MAX_PASSWORD_FAILURES,
                directory::LOCK_SECS,
            )
            .await?
    {
        ctx.store.bump_bind_attempts(&page.token_hash).await?;
        return Err(locked(ctx, page, directory::LOCK_SECS).await);
    }
    Ok(ok.then_some(account))
}

async fn locked(ctx: &Ctx<'_>, page: &Opened, for_secs: i64) -> Error {
    ctx.record(&page_event(page, AuditResult::Refused, "bind_locked"))
        .await;
    Refusal::BindLocked { for_secs }.into()
}

async fn wrong_proof(ctx: &Ctx<'_>, page: &Opened) -> Result<Proved, Error> {
    ctx.store.bump_bind_attempts(&page.token_hash).await?;
    ctx.record(&page_event(page, AuditResult::Refused, "bind_wrong_proof"))
        .await;
    Ok(Proved::Again(Retry::WrongProof))
}

fn page_event<'a>(page: &'a Opened, result: AuditResult, reason: &'static str) -> AuditEvent<'a> {
    AuditEvent::new(AuditKind::Bind, result, reason)
        .who(Who::app(&page.app).userid(Some(&page.profile.userid)))
}

/// Binds the proved `account` to the member and uses the page up; false when the account is
/// linked to another member.
async fn bind(
    ctx: &Ctx<'_>,
    page: &Opened,
    corp: &str,
    account: &AccountRow,
    reason: &'static str,
) -> Result<bool, Error> {
    let now = ctx.unix();
    ctx.store.clear_failed_passwords(&account.id).await?;
    let how = BindHow::Manual.as_str();
    match ctx
        .store
        .bind_account(corp, &page.profile.userid, &account.id, how, now)
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            ctx.record(&page_event(page, AuditResult::Refused, "bind_taken"))
                .await;
            return Ok(false);
        }
        Err(e) => return Err(e.into()),
    }
    consume(ctx, page).await?;
    ctx.record(&page_event(page, AuditResult::Success, reason))
        .await;
    Ok(true)
}

/// Uses the page up (a second submission finds it expired).
async fn consume(ctx: &Ctx<'_>, page: &Opened) -> Result<(), Error> {
    if !ctx
        .store
        .consume_bind_state(&page.token_hash, ctx.unix())
        .await?
    {
        return Err(Refusal::BindExpired.into());
    }
    Ok(())
}

/// An argon2id hash of a password nobody has (made once, with the parameters of real hashes): what a
/// password is checked against when the username is unknown or has no password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        directory::hash_password("wecom-idp: no account has this password", &[0x5a; 16])
            .unwrap_or_default()
    })
}

/// Checks `password` against `phc` (or the dummy hash) off the async threads; counted in the
/// metrics either way.
async fn verify(ctx: &Ctx<'_>, password: String, phc: Option<String>) -> bool {
    ctx.metrics.password_check();
    let real = phc.filter(|h| !h.is_empty());
    tokio::task::spawn_blocking(move || {
        let ok = directory::verify_password(&password, real.as_deref().unwrap_or(dummy_hash()));
        ok && real.is_some()
    })
    .await
    .unwrap_or(false)
}
