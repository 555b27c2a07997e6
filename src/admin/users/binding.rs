//! Binding operations on an account: bind to a WeCom member, unbind (the member's sessions end),
//! one-time bind codes (shown once, stored hashed) and bind passwords (argon2id).

use super::{end_sessions, get, UserRecord};
use crate::admin::auth::{audit_change, check_userid, AdminChange};
use crate::admin::{Actor, AdminError};
use crate::identity::directory::{self, BindHow};
use crate::random::Rng;
use crate::store::{AuditKind, Store, StoreError};
use serde_json::json;
use std::net::IpAddr;

/// Shortest bind password.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Binds the account to a WeCom member (`how` = `admin`). Either side already bound is a conflict.
pub async fn bind(
    store: &Store,
    corp: &str,
    actor: &Actor,
    now: i64,
    username: &str,
    userid: &str,
    ip: Option<IpAddr>,
) -> Result<UserRecord, AdminError> {
    let userid = userid.trim();
    check_userid(userid)?;
    let rec = get(store, corp, username).await?;
    match store
        .bind_account(corp, userid, &rec.account.id, BindHow::Admin.as_str(), now)
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(AdminError::Conflict(match rec.userid() {
                Some(u) => {
                    format!("a binding of `{username}` (to WeCom member `{u}`; unbind first)")
                }
                None => format!(
                    "a binding of WeCom member `{userid}` (to another account; unbind it first)"
                ),
            }))
        }
        Err(e) => return Err(e.into()),
    }
    let detail = json!({
        "username": username,
        "before": { "userid": null },
        "after": { "userid": userid },
    });
    audit_change(
        store,
        now,
        AdminChange {
            actor,
            event: AuditKind::UserBind,
            app: None,
            userid: Some(userid),
            detail: Some(detail),
            client_ip: ip,
        },
    )
    .await;
    get(store, corp, username).await
}

/// Removes the account's binding; its member's sessions end. Not bound: not found.
pub async fn unbind(
    store: &Store,
    corp: &str,
    actor: &Actor,
    now: i64,
    username: &str,
    ip: Option<IpAddr>,
) -> Result<String, AdminError> {
    let rec = get(store, corp, username).await?;
    let Some(userid) = store.unbind_account(corp, &rec.account.id).await? else {
        return Err(AdminError::NotFound(format!("a binding of `{username}`")));
    };
    end_sessions(store, Some(&userid)).await?;
    let detail = json!({
        "username": username,
        "before": { "userid": userid },
        "after": { "userid": null },
    });
    audit_change(
        store,
        now,
        AdminChange {
            actor,
            event: AuditKind::UserUnbind,
            app: None,
            userid: Some(&userid),
            detail: Some(detail),
            client_ip: ip,
        },
    )
    .await;
    Ok(userid)
}

/// Issues a one-time bind code for the account (valid [`directory::CODE_TTL_SECS`]; replaces an
/// earlier one). Returns the code — shown once, only its hash is stored — and its expiry.
pub async fn issue_code(
    store: &Store,
    corp: &str,
    actor: &Actor,
    now: i64,
    rng: &dyn Rng,
    username: &str,
    ip: Option<IpAddr>,
) -> Result<(String, i64), AdminError> {
    let rec = get(store, corp, username).await?;
    let code = rng.hex(5).to_ascii_uppercase();
    let expires_at = now + directory::CODE_TTL_SECS;
    store
        .set_bind_code(&rec.account.id, &directory::code_hash(&code), expires_at)
        .await?;
    let detail = json!({ "username": username, "expires_at": expires_at });
    audit_change(
        store,
        now,
        account_change(actor, AuditKind::UserBindCode, &rec, detail, ip),
    )
    .await;
    Ok((code, expires_at))
}

/// A new bind password for an account.
#[derive(Debug, Clone, Copy)]
pub struct NewPassword<'a> {
    /// The account.
    pub username: &'a str,
    /// The password, at least [`MIN_PASSWORD_CHARS`] characters.
    pub password: &'a str,
}

/// Sets the password the member can prove the account with on the bind page (argon2id; clears the
/// lock).
pub async fn set_password(
    store: &Store,
    corp: &str,
    actor: &Actor,
    now: i64,
    rng: &dyn Rng,
    new: NewPassword<'_>,
    ip: Option<IpAddr>,
) -> Result<(), AdminError> {
    let NewPassword { username, password } = new;
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AdminError::invalid(
            "password",
            format!("the password must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    let rec = get(store, corp, username).await?;
    let mut salt = [0u8; 16];
    rng.fill(&mut salt);
    let hash = directory::hash_password(password, &salt)
        .map_err(|e| AdminError::Store(StoreError::Corrupt(format!("hashing: {e}"))))?;
    store
        .set_account_password(&rec.account.id, &hash, now)
        .await?;
    let detail = json!({ "username": username });
    audit_change(
        store,
        now,
        account_change(actor, AuditKind::UserSetPassword, &rec, detail, ip),
    )
    .await;
    Ok(())
}

/// The audit row of a change to an account: its bound member, the username in the detail.
fn account_change<'a>(
    actor: &'a Actor,
    event: AuditKind,
    rec: &'a UserRecord,
    detail: serde_json::Value,
    ip: Option<IpAddr>,
) -> AdminChange<'a> {
    AdminChange {
        actor,
        event,
        app: None,
        userid: rec.userid(),
        detail: Some(detail),
        client_ip: ip,
    }
}
