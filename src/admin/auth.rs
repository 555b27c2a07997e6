//! Admin identity: membership (configuration + store), API tokens (shown once, stored as SHA-256,
//! revocable, last use kept) and [`Actor`], the "who" of every admin change in the audit log.

use crate::config::Config;
use crate::crypto::{constant_time_eq, sha256_hex};
use crate::logsafe::Escaped;
use crate::random::Rng;
use crate::store::{AdminTokenRow, AuditKind, AuditResult, AuditRow, Store, StoreError};
use std::net::IpAddr;

/// The prefix of every API token, so a leaked token is recognisable (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "wip_";

/// Who performed an admin action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An admin signed in to the console with WeCom.
    Member(String),
    /// An API token, by name.
    Token(String),
    /// The command line on the server.
    Shell,
    /// The server itself, on a schedule (periodic metadata refresh).
    Scheduler,
}

impl Actor {
    /// The audit log's spelling: `wecom:USERID`, `token:NAME`, `shell`.
    pub fn label(&self) -> String {
        match self {
            Self::Member(u) => format!("wecom:{u}"),
            Self::Token(n) => format!("token:{n}"),
            Self::Shell => "shell".into(),
            Self::Scheduler => "scheduler".into(),
        }
    }
}

/// Why an admin operation failed. `Invalid` and `NotFound` are the caller's to fix and are shown
/// as they are; `Store` is ours and is logged, not shown.
#[derive(Debug)]
pub enum AdminError {
    /// A field is wrong: which one, and what to do.
    Invalid {
        /// The field (form/JSON name), or empty for the whole request.
        field: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The thing does not exist.
    NotFound(String),
    /// It exists already.
    Conflict(String),
    /// The request is well formed but conflicts with the current state (a key in the wrong state,
    /// the version already in force, …): which field, and what to do. The API answers 409.
    State {
        /// The field (form/JSON name), or empty for the whole request.
        field: String,
        /// What the state is and what to do first.
        message: String,
    },
    /// The store failed.
    Store(StoreError),
}

impl AdminError {
    /// The message a console page shows beside (or above) the form: the field's name is the page's
    /// label, so it is not repeated in front of the message as the CLI and the API do.
    pub fn message(&self) -> String {
        match self {
            Self::Invalid { message, .. } | Self::State { message, .. } => message.clone(),
            e => e.to_string(),
        }
    }

    /// A field-level error.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A conflict with the current state, about one field.
    pub fn state(field: &str, message: impl Into<String>) -> Self {
        Self::State {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid { field, message } | Self::State { field, message }
                if field.is_empty() =>
            {
                f.write_str(message)
            }
            Self::Invalid { field, message } | Self::State { field, message } => {
                write!(f, "{field}: {message}")
            }
            Self::NotFound(what) => write!(f, "{what} does not exist"),
            Self::Conflict(what) => write!(f, "{what} already exists"),
            Self::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for AdminError {}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => Self::Conflict(what),
            e => Self::Store(e),
        }
    }
}

/// Checks a WeCom userid as an admin name: 1–64 characters of letters, digits, `_ - . @`.
pub fn check_userid(userid: &str) -> Result<(), AdminError> {
    let ok = !userid.is_empty()
        && userid.len() <= 64
        && userid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'));
    if ok {
        Ok(())
    } else {
        Err(AdminError::invalid(
            "userid",
            "a WeCom userid is 1 to 64 letters, digits, `_`, `-`, `.` or `@` (the 账号 column \
             of the WeCom address book)",
        ))
    }
}

/// Whether `userid` may use the admin console: named in `[admin] userids` or added in the store.
pub async fn is_admin(config: &Config, store: &Store, userid: &str) -> Result<bool, StoreError> {
    if config
        .admin
        .userids
        .iter()
        .any(|u| constant_time_eq(u.trim().as_bytes(), userid.as_bytes()))
    {
        return Ok(true);
    }
    store.is_stored_admin(userid).await
}

/// Checks a token name: 1–64 characters of letters, digits, `_ - .`.
pub fn check_token_name(name: &str) -> Result<(), AdminError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(AdminError::invalid(
            "name",
            "a token name is 1 to 64 letters, digits, `_`, `-` or `.` (say what uses it: `ci`, \
             `terraform`)",
        ))
    }
}

/// Creates an API token named `name`; returns its row and the token itself, which is shown once and
/// never stored (only its SHA-256 is).
pub async fn create_token(
    store: &Store,
    name: &str,
    actor: &Actor,
    now: i64,
    rng: &dyn Rng,
) -> Result<(AdminTokenRow, String), AdminError> {
    check_token_name(name)?;
    let token = format!("{TOKEN_PREFIX}{}", rng.token());
    let row = AdminTokenRow {
        id: rng.hex(8),
        name: name.into(),
        created_by: actor.label(),
        created_at: now,
        last_used_at: None,
        revoked_at: None,
    };
    store
        .insert_admin_token(&row, &sha256_hex(token.as_bytes()))
        .await?;
    Ok((row, token))
}

/// The live token `presented`, if any; its use is recorded. Lookup is by SHA-256 of the presented
/// value, so no comparison of secrets runs in variable time.
pub async fn authenticate_token(
    store: &Store,
    presented: &str,
    now: i64,
) -> Result<Option<AdminTokenRow>, StoreError> {
    if !presented.starts_with(TOKEN_PREFIX) || presented.len() > 128 {
        return Ok(None);
    }
    let Some(row) = store
        .admin_token_by_hash(&sha256_hex(presented.as_bytes()))
        .await?
    else {
        return Ok(None);
    };
    store.touch_admin_token(&row.id, now).await?;
    Ok(Some(row))
}

/// One admin change for the audit log: who, what, on which app or member, and the before/after.
#[derive(Debug, Clone)]
pub struct AdminChange<'a> {
    /// Who acted.
    pub actor: &'a Actor,
    /// The audit event.
    pub event: AuditKind,
    /// The app changed, if any.
    pub app: Option<&'a str>,
    /// The member changed, if any.
    pub userid: Option<&'a str>,
    /// JSON (before/after), never a secret.
    pub detail: Option<serde_json::Value>,
    /// The client IP.
    pub client_ip: Option<IpAddr>,
}

/// Writes the audit row of an admin change. `detail` is JSON (before/after), never a secret: it
/// passes through [`super::audit::redact`] whatever the caller gave.
pub async fn audit_change(store: &Store, now: i64, change: AdminChange<'_>) {
    let AdminChange {
        actor,
        event,
        app,
        userid,
        detail,
        client_ip,
    } = change;
    let row = AuditRow {
        at: now,
        event,
        app: app.map(str::to_string),
        userid: userid.map(str::to_string),
        result: AuditResult::Success,
        reason: "admin_change".into(),
        client_ip,
        request_id: None,
        actor: Some(actor.label()),
        detail: detail.map(|d| super::audit::redact(d).to_string()),
    };
    if let Err(e) = store.audit(&row).await {
        tracing::error!(error = %Escaped(&e), event = event.as_str(), "could not write the audit row of an admin change");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_userids() {
        assert!(check_token_name("ci-deploy.1").is_ok());
        assert!(check_token_name("").is_err());
        assert!(check_token_name("a b").is_err());
        assert!(check_token_name(&"x".repeat(65)).is_err());
        assert!(check_userid("zhang.san@corp").is_ok());
        assert!(check_userid("<script>").is_err());
        assert_eq!(Actor::Member("u1".into()).label(), "wecom:u1");
        assert_eq!(Actor::Token("ci".into()).label(), "token:ci");
        assert_eq!(Actor::Shell.label(), "shell");
    }
}
