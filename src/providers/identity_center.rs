//! The shape the identity-center presets share (`huawei-identity-center`, `tencent-cic`): one SP
//! per instance of the center, so its metadata comes from the cloud console (`--metadata`); the
//! member is the center's user whose user name equals the NameID (the WeCom userid by default);
//! an optional `login_url` — the center's user portal, on the cloud's own domains — is the WeCom
//! homepage, else members start at our mount address (IdP-initiated). What differs per cloud is
//! an [`IdentityCenter`].

use super::{base_settings, login_url, Built, Homepage, Param, Params, Preset, Sp};
use crate::apps::{AppSettings, ScimGroupUpdate};
use crate::identity::Source;
use crate::text::Tx;

/// What one cloud's identity center says and accepts.
pub(super) trait IdentityCenter {
    /// The `--preset` name.
    const NAME: &'static str;
    /// One line for lists.
    const SUMMARY: &'static str;
    /// The parameters: `login_url` ([`login_url_param`]) with the center's name for its portal.
    const PARAMS: &'static [Param];
    /// Where the user portal URL may point.
    const LOGIN_DOMAINS: &'static [&'static str];
    /// Where in the console the SP metadata is downloaded.
    const METADATA_STEP: &'static str;
    /// What the homepage says when no portal URL was given.
    const NO_LOGIN_URL: Tx;
    /// How its SCIM endpoint takes changes to a group (`scim_group_update`): PUT unless the
    /// center documents PATCH only.
    const GROUP_UPDATE: ScimGroupUpdate = ScimGroupUpdate::Put;
}

/// The preset of the identity center `C`.
pub(super) fn preset<C: IdentityCenter>() -> Preset {
    Preset {
        name: C::NAME,
        summary: C::SUMMARY,
        params: C::PARAMS,
        role_rule: None,
        accounts: super::NO_ROLE_ATTRIBUTE,
        build: build::<C>,
        homepage: homepage::<C>,
    }
}

/// The optional `login_url` parameter; `help` names the portal as the center's console does.
pub(super) const fn login_url_param(help: &'static str) -> Param {
    Param {
        key: "login_url",
        aliases: &[],
        required: false,
        help,
    }
}

fn build<C: IdentityCenter>(p: &Params) -> Result<Built, String> {
    let mut s = base_settings(Source::Userid);
    s.scim_group_update = C::GROUP_UPDATE;
    if let Some(u) = login_url(p, C::LOGIN_DOMAINS)? {
        s.params.insert("login_url".into(), u);
    }
    Ok(Built {
        sp: Sp::FromFile(C::METADATA_STEP),
        settings: s,
    })
}

fn homepage<C: IdentityCenter>(s: &AppSettings, mount: &str) -> Homepage {
    super::login_url_or_mount(s, mount, C::NO_LOGIN_URL)
}
