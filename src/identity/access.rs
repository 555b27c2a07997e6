//! Who may open an app (`--set access=…`): `default` (what a new app gets: the global
//! `binding.default_access`, `everyone` unless an admin chose `none`), everyone with a bound account
//! (the WeCom app's own visible range already limits who sees it), nobody until granted (`none`), or
//! members matching any rule: `user:USERID`, `dept:ID` (sub-departments included), `group:NAME`
//! (account group), `tag:ID` or `tag:NAME` (a WeCom tag: its members, and its departments with their
//! sub-departments), separated by `;`.
//!
//! Tags are read from WeCom at login (see [`crate::identity::roles::MemberTags`]); a tag that could not
//! be read grants nothing, so an unreadable tag never opens an app (another rule may still grant).

use super::IdentityError;
use crate::identity::roles::{parse_tag, MemberTags, TagRef};
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
    /// A member of this WeCom tag (directly, or through a tagged department).
    Tag(TagRef),
}

/// An app's access rule.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// The global default (`binding.default_access`): what every app gets unless `access=` is set.
    #[default]
    Default,
    /// Every member with a bound, active account.
    Everyone,
    /// Members matching any grant (none: nobody).
    Only(Vec<Grant>),
}

impl Access {
    /// Parses `default`, `everyone`, `none` or `user:…;dept:…;group:…;tag:…` (empty: `default`).
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        let s = s.trim();
        match s {
            "" | "default" => return Ok(Self::Default),
            "everyone" => return Ok(Self::Everyone),
            "none" => return Ok(Self::Only(Vec::new())),
            _ => {}
        }
        let mut grants = Vec::new();
        for item in s.split(';').map(str::trim).filter(|i| !i.is_empty()) {
            let bad = || {
                IdentityError::Invalid(format!(
                    "access: `{item}` must be user:USERID, dept:DEPARTMENT_ID, group:NAME, tag:ID \
                     or tag:NAME (or the whole value default / everyone / none)"
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
                "tag" => {
                    Grant::Tag(parse_tag(v).map_err(|why| {
                        IdentityError::Invalid(format!("access: `{item}`: {why}"))
                    })?)
                }
                _ => return Err(bad()),
            });
        }
        Ok(Self::Only(grants))
    }

    /// Whether checking needs the department tree (a tagged department covers its sub-departments).
    pub fn needs_departments(&self) -> bool {
        matches!(self, Self::Only(g) if g.iter().any(|g| matches!(g, Grant::Dept(_) | Grant::Tag(_))))
    }

    /// The tags the rule names, each once (read from WeCom at login only when not empty).
    pub fn tag_refs(&self) -> Vec<&TagRef> {
        let mut out: Vec<&TagRef> = Vec::new();
        if let Self::Only(grants) = self {
            for g in grants {
                if let Grant::Tag(t) = g {
                    if !out.contains(&t) {
                        out.push(t);
                    }
                }
            }
        }
        out
    }

    /// Whether the member may open the app. `parents` maps a department to its parent; `tags` says
    /// which named tags the member is in (a tag not read grants nothing); `default` is the global
    /// default access, used when this rule is [`Access::Default`].
    pub fn allows(
        &self,
        p: &Profile,
        parents: &HashMap<i64, i64>,
        tags: &MemberTags,
        default: &Access,
    ) -> bool {
        let rule = match self {
            // The global default is `everyone` or `none`; it never points back to `default`.
            Self::Default if *default != Self::Default => default,
            Self::Default => return false,
            other => other,
        };
        let Self::Only(grants) = rule else {
            return true;
        };
        grants.iter().any(|g| match g {
            Grant::User(u) => *u == p.userid,
            Grant::Group(name) => p.groups.iter().any(|x| x == name),
            Grant::Tag(t) => tags.checked.contains(t) && tags.member_of.contains(t),
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
            Self::Default => "default".into(),
            Self::Everyone => "everyone".into(),
            Self::Only(g) if g.is_empty() => "none".into(),
            Self::Only(g) => g
                .iter()
                .map(|g| match g {
                    Grant::User(u) => format!("user:{u}"),
                    Grant::Dept(d) => format!("dept:{d}"),
                    Grant::Group(n) => format!("group:{n}"),
                    Grant::Tag(TagRef::Id(id)) => format!("tag:{id}"),
                    Grant::Tag(TagRef::Name(n)) => format!("tag:{n}"),
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
        let none = MemberTags::default();
        let ev = Access::Everyone;
        let allows = |a: &str, parents: &HashMap<i64, i64>| {
            Access::parse(a).unwrap().allows(&p, parents, &none, &ev)
        };
        assert!(Access::Everyone.allows(&p, &parents, &none, &ev));
        assert!(!allows("none", &parents));
        assert!(allows("dept:2", &parents));
        assert!(!allows("dept:2", &HashMap::new()));
        assert!(allows("user:x;group:ops", &parents));
        assert!(!allows("dept:3;user:v", &parents));
        assert_eq!(
            Access::parse("user:a;dept:2").unwrap().describe(),
            "user:a;dept:2"
        );
    }

    #[test]
    fn default_follows_the_global_setting() {
        let p = Profile::default();
        let t = MemberTags::default();
        let none = Access::parse("none").unwrap();
        assert_eq!(Access::parse("").unwrap(), Access::Default);
        assert_eq!(Access::default().describe(), "default");
        assert!(Access::Default.allows(&p, &HashMap::new(), &t, &Access::Everyone));
        assert!(!Access::Default.allows(&p, &HashMap::new(), &t, &none));
        // An explicit `everyone` does not follow the global default.
        assert!(Access::Everyone.allows(&p, &HashMap::new(), &t, &none));
        assert!(!Access::Default.allows(&p, &HashMap::new(), &t, &Access::Default));
    }

    #[test]
    fn tags() {
        let p = Profile {
            userid: "u".into(),
            ..Default::default()
        };
        let a = Access::parse("tag:7;tag:云管理员").unwrap();
        assert!(a.needs_departments());
        assert_eq!(a.describe(), "tag:7;tag:云管理员");
        assert_eq!(
            a.tag_refs(),
            vec![&TagRef::Id(7), &TagRef::Name("云管理员".into())]
        );
        let mut t = MemberTags::default();
        let ev = Access::Everyone;
        assert!(
            !a.allows(&p, &HashMap::new(), &t, &ev),
            "unread tags grant nothing"
        );
        t.checked.insert(TagRef::Id(7));
        assert!(!a.allows(&p, &HashMap::new(), &t, &ev));
        t.member_of.insert(TagRef::Id(7));
        assert!(a.allows(&p, &HashMap::new(), &t, &ev));
        // Read as "member" but not as checked: not granted.
        let mut odd = MemberTags::default();
        odd.member_of.insert(TagRef::Id(7));
        assert!(!a.allows(&p, &HashMap::new(), &odd, &ev));
        assert!(Access::parse("tag:").is_err());
        assert!(Access::parse("tag:0").is_err());
    }
}
