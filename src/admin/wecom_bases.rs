//! What an admin may point the WeCom source at. Two rules keep "save" and "check connection" from
//! becoming a way to read the write-only Secret or to reach the internal network:
//!
//! - The Secret in force is only ever sent to the `api_base` in force. A request that changes
//!   `api_base` must carry the Secret again (typed by someone who knows it), on save and on check.
//! - A base typed in the console or the API (`api_base`, `oauth_base`, `web_login_base`) that
//!   differs from the configuration's value goes through the metadata URLs' guard: http(s), no
//!   credentials, and no loopback, private, link-local or other internal address unless
//!   `[admin] allow_private_wecom_bases`. A check connects to the very address that was checked.
//!
//! The configuration's own values are the operator's choice and are never refused here.

use super::metadata_fetch::{check_url, checked_address, FetchError};
use super::settings::WecomChange;
use super::AdminError;
use crate::config::Config;
use std::net::SocketAddr;

/// Refuses a change of `api_base` (away from `saved`, the one in force) that does not carry the
/// Secret: the saved Secret must not go to a host it was never sent to.
pub fn require_secret_for_new_api_base(
    saved: &str,
    change: &WecomChange,
) -> Result<(), AdminError> {
    let moved = change
        .api_base
        .as_deref()
        .is_some_and(|b| b.trim() != saved.trim());
    let typed = change
        .secret
        .as_deref()
        .is_some_and(|s| !s.trim().is_empty());
    if moved && !typed {
        return Err(AdminError::invalid(
            "secret",
            "api_base differs from the saved one: type the Secret again (the saved Secret is only \
             sent to the saved api_base) / api_base 与已保存的不同：请重新输入 Secret（已保存的 \
             Secret 只会发送到已保存的 api_base）",
        ));
    }
    Ok(())
}

/// Refuses a change of `proxy_url` (away from `saved`) that does not carry the Secret: a proxy
/// sees every request to a plain-http API base, the Secret included.
pub fn require_secret_for_new_proxy(saved: &str, change: &WecomChange) -> Result<(), AdminError> {
    let moved = change
        .proxy_url
        .as_deref()
        .is_some_and(|p| p.trim() != saved.trim());
    let typed = change
        .secret
        .as_deref()
        .is_some_and(|s| !s.trim().is_empty());
    if moved && !typed {
        return Err(AdminError::invalid(
            "secret",
            "proxy_url differs from the saved one: type the Secret again (the saved Secret is \
             only sent through the saved proxy) / proxy_url 与已保存的不同：请重新输入 Secret",
        ));
    }
    Ok(())
}

/// Checks every base in `change` that differs from the configuration's value: its form, and that
/// it does not resolve to an internal address (unless allowed).
pub async fn check_typed_bases(config: &Config, change: &WecomChange) -> Result<(), AdminError> {
    let c = &config.wecom;
    for (field, typed, configured) in [
        ("api_base", &change.api_base, &c.api_base),
        ("oauth_base", &change.oauth_base, &c.oauth_base),
        ("web_login_base", &change.web_login_base, &c.web_login_base),
    ] {
        if let Some(v) = typed.as_deref().map(str::trim) {
            if v != configured.trim() {
                guard(config, field, v).await?;
            }
        }
    }
    Ok(())
}

/// The address a connection check must use for `api_base` (the one just checked), or none when
/// the base is the configuration's or internal addresses are allowed (then it resolves as usual).
pub async fn pin_for_check(
    config: &Config,
    api_base: &str,
) -> Result<Option<(String, SocketAddr)>, AdminError> {
    if api_base.trim() == config.wecom.api_base.trim() || config.admin.allow_private_wecom_bases {
        return Ok(None);
    }
    guard(config, "api_base", api_base).await
}

async fn guard(
    config: &Config,
    field: &str,
    value: &str,
) -> Result<Option<(String, SocketAddr)>, AdminError> {
    let u = check_url(value).map_err(|e| AdminError::invalid(field, e.to_string()))?;
    if config.admin.allow_private_wecom_bases {
        return Ok(None);
    }
    let addr = checked_address(&u, false).await.map_err(|e| match e {
        FetchError::Private(host) => AdminError::invalid(
            field,
            format!(
                "{host} is a loopback, private or link-local address: a WeCom base set here must \
                 be public (set [admin] allow_private_wecom_bases = true to allow internal ones) / \
                 {host} 是本机、内网或链路本地地址：此处设置的企业微信地址必须是公网地址（如需允许，\
                 请设置 [admin] allow_private_wecom_bases = true）"
            ),
        ),
        e => AdminError::invalid(field, format!("{e} / 无法解析或连接该地址")),
    })?;
    Ok(u.host_str().map(|h| (h.to_string(), addr)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(api_base: Option<&str>, secret: Option<&str>) -> WecomChange {
        WecomChange {
            api_base: api_base.map(str::to_string),
            secret: secret.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn a_new_api_base_needs_the_secret_again() {
        let saved = "https://qyapi.weixin.qq.com";
        let ok = [
            change(None, None),
            change(Some(saved), None),
            change(Some(" https://qyapi.weixin.qq.com "), Some("")),
            change(Some("https://evil.example"), Some("typed-secret")),
        ];
        for c in ok {
            assert!(require_secret_for_new_api_base(saved, &c).is_ok(), "{c:?}");
        }
        for c in [
            change(Some("https://evil.example"), None),
            change(Some("https://evil.example"), Some("  ")),
        ] {
            let e = require_secret_for_new_api_base(saved, &c).unwrap_err();
            assert!(
                matches!(&e, AdminError::Invalid { field, message }
                    if field == "secret" && message.contains("api_base") && message.contains("请重新输入")),
                "{e:?}"
            );
        }
    }

    #[tokio::test]
    async fn typed_bases_are_guarded_unless_allowed() {
        let mut config = Config::default();
        config.wecom.api_base = "http://127.0.0.1:9".into();
        // The configuration's own loopback value passes; another internal one does not.
        let same = WecomChange {
            api_base: Some("http://127.0.0.1:9".into()),
            ..Default::default()
        };
        assert!(check_typed_bases(&config, &same).await.is_ok());
        assert_eq!(
            pin_for_check(&config, "http://127.0.0.1:9").await.ok(),
            Some(None)
        );
        for (field, c) in [
            (
                "api_base",
                WecomChange {
                    api_base: Some("http://169.254.169.254".into()),
                    ..Default::default()
                },
            ),
            (
                "oauth_base",
                WecomChange {
                    oauth_base: Some("http://[64:ff9b::a00:1]".into()),
                    ..Default::default()
                },
            ),
            (
                "web_login_base",
                WecomChange {
                    web_login_base: Some("https://u:p@203.0.113.9".into()),
                    ..Default::default()
                },
            ),
        ] {
            let e = check_typed_bases(&config, &c).await.unwrap_err();
            assert!(
                matches!(&e, AdminError::Invalid { field: f, .. } if f == field),
                "{e:?}"
            );
        }
        assert!(pin_for_check(&config, "http://10.0.0.1").await.is_err());
        let public = pin_for_check(&config, "http://203.0.113.9:8080").await;
        assert_eq!(
            public.ok().flatten().map(|(_, a)| a.to_string()).as_deref(),
            Some("203.0.113.9:8080"),
            "a public base is pinned to the checked address"
        );
        config.admin.allow_private_wecom_bases = true;
        assert!(check_typed_bases(
            &config,
            &WecomChange {
                api_base: Some("http://10.0.0.1".into()),
                ..Default::default()
            }
        )
        .await
        .is_ok());
    }
}
