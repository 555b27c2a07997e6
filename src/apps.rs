//! Apps: an SP registered by its metadata, with its per-app settings (NameID, signing, released
//! attributes, RelayState, request signing). Owns the app name rule, the `--set KEY=VALUE` vocabulary
//! and the conversion to and from stored rows.

use crate::identity::roles::{self, RoleConfig, RoleMode};
use crate::identity::session_name::SessionNameRule;
use crate::identity::{template, Source};
use crate::saml::sp_metadata::{AcsEndpoint, SpMetadata};
use crate::saml::uris::{attr_name, name_id};
use crate::store::AppRow;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub mod form;
pub mod relay_state;

/// An app's name: `[a-z0-9-]{1,64}`; it appears in the mount address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AppName(String);

impl AppName {
    /// Checks the name rule.
    pub fn parse(s: &str) -> Result<Self, AppError> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(AppError::Invalid(format!(
                "app name `{}` must be 1–64 characters of a-z, 0-9 and -",
                s.chars().take(80).collect::<String>()
            )))
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AppName {
    type Error = AppError;
    fn try_from(s: String) -> Result<Self, AppError> {
        Self::parse(&s)
    }
}

impl From<AppName> for String {
    fn from(n: AppName) -> String {
        n.0
    }
}

impl std::fmt::Display for AppName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A bad app definition or setting; the message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// A value breaks a rule.
    Invalid(String),
    /// Stored JSON could not be read.
    Corrupt(String),
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid(m) => f.write_str(m),
            Self::Corrupt(m) => write!(f, "stored app is corrupt: {m}"),
        }
    }
}

impl std::error::Error for AppError {}

/// A rule, template or attribute source the identity domain refused is a bad setting of the app.
impl From<crate::identity::IdentityError> for AppError {
    fn from(e: crate::identity::IdentityError) -> Self {
        match e {
            crate::identity::IdentityError::Invalid(m) => Self::Invalid(m),
        }
    }
}

/// The NameID format sent to the SP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameIdFormat {
    /// `…:1.1:nameid-format:unspecified`, value from `name_id_source`.
    Unspecified,
    /// `…:1.1:nameid-format:emailAddress`, value from `name_id_source` (default email).
    Email,
    /// `…:2.0:nameid-format:persistent`: a stable random pairwise ID per app and member.
    Persistent,
    /// `…:2.0:nameid-format:transient`: a new random value for each Response.
    Transient,
}

impl NameIdFormat {
    /// The format URI.
    pub fn uri(self) -> &'static str {
        match self {
            Self::Unspecified => name_id::UNSPECIFIED,
            Self::Email => name_id::EMAIL,
            Self::Persistent => name_id::PERSISTENT,
            Self::Transient => name_id::TRANSIENT,
        }
    }

    fn parse(s: &str) -> Result<Self, AppError> {
        Ok(match s {
            "unspecified" => Self::Unspecified,
            "email" | "emailAddress" => Self::Email,
            "persistent" => Self::Persistent,
            "transient" => Self::Transient,
            _ => {
                return Err(AppError::Invalid(format!(
                    "nameid_format `{s}`: use unspecified, email, persistent or transient"
                )))
            }
        })
    }
}

/// One released attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeRelease {
    /// The SAML Attribute `Name`.
    pub name: String,
    /// Where the values come from.
    pub source: Source,
    /// `NameFormat`; default `…:attrname-format:basic` (or `uri` when the name is a URI).
    pub name_format: Option<String>,
    /// `FriendlyName`.
    pub friendly_name: Option<String>,
}

/// Whether signed AuthnRequests are required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequireSigned {
    /// As the SP's metadata says (`AuthnRequestsSigned`), or our `want_authn_requests_signed`.
    Metadata,
    /// Always.
    Always,
    /// Never required (a signature that is present is still verified).
    Never,
}

/// Per-app settings, each settable with `--set KEY=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppSettings {
    /// `nameid_format`.
    pub name_id_format: NameIdFormat,
    /// `nameid_source`: where an unspecified/email NameID comes from.
    pub name_id_source: Source,
    /// `sign_response`.
    pub sign_response: bool,
    /// `sign_assertion`.
    pub sign_assertion: bool,
    /// `attributes`: `source[=Name]`, comma-separated.
    pub attributes: Vec<AttributeRelease>,
    /// `relay_state`: sent with IdP-initiated Responses.
    pub default_relay_state: Option<String>,
    /// `relay_state_allow`: what a `?RelayState=` on the mount address may be (see [`relay_state`]).
    pub relay_state_allow: Vec<String>,
    /// `require_signed_requests`: metadata | true | false.
    pub require_signed_requests: RequireSigned,
    /// `allow_sha1`: accept SHA-1 signatures on this SP's requests (off; for old SPs only).
    pub allow_sha1: bool,
    /// `attribute_per_value`: send a multi-valued attribute as one `Attribute` element per value
    /// (off: one `Attribute` with several `AttributeValue`s, which strict SPs expect).
    pub attribute_per_value: bool,
    /// `role`, `role_rules`, `role_mode`, `role_contact`: which roles a member gets.
    pub roles: RoleConfig,
    /// The RoleSessionName rule (`{session_name}` in templates); set by role presets.
    pub session_name: Option<SessionNameRule>,
    /// `param.KEY`: values templates can use (`account_id`, `provider_name`, …).
    pub params: BTreeMap<String, String>,
    /// The cloud preset this app was made from (fixed at `app add`).
    pub preset: Option<String>,
    /// `relay_state_domains`: hosts (and their subdomains) an `https` RelayState may point to.
    pub relay_state_domains: Vec<String>,
    /// `access`: who may open the app; default `default` (the global default access).
    pub access: crate::identity::access::Access,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            name_id_format: NameIdFormat::Unspecified,
            name_id_source: Source::Userid,
            sign_response: true,
            sign_assertion: true,
            attributes: [
                ("userid", Source::Userid),
                ("name", Source::Name),
                ("departments", Source::DepartmentNames),
                ("position", Source::Position),
            ]
            .into_iter()
            .map(|(n, s)| AttributeRelease {
                name: n.into(),
                source: s,
                name_format: None,
                friendly_name: None,
            })
            .collect(),
            default_relay_state: None,
            relay_state_allow: Vec::new(),
            require_signed_requests: RequireSigned::Metadata,
            allow_sha1: false,
            attribute_per_value: false,
            roles: RoleConfig::default(),
            session_name: None,
            params: BTreeMap::new(),
            preset: None,
            relay_state_domains: Vec::new(),
            access: Default::default(),
        }
    }
}

/// The keys `--set` accepts, with a short help each.
pub const SETTING_KEYS: &[(&str, &str)] = &[
    (
        "nameid_format",
        "unspecified | email | persistent | transient",
    ),
    ("nameid_source", "userid | email | mobile | alias | name"),
    ("sign_response", "true | false (default true)"),
    ("sign_assertion", "true | false (default true)"),
    (
        "attributes",
        "comma-separated source[=AttributeName], sources: userid name email mobile alias \
         position department_ids department_names; empty for none",
    ),
    (
        "relay_state",
        "default RelayState for IdP-initiated logins (≤ 80 bytes)",
    ),
    (
        "relay_state_allow",
        "comma-separated URLs (same scheme, host, port; path prefix on a / boundary) or plain \
         prefixes a ?RelayState= on the mount address may match",
    ),
    (
        "relay_state_domains",
        "comma-separated hosts an https RelayState may point to (subdomains included)",
    ),
    ("require_signed_requests", "metadata | true | false"),
    ("allow_sha1", "true | false (default false)"),
    (
        "attribute",
        "add one attribute: NAME=SOURCE, SOURCE one of the attributes sources, const:VALUE or \
         template:TEXT with {userid} {name} {email} {mobile} {alias} {position} {role} \
         {session_name} {relay_state} and {PARAM} placeholders",
    ),
    (
        "attribute_per_value",
        "true: one Attribute element per value; false (default): one Attribute, several values",
    ),
    ("role", "the role of every member no role rule matches"),
    (
        "role_rules",
        "rules separated by ; tried in order: user:USERID=ROLE|ROLE, dept:ID=ROLE (includes \
         sub-departments), position:TEXT=ROLE, tag:ID=ROLE or tag:NAME=ROLE (WeCom tag: its members \
         and its departments with their sub-departments; a tag WeCom cannot read grants nothing); \
         empty for none",
    ),
    (
        "role_mode",
        "first (default: the first matching rule) | union (every matching rule)",
    ),
    (
        "role_contact",
        "whom a member without a role should ask (shown on the refusal page)",
    ),
    (
        "session_name_source",
        "where RoleSessionName comes from: userid (default) | email | alias | name | mobile",
    ),
    ("param.KEY", "a value templates can use as {KEY}"),
    (
        "access",
        "who may open the app: default (the global binding.default_access: everyone unless set to \
         none) | everyone (every member with a bound account) | none | rules separated by ; — \
         user:USERID, dept:ID (includes sub-departments), group:NAME, tag:ID or tag:NAME (WeCom tag)",
    ),
];

fn parse_bool(key: &str, v: &str) -> Result<bool, AppError> {
    match v {
        "true" | "yes" | "1" | "on" => Ok(true),
        "false" | "no" | "0" | "off" => Ok(false),
        _ => Err(AppError::Invalid(format!(
            "{key}: `{v}` is not true or false"
        ))),
    }
}

impl AppSettings {
    /// Applies one `KEY=VALUE`.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), AppError> {
        let value = value.trim();
        match key {
            "nameid_format" => {
                self.name_id_format = NameIdFormat::parse(value)?;
                if self.name_id_format == NameIdFormat::Email
                    && self.name_id_source == Source::Userid
                {
                    self.name_id_source = Source::Email;
                }
            }
            "nameid_source" => self.name_id_source = Source::parse(value)?,
            "sign_response" => self.sign_response = parse_bool(key, value)?,
            "sign_assertion" => self.sign_assertion = parse_bool(key, value)?,
            "attributes" => {
                let mut out = Vec::new();
                for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let (src, name) = match item.split_once('=') {
                        Some((s, n)) => (s.trim(), n.trim()),
                        None => (item, item),
                    };
                    if name.is_empty() || name.len() > 256 {
                        return Err(AppError::Invalid(format!(
                            "attributes: `{item}` needs a name of 1–256 characters"
                        )));
                    }
                    out.push(AttributeRelease {
                        name: name.to_string(),
                        source: Source::parse(src)?,
                        name_format: default_name_format(name),
                        friendly_name: None,
                    });
                }
                self.attributes = out;
            }
            "relay_state" => {
                if value.len() > 80 {
                    return Err(AppError::Invalid(
                        "relay_state: at most 80 bytes (SAML bindings §3.4.3)".into(),
                    ));
                }
                if !value.is_empty()
                    && !self.relay_state_domains.is_empty()
                    && !domain_allowed(value, &self.relay_state_domains)
                {
                    return Err(AppError::Invalid(format!(
                        "relay_state: `{value}` must be an https URL on {}",
                        self.relay_state_domains.join(", ")
                    )));
                }
                self.default_relay_state = (!value.is_empty()).then(|| value.to_string());
            }
            "access" => self.access = crate::identity::access::Access::parse(value)?,
            "relay_state_domains" => {
                self.relay_state_domains = value
                    .split(',')
                    .map(|d| d.trim().trim_start_matches("*.").to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect();
            }
            "attribute" => {
                let Some((name, src)) = value.split_once('=') else {
                    return Err(AppError::Invalid(format!(
                        "attribute: `{value}`: expected NAME=SOURCE"
                    )));
                };
                let name = name.trim();
                if name.is_empty() || name.len() > 256 {
                    return Err(AppError::Invalid(format!(
                        "attribute: `{value}` needs a name of 1–256 characters"
                    )));
                }
                self.attributes.push(AttributeRelease {
                    name: name.to_string(),
                    source: Source::parse(src.trim())?,
                    name_format: default_name_format(name),
                    friendly_name: None,
                });
            }
            "attribute_per_value" => self.attribute_per_value = parse_bool(key, value)?,
            "role" => self.roles.default_role = (!value.is_empty()).then(|| value.to_string()),
            "role_rules" => self.roles.rules = roles::parse_rules(value)?,
            "role_mode" => {
                self.roles.mode = match value {
                    "first" => RoleMode::First,
                    "union" => RoleMode::Union,
                    _ => {
                        return Err(AppError::Invalid(format!(
                            "role_mode: `{value}`: use first or union"
                        )))
                    }
                }
            }
            "role_contact" => {
                self.roles.contact = (!value.is_empty()).then(|| value.chars().take(200).collect())
            }
            "session_name_source" => {
                let src = Source::parse(value)?;
                if matches!(
                    src,
                    Source::Constant(_)
                        | Source::Template(_)
                        | Source::DepartmentIds
                        | Source::DepartmentNames
                ) {
                    return Err(AppError::Invalid(
                        "session_name_source: use userid, email, alias, name or mobile".into(),
                    ));
                }
                match &mut self.session_name {
                    Some(rule) => rule.source = src,
                    None => {
                        return Err(AppError::Invalid(
                            "session_name_source: this app sends no RoleSessionName (only role presets do)"
                                .into(),
                        ))
                    }
                }
            }
            k if k.starts_with("param.") => {
                let name = &k["param.".len()..];
                let ok = !name.is_empty()
                    && name.len() <= 32
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if !ok {
                    return Err(AppError::Invalid(format!(
                        "{k}: a parameter name is 1–32 characters of a-z, 0-9 and _"
                    )));
                }
                if value.is_empty() {
                    self.params.remove(name);
                } else {
                    self.params.insert(name.to_string(), value.to_string());
                }
            }
            "relay_state_allow" => {
                let entries: Vec<String> = value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                for e in &entries {
                    relay_state::check_entry(e).map_err(AppError::Invalid)?;
                }
                self.relay_state_allow = entries;
            }
            "require_signed_requests" => {
                self.require_signed_requests = match value {
                    "metadata" => RequireSigned::Metadata,
                    v => {
                        if parse_bool(key, v)? {
                            RequireSigned::Always
                        } else {
                            RequireSigned::Never
                        }
                    }
                }
            }
            "allow_sha1" => self.allow_sha1 = parse_bool(key, value)?,
            _ => {
                let keys: Vec<&str> = SETTING_KEYS.iter().map(|(k, _)| *k).collect();
                return Err(AppError::Invalid(format!(
                    "unknown setting `{key}`; known: {}",
                    keys.join(", ")
                )));
            }
        }
        if !self.sign_response && !self.sign_assertion {
            return Err(AppError::Invalid(
                "sign_response and sign_assertion cannot both be false: nothing would be signed"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Applies `KEY=VALUE` strings in order.
    pub fn apply_all<'a>(
        &mut self,
        sets: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), AppError> {
        for kv in sets {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| AppError::Invalid(format!("--set `{kv}`: expected KEY=VALUE")))?;
            self.set(k.trim(), v)?;
        }
        Ok(())
    }

    /// Whether logins to this app need mobile or email (in-client scope `snsapi_privateinfo`).
    pub fn needs_private_info(&self) -> bool {
        let private = |s: &Source| match s {
            Source::Email | Source::Mobile => true,
            Source::Template(t) => template::variables(t)
                .iter()
                .any(|v| v == "email" || v == "mobile"),
            _ => false,
        };
        (matches!(
            self.name_id_format,
            NameIdFormat::Unspecified | NameIdFormat::Email
        ) && private(&self.name_id_source))
            || self.attributes.iter().any(|a| private(&a.source))
            || self
                .session_name
                .as_ref()
                .is_some_and(|r| private(&r.source))
    }
}

/// `…:attrname-format:uri` for names that are URIs, else none (basic).
pub fn default_name_format(name: &str) -> Option<String> {
    (name.contains("://") || name.starts_with("urn:")).then(|| attr_name::URI.to_string())
}

/// Whether `url` is an `https` URL whose host is one of `domains` or a subdomain of one.
pub fn domain_allowed(url: &str, domains: &[String]) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return false;
    };
    if u.scheme() != "https" || !u.username().is_empty() || u.password().is_some() {
        return false;
    }
    let Some(host) = u.host_str() else {
        return false;
    };
    let host = host.to_ascii_lowercase();
    domains.iter().any(|d| {
        host == *d
            || host
                .strip_suffix(d.as_str())
                .is_some_and(|rest| rest.ends_with('.'))
    })
}

/// A registered app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// Its name.
    pub name: AppName,
    /// What its metadata says.
    pub metadata: SpMetadata,
    /// How we treat it.
    pub settings: AppSettings,
    /// The uploaded metadata document.
    pub metadata_xml: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// The login's and the preview's rule inputs read the app's rules through this.
impl crate::identity::rule_inputs::AppRules for App {
    fn app_name(&self) -> &str {
        self.name.as_str()
    }
    fn roles(&self) -> &RoleConfig {
        &self.settings.roles
    }
    fn access(&self) -> &crate::identity::access::Access {
        &self.settings.access
    }
}

impl App {
    /// Reads a stored row.
    pub fn from_row(row: AppRow) -> Result<Self, AppError> {
        Ok(Self {
            name: AppName::parse(&row.name)?,
            metadata: serde_json::from_str(&row.metadata_json)
                .map_err(|e| AppError::Corrupt(format!("{}: metadata: {e}", row.name)))?,
            settings: serde_json::from_str(&row.settings_json)
                .map_err(|e| AppError::Corrupt(format!("{}: settings: {e}", row.name)))?,
            metadata_xml: row.metadata_xml,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    /// The row to store.
    pub fn to_row(&self) -> Result<AppRow, AppError> {
        Ok(AppRow {
            name: self.name.as_str().to_string(),
            entity_id: self.metadata.entity_id.clone(),
            metadata_json: serde_json::to_string(&self.metadata)
                .map_err(|e| AppError::Corrupt(e.to_string()))?,
            settings_json: serde_json::to_string(&self.settings)
                .map_err(|e| AppError::Corrupt(e.to_string()))?,
            metadata_xml: self.metadata_xml.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }

    /// Whether AuthnRequests from this app must be signed.
    pub fn requires_signed_requests(&self, idp_wants_signed: bool) -> bool {
        match self.settings.require_signed_requests {
            RequireSigned::Always => true,
            RequireSigned::Never => false,
            RequireSigned::Metadata => self.metadata.authn_requests_signed || idp_wants_signed,
        }
    }

    /// The ACS for IdP-initiated Responses.
    pub fn default_acs(&self) -> Option<&AcsEndpoint> {
        crate::saml::sp_metadata::default_acs(&self.metadata.acs)
    }

    /// The RelayState for an IdP-initiated login: the query's when allowed, else the default.
    pub fn relay_state_for(&self, requested: Option<&str>) -> Result<Option<String>, AppError> {
        match requested {
            None | Some("") => Ok(self.settings.default_relay_state.clone()),
            Some(r) if r.len() > 80 => Err(AppError::Invalid(
                "RelayState is longer than 80 bytes".into(),
            )),
            Some(r) => {
                if relay_state::allowed(r, &self.settings.relay_state_allow)
                    || (!self.settings.relay_state_domains.is_empty()
                        && domain_allowed(r, &self.settings.relay_state_domains))
                {
                    Ok(Some(r.to_string()))
                } else {
                    Err(AppError::Invalid(
                        "this RelayState is not on the app's allow-list (relay_state_allow)".into(),
                    ))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
