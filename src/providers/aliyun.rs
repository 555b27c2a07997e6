//! Alibaba Cloud: `aliyun-role` (RAM role SSO, IdP-initiated only), `aliyun-user` (RAM user SSO:
//! NameID `{userid}@{account_id}.onaliyun.com` or a domain alias; per-account metadata) and
//! `aliyun-cloudsso` (CloudSSO: NameID = the CloudSSO user name; per-directory metadata).
//!
//! Facts (metadata/aliyun/README.md, alibabacloud.com "SAML assertion attributes for role-based
//! SSO" and "SAML configuration for user-based SSO"): role SSO entity ID
//! `urn:alibaba:cloudcomputing` (intl `urn:alibaba:cloudcomputing:international`), ACS
//! `https://signin.aliyun.com/saml-role/sso` (intl `https://signin.alibabacloud.com/saml-role/sso`);
//! the whole Assertion signed; Role values
//! `acs:ram::{uid}:role/{role},acs:ram::{uid}:saml-provider/{idp}` without spaces; RoleSessionName
//! required, ASCII; SessionDuration 900–43200; RelayState only on Alibaba-owned domains.

use super::{
    base_settings, digits, fixed_sp, get, intl, login_url, name_rule, param_of, Accounts, Built,
    Homepage, Param, Params, Preset, RoleSso, Sp, NO_ROLE_ATTRIBUTE,
};
use crate::apps::AppSettings;
use crate::identity::session_name::{Charset, SessionNameRule};
use crate::identity::Source;
use crate::text::Tx;

/// The domains Alibaba accepts in RelayState.
const DOMAINS: &[&str] = &[
    "aliyun.com",
    "alibabacloud.com",
    "hichina.com",
    "yunos.com",
    "taobao.com",
    "tmall.com",
    "alipay.com",
];

const ROLE_PARAMS: &[Param] = &[
    Param {
        key: "account_id",
        aliases: &[],
        required: true,
        help: "the Alibaba Cloud account (UID), 16 digits",
    },
    Param {
        key: "provider_name",
        aliases: &[],
        required: true,
        help: "the RAM SAML identity provider's name",
    },
    Param {
        key: "role",
        aliases: &[],
        required: false,
        help: "the RAM role every member gets when no role rule matches (this or role_rules)",
    },
    Param {
        key: "site",
        aliases: &[],
        required: false,
        help: "cn (default, signin.aliyun.com) or intl (signin.alibabacloud.com)",
    },
    Param {
        key: "session_duration",
        aliases: &[],
        required: false,
        help: "seconds, 900–43200 (and at most the role's maximum)",
    },
    Param {
        key: "relay_state",
        aliases: &[],
        required: false,
        help: "console page to open, https on an Alibaba domain",
    },
];

const USER_PARAMS: &[Param] = &[
    Param {
        key: "account_id",
        aliases: &[],
        required: true,
        help: "the Alibaba Cloud account (UID), 16 digits",
    },
    Param {
        key: "site",
        aliases: &[],
        required: false,
        help: "cn (default) or intl",
    },
    Param {
        key: "domain",
        aliases: &[],
        required: false,
        help:
            "NameID suffix: a logon suffix or auxiliary domain (default {account_id}.onaliyun.com)",
    },
    Param {
        key: "relay_state",
        aliases: &[],
        required: false,
        help: "console page to open, https on an Alibaba domain",
    },
];

const CLOUDSSO_PARAMS: &[Param] = &[
    Param { key: "login_url", aliases: &[], required: false, help: "the CloudSSO user portal URL (https://signin-<region>.alibabacloudsso.com/…), then the WeCom homepage" },
];

/// An account ID in a role rule or `accounts`: the UID, 16 digits.
fn check_account(v: &str) -> Result<(), String> {
    super::digits_rule(v, "account", 16, 16)
}

/// A SAML provider's name in an account.
fn check_provider(v: &str) -> Result<(), String> {
    name_rule(v, "provider_name", 128, ".-")
}

/// The presets.
pub fn presets() -> Vec<Preset> {
    vec![
        Preset {
            name: "aliyun-role",
            summary: "Alibaba Cloud RAM role SSO (IdP-initiated only)",
            params: ROLE_PARAMS,
            role_rule: Some(check_role),
            accounts: Accounts::Several {
                account: check_account,
                provider: check_provider,
            },
            build: build_role,
            homepage: role_homepage,
        },
        Preset {
            name: "aliyun-user",
            summary: "Alibaba Cloud RAM user SSO (per-account metadata)",
            params: USER_PARAMS,
            role_rule: None,
            accounts: NO_ROLE_ATTRIBUTE,
            build: build_user,
            homepage: user_homepage,
        },
        Preset {
            name: "aliyun-cloudsso",
            summary: "Alibaba Cloud CloudSSO (per-directory metadata)",
            params: CLOUDSSO_PARAMS,
            role_rule: None,
            accounts: NO_ROLE_ATTRIBUTE,
            build: build_cloudsso,
            homepage: cloudsso_homepage,
        },
    ]
}

/// RAM role names: 1–64 of letters, digits, `.` and `-`.
fn check_role(r: &str) -> Result<(), String> {
    name_rule(r, "role", 64, ".-")
}

fn build_role(p: &Params) -> Result<Built, String> {
    digits(p, "account_id", 16, 16)?;
    name_rule(super::req(p, "provider_name")?, "provider_name", 128, ".-")?;
    if let Some(r) = get(p, "role") {
        check_role(r)?;
    }
    let intl = intl(p)?;
    let (entity, acs) = if intl {
        (
            "urn:alibaba:cloudcomputing:international",
            "https://signin.alibabacloud.com/saml-role/sso",
        )
    } else {
        (
            "urn:alibaba:cloudcomputing",
            "https://signin.aliyun.com/saml-role/sso",
        )
    };
    let rs = RoleSso {
        role_attr: "https://www.aliyun.com/SAML-Role/Attributes/Role",
        role_value:
            "acs:ram::{account_id}:role/{role},acs:ram::{account_id}:saml-provider/{provider_name}"
                .into(),
        session_attr: Some("https://www.aliyun.com/SAML-Role/Attributes/RoleSessionName"),
        duration_attr: Some("https://www.aliyun.com/SAML-Role/Attributes/SessionDuration"),
        session_rule: SessionNameRule::new(Charset::WordDotAtDash, 2, 64),
        relay_domains: DOMAINS,
        duration_range: (900, 43200),
    };
    let s = rs.settings(p, &["account_id", "provider_name", "site"])?;
    Ok(Built {
        sp: fixed_sp(entity, acs, false, &[]),
        settings: s,
    })
}

fn role_homepage(_: &AppSettings, mount: &str) -> Homepage {
    Homepage::mount(
        mount,
        Tx {
            en: "Alibaba Cloud role SSO cannot start a login from the console: only our mount address \
         (IdP-initiated) signs members in",
            zh: "阿里云角色 SSO 不能从控制台发起登录：只有本服务的挂载地址（IdP 发起）能让成员登录",
        },
    )
}

fn build_user(p: &Params) -> Result<Built, String> {
    let account = digits(p, "account_id", 16, 16)?;
    let intl = intl(p)?;
    let domain = match get(p, "domain") {
        Some(d) => {
            let ok = d.contains('.')
                && d.split('.').all(|l| {
                    !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                });
            if !ok {
                return Err(format!("domain `{d}` is not a domain name"));
            }
            d.to_ascii_lowercase()
        }
        None => format!("{account}.onaliyun.com"),
    };
    let mut s = base_settings(Source::Template("{userid}@{domain}".into()));
    s.params.insert("account_id".into(), account);
    s.params.insert("domain".into(), domain);
    if intl {
        s.params.insert("site".into(), "intl".into());
    }
    s.relay_state_domains = DOMAINS.iter().map(|d| d.to_string()).collect();
    s.default_relay_state = super::relay_state(p, DOMAINS)?;
    Ok(Built {
        sp: Sp::FromFile("RAM console › Integrations › SSO › User-based SSO shows this account's SP metadata URL"),
        settings: s,
    })
}

fn user_homepage(s: &AppSettings, mount: &str) -> Homepage {
    let host = if param_of(s, "site") == Some("intl") {
        "signin.alibabacloud.com"
    } else {
        "signin.aliyun.com"
    };
    match param_of(s, "account_id") {
        Some(a) => Homepage::console(
            format!("https://{host}/{a}.onaliyun.com/login.htm"),
            Tx {
            en: "the RAM user logon page of this account; with user SSO on it sends members to us \
             (SP-initiated). The mount address works too (IdP-initiated)",
            zh: "该账号的 RAM 用户登录页；开启用户 SSO 后，它会把成员转到本服务登录（SP 发起）。挂载地址同样可用（IdP 发起）",
        },
        ),
        None => Homepage::mount(mount, Tx {
            en: "the account ID is missing",
            zh: "缺少账号 ID，因此成员从本服务的挂载地址开始登录（IdP 发起）",
        }),
    }
}

fn build_cloudsso(p: &Params) -> Result<Built, String> {
    let mut s = base_settings(Source::Userid);
    if let Some(u) = login_url(p, &["alibabacloudsso.com"])? {
        s.params.insert("login_url".into(), u);
    }
    Ok(Built {
        sp: Sp::FromFile(
            "CloudSSO console › Settings › SSO logon shows the directory's SP metadata",
        ),
        settings: s,
    })
}

fn cloudsso_homepage(s: &AppSettings, mount: &str) -> Homepage {
    super::login_url_or_mount(
        s,
        mount,
        Tx {
            en: "no CloudSSO user portal URL was given (login_url), so members start at our mount address \
         (IdP-initiated)",
            zh: "没有填写云 SSO 用户门户地址（login_url），因此成员从本服务的挂载地址开始登录（IdP 发起）",
        },
    )
}
