//! `generic`: any SAML SP, from its metadata file, with the default attributes (userid, name,
//! departments, position) and everything adjustable with `--set` (see `attribute=NAME=SOURCE`).

use super::{get, Built, Homepage, Param, Params, Preset, Sp};
use crate::apps::AppSettings;
use crate::text::Tx;

const PARAMS: &[Param] = &[Param {
    key: "login_url",
    aliases: &[],
    required: false,
    help: "the SP's own login link, when it starts logins itself (then the WeCom homepage)",
}];

/// The preset.
pub fn preset() -> Preset {
    Preset {
        name: "generic",
        summary: "any SAML SP from its metadata file",
        params: PARAMS,
        role_rule: None,
        // An SP's own templates may use {account_id} and {provider_name} per role.
        accounts: super::Accounts::Several {
            account: any,
            provider: any,
        },
        build,
        homepage,
    }
}

/// Any value: a generic SP's rules are its own.
fn any(_: &str) -> Result<(), String> {
    Ok(())
}

fn build(p: &Params) -> Result<Built, String> {
    let mut settings = AppSettings::default();
    if let Some(u) = get(p, "login_url") {
        let ok = url::Url::parse(u).is_ok_and(|x| x.scheme() == "https" && x.host().is_some());
        if !ok {
            return Err(format!("login_url `{u}` must be an https URL"));
        }
        settings.params.insert("login_url".into(), u.into());
    }
    Ok(Built {
        sp: Sp::FromFile(
            "the SP's SAML metadata (its administration pages or documentation give it)",
        ),
        settings,
    })
}

fn homepage(s: &AppSettings, mount: &str) -> Homepage {
    super::login_url_or_mount(
        s,
        mount,
        Tx {
            en: "no SP login link was given (login_url), so members start at our mount address \
         (IdP-initiated) and land signed in at the SP's ACS",
            zh: "没有填写 SP 的登录链接（login_url），因此成员从本服务的挂载地址开始登录（IdP 发起），登录后直接进入 SP",
        },
    )
}
