//! `huawei-identity-center`: Huawei Cloud IAM Identity Center with an external identity provider
//! (SAML 2.0): one SP per Identity Center instance, so its metadata comes from the console
//! (`--metadata`); the member is the Identity Center user whose user name equals the NameID (the
//! WeCom userid by default).
//!
//! Facts (metadata/huawei/README.md; Huawei Cloud "IAM Identity Center User Guide › Changing the
//! Identity Source", support.huaweicloud.com/intl/en-us/usermanual-identitycenter/iic_03_0021.html,
//! updated 2024-02-21): Settings › Identity Source › Change to external identity provider; the
//! "Service provider details" step offers the SP metadata file to download and takes the IdP's
//! metadata; users sign in through the Identity Center user portal. Unverified: the NameID format
//! the SP requires (unspecified is sent; AWS's look-alike requires emailAddress — switch with
//! `nameid_format=email` if logins are refused), the user portal URL's shape (so it is only taken
//! as `login_url`), and whether an IdP-initiated Response is accepted.

use super::{base_settings, login_url, Built, Homepage, Param, Params, Preset, Sp};
use crate::apps::AppSettings;
use crate::identity::Source;
use crate::text::Tx;

/// Where the user portal URL may point.
const LOGIN_DOMAINS: &[&str] = &["huaweicloud.com", "myhuaweicloud.com"];

const PARAMS: &[Param] = &[Param {
    key: "login_url",
    aliases: &[],
    required: false,
    help: "the IAM Identity Center user portal URL, then the WeCom homepage",
}];

/// The preset.
pub fn preset() -> Preset {
    Preset {
        name: "huawei-identity-center",
        summary: "Huawei Cloud IAM Identity Center (metadata from the console)",
        params: PARAMS,
        role_rule: None,
        accounts: super::NO_ROLE_ATTRIBUTE,
        build,
        homepage,
    }
}

fn build(p: &Params) -> Result<Built, String> {
    let mut s = base_settings(Source::Userid);
    if let Some(u) = login_url(p, LOGIN_DOMAINS)? {
        s.params.insert("login_url".into(), u);
    }
    Ok(Built {
        sp: Sp::FromFile("IAM Identity Center › Settings › Identity Source › Change to external identity provider: download the service provider metadata"),
        settings: s,
    })
}

fn homepage(s: &AppSettings, mount: &str) -> Homepage {
    super::login_url_or_mount(
        s,
        mount,
        Tx {
            en: "no user portal URL was given (login_url), so members start at our mount address \
                 (IdP-initiated; whether IAM Identity Center accepts that is unverified)",
            zh: "没有填写用户门户地址（login_url），因此成员从本服务的挂载地址开始登录（IdP 发起；IAM Identity Center 是否接受未核实）",
        },
    )
}
