//! Kingsoft Cloud (金山云) `kingsoft-role`: role SSO, IdP-initiated, the Role attribute
//! `krn:ksc:iam::{account_id}:role/{role},krn:ksc:iam::{account_id}:saml-provider/{provider_name}`.
//!
//! Facts (metadata/kingsoft/README.md; docs.ksyun.com 42964 and endocs.ksyun.com 7297): entity ID
//! `urn:ksyun:cloudcomputing`, ACS `https://signin.ksyun.com/saml-role/sso`, attributes under
//! `https://www.ksyun.com/SAML-Role/Attributes/`, SessionDuration 60–86400. The KRN form of the role
//! and IdP is taken from Kingsoft's IAM resource names (unverified against a live login);
//! RoleSessionName follows Alibaba's rule, which Kingsoft's attributes copy.

use super::{
    digits, fixed_sp, get, name_rule, req, Built, Homepage, Param, Params, Preset, RoleSso,
};
use crate::apps::AppSettings;
use crate::identity::session_name::{Charset, SessionNameRule};
use crate::text::Tx;

const DOMAINS: &[&str] = &["ksyun.com"];

const PARAMS: &[Param] = &[
    Param {
        key: "account_id",
        aliases: &[],
        required: true,
        help: "the Kingsoft Cloud account ID (digits)",
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
        key: "session_duration",
        aliases: &[],
        required: false,
        help: "seconds, 60–86400",
    },
    Param {
        key: "relay_state",
        aliases: &[],
        required: false,
        help: "console page to open, https on ksyun.com",
    },
];

/// The preset.
pub fn preset() -> Preset {
    Preset {
        name: "kingsoft-role",
        summary: "Kingsoft Cloud role SSO (IdP-initiated)",
        params: PARAMS,
        role_rule: Some(check_role),
        accounts: super::Accounts::One(
            "Kingsoft Cloud's documentation shows one Role value per sign-in and nothing confirms \
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
    digits(p, "account_id", 5, 20)?;
    name_rule(req(p, "provider_name")?, "provider_name", 128, "_.-")?;
    if let Some(r) = get(p, "role") {
        check_role(r)?;
    }
    let rs = RoleSso {
        role_attr: "https://www.ksyun.com/SAML-Role/Attributes/Role",
        role_value: "krn:ksc:iam::{account_id}:role/{role},krn:ksc:iam::{account_id}:saml-provider/{provider_name}".into(),
        session_attr: Some("https://www.ksyun.com/SAML-Role/Attributes/RoleSessionName"),
        duration_attr: Some("https://www.ksyun.com/SAML-Role/Attributes/SessionDuration"),
        session_rule: SessionNameRule::new(Charset::WordDotAtDash, 2, 64),
        relay_domains: DOMAINS,
        duration_range: (60, 86400),
    };
    let s = rs.settings(p, &["account_id", "provider_name"])?;
    Ok(Built {
        sp: fixed_sp(
            "urn:ksyun:cloudcomputing",
            "https://signin.ksyun.com/saml-role/sso",
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
            en: "Kingsoft Cloud role SSO cannot start a login from the console: only our mount address \
         (IdP-initiated) signs members in",
            zh: "金山云角色 SSO 不能从控制台发起登录：只有本服务的挂载地址（IdP 发起）能让成员登录",
        },
    )
}
