//! Tencent Cloud CAM: `tencent-role` (role SSO: the Role attribute
//! `qcs::cam::uin/{account_id}:roleName/{role},qcs::cam::uin/{account_id}:saml-provider/{provider_name}`
//! and a RoleSessionName of at most 32 characters) and `tencent-user` (user SSO: NameID = the CAM
//! sub-user name; per-account metadata from `--metadata`).
//!
//! Facts (metadata/tencent/README.md; SP metadata `http://cloud.tencent.com/saml.xml`): entity ID
//! `cloud.tencent.com`, ACS `https://cloud.tencent.com/login/saml` (which form of the entity ID
//! Tencent checks is unverified, so `entity_id` can override it). International site: entity ID
//! `www.tencentcloud.com` with ACS `https://www.tencentcloud.com/login/saml`, from Tencent Cloud's
//! own CAM documentation for the international site — "Okta Single Sign-On"
//! (intl.cloud.tencent.com/document/product/598/32674, updated 2024-01-23: "Tencent Cloud
//! International | https://www.tencentcloud.com/login/saml | www.tencentcloud.com") and the
//! Azure AD role-SSO page's site table — as shipped in metadata/tencent/role-sso-intl.xml (a test
//! keeps the two in step). Older docs and blogs give `intl.cloud.tencent.com` with
//! `https://intl.cloud.tencent.com/login/saml`; `entity_id=intl.cloud.tencent.com` selects that
//! pair, ACS included.
//! The console-started role login
//! `https://cloud.tencent.com/login/forwardIdp/{OwnerUin}/{IdP}` is observed in working
//! integrations, not documented.

use super::{
    base_settings, digits, fixed_sp, get, intl, login_url, name_rule, param_of, relay_state,
    Accounts, Built, Homepage, Param, Params, Preset, RoleSso, Sp, NO_ROLE_ATTRIBUTE,
};
use crate::apps::AppSettings;
use crate::identity::session_name::{Charset, SessionNameRule};
use crate::identity::Source;
use crate::text::Tx;

const ROLE_ATTR: &str = "https://cloud.tencent.com/SAML/Attributes/Role";
const SESSION_ATTR: &str = "https://cloud.tencent.com/SAML/Attributes/RoleSessionName";
const DOMAINS: &[&str] = &["cloud.tencent.com", "tencentcloud.com"];
/// Entity IDs seen for Tencent's role SSO; `entity_id` must be one of them.
const ENTITY_IDS: &[&str] = &[
    "cloud.tencent.com",
    "https://cloud.tencent.com",
    "intl.cloud.tencent.com",
    "www.tencentcloud.com",
];

const ROLE_PARAMS: &[Param] = &[
    Param { key: "account_id", aliases: &[], required: true, help: "the OwnerUin (root account ID), 5–20 digits" },
    Param { key: "provider_name", aliases: &[], required: true, help: "the identity provider's name in CAM" },
    Param { key: "role", aliases: &[], required: false, help: "the CAM role every member gets when no role rule matches (this or role_rules)" },
    Param { key: "site", aliases: &[], required: false, help: "cn (default) or intl" },
    Param { key: "entity_id", aliases: &[], required: false, help: "override the SP entity ID / Audience: cloud.tencent.com (China default), https://cloud.tencent.com, intl.cloud.tencent.com (older international, with its own ACS), www.tencentcloud.com (international default)" },
    Param { key: "relay_state", aliases: &[], required: false, help: "console page to open (default https://console.cloud.tencent.com/)" },
];

const USER_PARAMS: &[Param] = &[
    Param {
        key: "account_id",
        aliases: &[],
        required: true,
        help: "the OwnerUin (root account ID), 5–20 digits",
    },
    Param {
        key: "site",
        aliases: &[],
        required: false,
        help: "cn (default) or intl",
    },
    Param {
        key: "login_url",
        aliases: &[],
        required: false,
        help: "override the sub-user login link (https on cloud.tencent.com / tencentcloud.com)",
    },
];

/// An account ID in a role rule or `accounts`: the UIN, 5–20 digits.
fn check_account(v: &str) -> Result<(), String> {
    super::digits_rule(v, "account", 5, 20)
}

/// A SAML provider's name in an account.
fn check_provider(v: &str) -> Result<(), String> {
    name_rule(v, "provider_name", 128, "_.-")
}

/// The presets.
pub fn presets() -> Vec<super::Preset> {
    vec![
        Preset {
            name: "tencent-role",
            summary: "Tencent Cloud CAM role SSO",
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
            name: "tencent-user",
            summary: "Tencent Cloud CAM user SSO (per-account metadata)",
            params: USER_PARAMS,
            role_rule: None,
            accounts: NO_ROLE_ATTRIBUTE,
            build: build_user,
            homepage: user_homepage,
        },
    ]
}

/// CAM role names: 1–128 of `[\w+=,.@-]`.
fn check_role(r: &str) -> Result<(), String> {
    name_rule(r, "role", 128, "_+=,.@-")
}

fn build_role(p: &Params) -> Result<Built, String> {
    let account = digits(p, "account_id", 5, 20)?;
    let provider = super::req(p, "provider_name")?;
    name_rule(provider, "provider_name", 128, "_.-")?;
    if let Some(r) = get(p, "role") {
        check_role(r)?;
    }
    let intl = intl(p)?;
    let entity = match get(p, "entity_id") {
        Some(e) if ENTITY_IDS.contains(&e) => e,
        Some(e) => {
            return Err(format!(
                "entity_id `{e}`: use one of {}",
                ENTITY_IDS.join(", ")
            ))
        }
        None if intl => INTL_ENTITY,
        None => "cloud.tencent.com",
    };
    let acs = role_acs(intl, entity);
    let rs = RoleSso {
        role_attr: ROLE_ATTR,
        role_value: "qcs::cam::uin/{account_id}:roleName/{role},qcs::cam::uin/{account_id}:saml-provider/{provider_name}".into(),
        session_attr: Some(SESSION_ATTR),
        duration_attr: None,
        session_rule: SessionNameRule::new(Charset::WordPlusEqCommaDotAtDash, 1, 32),
        relay_domains: DOMAINS,
        duration_range: (900, 43200),
    };
    let mut s = rs.settings(p, &["account_id", "provider_name", "site"])?;
    // The observed default landing page (China site); the international console's is unverified.
    if s.default_relay_state.is_none() && !intl {
        s.default_relay_state = Some("https://console.cloud.tencent.com/".into());
    }
    s.params.insert("account_id".into(), account);
    Ok(Built {
        sp: fixed_sp(entity, acs, false, &[]),
        settings: s,
    })
}

/// The international site's entity ID and ACS (Tencent's current international docs).
pub(super) const INTL_ENTITY: &str = "www.tencentcloud.com";
/// See [`INTL_ENTITY`].
pub(super) const INTL_ACS: &str = "https://www.tencentcloud.com/login/saml";

/// The ACS of role SSO. On the international site it follows the host of the chosen entity ID:
/// both published pairs keep entity and ACS on one host.
fn role_acs(intl: bool, entity: &str) -> &'static str {
    match (intl, entity) {
        (true, "intl.cloud.tencent.com") => "https://intl.cloud.tencent.com/login/saml",
        (true, _) => INTL_ACS,
        (false, _) => "https://cloud.tencent.com/login/saml",
    }
}

fn role_homepage(s: &AppSettings, mount: &str) -> Homepage {
    let intl = param_of(s, "site") == Some("intl");
    match (param_of(s, "account_id"), param_of(s, "provider_name")) {
        (Some(a), Some(p)) if !intl => Homepage::console(
            format!(
                "https://cloud.tencent.com/login/forwardIdp/{a}/{}",
                url::form_urlencoded::byte_serialize(p.as_bytes()).collect::<String>()
            ),
            Tx {
            en: "Tencent Cloud starts role logins from its forwardIdp link (SP-initiated; observed in \
             working integrations, not in Tencent's docs). If it stops working, paste the mount \
             address instead: the IdP-initiated login is documented",
            zh: "腾讯云从它的 forwardIdp 链接发起角色登录（SP 发起；这是在实际集成中观察到的，腾讯云文档未写明）。如果失效，请改填挂载地址：IdP 发起的登录是有文档的",
        },
        ),
        _ => Homepage::mount(
            mount,
            Tx {
            en: "no console login link is known for the international site, so members start at our \
             mount address (IdP-initiated)",
            zh: "国际站没有已知的控制台登录链接，因此成员从本服务的挂载地址开始登录（IdP 发起）",
        },
        ),
    }
}

fn build_user(p: &Params) -> Result<Built, String> {
    let account = digits(p, "account_id", 5, 20)?;
    let intl = intl(p)?;
    let mut s = base_settings(Source::Userid);
    s.params.insert("account_id".into(), account);
    if intl {
        s.params.insert("site".into(), "intl".into());
    }
    if let Some(u) = login_url(p, DOMAINS)? {
        s.params.insert("login_url".into(), u);
    }
    s.relay_state_domains = DOMAINS.iter().map(|d| d.to_string()).collect();
    s.default_relay_state = relay_state(p, DOMAINS)?;
    Ok(Built {
        sp: Sp::FromFile("CAM › Identity Providers › User SSO shows this account's SP metadata"),
        settings: s,
    })
}

fn user_homepage(s: &AppSettings, mount: &str) -> Homepage {
    if let Some(u) = param_of(s, "login_url") {
        return Homepage::console(
            u.into(),
            Tx {
                en: "the sub-user login link you gave (SP-initiated)",
                zh: "你填写的子用户登录链接（SP 发起）",
            },
        );
    }
    match param_of(s, "account_id") {
        Some(a) if param_of(s, "site") != Some("intl") => Homepage::console(
            format!("https://cloud.tencent.com/login/subAccount/{a}?type=subAccount"),
            Tx {
            en: "Tencent Cloud's sub-user login page for this account sends members to us when user \
             SSO is on (SP-initiated; the link is observed, give login_url to override)",
            zh: "开启用户 SSO 后，腾讯云该账号的子用户登录页会把成员转到本服务登录（SP 发起；此链接为观察所得，可填写 login_url 覆盖）",
        },
        ),
        _ => Homepage::mount(mount, Tx {
            en: "no sub-user login link is known for this site",
            zh: "该站点没有已知的子用户登录链接，因此成员从本服务的挂载地址开始登录（IdP 发起）",
        }),
    }
}
