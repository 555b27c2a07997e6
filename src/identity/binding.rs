//! Resolving the local account of a WeCom member at login: an existing binding; else auto-binding
//! by the policy's ordered keys (userid → username; mobile / email / employee number), where a
//! mobile or email WeCom did not give is confirmed for a candidate account only (same display
//! name, at most two) with the reverse lookups — never by searching; else provisioning. Also
//! brings the account up to date from WeCom and the profile up to date from the account.

use super::directory::{groups, AccountId, AccountStatus, BindHow, BindingPolicy, MatchKey};
use super::Profile;
use crate::store::{AccountKey, AccountRow, Created, Store, StoreError};
use crate::wecom::client::WecomClient;
use crate::wecom::types::EmailType;

/// What resolving found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Bound (already, or just now); `reason` is for the audit row.
    Bound {
        /// The account.
        account: Box<AccountRow>,
        /// `bound`, `auto_userid`, `auto_mobile`, …
        reason: String,
    },
    /// Two or more accounts match `key`: nothing was bound.
    Ambiguous {
        /// The key that matched several accounts.
        key: MatchKey,
    },
    /// No binding and no match.
    Unmatched,
}

enum Found {
    None,
    One(Box<AccountRow>),
    Many,
}

fn found(mut v: Vec<AccountRow>) -> Found {
    match v.len() {
        0 => Found::None,
        1 => v.pop().map_or(Found::None, |a| Found::One(Box::new(a))),
        _ => Found::Many,
    }
}

/// What looking up the member's account found, before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Already bound to this account.
    Bound(Box<AccountRow>),
    /// Not bound; exactly one unbound account matches `key` (auto-binding would bind it).
    Matches {
        /// The account.
        account: Box<AccountRow>,
        /// The key that matched.
        key: MatchKey,
    },
    /// Two or more accounts match `key`.
    Ambiguous {
        /// The key that matched several accounts.
        key: MatchKey,
    },
    /// No binding and no match.
    Unmatched,
}

/// Finds the member's account without binding anything: the binding, else the policy's
/// auto-binding keys in order. [`resolve`] (login) and the admin's member preview both use it.
pub async fn lookup(
    store: &Store,
    wecom: &WecomClient,
    corp_id: &str,
    policy: &BindingPolicy,
    p: &Profile,
) -> Result<Lookup, StoreError> {
    if let Some((account, _)) = store.bound_account(corp_id, &p.userid).await? {
        return Ok(Lookup::Bound(Box::new(account)));
    }
    if !policy.auto_bind {
        return Ok(Lookup::Unmatched);
    }
    for &key in &policy.keys {
        let search = Search {
            store,
            wecom,
            corp_id,
            p,
        };
        match search.candidate(key).await? {
            Found::None => continue,
            Found::Many => return Ok(Lookup::Ambiguous { key }),
            Found::One(account) => return Ok(Lookup::Matches { account, key }),
        }
    }
    Ok(Lookup::Unmatched)
}

/// Finds (and auto-binds) the member's account.
pub async fn resolve(
    store: &Store,
    wecom: &WecomClient,
    corp_id: &str,
    policy: &BindingPolicy,
    p: &Profile,
    now: i64,
) -> Result<Resolution, StoreError> {
    // A lost race (another member took the matched account) looks again: that account is bound now,
    // so the next key is tried, as a single pass over the keys would. Bounded by the keys.
    for _ in 0..=policy.keys.len() {
        let (account, key) = match lookup(store, wecom, corp_id, policy, p).await? {
            Lookup::Bound(account) => {
                return Ok(Resolution::Bound {
                    account,
                    reason: "bound".into(),
                })
            }
            Lookup::Ambiguous { key } => return Ok(Resolution::Ambiguous { key }),
            Lookup::Unmatched => return Ok(Resolution::Unmatched),
            Lookup::Matches { account, key } => (account, key),
        };
        match store
            .bind_account(corp_id, &p.userid, &account.id, BindHow::Auto.as_str(), now)
            .await
        {
            Ok(()) => {
                return Ok(Resolution::Bound {
                    account,
                    reason: format!("auto_{}", key.as_str()),
                })
            }
            // A concurrent login bound the member (found by the next lookup), or another member
            // took the account.
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(Resolution::Unmatched)
}

/// Where a member's unbound accounts are searched: the store, WeCom for reverse lookups, the
/// corp, and the member.
#[derive(Clone, Copy)]
struct Search<'a> {
    store: &'a Store,
    wecom: &'a WecomClient,
    corp_id: &'a str,
    p: &'a Profile,
}

impl Search<'_> {
    /// The unbound accounts whose `key` is the member's.
    async fn candidate(&self, key: MatchKey) -> Result<Found, StoreError> {
        let Search {
            store,
            wecom: _,
            corp_id,
            p,
        } = *self;
        let by = |k: AccountKey, v: String| async move {
            store
                .unbound_accounts_by(corp_id, k, &v, 2)
                .await
                .map(found)
        };
        match key {
            MatchKey::Userid => by(AccountKey::Username, p.userid.clone()).await,
            MatchKey::EmployeeNo => match &p.employee_no {
                Some(e) => by(AccountKey::EmployeeNo, e.clone()).await,
                None => Ok(Found::None),
            },
            MatchKey::Mobile => match &p.mobile {
                Some(m) => by(AccountKey::Mobile, m.clone()).await,
                None => self.confirmed(key).await,
            },
            MatchKey::Email => match &p.email {
                Some(e) => by(AccountKey::Email, e.clone()).await,
                None => self.confirmed(key).await,
            },
        }
    }

    /// WeCom did not give the member's mobile/email (QR login, app created after 2022-06-20): the
    /// candidates are the unbound accounts with the member's display name (at most two); each
    /// candidate's mobile/email is confirmed with one reverse lookup.
    async fn confirmed(&self, key: MatchKey) -> Result<Found, StoreError> {
        let Search {
            store,
            wecom,
            corp_id,
            p,
        } = *self;
        if p.name.is_empty() {
            return Ok(Found::None);
        }
        let candidates = store
            .unbound_accounts_by(corp_id, AccountKey::DisplayName, &p.name, 3)
            .await?;
        if candidates.len() > 2 {
            tracing::info!(
                key = key.as_str(),
                "too many candidate accounts to confirm; not matching"
            );
            return Ok(Found::None);
        }
        let mut hits = Vec::new();
        for c in candidates {
            let userid = match key {
                MatchKey::Mobile => match &c.mobile {
                    Some(m) => wecom.userid_by_mobile(m).await.ok(),
                    None => None,
                },
                MatchKey::Email => match &c.email {
                    Some(e) => match wecom.userid_by_email(e, EmailType::Corp).await {
                        Ok(u) => Some(u),
                        Err(_) => wecom.userid_by_email(e, EmailType::Personal).await.ok(),
                    },
                    None => None,
                },
                _ => None,
            };
            if userid.as_deref() == Some(p.userid.as_str()) {
                hits.push(c);
            }
        }
        Ok(found(hits))
    }
}

/// The account a first login provisions for the member (active, the profile's values).
pub fn new_account(p: &Profile, id: String, username: String, now: i64) -> AccountRow {
    AccountRow {
        id,
        username,
        display_name: p.name.clone(),
        email: p.email.clone(),
        mobile: p.mobile.clone(),
        employee_no: p.employee_no.clone(),
        status: AccountStatus::Active,
        created_at: now,
        updated_at: now,
        ..AccountRow::default()
    }
}

/// Provisions an account from the profile and binds it (how: created). The username is the
/// userid, or the userid with a random suffix when another account has it. Two first logins of
/// the same member at once get the same account.
pub async fn create(
    store: &Store,
    corp_id: &str,
    p: &Profile,
    now: i64,
    mut random_hex: impl FnMut(usize) -> String,
) -> Result<AccountRow, StoreError> {
    for attempt in 0..4 {
        let username = if attempt == 0 {
            p.userid.clone()
        } else {
            format!("{}-{}", p.userid, random_hex(3))
        };
        let a = new_account(p, AccountId::new(&random_hex(16)).0, username, now);
        match store
            .create_bound_account(&a, corp_id, &p.userid, now)
            .await?
        {
            Created::New(a) | Created::AlreadyBound(a) => return Ok(a),
            Created::UsernameTaken => continue,
        }
    }
    Err(StoreError::Conflict(format!(
        "an account for `{}` (usernames taken)",
        p.userid
    )))
}

/// Whether the account may sign in (an account that is not active is refused).
pub fn usable(account: &AccountRow) -> bool {
    account.status == AccountStatus::Active
}

/// The account brought up to date from WeCom (display name always; email, mobile and employee
/// number when the account has none) and the profile to release: the account's values, the WeCom
/// departments and position, the username and groups. Writes nothing (see [`apply`]).
pub fn merged(mut account: AccountRow, mut p: Profile) -> (AccountRow, Profile) {
    if !p.name.is_empty() {
        account.display_name = p.name.clone();
    }
    for (slot, wecom) in [
        (&mut account.email, &p.email),
        (&mut account.mobile, &p.mobile),
        (&mut account.employee_no, &p.employee_no),
    ] {
        if slot.is_none() && wecom.is_some() {
            slot.clone_from(wecom);
        }
    }
    if !account.display_name.is_empty() {
        p.name = account.display_name.clone();
    }
    p.email = account.email.clone().or(p.email);
    p.mobile = account.mobile.clone().or(p.mobile);
    p.employee_no = account.employee_no.clone().or(p.employee_no);
    p.groups = groups(&account);
    p.username = Some(account.username.clone());
    (account, p)
}

/// Refreshes the account from WeCom and returns the profile to release (see [`merged`]).
pub async fn apply(
    store: &Store,
    account: AccountRow,
    p: Profile,
    now: i64,
) -> Result<Profile, StoreError> {
    let before = account.clone();
    let (mut account, p) = merged(account, p);
    if account != before {
        account.updated_at = now;
        store.refresh_account(&account).await?;
    }
    Ok(p)
}
