//! The account directory's admin operations, shared by the console, the JSON API
//! and `wecom-idp user …`: search, view (with recent logins from the audit log), create, edit
//! (profile, groups, status — disabling ends the member's sessions), bind / unbind a WeCom member,
//! one-time bind codes (shown once, stored hashed), bind passwords, CSV import (every line checked
//! first, then one transaction) and export (formula-safe). Every change writes one audit row with
//! the actor and a JSON detail (before/after; never a password, hash or code).

mod account_csv;
mod binding;
mod transfer;

pub use account_csv::{csv_line, parse_csv, CSV_HEADER};
pub use binding::{bind, issue_code, set_password, unbind, NewPassword, MIN_PASSWORD_CHARS};
pub use transfer::{export, import, ImportError, Imported};

use super::auth::{audit_change, AdminChange};
use super::{Actor, AdminError};
use crate::identity::directory::{self, AccountId, AccountStatus};
use crate::random::Rng;
use crate::store::{
    AccountRow, AccountSearch, AuditEntry, AuditKind, AuditQuery, BindingRow, Store,
};
use serde_json::{json, Map, Value};
use std::net::IpAddr;

/// Accounts per page when the caller does not say.
pub const DEFAULT_LIMIT: i64 = 50;
/// Most accounts per page.
pub const MAX_LIMIT: i64 = 500;

/// An account with its WeCom binding (in the configured corp).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The account.
    pub account: AccountRow,
    /// Its binding, if bound.
    pub binding: Option<BindingRow>,
}

impl UserRecord {
    fn from_pair((account, binding): (AccountRow, Option<BindingRow>)) -> Self {
        Self { account, binding }
    }

    /// The bound WeCom userid.
    pub fn userid(&self) -> Option<&str> {
        self.binding.as_ref().map(|b| b.userid.as_str())
    }
}

/// A search as it arrives; empty strings mean "any".
#[derive(Debug, Clone, Default)]
pub struct SearchInput {
    /// Text matched in username, display name, email, mobile, employee number, bound userid.
    pub q: Option<String>,
    /// `active` or `disabled`.
    pub status: Option<String>,
    /// Rows per page (1–500).
    pub limit: Option<i64>,
    /// Rows to skip.
    pub offset: Option<i64>,
}

/// A page of accounts, and whether more follow.
#[derive(Debug, Clone)]
pub struct UserPage {
    /// The accounts, by username.
    pub users: Vec<UserRecord>,
    /// Whether a next page exists.
    pub more: bool,
    /// The page size used.
    pub limit: i64,
    /// The offset used.
    pub offset: i64,
}

/// Searches the directory.
pub async fn search(
    store: &Store,
    corp: &str,
    input: &SearchInput,
) -> Result<UserPage, AdminError> {
    let status = match input.status.as_deref().map(str::trim).unwrap_or("") {
        "" => None,
        s => Some(AccountStatus::parse(s).map_err(|e| AdminError::invalid("status", e))?),
    };
    let limit = input.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AdminError::invalid(
            "limit",
            format!("give 1 to {MAX_LIMIT} accounts per page"),
        ));
    }
    let offset = input.offset.unwrap_or(0);
    if offset < 0 {
        return Err(AdminError::invalid(
            "offset",
            "the offset cannot be negative",
        ));
    }
    let q = input.q.as_deref().unwrap_or("").trim().to_string();
    if q.chars().count() > 128 {
        return Err(AdminError::invalid(
            "q",
            "search for at most 128 characters",
        ));
    }
    let mut rows = store
        .search_accounts(
            corp,
            &AccountSearch {
                q,
                status,
                limit: limit + 1,
                offset,
            },
        )
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(UserPage {
        users: rows.into_iter().map(UserRecord::from_pair).collect(),
        more,
        limit,
        offset,
    })
}

fn not_found(username: &str) -> AdminError {
    AdminError::NotFound(format!("an account named `{username}`"))
}

/// The account `username` with its binding.
pub async fn get(store: &Store, corp: &str, username: &str) -> Result<UserRecord, AdminError> {
    store
        .account_with_binding(corp, username)
        .await?
        .map(UserRecord::from_pair)
        .ok_or_else(|| not_found(username))
}

/// The latest login attempts of a WeCom member, newest first.
pub async fn recent_logins(
    store: &Store,
    userid: &str,
    limit: i64,
) -> Result<Vec<AuditEntry>, AdminError> {
    Ok(store
        .audit_search(&AuditQuery {
            userid: Some(userid.into()),
            event: Some(AuditKind::Login),
            limit,
            ..AuditQuery::default()
        })
        .await?)
}

/// The profile fields of an account an admin sets. In a change, `None` leaves a field as it is and
/// an empty string clears it.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// Display name (姓名).
    pub display_name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Mobile (手机).
    pub mobile: Option<String>,
    /// Employee number (工号).
    pub employee_no: Option<String>,
    /// Groups (replaces the list).
    pub groups: Option<Vec<String>>,
    /// `active` or `disabled`.
    pub status: Option<String>,
}

/// Checks a text field as given: at most `max` characters once trimmed, and no comma, quote or
/// control character anywhere (a trailing newline is refused, not trimmed away: the API's schema
/// says so, and the value would otherwise differ from what was sent).
fn plain(field: &str, v: &str, max: usize) -> Result<(), AdminError> {
    if v.trim().chars().count() > max {
        return Err(AdminError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control() || c == ',' || c == '"') {
        return Err(AdminError::invalid(
            field,
            "no commas, quotes or control characters (they would break the CSV export)",
        ));
    }
    Ok(())
}

fn optional(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

/// Applies the fields of `p` to `a` after checking each; names the field at fault.
fn apply(a: &mut AccountRow, p: &Profile) -> Result<(), AdminError> {
    if let Some(v) = &p.display_name {
        plain("display_name", v, 128)?;
        a.display_name = v.trim().to_string();
    }
    if let Some(v) = &p.email {
        plain("email", v, 254)?;
        if !v.trim().is_empty() && !v.contains('@') {
            return Err(AdminError::invalid(
                "email",
                format!("`{}` has no @", v.trim()),
            ));
        }
        a.email = optional(v);
    }
    if let Some(v) = &p.mobile {
        let ok = v
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '));
        if !ok || v.trim().len() > 32 {
            return Err(AdminError::invalid(
                "mobile",
                "digits, `+`, `-` and spaces only, at most 32 (e.g. +86 13800000000)",
            ));
        }
        a.mobile = optional(v);
    }
    if let Some(v) = &p.employee_no {
        plain("employee_no", v, 64)?;
        a.employee_no = optional(v);
    }
    if let Some(groups) = &p.groups {
        let mut clean: Vec<String> = Vec::new();
        for raw in groups {
            plain("groups", raw, 64)?;
            let g = raw.trim();
            if g.is_empty() {
                continue;
            }
            if g.contains(';') {
                return Err(AdminError::invalid(
                    "groups",
                    format!("group `{g}` has a `;`: give each group separately"),
                ));
            }
            if !clean.iter().any(|c| c == g) {
                clean.push(g.to_string());
            }
        }
        a.groups = clean.join(";");
    }
    if let Some(s) = &p.status {
        a.status = AccountStatus::parse(s).map_err(|e| AdminError::invalid("status", e))?;
    }
    Ok(())
}

/// The fields of an account an audit detail shows (never its password hash or lock state).
fn shown(a: &AccountRow) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("display_name".into(), json!(a.display_name));
    m.insert("email".into(), json!(a.email));
    m.insert("mobile".into(), json!(a.mobile));
    m.insert("employee_no".into(), json!(a.employee_no));
    m.insert("groups".into(), json!(directory::groups(a)));
    m.insert("status".into(), json!(a.status.as_str()));
    m
}

/// `{"before": {changed fields}, "after": {…}}`, only the fields that changed.
fn diff(before: &AccountRow, after: &AccountRow) -> (Map<String, Value>, Map<String, Value>) {
    let (b, a) = (shown(before), shown(after));
    let mut out_b = Map::new();
    let mut out_a = Map::new();
    for (k, v) in &a {
        if b.get(k) != Some(v) {
            out_b.insert(k.clone(), b.get(k).cloned().unwrap_or(Value::Null));
            out_a.insert(k.clone(), v.clone());
        }
    }
    (out_b, out_a)
}

/// Creates an account (not bound; bind it, or let the member bind it at first login).
pub async fn create(
    store: &Store,
    actor: &Actor,
    now: i64,
    rng: &dyn Rng,
    username: &str,
    profile: &Profile,
    ip: Option<IpAddr>,
) -> Result<UserRecord, AdminError> {
    let username = username.trim();
    directory::check_username(username).map_err(|e| AdminError::invalid("username", e))?;
    let mut a = AccountRow {
        id: AccountId::new(&rng.hex(16)).0,
        username: username.into(),
        status: AccountStatus::Active,
        created_at: now,
        updated_at: now,
        ..AccountRow::default()
    };
    apply(&mut a, profile)?;
    store.insert_account(&a).await?;
    audit_change(
        store,
        now,
        AdminChange {
            actor,
            event: AuditKind::UserCreate,
            app: None,
            userid: None,
            detail: Some(json!({ "username": a.username, "after": shown(&a) })),
            client_ip: ip,
        },
    )
    .await;
    Ok(UserRecord {
        account: a,
        binding: None,
    })
}

/// Ends the sessions of the member bound to an account (disable, unbind).
async fn end_sessions(store: &Store, userid: Option<&str>) -> Result<(), AdminError> {
    if let Some(u) = userid {
        store.delete_sessions_of(u).await?;
    }
    Ok(())
}

/// Edits an account. Disabling ends its member's sessions at once (and every later request of a
/// session is refused anyway). Audited as `user_update`, or `user_disable` / `user_enable` when the
/// status changed, with the changed fields before and after.
pub async fn update(
    store: &Store,
    corp: &str,
    actor: &Actor,
    now: i64,
    username: &str,
    profile: &Profile,
    ip: Option<IpAddr>,
) -> Result<UserRecord, AdminError> {
    let mut rec = get(store, corp, username).await?;
    let before = rec.account.clone();
    apply(&mut rec.account, profile)?;
    let (b, a) = diff(&before, &rec.account);
    if a.is_empty() {
        return Ok(rec);
    }
    rec.account.updated_at = now;
    if !store.update_account(&rec.account).await? {
        return Err(not_found(username));
    }
    let event = match (before.status, rec.account.status) {
        (AccountStatus::Active, AccountStatus::Disabled) => AuditKind::UserDisable,
        (AccountStatus::Disabled, AccountStatus::Active) => AuditKind::UserEnable,
        _ => AuditKind::UserUpdate,
    };
    if event == AuditKind::UserDisable {
        end_sessions(store, rec.userid()).await?;
    }
    audit_change(
        store,
        now,
        AdminChange {
            actor,
            event,
            app: None,
            userid: rec.userid(),
            detail: Some(json!({ "username": username, "before": b, "after": a })),
            client_ip: ip,
        },
    )
    .await;
    Ok(rec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_checks_name_the_field() {
        let mut a = AccountRow::default();
        let bad = |p: Profile| {
            let mut a = AccountRow::default();
            match apply(&mut a, &p) {
                Err(AdminError::Invalid { field, .. }) => field,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            bad(Profile {
                email: Some("nope".into()),
                ..Profile::default()
            }),
            "email"
        );
        assert_eq!(
            bad(Profile {
                mobile: Some("=1+1".into()),
                ..Profile::default()
            }),
            "mobile"
        );
        assert_eq!(
            bad(Profile {
                groups: Some(vec!["a;b".into()]),
                ..Profile::default()
            }),
            "groups"
        );
        apply(
            &mut a,
            &Profile {
                email: Some(" z@x.cn ".into()),
                groups: Some(vec!["ops".into(), " ops".into(), "dev".into()]),
                status: Some("disabled".into()),
                ..Profile::default()
            },
        )
        .unwrap();
        assert_eq!(a.email.as_deref(), Some("z@x.cn"));
        assert_eq!(a.groups, "ops;dev");
        assert_eq!(a.status, AccountStatus::Disabled);
        let before = a.clone();
        apply(
            &mut a,
            &Profile {
                email: Some(String::new()),
                ..Profile::default()
            },
        )
        .unwrap();
        let (b, after) = diff(&before, &a);
        assert_eq!(after.len(), 1);
        assert_eq!(b["email"], "z@x.cn");
        assert_eq!(after["email"], Value::Null);
    }
}
