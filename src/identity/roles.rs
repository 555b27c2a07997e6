//! Which cloud roles a member gets for an app: rules on userid, department (a rule on a department
//! also matches its sub-departments) and position, applied first-match or as a union, falling back
//! to the app's `role` when no rule matches.
//!
//! Rule syntax for `--set role_rules=…` (rules separated by `;`, tried in order):
//! `user:USERID=ROLE|ROLE`, `dept:DEPARTMENT_ID=ROLE`, `position:POSITION=ROLE`; e.g.
//! `user:zhangsan=Admin|Auditor;dept:2=Developer`. A role name may contain `=` (AWS allows it): the
//! first `=` ends the condition. `|` separates several roles (no console allows `|` in a role name).

use crate::apps::AppError;
use crate::identity::Profile;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleRule {
    /// The condition.
    pub when: Match,
    /// The roles it gives.
    pub roles: Vec<String>,
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
}

impl RoleConfig {
    /// Whether any rule needs the department tree.
    pub fn needs_departments(&self) -> bool {
        self.rules.iter().any(|r| matches!(r.when, Match::Dept(_)))
    }

    /// Every role named in the configuration (for validation).
    pub fn all_roles(&self) -> impl Iterator<Item = &str> {
        self.default_role.iter().map(String::as_str).chain(
            self.rules
                .iter()
                .flat_map(|r| r.roles.iter().map(String::as_str)),
        )
    }

    /// The member's roles. `parents` maps a department ID to its parent's (from WeCom's department
    /// list); an empty map matches the member's own departments only, never more.
    pub fn roles_for(&self, p: &Profile, parents: &HashMap<i64, i64>) -> Vec<String> {
        let depts = with_ancestors(&p.department_ids, parents);
        let mut out: Vec<String> = Vec::new();
        for rule in &self.rules {
            let hit = match &rule.when {
                Match::User(u) => *u == p.userid,
                Match::Dept(d) => depts.contains(d),
                Match::Position(pos) => p.position.as_deref() == Some(pos.as_str()),
            };
            if hit {
                for r in &rule.roles {
                    if !out.contains(r) {
                        out.push(r.clone());
                    }
                }
                if self.mode == RoleMode::First {
                    break;
                }
            }
        }
        if out.is_empty() {
            out.extend(self.default_role.iter().cloned());
        }
        out
    }
}

fn with_ancestors(ids: &[i64], parents: &HashMap<i64, i64>) -> Vec<i64> {
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
pub fn parse_rules(text: &str) -> Result<Vec<RoleRule>, AppError> {
    let bad = |rule: &str, why: &str| {
        AppError::Invalid(format!(
            "role_rules: `{rule}`: {why} (syntax: user:USERID=ROLE|ROLE;dept:ID=ROLE;position:TEXT=ROLE)"
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
                "the condition needs a kind: user:, dept: or position:",
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
            "tag" => {
                return Err(bad(
                    rule,
                    "tag rules are not supported yet (WeCom tags are not read at login)",
                ))
            }
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
        out.push(RoleRule { when, roles });
    }
    Ok(out)
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
            c.roles_for(&member("zhangsan", 5, "SRE"), &parents),
            ["Admin", "Auditor"]
        );
        assert_eq!(
            c.roles_for(&member("lisi", 5, "SRE"), &parents),
            ["Developer"]
        );
        assert_eq!(
            c.roles_for(&member("lisi", 5, "SRE"), &HashMap::new()),
            ["Ops"],
            "without the tree only direct departments match"
        );
        assert_eq!(
            c.roles_for(&member("wangwu", 3, "x"), &parents),
            ["ReadOnly"]
        );
        c.mode = RoleMode::Union;
        assert_eq!(
            c.roles_for(&member("zhangsan", 5, "SRE"), &parents),
            ["Admin", "Auditor", "Developer", "Ops"]
        );
        c.default_role = None;
        assert!(c.roles_for(&member("wangwu", 3, "x"), &parents).is_empty());
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
            ("tag:ops=Dev", "not supported"),
            ("team:a=Dev", "unknown kind"),
        ] {
            let e = parse_rules(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
        assert_eq!(parse_rules("user:a=x=y").unwrap()[0].roles, ["x=y"]);
    }
}
