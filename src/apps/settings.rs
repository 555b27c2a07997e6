//! What an app's settings are: the NameID, signing, encryption, released attributes, RelayState,
//! request signing, roles and access of one app, with their defaults. How they are written as
//! `KEY=VALUE` is [`super::vocabulary`]'s.

use super::provisioning::{ProvisionGroups, ProvisionMode, ScimGroupUpdate};
use super::AppError;
use crate::identity::roles::RoleConfig;
use crate::identity::session_name::SessionNameRule;
use crate::identity::{template, Source};
use crate::saml::encrypt::BlockCipher;
use crate::saml::uris::{attr_name, name_id};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

    /// Reads the `nameid_format` value.
    pub(super) fn parse(s: &str) -> Result<Self, AppError> {
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
    /// `encrypt_assertion`: send the Assertion encrypted to the SP's metadata encryption
    /// certificate (off by default; the Response around it is then always signed).
    pub encrypt_assertion: bool,
    /// `encryption_method`: the block cipher of an encrypted Assertion.
    pub encryption_method: BlockCipher,
    /// `provision`: push members to the app (SCIM) or not.
    pub provision: ProvisionMode,
    /// `scim_url`: the app's SCIM base URL.
    pub scim_url: Option<String>,
    /// `provision_groups`: which WeCom groupings become SCIM Groups.
    pub provision_groups: ProvisionGroups,
    /// `scim_group_update`: PUT (default) or PATCH for a group sent before.
    pub scim_group_update: ScimGroupUpdate,
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
            encrypt_assertion: false,
            encryption_method: BlockCipher::DEFAULT,
            provision: ProvisionMode::None,
            scim_url: None,
            provision_groups: ProvisionGroups::None,
            scim_group_update: ScimGroupUpdate::Put,
        }
    }
}

impl AppSettings {
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
