//! The member profile kept in the IdP session, and the sources of released attribute values.

use super::IdentityError;
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
    /// Employee number (account directory; from WeCom alias or an extattr when the account has none).
    #[serde(default)]
    pub employee_no: Option<String>,
    /// The bound local account's username.
    #[serde(default)]
    pub username: Option<String>,
    /// The bound account's groups (access rules).
    #[serde(default)]
    pub groups: Vec<String>,
}

/// Where an attribute's (or NameID's) values come from.
///
/// Stored as JSON: the field sources are plain strings (`"userid"`), so settings written before
/// constants and templates existed still read; `{"constant": "…"}` and `{"template": "…"}` are new.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Employee number (from the local account).
    EmployeeNo,
    /// The local account's username.
    Username,
    /// The same value for everyone.
    Constant(String),
    /// A [`template`](super::template) rendered per member, e.g.
    /// `acs:ram::{account_id}:role/{role},acs:ram::{account_id}:saml-provider/{provider_name}`;
    /// one value per role when it uses `{role}`.
    Template(String),
}

/// What a template or a source is rendered against: the member, the app's parameters, the roles the
/// member was given for this app, the fitted RoleSessionName and the login's RelayState.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The member.
    pub profile: &'a Profile,
    /// The app's parameters (`account_id`, `provider_name`, …).
    pub params: &'a std::collections::BTreeMap<String, String>,
    /// The member's roles for this app (empty when the app has none), as the rules write them:
    /// `ROLE` or `ACCOUNT:ROLE` (see [`super::roles::RoleTarget`]).
    pub roles: &'a [String],
    /// The app's other accounts, with their provider names (`{provider_name}` of a role in one).
    pub accounts: &'a [super::roles::RoleAccount],
    /// The RoleSessionName, fitted to the provider's rule.
    pub session_name: Option<&'a str>,
    /// The RelayState of an IdP-initiated login (the app's default or a `?RelayState=` that passed
    /// the app's rules): a deep link. None for SP-initiated logins, whose RelayState is the SP's
    /// own opaque value.
    pub relay_state: Option<&'a str>,
}

impl Source {
    /// Parses a source name as used in `--set attributes=…`; `const:VALUE` and `template:TEXT`
    /// give a constant and a template.
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        if let Some(v) = s.strip_prefix("const:") {
            return Ok(Self::Constant(v.to_string()));
        }
        if let Some(t) = s.strip_prefix("template:") {
            super::template::check(t)?;
            return Ok(Self::Template(t.to_string()));
        }
        Ok(match s {
            "userid" => Self::Userid,
            "name" => Self::Name,
            "email" => Self::Email,
            "mobile" => Self::Mobile,
            "alias" => Self::Alias,
            "position" => Self::Position,
            "department_ids" | "departments" => Self::DepartmentIds,
            "department_names" => Self::DepartmentNames,
            "employee_no" => Self::EmployeeNo,
            "username" => Self::Username,
            _ => {
                return Err(IdentityError::Invalid(format!(
                    "unknown attribute source `{s}`: use userid, name, email, mobile, alias, \
                     position, department_ids, department_names, employee_no, username, const:VALUE or template:TEXT"
                )))
            }
        })
    }

    /// The values of this source for a profile (empty when WeCom gave nothing); templates see no
    /// parameters, roles or session name here (see [`Source::render`]).
    pub fn values(&self, p: &Profile) -> Vec<String> {
        let params = std::collections::BTreeMap::new();
        self.render(&Context {
            profile: p,
            params: &params,
            roles: &[],
            session_name: None,
            relay_state: None,
            accounts: &[],
        })
    }

    /// The values of this source in a context (empty when there is nothing to send).
    pub fn render(&self, ctx: &Context<'_>) -> Vec<String> {
        let p = ctx.profile;
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
            Self::EmployeeNo => one(&p.employee_no),
            Self::Username => one(&p.username),
            Self::Constant(v) => vec![v.clone()],
            Self::Template(t) => super::template::render(t, ctx),
        }
    }

    /// A short name for messages (`userid`, `constant`, `template`, …).
    pub fn label(&self) -> &'static str {
        match self {
            Self::Userid => "userid",
            Self::Name => "name",
            Self::Email => "email",
            Self::Mobile => "mobile",
            Self::Alias => "alias",
            Self::Position => "position",
            Self::DepartmentIds => "department_ids",
            Self::DepartmentNames => "department_names",
            Self::EmployeeNo => "employee_no",
            Self::Username => "username",
            Self::Constant(_) => "constant",
            Self::Template(_) => "template",
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
        assert_eq!(
            Source::parse("const:x").unwrap(),
            Source::Constant("x".into())
        );
        assert!(Source::parse("template:{userid").is_err());
    }

    #[test]
    fn old_settings_json_still_reads() {
        let s: Source = serde_json::from_str("\"department_names\"").unwrap();
        assert_eq!(s, Source::DepartmentNames);
        let t = Source::Template("{role}".into());
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, r#"{"template":"{role}"}"#);
        assert_eq!(serde_json::from_str::<Source>(&json).unwrap(), t);
    }
}
