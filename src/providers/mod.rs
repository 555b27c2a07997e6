//! Cloud console presets: each console as data (SP entity ID and ACS per site, attributes with exact
//! names and value templates, NameID rule, signing, RelayState domains, the login link) plus a little
//! validation of the admin's parameters. A preset produces ordinary [`AppSettings`] and SP metadata:
//! the Response code has no idea which console it talks to.
//!
//! Parameter keys (the outside contract): `account_id` (Huawei alias `domain_id`), `provider_name`
//! (Huawei alias `idp_name`), `role`, `site=cn|intl` (AWS: `partition=aws|aws-cn`),
//! `session_duration`, `relay_state`, and what a variant needs (`sso_type`, `login_url`, …).
//! `role` and `relay_state` land in the app's settings (`roles.default_role`, `default_relay_state`);
//! the others are kept as the app's parameters, which templates and the homepage URL read.
//!
//! OpenID Connect clients have presets of their own ([`oidc`]): client settings and next steps.

mod aliyun;
mod aws;
mod baidu;
mod generic;
mod huawei;
mod huawei_ic;
mod identity_center;
mod kingsoft;
pub mod oidc;
mod tencent;
mod tencent_cic;
pub mod text;
mod volcengine;

use crate::apps::{AppSettings, AttributeRelease, NameIdFormat};
use crate::identity::roles::RoleTarget;
use crate::identity::session_name::SessionNameRule;
use crate::identity::Source;
use crate::saml::sp_metadata::{AcsEndpoint, SpMetadata, HTTP_POST};
use crate::text::Tx;
use std::collections::BTreeMap;

/// One parameter a preset takes.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// The key for `--set`.
    pub key: &'static str,
    /// Other accepted spellings (Huawei's own names).
    pub aliases: &'static [&'static str],
    /// Whether `app add` refuses to go on without it.
    pub required: bool,
    /// What it is, for messages and `--help`.
    pub help: &'static str,
}

/// Where the SP's metadata comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sp {
    /// Built in: the documented entity ID, ACS and flags.
    Fixed(SpMetadata),
    /// Per account or directory: the admin gives the file with `--metadata`; the text says where
    /// the console shows it.
    FromFile(&'static str),
}

/// Whether the WeCom homepage starts the login at the console or at us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The homepage is our mount address; we send an unsolicited Response.
    IdpInitiated,
    /// The homepage is the console's login link; the console sends us an AuthnRequest.
    SpInitiated,
}

impl Mode {
    /// `idp-initiated` / `sp-initiated`, as `app show` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IdpInitiated => "idp-initiated",
            Self::SpInitiated => "sp-initiated",
        }
    }
}

/// The URL to paste as the WeCom app homepage, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Homepage {
    /// The URL.
    pub url: String,
    /// Which login it starts.
    pub mode: Mode,
    /// Why this one, in both languages (the console shows the admin's; `app show` the English).
    pub reason: Tx,
}

impl Homepage {
    fn mount(mount: &str, reason: Tx) -> Self {
        Self {
            url: mount.to_string(),
            mode: Mode::IdpInitiated,
            reason,
        }
    }

    fn console(url: String, reason: Tx) -> Self {
        Self {
            url,
            mode: Mode::SpInitiated,
            reason,
        }
    }
}

/// A preset's canonical parameters (aliases resolved).
pub type Params = BTreeMap<String, String>;

/// What a preset makes of its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The SP.
    pub sp: Sp,
    /// The app's settings (the admin's other `--set`s are applied on top).
    pub settings: AppSettings,
}

/// Checks a role name; the error says what is wrong.
pub type RoleRuleFn = fn(&str) -> Result<(), String>;

/// Whether one app may give roles in several accounts of its console (`ACCOUNT:ROLE` in role
/// rules, `accounts=ACCOUNT[:PROVIDER],…`; see [`crate::identity::roles`]).
#[derive(Debug, Clone, Copy)]
pub enum Accounts {
    /// The console's Role attribute is a list of (role, provider) pairs, one per account and role,
    /// and its sign-in page lets the member pick one.
    Several {
        /// Checks an account ID (the same rule as `account_id`).
        account: RoleRuleFn,
        /// Checks a provider name (the same rule as `provider_name`).
        provider: RoleRuleFn,
    },
    /// One account per app; the text says why.
    One(&'static str),
}

/// For presets that send no Role attribute.
const NO_ROLE_ATTRIBUTE: Accounts = Accounts::One(
    "this console receives no Role attribute, so roles cannot name accounts: add one app per account",
);

/// A cloud console preset.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    /// The `--preset` name.
    pub name: &'static str,
    /// One line for lists.
    pub summary: &'static str,
    /// The parameters it takes.
    pub params: &'static [Param],
    /// Checks a role name against the console's rule (role presets only).
    pub role_rule: Option<RoleRuleFn>,
    /// Whether roles may be in several accounts.
    pub accounts: Accounts,
    build: fn(&Params) -> Result<Built, String>,
    homepage: fn(&AppSettings, &str) -> Homepage,
}

/// A refused preset or parameter; the text says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetError(pub String);

impl std::fmt::Display for PresetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PresetError {}

/// Every preset, in the order of the README table.
pub fn all() -> Vec<Preset> {
    let mut v = vec![generic::preset()];
    v.push(huawei::preset());
    v.push(huawei_ic::preset());
    v.extend(tencent::presets());
    v.push(tencent_cic::preset());
    v.extend(aliyun::presets());
    v.extend(aws::presets());
    v.extend(volcengine::presets());
    v.push(baidu::preset());
    v.push(kingsoft::preset());
    v
}

/// The preset called `name`, or a message listing them.
pub fn find(name: &str) -> Result<Preset, PresetError> {
    let all = all();
    all.iter().find(|p| p.name == name).copied().ok_or_else(|| {
        PresetError(format!(
            "no preset `{name}`; presets: {}",
            all.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
        ))
    })
}

impl Preset {
    /// `key (required) — help` lines for messages.
    pub fn describe_params(&self) -> String {
        self.params
            .iter()
            .map(|p| {
                let alias = if p.aliases.is_empty() {
                    String::new()
                } else {
                    format!(" (or {})", p.aliases.join(", "))
                };
                format!(
                    "{}{alias}{}: {}",
                    p.key,
                    if p.required { ", required" } else { "" },
                    p.help
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn param(&self, key: &str) -> Option<&Param> {
        self.params
            .iter()
            .find(|p| p.key == key || p.aliases.contains(&key))
    }

    /// Splits `KEY=VALUE` strings into this preset's parameters and the remaining app settings;
    /// refuses keys that are neither, and missing required parameters, naming what it needs.
    pub fn split<'a>(&self, sets: &'a [String]) -> Result<(Params, Vec<&'a str>), PresetError> {
        let mut params = Params::new();
        let mut rest = Vec::new();
        for kv in sets {
            let Some((k, v)) = kv.split_once('=') else {
                return Err(PresetError(format!("--set `{kv}`: expected KEY=VALUE")));
            };
            let k = k.trim();
            if let Some(p) = self.param(k) {
                if params
                    .insert(p.key.to_string(), v.trim().to_string())
                    .is_some()
                {
                    return Err(PresetError(format!("{}: given twice", p.key)));
                }
            } else if crate::apps::SETTING_KEYS.iter().any(|(s, _)| *s == k)
                || k.starts_with("param.")
            {
                rest.push(kv.as_str());
            } else {
                return Err(PresetError(format!(
                    "preset {} does not take `{k}`; it takes {} (and any app setting: app set --help)",
                    self.name,
                    self.describe_params()
                )));
            }
        }
        let missing: Vec<&str> = self
            .params
            .iter()
            .filter(|p| p.required && params.get(p.key).is_none_or(|v| v.is_empty()))
            .map(|p| p.key)
            .collect();
        if !missing.is_empty() {
            return Err(PresetError(format!(
                "preset {} needs {}; it takes {}",
                self.name,
                missing
                    .iter()
                    .map(|k| format!("--set {k}=…"))
                    .collect::<Vec<_>>()
                    .join(" "),
                self.describe_params()
            )));
        }
        Ok((params, rest))
    }

    /// Validates the parameters and builds the SP and the settings.
    pub fn build(&self, params: &Params) -> Result<Built, PresetError> {
        let mut built =
            (self.build)(params).map_err(|e| PresetError(format!("{}: {e}", self.name)))?;
        built.settings.preset = Some(self.name.to_string());
        Ok(built)
    }

    /// Checks the settings once the admin's other `--set`s are applied: the accounts roles are
    /// in, role names, and that a role-SSO app gives members a role somehow.
    pub fn check(&self, s: &AppSettings) -> Result<(), PresetError> {
        self.check_accounts(s)
            .map_err(|e| PresetError(format!("{}: {e}", self.name)))?;
        if let Some(rule) = self.role_rule {
            for r in s.roles.all_roles() {
                let role = RoleTarget::parse(r).role;
                rule(role).map_err(|e| PresetError(format!("{}: role `{r}`: {e}", self.name)))?;
            }
        }
        if s.roles.required && s.roles.default_role.is_none() && s.roles.rules.is_empty() {
            return Err(PresetError(format!(
                "preset {} needs --set role=ROLE (the role every member gets) or --set role_rules=…",
                self.name
            )));
        }
        Ok(())
    }

    /// `accounts` and the accounts roles name, per the console's rules (see [`Accounts`]).
    pub fn check_accounts(&self, s: &AppSettings) -> Result<(), String> {
        let named = s
            .roles
            .all_roles()
            .filter_map(|r| RoleTarget::parse(r).account.map(|a| (r, a)));
        match self.accounts {
            Accounts::One(why) => {
                if let Some((r, _)) = named.into_iter().next() {
                    return Err(format!("ACCOUNT:ROLE `{r}` names an account, but {why}"));
                }
                if !s.roles.accounts.is_empty() {
                    return Err(format!("accounts: {why}"));
                }
            }
            Accounts::Several { account, provider } => {
                for a in &s.roles.accounts {
                    account(&a.id).map_err(|e| format!("accounts: {e}"))?;
                    if let Some(p) = &a.provider_name {
                        provider(p).map_err(|e| format!("accounts: account {}: {e}", a.id))?;
                    }
                }
                for (r, a) in named {
                    account(a).map_err(|e| format!("account in `{r}`: {e}"))?;
                }
                for r in s.roles.all_roles() {
                    let t = RoleTarget::parse(r);
                    if t.account.is_none() && r.contains(':') {
                        return Err(format!(
                            "`{r}`: write ACCOUNT:ROLE with the account ID in digits before \
                             the `:` (no role name has a `:`)"
                        ));
                    }
                }
            }
        }
        s.roles
            .check_accounts(param_of(s, "account_id"))
            .map_err(|e| e.to_string())
    }

    /// The WeCom homepage for an app made from this preset.
    pub fn homepage(&self, s: &AppSettings, mount: &str) -> Homepage {
        (self.homepage)(s, mount)
    }
}

/// The settings' accounts and roles checked by the app's preset, or (an app without one) only
/// that every account a role names is listed.
pub fn check_settings(preset: Option<&Preset>, s: &AppSettings) -> Result<(), PresetError> {
    match preset {
        Some(p) => p.check(s),
        None => s
            .roles
            .check_accounts(param_of(s, "account_id"))
            .map_err(|e| PresetError(e.to_string())),
    }
}

/// The homepage of any app: its preset's choice, else the mount address.
pub fn homepage(s: &AppSettings, mount: &str) -> Homepage {
    match s.preset.as_deref().map(find) {
        Some(Ok(p)) => p.homepage(s, mount),
        _ => Homepage::mount(
            mount,
            Tx {
            en: "no console login link is known for this app, so members start at our mount address \
             (IdP-initiated) and land signed in at the app's ACS",
            zh: "没有已知的该应用控制台登录链接，因此成员从本服务的挂载地址开始登录（IdP 发起），登录后直接进入应用",
        },
        ),
    }
}

// Helpers the presets share.

/// Built-in SP metadata with one HTTP-POST ACS.
fn fixed_sp(entity_id: &str, acs: &str, authn_requests_signed: bool, certs: &[&str]) -> Sp {
    Sp::Fixed(SpMetadata {
        entity_id: entity_id.into(),
        acs: vec![AcsEndpoint {
            binding: HTTP_POST.into(),
            location: acs.into(),
            index: Some(0),
            is_default: Some(true),
        }],
        signing_certs: certs.iter().map(|c| c.to_string()).collect(),
        encryption_certs: vec![],
        authn_requests_signed,
        want_assertions_signed: true,
        name_id_formats: vec![],
        valid_until: None,
        slo: Vec::new(),
    })
}

/// An attribute whose name is a URI (NameFormat uri) or a plain name (basic).
fn attr(name: &str, source: Source) -> AttributeRelease {
    AttributeRelease {
        name: name.into(),
        source,
        name_format: crate::apps::default_name_format(name),
        friendly_name: None,
    }
}

/// Settings with no attributes, NameID `unspecified` from `source`, both signed.
fn base_settings(name_id_source: Source) -> AppSettings {
    AppSettings {
        name_id_format: NameIdFormat::Unspecified,
        name_id_source,
        attributes: Vec::new(),
        ..AppSettings::default()
    }
}

fn get<'a>(p: &'a Params, key: &str) -> Option<&'a str> {
    p.get(key).map(String::as_str).filter(|v| !v.is_empty())
}

fn req<'a>(p: &'a Params, key: &str) -> Result<&'a str, String> {
    get(p, key).ok_or_else(|| format!("{key} is required"))
}

/// `site=cn|intl` (default cn): true for intl.
fn intl(p: &Params) -> Result<bool, String> {
    match get(p, "site") {
        None | Some("cn") => Ok(false),
        Some("intl") => Ok(true),
        Some(o) => Err(format!("site `{o}`: use cn or intl")),
    }
}

/// An account ID of `min..=max` ASCII digits.
fn digits(p: &Params, key: &str, min: usize, max: usize) -> Result<String, String> {
    let v = req(p, key)?;
    digits_rule(v, key, min, max)?;
    Ok(v.to_string())
}

/// `v` is `min..=max` ASCII digits; the error names it `key`.
fn digits_rule(v: &str, key: &str, min: usize, max: usize) -> Result<(), String> {
    if v.len() < min || v.len() > max || !v.bytes().all(|b| b.is_ascii_digit()) {
        let len = if min == max {
            format!("{min}")
        } else {
            format!("{min}–{max}")
        };
        return Err(format!(
            "{key} `{v}` must be {len} digits (the console account ID)"
        ));
    }
    Ok(())
}

/// A name of 1..=max characters of `[A-Za-z0-9]` plus `extra`.
fn name_rule(v: &str, what: &str, max: usize, extra: &str) -> Result<(), String> {
    let ok = !v.is_empty()
        && v.chars().count() <= max
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} `{v}` must be 1–{max} characters of A-Z, a-z, 0-9{}",
            if extra.is_empty() {
                String::new()
            } else {
                format!(
                    " and {}",
                    extra
                        .chars()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            }
        ))
    }
}

/// `session_duration` in `min..=max` seconds, when given.
fn duration(p: &Params, min: u32, max: u32) -> Result<Option<String>, String> {
    let Some(v) = get(p, "session_duration") else {
        return Ok(None);
    };
    match v.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n.to_string())),
        _ => Err(format!(
            "session_duration `{v}` must be whole seconds from {min} to {max}"
        )),
    }
}

/// `relay_state`, when given, must be an https URL on one of `domains` (or their subdomains).
fn relay_state(p: &Params, domains: &[&str]) -> Result<Option<String>, String> {
    let Some(v) = get(p, "relay_state") else {
        return Ok(None);
    };
    let d: Vec<String> = domains.iter().map(|s| s.to_string()).collect();
    if v.len() > 80 {
        return Err("relay_state: at most 80 bytes (SAML bindings §3.4.3)".into());
    }
    if !crate::apps::domain_allowed(v, &d) {
        return Err(format!(
            "relay_state `{v}` must be an https URL on {} (the console refuses others)",
            domains.join(", ")
        ));
    }
    Ok(Some(v.to_string()))
}

/// A role-SSO console's attributes and rules.
struct RoleSso {
    /// The role attribute's Name.
    role_attr: &'static str,
    /// Its value, a template using `{account_id}`, `{role}` and `{provider_name}`.
    role_value: String,
    /// The RoleSessionName attribute's Name, if the console takes one.
    session_attr: Option<&'static str>,
    /// The SessionDuration attribute's Name, if the console takes one.
    duration_attr: Option<&'static str>,
    /// How RoleSessionName must look.
    session_rule: SessionNameRule,
    /// The console's RelayState domains.
    relay_domains: &'static [&'static str],
    /// Allowed session durations.
    duration_range: (u32, u32),
}

impl RoleSso {
    /// The settings for a role-SSO app: role and session attributes, roles required, the
    /// parameters kept for templates, RelayState checked against the console's domains.
    fn settings(&self, p: &Params, keep: &[&str]) -> Result<AppSettings, String> {
        let mut s = base_settings(Source::Userid);
        s.attributes.push(attr(
            self.role_attr,
            Source::Template(self.role_value.clone()),
        ));
        if let Some(a) = self.session_attr {
            s.attributes
                .push(attr(a, Source::Template("{session_name}".into())));
            s.session_name = Some(self.session_rule.clone());
        }
        let d = duration(p, self.duration_range.0, self.duration_range.1)?;
        if let (Some(a), Some(d)) = (self.duration_attr, d) {
            s.attributes.push(attr(a, Source::Constant(d)));
        }
        s.roles.required = true;
        s.roles.default_role = get(p, "role").map(String::from);
        s.relay_state_domains = self.relay_domains.iter().map(|d| d.to_string()).collect();
        s.default_relay_state = relay_state(p, self.relay_domains)?;
        for k in keep {
            if let Some(v) = get(p, k) {
                s.params.insert(k.to_string(), v.to_string());
            }
        }
        Ok(s)
    }
}

/// `login_url`: an https console link on one of `domains`, when given.
fn login_url(p: &Params, domains: &[&str]) -> Result<Option<String>, String> {
    let Some(v) = get(p, "login_url") else {
        return Ok(None);
    };
    let d: Vec<String> = domains.iter().map(|s| s.to_string()).collect();
    if !crate::apps::domain_allowed(v, &d) {
        return Err(format!(
            "login_url `{v}` must be an https URL on {}",
            domains.join(", ")
        ));
    }
    Ok(Some(v.to_string()))
}

fn param_of<'a>(s: &'a AppSettings, key: &str) -> Option<&'a str> {
    s.params.get(key).map(String::as_str)
}

/// Homepage for variants whose console link the admin may give as `login_url`.
fn login_url_or_mount(s: &AppSettings, mount: &str, without: Tx) -> Homepage {
    match param_of(s, "login_url") {
        Some(u) => Homepage::console(
            u.to_string(),
            Tx {
                en: "the console starts the login (SP-initiated) from the login_url you gave",
                zh: "由控制台从你填写的 login_url 发起登录（SP 发起）",
            },
        ),
        None => Homepage::mount(mount, without),
    }
}

#[cfg(test)]
mod tests;
