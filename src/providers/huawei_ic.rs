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

use super::identity_center::{self, login_url_param, IdentityCenter};
use super::{Param, Preset};
use crate::text::Tx;

struct HuaweiIdentityCenter;

impl IdentityCenter for HuaweiIdentityCenter {
    const NAME: &'static str = "huawei-identity-center";
    const SUMMARY: &'static str = "Huawei Cloud IAM Identity Center (metadata from the console)";
    const PARAMS: &'static [Param] = &[login_url_param(
        "the IAM Identity Center user portal URL, then the WeCom homepage",
    )];
    const LOGIN_DOMAINS: &'static [&'static str] = &["huaweicloud.com", "myhuaweicloud.com"];
    const METADATA_STEP: &'static str = "IAM Identity Center › Settings › Identity Source › Change to external identity provider: download the service provider metadata";
    const NO_LOGIN_URL: Tx = Tx {
        en: "no user portal URL was given (login_url), so members start at our mount address \
             (IdP-initiated; whether IAM Identity Center accepts that is unverified)",
        zh: "没有填写用户门户地址（login_url），因此成员从本服务的挂载地址开始登录（IdP 发起；IAM Identity Center 是否接受未核实）",
    };
    // Its SCIM API, like AWS's, updates groups only partially (PatchGroup; no PUT on groups).
    const GROUP_UPDATE: crate::apps::ScimGroupUpdate = crate::apps::ScimGroupUpdate::Patch;
}

/// The preset.
pub fn preset() -> Preset {
    identity_center::preset::<HuaweiIdentityCenter>()
}
