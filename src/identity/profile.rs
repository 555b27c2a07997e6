//! The member profile kept in the IdP session, and the sources of released attribute values.

use crate::apps::AppError;
use serde::{Deserialize, Serialize};

/// A WeCom member as of their login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Profile {
    /// WeCom userid.
    pub userid: String,
    /// Display name.
    pub name: String,
    /// Email (or business mail) when WeCom gave one.
    pub email: Option<String>,
    /// Mobile when WeCom gave one.
    pub mobile: Option<String>,
    /// Alias (often an employee number).
    pub alias: Option<String>,
    /// Position.
    pub position: Option<String>,
    /// Department IDs.
    pub department_ids: Vec<i64>,
    /// Department names, same order as the IDs where known.
    pub department_names: Vec<String>,
}

/// Where an attribute's (or NameID's) values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// WeCom userid.
    Userid,
    /// Display name.
    Name,
    /// Email.
    Email,
    /// Mobile.
    Mobile,
    /// Alias.
    Alias,
    /// Position.
    Position,
    /// Department IDs (several values).
    DepartmentIds,
    /// Department names (several values).
    DepartmentNames,
}

impl Source {
    /// Parses a source name as used in `--set attributes=…`.
    pub fn parse(s: &str) -> Result<Self, AppError> {
        Ok(match s {
            "userid" => Self::Userid,
            "name" => Self::Name,
            "email" => Self::Email,
            "mobile" => Self::Mobile,
            "alias" => Self::Alias,
            "position" => Self::Position,
            "department_ids" | "departments" => Self::DepartmentIds,
            "department_names" => Self::DepartmentNames,
            _ => {
                return Err(AppError::Invalid(format!(
                    "unknown attribute source `{s}`: use userid, name, email, mobile, alias, \
                     position, department_ids or department_names"
                )))
            }
        })
    }

    /// The values of this source for a profile (empty when WeCom gave nothing).
    pub fn values(self, p: &Profile) -> Vec<String> {
        let one = |v: &Option<String>| v.iter().filter(|s| !s.is_empty()).cloned().collect();
        match self {
            Self::Userid => vec![p.userid.clone()],
            Self::Name => vec![p.name.clone()],
            Self::Email => one(&p.email),
            Self::Mobile => one(&p.mobile),
            Self::Alias => one(&p.alias),
            Self::Position => one(&p.position),
            Self::DepartmentIds => p.department_ids.iter().map(|d| d.to_string()).collect(),
            Self::DepartmentNames => p.department_names.clone(),
        }
    }
}

/// Removes characters XML 1.0 cannot carry and other control characters from a WeCom-sourced string
/// (tab, newline and carriage return are kept in names only as spaces).
pub fn clean_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            if matches!(c, '\t' | '\n' | '\r') {
                ' '
            } else {
                c
            }
        })
        .filter(|c| !c.is_control() && !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_removed() {
        assert_eq!(clean_text("a\u{0}b\u{1b}c\td\u{FFFF}"), "abc d");
        assert_eq!(clean_text("张三 <x>&\"'"), "张三 <x>&\"'");
        assert_eq!(clean_text("𠀀😀"), "𠀀😀");
    }

    #[test]
    fn sources() {
        let p = Profile {
            userid: "u".into(),
            name: "n".into(),
            department_ids: vec![1, 2],
            department_names: vec!["研发".into(), "R&D".into()],
            ..Default::default()
        };
        assert_eq!(Source::DepartmentIds.values(&p), vec!["1", "2"]);
        assert!(Source::Email.values(&p).is_empty());
        assert!(Source::parse("nope").is_err());
    }
}
