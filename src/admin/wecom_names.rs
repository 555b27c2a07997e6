//! Names that must exist in WeCom, checked against it when they are saved: the departments, tags and
//! members named by an app's access and role rules, an admin added by userid, and the member an
//! account is bound to. A typo (`user:zhangsn`, `tag:运维组`) otherwise surfaces only as a member's
//! `no_role` long after the save.
//!
//! The check warns and lets the admin decide, as the WeCom settings' Save does: an unknown name or an
//! unreadable WeCom refuses the save ([`NamesCheck`] says which) unless the admin saves anyway
//! ([`SaveMode::Anyway`]), which is audited with what the check found
//! ([`FORCED_EVENT`]). Only the values being saved are checked, so an unrelated change is never held
//! up by an older rule.

use super::directory::Unreadable;
use super::settings::SaveMode;
use super::Actor;
use crate::identity::access::{Access, Grant};
use crate::identity::roles::{parse_rules, Match, TagRef};
use crate::lang::{t, Text};
use crate::store::{AuditKind, Store};
use crate::wecom::client::WecomClient;
use std::net::IpAddr;

/// The audit event of a save the admin made although WeCom did not know a name, or could not be
/// asked.
pub const FORCED_EVENT: AuditKind = AuditKind::WecomNamesForced;

/// At most this many userids are looked up (`user/get`) per save.
const MAX_USER_LOOKUPS: usize = 50;

/// A department, tag or member named in a rule (or as an admin, or in a binding).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Named {
    /// `dept:ID`.
    Dept(i64),
    /// `tag:ID` or `tag:NAME`.
    Tag(TagRef),
    /// `user:USERID`, an admin, a binding.
    User(String),
}

impl Named {
    /// As the rule writes it: `dept:9`, `tag:运维组`, `user:zhangsn`.
    pub fn token(&self) -> String {
        match self {
            Self::Dept(id) => format!("dept:{id}"),
            Self::Tag(TagRef::Id(id)) => format!("tag:{id}"),
            Self::Tag(TagRef::Name(n)) => format!("tag:{n}"),
            Self::User(u) => format!("user:{u}"),
        }
    }
}

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamesCheck {
    /// WeCom knows every name (or none was given).
    Known,
    /// WeCom does not know these (or the app cannot see them), in the order given.
    Unknown(Vec<Named>),
    /// WeCom could not be asked: nothing is known either way.
    Unchecked(Unreadable),
}

impl NamesCheck {
    /// The unknown names as rule tokens.
    pub fn unknown_tokens(&self) -> Vec<String> {
        match self {
            Self::Unknown(n) => n.iter().map(Named::token).collect(),
            _ => Vec::new(),
        }
    }

    /// The audit detail of a save made in spite of this result.
    pub fn forced_detail(&self, what: &str) -> serde_json::Value {
        match self {
            Self::Known => serde_json::json!({ "what": what }),
            Self::Unknown(_) => {
                serde_json::json!({ "what": what, "unknown_in_wecom": self.unknown_tokens() })
            }
            Self::Unchecked(u) => serde_json::json!({
                "what": what, "wecom_unreadable": u.key(), "errcode": u.errcode(),
            }),
        }
    }
}

fn push(out: &mut Vec<Named>, n: Named) {
    if !out.contains(&n) {
        out.push(n);
    }
}

/// The names in an access rule (`group:` is ours, not WeCom's).
pub fn named_in_access(a: &Access, out: &mut Vec<Named>) {
    if let Access::Only(grants) = a {
        for g in grants {
            match g {
                Grant::User(u) => push(out, Named::User(u.clone())),
                Grant::Dept(d) => push(out, Named::Dept(*d)),
                Grant::Tag(t) => push(out, Named::Tag(t.clone())),
                Grant::Group(_) => {}
            }
        }
    }
}

/// The names in role rules (`position:` is free text).
pub fn named_in_roles(rules: &[crate::identity::roles::RoleRule], out: &mut Vec<Named>) {
    for r in rules {
        match &r.when {
            Match::User(u) => push(out, Named::User(u.clone())),
            Match::Dept(d) => push(out, Named::Dept(*d)),
            Match::Tag(t) => push(out, Named::Tag(t.clone())),
            Match::Position(_) => {}
        }
    }
}

/// The names in the `access` and `role_rules` values of a settings change. A value that does not
/// parse names nothing here: the settings' own validation refuses it with its syntax.
pub fn named_in_settings(changes: &[(String, String)]) -> Vec<Named> {
    let mut out = Vec::new();
    for (k, v) in changes {
        match k.as_str() {
            "access" => {
                if let Ok(a) = Access::parse(v) {
                    named_in_access(&a, &mut out);
                }
            }
            "role_rules" => {
                if let Ok(r) = parse_rules(v) {
                    named_in_roles(&r, &mut out);
                }
            }
            _ => {}
        }
    }
    out
}

/// Asks WeCom about every name: departments in `department/list`, tags in `tag/list` (by ID or
/// name), members with `user/get` (no such member, or one outside the app's visible range, is
/// unknown: they could never sign in through this app).
pub async fn check(client: &WecomClient, names: &[Named]) -> NamesCheck {
    match unknown(client, names).await {
        Ok(u) if u.is_empty() => NamesCheck::Known,
        Ok(u) => NamesCheck::Unknown(u),
        Err(e) => NamesCheck::Unchecked(e),
    }
}

async fn unknown(client: &WecomClient, names: &[Named]) -> Result<Vec<Named>, Unreadable> {
    let mut out = Vec::new();
    if names.iter().any(|n| matches!(n, Named::Dept(_))) {
        let depts = client.departments().await?;
        out.extend(
            names
                .iter()
                .filter(|n| matches!(n, Named::Dept(id) if !depts.iter().any(|d| d.id == *id)))
                .cloned(),
        );
    }
    if names.iter().any(|n| matches!(n, Named::Tag(_))) {
        let tags = client.tags().await?;
        out.extend(
            names
                .iter()
                .filter(|n| match n {
                    Named::Tag(TagRef::Id(id)) => !tags.iter().any(|t| t.tagid == *id),
                    Named::Tag(TagRef::Name(name)) => !tags.iter().any(|t| t.tagname == *name),
                    _ => false,
                })
                .cloned(),
        );
    }
    for n in names
        .iter()
        .filter(|n| matches!(n, Named::User(_)))
        .take(MAX_USER_LOOKUPS)
    {
        let Named::User(u) = n else { continue };
        match client.get_user(u).await {
            Ok(_) => {}
            Err(e) if e.is_no_such_user() || matches!(e.code(), Some(40003 | 50002 | 60011)) => {
                out.push(n.clone());
            }
            Err(e) => return Err(e.into()),
        }
    }
    // In the order the admin wrote them.
    out.sort_by_key(|u| names.iter().position(|n| n == u));
    Ok(out)
}

/// Whether a save goes ahead after the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Every name is known (or none was named): save.
    Go,
    /// The check failed but the admin chose to save: save, and audit it with [`audit_forced`].
    Forced(NamesCheck),
    /// The check failed: do not save; tell the admin what it found.
    Refused(NamesCheck),
}

/// The check, then the decision for `mode`.
pub async fn gate(client: &WecomClient, names: &[Named], mode: SaveMode) -> Gate {
    if names.is_empty() {
        return Gate::Go;
    }
    decide(check(client, names).await, mode)
}

/// Where names are checked: the WeCom client of the settings in force, or why WeCom cannot be
/// asked (which the admin may override like any failed check).
pub type Wecom = Result<WecomClient, Unreadable>;

/// [`gate`] through `wecom`: a WeCom that cannot be asked decides as an unchecked result.
pub async fn gate_through(wecom: &Wecom, names: &[Named], mode: SaveMode) -> Gate {
    match wecom {
        Ok(client) => gate(client, names, mode).await,
        Err(_) if names.is_empty() => Gate::Go,
        Err(u) => decide(NamesCheck::Unchecked(u.clone()), mode),
    }
}

/// Settings the names check refused to save: the settings key to show the refusal beside (see
/// [`field_of`]) and what the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// `access` or `role_rules`.
    pub field: String,
    /// What the check found.
    pub found: NamesCheck,
}

/// What `gate` means for a save of `settings`: `Ok(None)` to save, `Ok(Some(found))` to save and
/// audit with [`audit_forced`], `Err` to store nothing.
pub fn settle(settings: &[(String, String)], gate: Gate) -> Result<Option<NamesCheck>, Refused> {
    match gate {
        Gate::Go => Ok(None),
        Gate::Forced(found) => Ok(Some(found)),
        Gate::Refused(found) => Err(Refused {
            field: field_of(settings, &found).to_string(),
            found,
        }),
    }
}

/// The decision on a check's result.
pub fn decide(found: NamesCheck, mode: SaveMode) -> Gate {
    match found {
        NamesCheck::Known => Gate::Go,
        failed if mode == SaveMode::Anyway => Gate::Forced(failed),
        unchecked @ NamesCheck::Unchecked(_) if mode == SaveMode::UnlessUnknown => {
            Gate::Forced(unchecked)
        }
        failed => Gate::Refused(failed),
    }
}

/// The settings key (`access` or `role_rules`) that names the first unknown name; the first rule
/// key changed when WeCom could not be asked.
pub fn field_of<'a>(changes: &'a [(String, String)], found: &NamesCheck) -> &'a str {
    let unknown = match found {
        NamesCheck::Unknown(u) => u.as_slice(),
        _ => &[],
    };
    let rule_keys = changes
        .iter()
        .filter(|(k, _)| k == "access" || k == "role_rules");
    let mut first = None;
    for kv in rule_keys {
        first.get_or_insert(kv.0.as_str());
        let named = named_in_settings(std::slice::from_ref(kv));
        if named.iter().any(|n| unknown.contains(n)) {
            return kv.0.as_str();
        }
    }
    first.unwrap_or("")
}

/// A save made in spite of a failed check: who, what, and what the check found.
#[derive(Debug, Clone, Copy)]
pub struct ForcedSave<'a> {
    /// Who saved.
    pub actor: &'a Actor,
    /// What was saved (the settings key, `admin`, `binding`).
    pub what: &'a str,
    /// The app, if any.
    pub app: Option<&'a str>,
    /// The member, if any.
    pub userid: Option<&'a str>,
    /// What the check found.
    pub found: &'a NamesCheck,
    /// The client IP.
    pub ip: Option<IpAddr>,
}

/// Records a save made in spite of a failed check.
pub async fn audit_forced(store: &Store, now: i64, forced: ForcedSave<'_>) {
    super::auth::audit_change(
        store,
        now,
        super::auth::AdminChange {
            actor: forced.actor,
            event: FORCED_EVENT,
            app: forced.app,
            userid: forced.userid,
            detail: Some(forced.found.forced_detail(forced.what)),
            client_ip: forced.ip,
        },
    )
    .await;
}

/// What a console page says about a refused save, in both languages: the unknown names, or why
/// WeCom could not be asked, and that the admin may save anyway.
pub fn refusal_text(found: &NamesCheck) -> Text {
    match found {
        NamesCheck::Unknown(_) => {
            let names = found.unknown_tokens();
            t(
                format!(
                    "Not saved: WeCom does not know {} (or the WeCom app cannot see it). Check the \
                     spelling, or save anyway.",
                    names.join(", ")
                ),
                format!(
                    "未保存：企业微信中没有 {}（或企业微信应用看不到）。请检查拼写，或仍然保存。",
                    names.join("、")
                ),
            )
        }
        NamesCheck::Unchecked(u) => {
            let code = u.code_note();
            t(
                format!(
                    "Not saved: the names could not be checked against WeCom. {}{code}. {} You may \
                     save anyway, unchecked.",
                    u.problem.title.en, u.problem.fix.en
                ),
                format!(
                    "未保存：无法与企业微信核对这些名称。{}{code}。{}也可以不经核对仍然保存。",
                    u.problem.title.zh, u.problem.fix.zh
                ),
            )
        }
        NamesCheck::Known => t("", ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_access_and_role_rules_only() {
        let n = named_in_settings(&[
            (
                "access".into(),
                "user:lisi;dept:3;group:ops;tag:审计".into(),
            ),
            (
                "role_rules".into(),
                "user:zhangsn=Admin;position:SRE=Ops;tag:7=Auditor;dept:3=Dev".into(),
            ),
            ("role".into(), "user:nobody".into()),
            ("access_typo".into(), "user:x".into()),
        ]);
        let tokens: Vec<String> = n.iter().map(Named::token).collect();
        assert_eq!(
            tokens,
            ["user:lisi", "dept:3", "tag:审计", "user:zhangsn", "tag:7"]
        );
        // A value that does not parse names nothing (its syntax error comes from validation).
        assert!(named_in_settings(&[("role_rules".into(), "user:a".into())]).is_empty());
    }

    #[test]
    fn forced_saves_record_what_the_check_found() {
        let u = NamesCheck::Unknown(vec![Named::User("zhangsn".into())]);
        assert_eq!(
            u.forced_detail("role_rules")["unknown_in_wecom"][0],
            "user:zhangsn"
        );
        let m = refusal_text(&u);
        assert!(
            m.en.contains("user:zhangsn") && !m.en.contains("企业微信"),
            "{m:?}"
        );
        assert!(
            m.zh.contains("user:zhangsn") && m.zh.contains("企业微信"),
            "{m:?}"
        );
        assert_eq!(
            decide(u.clone(), SaveMode::CheckFirst),
            Gate::Refused(u.clone())
        );
        assert_eq!(decide(u.clone(), SaveMode::Anyway), Gate::Forced(u.clone()));
        assert_eq!(decide(NamesCheck::Known, SaveMode::CheckFirst), Gate::Go);
        assert_eq!(
            decide(u.clone(), SaveMode::UnlessUnknown),
            Gate::Refused(u.clone()),
            "the shell refuses an unknown name without --force"
        );
        let setup = crate::wecom::errors::WecomError::Setup {
            detail: "no corp ID".into(),
        };
        let unchecked = NamesCheck::Unchecked(Unreadable::of(setup));
        assert_eq!(
            decide(unchecked.clone(), SaveMode::UnlessUnknown),
            Gate::Forced(unchecked.clone()),
            "the shell goes on, audited, when WeCom cannot be asked"
        );
        assert_eq!(
            decide(unchecked.clone(), SaveMode::CheckFirst),
            Gate::Refused(unchecked)
        );
        let changes = [
            ("access".to_string(), "user:lisi".to_string()),
            ("role_rules".to_string(), "user:zhangsn=Admin".to_string()),
        ];
        assert_eq!(field_of(&changes, &u), "role_rules");
    }
}
