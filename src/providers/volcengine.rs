//! Volcengine (火山引擎): `volcengine-role` (role SSO, IdP-initiated: the Identity attribute
//! `trn:iam::{account_id}:role/{role},trn:iam::{account_id}:saml-provider/{provider_name}`) and
//! `volcengine-user` (user SSO: NameID = the IAM user name; per-account metadata).
//!
//! Facts (metadata/volcengine/README.md; volcengine.com/docs/6257 and the role-SSO SP metadata):
//! entity ID `https://www.volcengine.com/`, ACS `https://signin.volcengine.com/saml/sso`; sign
//! Response and Assertion; RelayState under `console.volcengine.com`. The SessionName character
//! rule and the SessionDuration range are unverified; the AWS-like rules (`[\w.@-]`, 2–64;
//! 900–43200 s) are used. Audience: the entity ID by default; a working integration sends
//! `https://console.volcengine.com` (observed, not in Volcengine's docs), so `audience=` picks
//! one of [`AUDIENCES`]. For role SSO, which only we start, the SP entity ID is used for nothing
//! but the Audience, so the choice is recorded as the app's SP entity ID.

use super::{
    base_settings, digits, fixed_sp, get, login_url, name_rule, Accounts, Built, Homepage, Param,
    Params, Preset, RoleSso, Sp, NO_ROLE_ATTRIBUTE,
};
use crate::apps::AppSettings;
use crate::identity::session_name::{Charset, SessionNameRule};
use crate::identity::Source;
use crate::text::Tx;

const DOMAINS: &[&str] = &["console.volcengine.com"];
/// The role-SSO SP entity ID and default Audience.
const ENTITY: &str = "https://www.volcengine.com/";
/// Audiences `audience=` may choose: the entity ID, or the console's address as a working
/// integration sends it.
const AUDIENCES: &[&str] = &[ENTITY, "https://console.volcengine.com"];

const ROLE_PARAMS: &[Param] = &[
    Param {
        key: "account_id",
        aliases: &[],
        required: true,
        help: "the Volcengine account ID (digits)",
    },
    Param {
        key: "provider_name",
        aliases: &[],
        required: true,
        help: "the SAML identity provider's name in IAM",
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
        help: "seconds, 900–43200",
    },
    Param {
        key: "relay_state",
        aliases: &[],
        required: false,
        help: "console page to open, https://console.volcengine.com/…",
    },
    Param {
        key: "audience",
        aliases: &[],
        required: false,
        help:
            "the Audience: https://www.volcengine.com/ (default) or https://console.volcengine.com",
    },
];

const USER_PARAMS: &[Param] = &[
    Param {
        key: "account_id",
        aliases: &[],
        required: true,
        help: "the Volcengine account ID (digits)",
    },
    Param {
        key: "login_url",
        aliases: &[],
        required: false,
        help: "the console's user-SSO login link, then the WeCom homepage",
    },
    Param {
        key: "relay_state",
        aliases: &[],
        required: false,
        help: "console page to open, https://console.volcengine.com/…",
    },
];

/// An account ID in a role rule or `accounts`: 5–20 digits.
fn check_account(v: &str) -> Result<(), String> {
    super::digits_rule(v, "account", 5, 20)
}

/// A SAML provider's name in an account.
fn check_provider(v: &str) -> Result<(), String> {
    name_rule(v, "provider_name", 128, "_.-")
}

/// The presets.
pub fn presets() -> Vec<Preset> {
    vec![
        Preset {
            name: "volcengine-role",
            summary: "Volcengine role SSO (IdP-initiated)",
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
            name: "volcengine-user",
            summary: "Volcengine user SSO (per-account metadata)",
            params: USER_PARAMS,
            role_rule: None,
            accounts: NO_ROLE_ATTRIBUTE,
            build: build_user,
            homepage: user_homepage,
        },
    ]
}

/// IAM role names: 1–64 of letters, digits, `.`, `-` and `_`.
fn check_role(r: &str) -> Result<(), String> {
    name_rule(r, "role", 64, "_.-")
}

fn build_role(p: &Params) -> Result<Built, String> {
    digits(p, "account_id", 5, 20)?;
    name_rule(super::req(p, "provider_name")?, "provider_name", 128, "_.-")?;
    if let Some(r) = get(p, "role") {
        check_role(r)?;
    }
    let rs = RoleSso {
        role_attr: "https://www.volcengine.com/SAML/Attributes/Identity",
        role_value:
            "trn:iam::{account_id}:role/{role},trn:iam::{account_id}:saml-provider/{provider_name}"
                .into(),
        session_attr: Some("https://www.volcengine.com/SAML/Attributes/SessionName"),
        duration_attr: Some("https://www.volcengine.com/SAML/Attributes/SessionDuration"),
        session_rule: SessionNameRule::new(Charset::WordDotAtDash, 2, 64),
        relay_domains: DOMAINS,
        duration_range: (900, 43200),
    };
    let audience = match get(p, "audience") {
        None => ENTITY,
        Some(a) => AUDIENCES
            .iter()
            .copied()
            .find(|x| *x == a)
            .ok_or_else(|| format!("audience `{a}`: use one of {}", AUDIENCES.join(", ")))?,
    };
    let s = rs.settings(p, &["account_id", "provider_name"])?;
    Ok(Built {
        sp: fixed_sp(
            audience,
            "https://signin.volcengine.com/saml/sso",
            false,
            &[],
        ),
        settings: s,
    })
}

fn role_homepage(_: &AppSettings, mount: &str) -> Homepage {
    Homepage::mount(
        mount,
        Tx {
            en: "Volcengine role SSO cannot start a login from the console: only our mount address \
         (IdP-initiated) signs members in",
            zh: "火山引擎角色 SSO 不能从控制台发起登录：只有本服务的挂载地址（IdP 发起）能让成员登录",
        },
    )
}

fn build_user(p: &Params) -> Result<Built, String> {
    let account = digits(p, "account_id", 5, 20)?;
    let mut s = base_settings(Source::Userid);
    s.params.insert("account_id".into(), account);
    if let Some(u) = login_url(p, &["volcengine.com"])? {
        s.params.insert("login_url".into(), u);
    }
    s.relay_state_domains = DOMAINS.iter().map(|d| d.to_string()).collect();
    s.default_relay_state = super::relay_state(p, DOMAINS)?;
    Ok(Built {
        sp: Sp::FromFile("IAM › Identity providers › user SSO shows this account's SP metadata (entity https://signin.volcengine.com/<AccountID>/saml_user/sso)"),
        settings: s,
    })
}

fn user_homepage(s: &AppSettings, mount: &str) -> Homepage {
    super::login_url_or_mount(
        s,
        mount,
        Tx {
            en: "the console's user-SSO login link is not documented here (give login_url), so members \
         start at our mount address (IdP-initiated)",
            zh: "这里没有记录该控制台的用户 SSO 登录链接（可填写 login_url），因此成员从本服务的挂载地址开始登录（IdP 发起）",
        },
    )
}
