//! Who may open an app (`--set access=…`): everyone with a bound account (the default: the WeCom
//! app's own visible range already limits who sees it), nobody until granted (`none`), or members
//! matching any rule: `user:USERID`, `dept:ID` (sub-departments included), `group:NAME` (account
//! group), separated by `;`. Tag rules wait for WeCom tags (another change adds them).

use crate::apps::AppError;
use crate::identity::Profile;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// This WeCom userid.
    User(String),
    /// A member of this department or of a sub-department.
    Dept(i64),
    /// An account in this group.
    Group(String),
}

/// An app's access rule.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Every member with a bound, active account.
    #[default]
    Everyone,
    /// Members matching any grant (none: nobody).
    Only(Vec<Grant>),
}

impl Access {
    /// Parses `everyone`, `none` or `user:…;dept:…;group:…`.
    pub fn parse(s: &str) -> Result<Self, AppError> {
        let s = s.trim();
        match s {
            "" | "everyone" => return Ok(Self::Everyone),
            "none" => return Ok(Self::Only(Vec::new())),
            _ => {}
        }
        let mut grants = Vec::new();
        for item in s.split(';').map(str::trim).filter(|i| !i.is_empty()) {
            let bad = || {
                AppError::Invalid(format!(
                    "access: `{item}` must be user:USERID, dept:DEPARTMENT_ID or group:NAME \
                     (or the whole value everyone / none)"
                ))
            };
            let (kind, v) = item.split_once(':').ok_or_else(bad)?;
            let v = v.trim();
            if v.is_empty() {
                return Err(bad());
            }
            grants.push(match kind.trim() {
                "user" => Grant::User(v.to_string()),
                "dept" => Grant::Dept(v.parse().map_err(|_| bad())?),
                "group" => Grant::Group(v.to_string()),
                _ => return Err(bad()),
            });
        }
        Ok(Self::Only(grants))
    }

    /// Whether checking needs the department tree.
    pub fn needs_departments(&self) -> bool {
        matches!(self, Self::Only(g) if g.iter().any(|g| matches!(g, Grant::Dept(_))))
    }

    /// Whether the member may open the app; `parents` maps a department to its parent.
    pub fn allows(&self, p: &Profile, parents: &HashMap<i64, i64>) -> bool {
        let Self::Only(grants) = self else {
            return true;
        };
        grants.iter().any(|g| match g {
            Grant::User(u) => *u == p.userid,
            Grant::Group(name) => p.groups.iter().any(|x| x == name),
            Grant::Dept(d) => p.department_ids.iter().any(|&own| {
                let mut cur = own;
                // A bounded walk up the tree (a cycle in bad data must not loop).
                for _ in 0..64 {
                    if cur == *d {
                        return true;
                    }
                    match parents.get(&cur) {
                        Some(&up) if up != cur && up != 0 => cur = up,
                        _ => break,
                    }
                }
                false
            }),
        })
    }

    /// The value as `--set access=` writes it.
    pub fn describe(&self) -> String {
        match self {
            Self::Everyone => "everyone".into(),
            Self::Only(g) if g.is_empty() => "none".into(),
            Self::Only(g) => g
                .iter()
                .map(|g| match g {
                    Grant::User(u) => format!("user:{u}"),
                    Grant::Dept(d) => format!("dept:{d}"),
                    Grant::Group(n) => format!("group:{n}"),
                })
                .collect::<Vec<_>>()
                .join(";"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        let p = Profile {
            userid: "u".into(),
            department_ids: vec![5],
            groups: vec!["ops".into()],
            ..Default::default()
        };
        let parents: HashMap<i64, i64> = [(5, 2), (2, 1), (1, 0)].into_iter().collect();
        assert!(Access::Everyone.allows(&p, &parents));
        assert!(!Access::parse("none").unwrap().allows(&p, &parents));
        assert!(Access::parse("dept:2").unwrap().allows(&p, &parents));
        assert!(!Access::parse("dept:2").unwrap().allows(&p, &HashMap::new()));
        assert!(Access::parse("user:x;group:ops")
            .unwrap()
            .allows(&p, &parents));
        assert!(!Access::parse("dept:3;user:v").unwrap().allows(&p, &parents));
        assert!(Access::parse("tag:1").is_err());
        assert_eq!(
            Access::parse("user:a;dept:2").unwrap().describe(),
            "user:a;dept:2"
        );
    }
}
