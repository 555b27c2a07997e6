//! `tencent-cic`: Tencent Cloud Organization Identity Center (集团账号身份中心, CIC) with an
//! external SAML identity provider: one SP per Identity Center space, so its metadata comes from
//! the console (`--metadata`); the member is the Identity Center user whose user name equals the
//! NameID (the WeCom userid by default).
//!
//! Facts (metadata/tencent/README.md; Tencent Cloud Organization docs "Manage SSO",
//! tencentcloud.com/document/product/1031/61837, and its Microsoft Entra ID, OneLogin and Google
//! Workspace examples 1031/70368, 1031/70370, 1031/78308): Identity Center › User Management ›
//! Settings › SSO Login shows the Service Provider (SP) information — ACS URL, Entity ID and a
//! downloadable SP metadata file; the IdP is configured there by uploading our metadata (or
//! entity ID, login address and signing certificate); the Identity Center user name must equal
//! the IdP's user name; users sign in through the space's user login URL (the space name is part
//! of it). Unverified: which NameID format the SP requires (unspecified is sent), the exact shape
//! and domain of the user login URL (so it is only taken as `login_url`), and whether an
//! IdP-initiated Response is accepted.

use super::identity_center::{self, login_url_param, IdentityCenter};
use super::{Param, Preset};
use crate::text::Tx;

struct TencentCic;

impl IdentityCenter for TencentCic {
    const NAME: &'static str = "tencent-cic";
    const SUMMARY: &'static str =
        "Tencent Cloud Organization Identity Center (CIC; metadata from the console)";
    const PARAMS: &'static [Param] = &[login_url_param(
        "the space's user login URL from Identity Center, then the WeCom homepage",
    )];
    /// The portal domain is unverified.
    const LOGIN_DOMAINS: &'static [&'static str] = &[
        "cloud.tencent.com",
        "tencentcloud.com",
        "tencentcloudsso.com",
    ];
    const METADATA_STEP: &'static str = "Tencent Cloud Organization › Identity Center › User Management › Settings › SSO Login: download the SP metadata";
    const NO_LOGIN_URL: Tx = Tx {
        en: "no user login URL of the Identity Center space was given (login_url), so members \
             start at our mount address (IdP-initiated; whether CIC accepts that is unverified)",
        zh: "没有填写身份中心空间的用户登录地址（login_url），因此成员从本服务的挂载地址开始登录（IdP 发起；CIC 是否接受未核实）",
    };
}

/// The preset.
pub fn preset() -> Preset {
    identity_center::preset::<TencentCic>()
}
