//! Baidu AI Cloud (百度智能云) `baidu-role`: IAM role SSO, IdP-initiated, the Role attribute
//! `{account_id}:role/{role},{account_id}:saml-provider/{provider_name}`.
//!
//! Facts (metadata/baidu/README.md; intl.cloud.baidu.com IAM role SSO): entity ID
//! `urn:bce:baidu:webservices`, ACS `https://login.bce.baidu.com/saml`; no SP metadata file is
//! published. The RoleSessionName attribute is unverified; it is sent (an unknown attribute is
//! ignored) under the Role attribute's namespace.

use super::{fixed_sp, get, name_rule, req, Built, Homepage, Param, Params, Preset, RoleSso};
use crate::apps::AppSettings;
use crate::identity::session_name::{Charset, SessionNameRule};
use crate::text::Tx;

const DOMAINS: &[&str] = &["console.bce.baidu.com", "cloud.baidu.com"];

const PARAMS: &[Param] = &[
    Param {
        key: "account_id",
        aliases: &[],
        required: true,
        help: "the Baidu AI Cloud account ID, 32 hex characters",
    },
    Param {
        key: "provider_name",
        aliases: &[],
        required: true,
        help: "the identity provider's name in IAM",
    },
    Param {
        key: "role",
        aliases: &[],
        required: false,
        help: "the IAM role every member gets when no role rule matches (this or role_rules)",
    },
    Param {
        key: "relay_state",
        aliases: &[],
        required: false,
        help: "console page to open, https://console.bce.baidu.com/…",
    },
];

/// The preset.
pub fn preset() -> Preset {
    Preset {
        name: "baidu-role",
        summary: "Baidu AI Cloud IAM role SSO (IdP-initiated)",
        params: PARAMS,
        role_rule: Some(check_role),
        accounts: super::Accounts::One(
            "Baidu AI Cloud's documentation shows one Role value per sign-in and nothing confirms \
             that it offers a choice of several (unverified): add one app per account",
        ),
        build,
        homepage,
    }
}

fn check_role(r: &str) -> Result<(), String> {
    name_rule(r, "role", 64, "_.-")
}

fn build(p: &Params) -> Result<Built, String> {
    let a = req(p, "account_id")?;
    if a.len() != 32 || !a.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "account_id `{a}` must be the 32 hex characters of the account ID (console › account)"
        ));
    }
    name_rule(req(p, "provider_name")?, "provider_name", 128, "_.-")?;
    if let Some(r) = get(p, "role") {
        check_role(r)?;
    }
    let rs = RoleSso {
        role_attr: "https://bce.baidu.com/SAML/Attributes/Role",
        role_value: "{account_id}:role/{role},{account_id}:saml-provider/{provider_name}".into(),
        session_attr: Some("https://bce.baidu.com/SAML/Attributes/RoleSessionName"),
        duration_attr: None,
        session_rule: SessionNameRule::new(Charset::WordDotAtDash, 2, 64),
        relay_domains: DOMAINS,
        duration_range: (900, 43200),
    };
    let s = rs.settings(p, &["account_id", "provider_name"])?;
    Ok(Built {
        sp: fixed_sp(
            "urn:bce:baidu:webservices",
            "https://login.bce.baidu.com/saml",
            false,
            &[],
        ),
        settings: s,
    })
}

fn homepage(_: &AppSettings, mount: &str) -> Homepage {
    Homepage::mount(
        mount,
        Tx {
            en: "Baidu AI Cloud role SSO cannot start a login from the console: only our mount address \
         (IdP-initiated) signs members in",
            zh: "百度智能云角色 SSO 不能从控制台发起登录：只有本服务的挂载地址（IdP 发起）能让成员登录",
        },
    )
}
