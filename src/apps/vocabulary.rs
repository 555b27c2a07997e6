//! The `--set KEY=VALUE` vocabulary of an app's settings: the keys with their help
//! ([`SETTING_KEYS`]), and how each value is read, checked and applied ([`AppSettings::set`]).
//! The console's form, the API and the command line all write settings through it.

use super::provisioning::{self, ProvisionGroups, ProvisionMode, ScimGroupUpdate};
use super::relay_state;
use super::settings::{
    default_name_format, AppSettings, AttributeRelease, NameIdFormat, RequireSigned,
};
use super::AppError;
use crate::identity::access::Access;
use crate::identity::roles::{self, RoleMode};
use crate::identity::Source;
use crate::saml::encrypt::BlockCipher;

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
        "encrypt_assertion",
        "true | false (default false): encrypt the Assertion to the SP's metadata encryption \
         certificate (the Response is then always signed)",
    ),
    (
        "encryption_method",
        "aes256-gcm (default) | aes128-gcm | aes256-cbc | aes128-cbc",
    ),
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
         a role in another account is ACCOUNT:ROLE (that account listed in accounts); empty for none",
    ),
    (
        "accounts",
        "the other cloud accounts roles may be in (ACCOUNT:ROLE in role rules), comma-separated \
         ACCOUNT_ID or ACCOUNT_ID:PROVIDER_NAME when the SAML provider there is not called \
         provider_name; empty for none",
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
        "provision",
        "none (default) | scim: push the members who may open the app to its SCIM 2.0 endpoint \
         (wecom-idp app provision NAME); the SCIM userName is the app's NameID value",
    ),
    (
        "scim_url",
        "the app's SCIM base URL (https; http only to loopback), e.g. \
         https://scim.us-east-1.amazonaws.com/TENANT/scim/v2; its bearer token is set (write-only) \
         in the console, by PUT /api/v1/apps/NAME/scim-token, or on the command line with \
         scim_token_file=PATH",
    ),
    (
        "provision_groups",
        "none (default) | departments | tags: WeCom departments or tags pushed as SCIM Groups \
         with their provisioned members",
    ),
    (
        "scim_group_update",
        "put (default) | patch: how a group sent before is changed; patch (RFC 7644 PATCH adding \
         and removing the members that changed) for apps without PUT on groups, such as AWS IAM \
         Identity Center",
    ),
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
            "nameid_format" => self.set_name_id_format(value)?,
            "nameid_source" => self.name_id_source = Source::parse(value)?,
            "sign_response" => self.sign_response = parse_bool(key, value)?,
            "sign_assertion" => self.sign_assertion = parse_bool(key, value)?,
            "attributes" => self.attributes = parse_attributes(value)?,
            "relay_state" => self.set_relay_state(value)?,
            "access" => self.access = Access::parse(value)?,
            "relay_state_domains" => self.relay_state_domains = parse_domains(value),
            "attribute" => self.attributes.push(parse_attribute(value)?),
            "attribute_per_value" => self.attribute_per_value = parse_bool(key, value)?,
            "role" => self.roles.default_role = (!value.is_empty()).then(|| value.to_string()),
            "role_rules" => self.roles.rules = roles::parse_rules(value)?,
            "accounts" => self.roles.accounts = roles::parse_accounts(value)?,
            "role_mode" => self.roles.mode = parse_role_mode(value)?,
            "role_contact" => {
                self.roles.contact = (!value.is_empty()).then(|| value.chars().take(200).collect())
            }
            "session_name_source" => self.set_session_name_source(value)?,
            k if k.starts_with("param.") => self.set_param(k, value)?,
            "relay_state_allow" => self.relay_state_allow = parse_relay_state_allow(value)?,
            "require_signed_requests" => {
                self.require_signed_requests = parse_require_signed(key, value)?
            }
            "allow_sha1" => self.allow_sha1 = parse_bool(key, value)?,
            "encrypt_assertion" => self.encrypt_assertion = parse_bool(key, value)?,
            "encryption_method" => self.encryption_method = parse_cipher(value)?,
            "provision" => self.provision = ProvisionMode::parse(value)?,
            "scim_url" => self.scim_url = provisioning::parse_scim_url(value)?,
            "provision_groups" => self.provision_groups = ProvisionGroups::parse(value)?,
            "scim_group_update" => self.scim_group_update = ScimGroupUpdate::parse(value)?,
            _ => return Err(unknown_key(key)),
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

    /// `nameid_format`; the email format takes its value from the email unless a source was chosen.
    fn set_name_id_format(&mut self, value: &str) -> Result<(), AppError> {
        self.name_id_format = NameIdFormat::parse(value)?;
        if self.name_id_format == NameIdFormat::Email && self.name_id_source == Source::Userid {
            self.name_id_source = Source::Email;
        }
        Ok(())
    }

    /// `relay_state`: at most 80 bytes, and on `relay_state_domains` when those are set.
    fn set_relay_state(&mut self, value: &str) -> Result<(), AppError> {
        if value.len() > 80 {
            return Err(AppError::Invalid(
                "relay_state: at most 80 bytes (SAML bindings §3.4.3)".into(),
            ));
        }
        if !value.is_empty()
            && !self.relay_state_domains.is_empty()
            && !relay_state::domain_allowed(value, &self.relay_state_domains)
        {
            return Err(AppError::Invalid(format!(
                "relay_state: `{value}` must be an https URL on {}",
                self.relay_state_domains.join(", ")
            )));
        }
        self.default_relay_state = (!value.is_empty()).then(|| value.to_string());
        Ok(())
    }

    /// `session_name_source`: a plain member field, for an app that sends a RoleSessionName.
    fn set_session_name_source(&mut self, value: &str) -> Result<(), AppError> {
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
        Ok(())
    }

    /// `param.KEY=VALUE`; an empty value removes the parameter.
    fn set_param(&mut self, key: &str, value: &str) -> Result<(), AppError> {
        let name = &key["param.".len()..];
        let ok = !name.is_empty()
            && name.len() <= 32
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(AppError::Invalid(format!(
                "{key}: a parameter name is 1–32 characters of a-z, 0-9 and _"
            )));
        }
        if value.is_empty() {
            self.params.remove(name);
        } else {
            self.params.insert(name.to_string(), value.to_string());
        }
        Ok(())
    }
}

/// `attributes`: comma-separated `source[=Name]`.
fn parse_attributes(value: &str) -> Result<Vec<AttributeRelease>, AppError> {
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
        out.push(release(name, Source::parse(src)?));
    }
    Ok(out)
}

/// `attribute`: one `NAME=SOURCE`.
fn parse_attribute(value: &str) -> Result<AttributeRelease, AppError> {
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
    Ok(release(name, Source::parse(src.trim())?))
}

/// An attribute released under `name` with its default NameFormat.
fn release(name: &str, source: Source) -> AttributeRelease {
    AttributeRelease {
        name: name.to_string(),
        source,
        name_format: default_name_format(name),
        friendly_name: None,
    }
}

/// `relay_state_domains`: hosts, lower-cased, a leading `*.` dropped (subdomains count anyway).
fn parse_domains(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|d| d.trim().trim_start_matches("*.").to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

/// `relay_state_allow`: comma-separated entries, each checked.
fn parse_relay_state_allow(value: &str) -> Result<Vec<String>, AppError> {
    let entries: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    for e in &entries {
        relay_state::check_entry(e).map_err(AppError::Invalid)?;
    }
    Ok(entries)
}

/// `role_mode`: `first` or `union`.
fn parse_role_mode(value: &str) -> Result<RoleMode, AppError> {
    match value {
        "first" => Ok(RoleMode::First),
        "union" => Ok(RoleMode::Union),
        _ => Err(AppError::Invalid(format!(
            "role_mode: `{value}`: use first or union"
        ))),
    }
}

/// `require_signed_requests`: `metadata`, or a boolean.
fn parse_require_signed(key: &str, value: &str) -> Result<RequireSigned, AppError> {
    Ok(match value {
        "metadata" => RequireSigned::Metadata,
        v if parse_bool(key, v)? => RequireSigned::Always,
        _ => RequireSigned::Never,
    })
}

/// `encryption_method`: one of [`BlockCipher::ALL`].
fn parse_cipher(value: &str) -> Result<BlockCipher, AppError> {
    BlockCipher::parse(value).ok_or_else(|| {
        let all: Vec<&str> = BlockCipher::ALL.iter().map(|c| c.as_str()).collect();
        AppError::Invalid(format!(
            "encryption_method: `{value}`: use {}",
            all.join(", ")
        ))
    })
}

/// An unknown key, with the known ones.
fn unknown_key(key: &str) -> AppError {
    let keys: Vec<&str> = SETTING_KEYS.iter().map(|(k, _)| *k).collect();
    AppError::Invalid(format!(
        "unknown setting `{key}`; known: {}",
        keys.join(", ")
    ))
}
