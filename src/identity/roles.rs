//! Which cloud roles a member gets for an app: rules on userid, department (a rule on a department
//! also matches its sub-departments), position and WeCom tag, applied first-match or as a union,
//! falling back to the app's `role` when no rule matches.
//!
//! Rule syntax for `--set role_rules=…` (rules separated by `;`, tried in order):
//! `user:USERID=ROLE|ROLE`, `dept:DEPARTMENT_ID=ROLE`, `position:POSITION=ROLE`, `tag:TAG=ROLE`; e.g.
//! `user:zhangsan=Admin|Auditor;dept:2=Developer;tag:1=Auditor`. A role name may contain `=` (AWS
//! allows it): the first `=` ends the condition. `|` separates several roles (no console allows `|`
//! in a role name).
//!
//! A role may name the cloud account it is in: `ACCOUNT:ROLE` (the account ID in digits, then `:`;
//! no role-SSO console allows `:` in a role name), e.g. `dept:2=111122223333:Developer|
//! 444455556666:ReadOnly`. A bare `ROLE` is in the app's own account (its `account_id`). Every
//! other account a rule names is listed in `accounts=ACCOUNT[:PROVIDER],…` with, where it differs
//! from the app's `provider_name`, the name of the SAML provider in that account; templates render
//! `{account_id}` and `{provider_name}` per role from it.
//!
//! A tag is named by its numeric WeCom ID (`tag:12`) or by its name (`tag:云管理员`; a name of digits
//! only must be given by ID). A member is in a tag when WeCom lists them in it, or lists one of their
//! departments or its ancestors. Tags are read at login ([`MemberTags`]); when a tag could not be read
//! its rule is *undetermined*, and an undetermined rule never lets the member have more: first-match
//! stops there with no role, union keeps what the other rules gave, and neither falls back to `role`.

use super::IdentityError;
use crate::identity::Profile;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// How matching rules combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleMode {
    /// The roles of the first rule that matches.
    #[default]
    First,
    /// The roles of every rule that matches, in rule order, without repeats.
    Union,
}

/// What a rule matches on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Match {
    /// This WeCom userid.
    User(String),
    /// A member of this department or of any of its sub-departments.
    Dept(i64),
    /// This position, exactly.
    Position(String),
    /// A member of this WeCom tag (directly, or through a tagged department).
    Tag(TagRef),
}

/// A WeCom tag as a rule names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TagRef {
    /// By tag ID.
    Id(i64),
    /// By tag name (resolved with WeCom's tag list at login).
    Name(String),
}

/// What a login found out about the member's tags, for the tags the rules name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberTags {
    /// Tags whose membership was read.
    pub checked: HashSet<TagRef>,
    /// Of those, the tags the member is in.
    pub member_of: HashSet<TagRef>,
}

impl MemberTags {
    /// `Some(true)`/`Some(false)` when the tag was read, `None` when it could not be.
    fn contains(&self, t: &TagRef) -> Option<bool> {
        self.checked.contains(t).then(|| self.member_of.contains(t))
    }
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleRule {
    /// The condition.
    pub when: Match,
    /// The roles it gives.
    pub roles: Vec<String>,
}

/// An account rules may give roles in besides the app's own, with the name of the SAML provider
/// there when it is not the app's `provider_name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleAccount {
    /// The account ID (digits).
    pub id: String,
    /// The SAML identity provider's name in that account; `None`: the app's `provider_name`.
    pub provider_name: Option<String>,
}

/// A role as a rule writes it: `ROLE` in the app's account, or `ACCOUNT:ROLE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleTarget<'a> {
    /// The account named before `:`, when one is.
    pub account: Option<&'a str>,
    /// The role name.
    pub role: &'a str,
}

impl<'a> RoleTarget<'a> {
    /// Reads `ACCOUNT:ROLE` (an account is 1–32 ASCII digits) or a bare role.
    pub fn parse(text: &'a str) -> Self {
        match text.split_once(':') {
            Some((a, role)) if is_account_id(a) => Self {
                account: Some(a),
                role,
            },
            _ => Self {
                account: None,
                role: text,
            },
        }
    }
}

/// 1–32 ASCII digits: the shape every role-SSO console's account ID has.
fn is_account_id(a: &str) -> bool {
    !a.is_empty() && a.len() <= 32 && a.bytes().all(|b| b.is_ascii_digit())
}

/// An app's role mapping.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RoleConfig {
    /// A role-SSO app: a member without a role is refused before anything is sent.
    pub required: bool,
    /// `role`: the role of every member no rule matches.
    pub default_role: Option<String>,
    /// `role_rules`.
    pub rules: Vec<RoleRule>,
    /// `role_mode`.
    pub mode: RoleMode,
    /// `role_contact`: whom a member without a role should ask (shown on the refusal page).
    pub contact: Option<String>,
    /// `accounts`: the other accounts `ACCOUNT:ROLE` may name, with their provider names.
    pub accounts: Vec<RoleAccount>,
}

impl RoleConfig {
    /// Whether any rule needs the department tree (a tagged department covers its sub-departments).
    pub fn needs_departments(&self) -> bool {
        self.rules
            .iter()
            .any(|r| matches!(r.when, Match::Dept(_) | Match::Tag(_)))
    }

    /// The tags the rules name, each once, in rule order (read from WeCom only when not empty).
    pub fn tag_refs(&self) -> Vec<&TagRef> {
        let mut out: Vec<&TagRef> = Vec::new();
        for r in &self.rules {
            if let Match::Tag(t) = &r.when {
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        out
    }

    /// Every role named in the configuration as written, `ACCOUNT:` included (for validation).
    pub fn all_roles(&self) -> impl Iterator<Item = &str> {
        self.default_role.iter().map(String::as_str).chain(
            self.rules
                .iter()
                .flat_map(|r| r.roles.iter().map(String::as_str)),
        )
    }

    /// The provider name of a listed account, when it has its own.
    pub fn provider_of(&self, account: &str) -> Option<&str> {
        self.accounts
            .iter()
            .find(|a| a.id == account)
            .and_then(|a| a.provider_name.as_deref())
    }

    /// Every account a role names is the app's own (`own`, its `account_id`) or listed in
    /// `accounts`; `accounts` names each once and not the app's own.
    pub fn check_accounts(&self, own: Option<&str>) -> Result<(), IdentityError> {
        for (i, a) in self.accounts.iter().enumerate() {
            if Some(a.id.as_str()) == own {
                return Err(IdentityError::Invalid(format!(
                    "accounts: {} is the app's own account_id (its provider is provider_name): \
                     list only the other accounts",
                    a.id
                )));
            }
            if self.accounts[..i].iter().any(|b| b.id == a.id) {
                return Err(IdentityError::Invalid(format!(
                    "accounts: {} is listed twice",
                    a.id
                )));
            }
        }
        for text in self.all_roles() {
            let Some(a) = RoleTarget::parse(text).account else {
                continue;
            };
            if Some(a) != own && !self.accounts.iter().any(|x| x.id == a) {
                return Err(IdentityError::Invalid(format!(
                    "`{text}` is in account {a}, which is neither the app's account_id nor \
                     listed in accounts: add it (accounts=…,{a} or {a}:PROVIDER_NAME)"
                )));
            }
        }
        Ok(())
    }

    /// The member's roles. `parents` maps a department ID to its parent's (from WeCom's department
    /// list); an empty map matches the member's own departments only, never more. `tags` says which
    /// of the named tags the member is in; a tag rule whose tag is not in `tags.checked` is
    /// undetermined (see the module documentation).
    pub fn roles_for(
        &self,
        p: &Profile,
        parents: &HashMap<i64, i64>,
        tags: &MemberTags,
    ) -> Vec<String> {
        let depts = with_ancestors(&p.department_ids, parents);
        let mut out: Vec<String> = Vec::new();
        let mut undetermined = false;
        for rule in &self.rules {
            let hit = match &rule.when {
                Match::User(u) => Some(*u == p.userid),
                Match::Dept(d) => Some(depts.contains(d)),
                Match::Position(pos) => Some(p.position.as_deref() == Some(pos.as_str())),
                Match::Tag(t) => tags.contains(t),
            };
            match hit {
                Some(true) => {
                    for r in &rule.roles {
                        if !out.contains(r) {
                            out.push(r.clone());
                        }
                    }
                    if self.mode == RoleMode::First {
                        break;
                    }
                }
                Some(false) => {}
                // First-match: this rule might have been the match; a later one must not stand in.
                None if self.mode == RoleMode::First => return out,
                None => undetermined = true,
            }
        }
        if out.is_empty() && !undetermined {
            out.extend(self.default_role.iter().cloned());
        }
        out
    }
}

/// The given departments and all their ancestors (per `parents`), each once.
pub fn with_ancestors(ids: &[i64], parents: &HashMap<i64, i64>) -> Vec<i64> {
    let mut out = Vec::new();
    for &id in ids {
        let mut cur = id;
        // The depth cap stops a malformed (cyclic) tree from looping.
        for _ in 0..64 {
            if out.contains(&cur) {
                break;
            }
            out.push(cur);
            match parents.get(&cur) {
                Some(&p) if p > 0 => cur = p,
                _ => break,
            }
        }
    }
    out
}

/// Parses `role_rules` (see the module documentation); empty text means no rules.
pub fn parse_rules(text: &str) -> Result<Vec<RoleRule>, IdentityError> {
    let bad = |rule: &str, why: &str| {
        IdentityError::Invalid(format!(
            "role_rules: `{rule}`: {why} (syntax: \
             user:USERID=ROLE|ROLE;dept:ID=ROLE;position:TEXT=ROLE;tag:ID_OR_NAME=ROLE)"
        ))
    };
    let mut out = Vec::new();
    for rule in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((cond, roles)) = rule.split_once('=') else {
            return Err(bad(rule, "no `=` between the condition and the roles"));
        };
        let Some((kind, value)) = cond.split_once(':') else {
            return Err(bad(
                rule,
                "the condition needs a kind: user:, dept:, position: or tag:",
            ));
        };
        let value = value.trim();
        if value.is_empty() {
            return Err(bad(rule, "the condition has no value"));
        }
        let when = match kind.trim() {
            "user" | "userid" => Match::User(value.to_string()),
            "dept" | "department" => Match::Dept(
                value
                    .parse::<i64>()
                    .ok()
                    .filter(|d| *d > 0)
                    .ok_or_else(|| bad(rule, "a department is its numeric WeCom ID"))?,
            ),
            "position" => Match::Position(value.to_string()),
            "tag" => Match::Tag(parse_tag(value).map_err(|why| bad(rule, why))?),
            other => return Err(bad(rule, &format!("unknown kind `{other}`"))),
        };
        let roles: Vec<String> = roles
            .split('|')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        if roles.is_empty() {
            return Err(bad(rule, "no role after `=`"));
        }
        if roles
            .iter()
            .any(|r| RoleTarget::parse(r).role.trim().is_empty())
        {
            return Err(bad(rule, "no role after `ACCOUNT:`"));
        }
        out.push(RoleRule { when, roles });
    }
    Ok(out)
}

/// A tag by ID (digits) or by name (WeCom allows at most 32 characters).
pub fn parse_tag(value: &str) -> Result<TagRef, &'static str> {
    if value.bytes().all(|b| b.is_ascii_digit()) {
        return value
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(TagRef::Id)
            .ok_or("a tag ID is a positive number");
    }
    if value.chars().count() > 32 {
        return Err("a WeCom tag name has at most 32 characters");
    }
    Ok(TagRef::Name(value.to_string()))
}

/// Parses `accounts`: `ACCOUNT[:PROVIDER]` separated by `,`; empty text means none.
pub fn parse_accounts(text: &str) -> Result<Vec<RoleAccount>, IdentityError> {
    let bad = |item: &str, why: &str| {
        IdentityError::Invalid(format!(
            "accounts: `{item}`: {why} (syntax: ACCOUNT_ID[:PROVIDER_NAME],…, e.g. \
             111122223333,444455556666:wecom-idp)"
        ))
    };
    let mut out = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (id, provider) = match item.split_once(':') {
            Some((id, p)) => (id.trim(), Some(p.trim())),
            None => (item, None),
        };
        if !is_account_id(id) {
            return Err(bad(item, "an account ID is 1–32 digits"));
        }
        let provider = match provider {
            None => None,
            Some("") => return Err(bad(item, "no provider name after `:`")),
            Some(p)
                if p.chars().count() > 128
                    || p.chars()
                        .any(|c| c.is_whitespace() || c.is_control() || "{}:,".contains(c)) =>
            {
                return Err(bad(
                    item,
                    "a provider name is at most 128 characters, without spaces, `{`, `}`, `:` or `,`",
                ))
            }
            Some(p) => Some(p.to_string()),
        };
        out.push(RoleAccount {
            id: id.to_string(),
            provider_name: provider,
        });
    }
    Ok(out)
}

/// `accounts` written back in its syntax (for `app show` and the console form).
pub fn format_accounts(accounts: &[RoleAccount]) -> String {
    accounts
        .iter()
        .map(|a| match &a.provider_name {
            Some(p) => format!("{}:{p}", a.id),
            None => a.id.clone(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The rules written back in `role_rules` syntax (for `app show`).
pub fn format_rules(rules: &[RoleRule]) -> String {
    rules
        .iter()
        .map(|r| {
            let cond = match &r.when {
                Match::User(u) => format!("user:{u}"),
                Match::Dept(d) => format!("dept:{d}"),
                Match::Position(p) => format!("position:{p}"),
                Match::Tag(TagRef::Id(id)) => format!("tag:{id}"),
                Match::Tag(TagRef::Name(n)) => format!("tag:{n}"),
            };
            format!("{cond}={}", r.roles.join("|"))
        })
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(userid: &str, dept: i64, position: &str) -> Profile {
        Profile {
            userid: userid.into(),
            department_ids: vec![dept],
            position: Some(position.into()),
            ..Default::default()
        }
    }

    #[test]
    fn first_match_union_and_default() {
        let rules =
            parse_rules("user:zhangsan=Admin|Auditor; dept:2=Developer ;position:SRE=Ops").unwrap();
        assert_eq!(
            format_rules(&rules),
            "user:zhangsan=Admin|Auditor;dept:2=Developer;position:SRE=Ops"
        );
        // 5 is a sub-department of 2.
        let parents = HashMap::from([(2, 1), (3, 1), (5, 2)]);
        let mut c = RoleConfig {
            required: true,
            default_role: Some("ReadOnly".into()),
            rules,
            ..Default::default()
        };
        assert_eq!(
            c.roles_for(
                &member("zhangsan", 5, "SRE"),
                &parents,
                &MemberTags::default()
            ),
            ["Admin", "Auditor"]
        );
        assert_eq!(
            c.roles_for(&member("lisi", 5, "SRE"), &parents, &MemberTags::default()),
            ["Developer"]
        );
        assert_eq!(
            c.roles_for(
                &member("lisi", 5, "SRE"),
                &HashMap::new(),
                &MemberTags::default()
            ),
            ["Ops"],
            "without the tree only direct departments match"
        );
        assert_eq!(
            c.roles_for(&member("wangwu", 3, "x"), &parents, &MemberTags::default()),
            ["ReadOnly"]
        );
        c.mode = RoleMode::Union;
        assert_eq!(
            c.roles_for(
                &member("zhangsan", 5, "SRE"),
                &parents,
                &MemberTags::default()
            ),
            ["Admin", "Auditor", "Developer", "Ops"]
        );
        c.default_role = None;
        assert!(c
            .roles_for(&member("wangwu", 3, "x"), &parents, &MemberTags::default())
            .is_empty());
        assert!(c.needs_departments());
    }

    #[test]
    fn cyclic_trees_end() {
        let parents = HashMap::from([(2, 3), (3, 2)]);
        assert_eq!(with_ancestors(&[2], &parents), vec![2, 3]);
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        for (bad, why) in [
            ("zhangsan=Admin", "kind"),
            ("user:zhangsan", "no `=`"),
            ("dept:abc=Dev", "numeric"),
            ("user:=Dev", "no value"),
            ("user:a=", "no role"),
            ("tag:0=Dev", "positive"),
            (
                "tag:一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三=Dev",
                "32",
            ),
            ("team:a=Dev", "unknown kind"),
        ] {
            let e = parse_rules(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
        assert_eq!(parse_rules("user:a=x=y").unwrap()[0].roles, ["x=y"]);
    }

    #[test]
    fn accounts_and_roles_in_them() {
        assert_eq!(
            RoleTarget::parse("111122223333:Admin"),
            RoleTarget {
                account: Some("111122223333"),
                role: "Admin"
            }
        );
        assert_eq!(RoleTarget::parse("path/Admin").account, None);
        assert_eq!(RoleTarget::parse("a1:Admin").role, "a1:Admin");
        let e = parse_rules("user:a=111:").unwrap_err().to_string();
        assert!(e.contains("no role after `ACCOUNT:`"), "{e}");
        let accounts = parse_accounts(" 222 , 333:prov-3 ").unwrap();
        assert_eq!(format_accounts(&accounts), "222,333:prov-3");
        for (bad, why) in [
            ("abc", "1–32 digits"),
            ("333:", "no provider"),
            ("333:a b", "without spaces"),
        ] {
            let e = parse_accounts(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
        let mut c = RoleConfig {
            default_role: Some("Base".into()),
            rules: parse_rules("user:a=111:Admin|222:Dev|333:Ops").unwrap(),
            accounts,
            ..Default::default()
        };
        assert!(c.check_accounts(Some("111")).is_ok());
        assert_eq!(c.provider_of("333"), Some("prov-3"));
        assert_eq!(c.provider_of("222"), None);
        let e = c.check_accounts(Some("999")).unwrap_err().to_string();
        assert!(
            e.contains("account 111") && e.contains("accounts=…,111"),
            "{e}"
        );
        c.accounts = parse_accounts("111,222,333").unwrap();
        let e = c.check_accounts(Some("111")).unwrap_err().to_string();
        assert!(e.contains("own account_id"), "{e}");
        c.accounts = parse_accounts("222,333,222").unwrap();
        let e = c.check_accounts(Some("111")).unwrap_err().to_string();
        assert!(e.contains("twice"), "{e}");
    }

    fn tagged(read: &[TagRef], member_of: &[TagRef]) -> MemberTags {
        MemberTags {
            checked: read.iter().cloned().collect(),
            member_of: member_of.iter().cloned().collect(),
        }
    }

    #[test]
    fn tag_rules_parse_and_print() {
        let rules =
            parse_rules("tag:1=Admin|Auditor; tag:审计 auditors=Auditor;tag:007=Ops").unwrap();
        assert_eq!(rules[0].when, Match::Tag(TagRef::Id(1)));
        assert_eq!(
            rules[1].when,
            Match::Tag(TagRef::Name("审计 auditors".into()))
        );
        assert_eq!(rules[2].when, Match::Tag(TagRef::Id(7)));
        assert_eq!(
            format_rules(&rules),
            "tag:1=Admin|Auditor;tag:审计 auditors=Auditor;tag:7=Ops"
        );
        let c = RoleConfig {
            rules: parse_rules("tag:1=A;user:x=B;tag:1=C;tag:x=D").unwrap(),
            ..Default::default()
        };
        assert_eq!(c.tag_refs(), [&TagRef::Id(1), &TagRef::Name("x".into())]);
        assert!(
            c.needs_departments(),
            "tagged departments cover sub-departments"
        );
    }

    #[test]
    fn tag_rules_grant_only_what_was_read() {
        let admins = TagRef::Id(1);
        let auditors = TagRef::Name("审计 auditors".into());
        let mut c = RoleConfig {
            required: true,
            default_role: Some("ReadOnly".into()),
            rules: parse_rules("tag:1=Admin;tag:审计 auditors=Auditor;dept:3=Ops").unwrap(),
            ..Default::default()
        };
        let parents = HashMap::from([(3, 1)]);
        let zhangsan = member("zhangsan", 2, "x");
        let lisi = member("lisi", 3, "x");
        let both = tagged(
            &[admins.clone(), auditors.clone()],
            std::slice::from_ref(&admins),
        );
        assert_eq!(c.roles_for(&zhangsan, &parents, &both), ["Admin"]);
        let neither = tagged(&[admins.clone(), auditors.clone()], &[]);
        assert_eq!(c.roles_for(&lisi, &parents, &neither), ["Ops"]);
        let lisi_tags = tagged(
            &[admins.clone(), auditors.clone()],
            std::slice::from_ref(&auditors),
        );
        assert_eq!(c.roles_for(&lisi, &parents, &lisi_tags), ["Auditor"]);
        // Read, member of nothing: the default role.
        assert_eq!(
            c.roles_for(&member("wangwu", 4, "x"), &parents, &neither),
            ["ReadOnly"]
        );
        // The first tag could not be read: first-match stops there, no later rule and no default.
        let unread = tagged(std::slice::from_ref(&auditors), &[]);
        assert!(c.roles_for(&lisi, &parents, &unread).is_empty());
        assert!(c
            .roles_for(&member("wangwu", 4, "x"), &parents, &MemberTags::default())
            .is_empty());
        // Union keeps what the rules that were read gave, and no default in place of the unread.
        c.mode = RoleMode::Union;
        assert_eq!(c.roles_for(&lisi, &parents, &unread), ["Ops"]);
        assert!(c
            .roles_for(&member("wangwu", 4, "x"), &parents, &unread)
            .is_empty());
        let all = tagged(&[admins.clone(), auditors.clone()], &[admins, auditors]);
        assert_eq!(
            c.roles_for(&lisi, &parents, &all),
            ["Admin", "Auditor", "Ops"]
        );
    }
}
