//! An app's provisioning settings (`provision`, `scim_url`, `provision_groups`,
//! `scim_group_update`) and the one-source
//! rule: the SCIM `userName` a member is provisioned with is the NameID value the app receives at
//! sign-in, so a configuration where the two cannot be equal is refused. The bearer token is not
//! a setting: it is sealed in the store (see the `provision` module), never part of the app's JSON.

use super::settings::{AppSettings, NameIdFormat};
use super::AppError;
use crate::identity::{template, Source};
use serde::{Deserialize, Serialize};

/// `provision`: whether members are pushed to the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvisionMode {
    /// Nothing is pushed (the default).
    #[default]
    None,
    /// SCIM 2.0 (RFC 7643/7644) to `scim_url`.
    Scim,
}

impl ProvisionMode {
    /// The setting's word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Scim => "scim",
        }
    }

    pub(super) fn parse(v: &str) -> Result<Self, AppError> {
        match v {
            "" | "none" => Ok(Self::None),
            "scim" => Ok(Self::Scim),
            _ => Err(AppError::Invalid(format!(
                "provision: `{v}`: use scim or none"
            ))),
        }
    }
}

/// `provision_groups`: which WeCom groupings become SCIM Groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvisionGroups {
    /// No groups (the default).
    #[default]
    None,
    /// One group per department that holds a provisioned member.
    Departments,
    /// One group per WeCom tag that holds a provisioned member.
    Tags,
}

impl ProvisionGroups {
    /// The setting's word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Departments => "departments",
            Self::Tags => "tags",
        }
    }

    pub(super) fn parse(v: &str) -> Result<Self, AppError> {
        match v {
            "" | "none" => Ok(Self::None),
            "departments" => Ok(Self::Departments),
            "tags" => Ok(Self::Tags),
            _ => Err(AppError::Invalid(format!(
                "provision_groups: `{v}`: use departments, tags or none"
            ))),
        }
    }
}

/// `scim_group_update`: how a group sent before is changed. Most apps take a PUT of the whole
/// group; some (AWS IAM Identity Center) take no PUT on groups, only an RFC 7644 §3.5.2 PATCH that
/// adds and removes members and replaces the display name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScimGroupUpdate {
    /// `PUT /Groups/{id}` with the whole group (the default).
    #[default]
    Put,
    /// `PATCH /Groups/{id}`: `add`/`remove` of the members that changed, `replace` of
    /// `displayName`; a new group is created empty, then its members are added.
    Patch,
}

impl ScimGroupUpdate {
    /// The setting's word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Put => "put",
            Self::Patch => "patch",
        }
    }

    pub(super) fn parse(v: &str) -> Result<Self, AppError> {
        match v {
            "" | "put" => Ok(Self::Put),
            "patch" => Ok(Self::Patch),
            _ => Err(AppError::Invalid(format!(
                "scim_group_update: `{v}`: use put or patch"
            ))),
        }
    }
}

/// `scim_url`: the SCIM base URL (the one `/Users` and `/Groups` hang under), `https`, or `http`
/// to a loopback address only; no credentials, query or fragment. Returned without a trailing `/`.
pub(super) fn parse_scim_url(v: &str) -> Result<Option<String>, AppError> {
    if v.is_empty() {
        return Ok(None);
    }
    let bad = |why: &str| AppError::Invalid(format!("scim_url: `{v}`: {why}"));
    let u = url::Url::parse(v).map_err(|_| bad("not a URL"))?;
    let loopback = match u.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => return Err(bad("the URL has no host")),
    };
    match u.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(bad("use an https URL (http only to a loopback address)")),
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad(
            "put no credentials in the URL (the token is set on its own: the console, the API or scim_token_file)",
        ));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(bad("the SCIM base URL has no query or fragment"));
    }
    Ok(Some(u.as_str().trim_end_matches('/').to_string()))
}

/// Template variables whose value depends on the sign-in rather than on the member: a NameID
/// rendered from them cannot be known when provisioning.
const LOGIN_ONLY: &[&str] = &["relay_state"];

impl AppSettings {
    /// Refuses provisioning settings that cannot work: SCIM without a URL, or a NameID the SCIM
    /// `userName` cannot equal (the app would receive, at sign-in, a name no provisioned user has).
    pub fn check_provisioning(&self) -> Result<(), AppError> {
        if self.provision == ProvisionMode::None {
            return Ok(());
        }
        if self.scim_url.is_none() {
            return Err(AppError::Invalid(
                "provision: scim needs scim_url, the app's SCIM base URL (e.g. \
                 https://scim.example.com/scim/v2)"
                    .into(),
            ));
        }
        match self.name_id_format {
            NameIdFormat::Unspecified | NameIdFormat::Email => {}
            NameIdFormat::Persistent | NameIdFormat::Transient => {
                return Err(AppError::Invalid(format!(
                    "provision: the SCIM userName is the NameID the app receives, and a {} NameID \
                     is a random value the provisioned user cannot carry: set nameid_format to \
                     unspecified or email (and nameid_source to what the app's users are named by), \
                     or provision=none",
                    match self.name_id_format {
                        NameIdFormat::Persistent => "persistent",
                        _ => "transient",
                    }
                )))
            }
        }
        match &self.name_id_source {
            Source::Constant(_) => Err(AppError::Invalid(
                "provision: the NameID source is a constant, so every provisioned user would have \
                 the same userName: set nameid_source to userid, email, alias or another member field"
                    .into(),
            )),
            Source::Template(t) if template::variables(t).iter().any(|v| LOGIN_ONLY.contains(&v.as_str())) => {
                Err(AppError::Invalid(
                    "provision: the NameID template uses {relay_state}, known only at sign-in, so \
                     the SCIM userName cannot equal it: take it out of nameid_source"
                        .into(),
                ))
            }
            Source::DepartmentIds | Source::DepartmentNames => Err(AppError::Invalid(
                "provision: a department is not a user name: set nameid_source to userid, email, \
                 alias or another member field"
                    .into(),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scim(extra: &[&str]) -> Result<(), AppError> {
        let mut s = AppSettings::default();
        s.apply_all(["provision=scim", "scim_url=https://scim.example.com/v2/"])?;
        s.apply_all(extra.iter().copied())?;
        s.check_provisioning()
    }

    // Rule: the SCIM userName and the NameID come from one source; a configuration where they
    // cannot be equal is refused with what to change (the authentik #4554 trap).
    #[test]
    fn the_user_name_must_be_able_to_equal_the_name_id() {
        assert!(scim(&[]).is_ok());
        assert!(scim(&["nameid_format=email"]).is_ok());
        for bad in [
            "nameid_format=persistent",
            "nameid_format=transient",
            "nameid_source=const:x",
            "nameid_source=template:{userid}-{relay_state}",
            "nameid_source=department_names",
        ] {
            let e = scim(&[bad]).unwrap_err().to_string();
            assert!(e.starts_with("provision:"), "{bad}: {e}");
        }
        let mut s = AppSettings::default();
        s.set("provision", "scim").unwrap();
        assert!(s
            .check_provisioning()
            .unwrap_err()
            .to_string()
            .contains("scim_url"));
        // Without provisioning any NameID is fine.
        let mut s = AppSettings::default();
        s.set("nameid_format", "transient").unwrap();
        assert!(s.check_provisioning().is_ok());
    }

    #[test]
    fn scim_urls_are_https_or_loopback_http() {
        let ok = |u: &str| parse_scim_url(u).unwrap();
        assert_eq!(
            ok("https://a.example/scim/v2/").as_deref(),
            Some("https://a.example/scim/v2")
        );
        assert_eq!(
            ok("http://127.0.0.1:9/v2").as_deref(),
            Some("http://127.0.0.1:9/v2")
        );
        assert_eq!(ok(""), None);
        for bad in [
            "http://a.example/v2",
            "https://u:p@a.example/",
            "https://a.example/?x=1",
            "ftp://a/",
        ] {
            assert!(parse_scim_url(bad).is_err(), "{bad}");
        }
    }
}
