//! The browser side of a WeCom login: which way in (the User-Agent rule), and the URLs that send the
//! browser to WeCom — in-client OAuth (`open.weixin.qq.com/connect/oauth2/authorize`) for the WeCom
//! PC/mobile client, web/QR login (`login.work.weixin.qq.com/wwlogin/sso/login`) for any other browser.
//! Both come back to `redirect_uri?code=CODE&state=STATE`.

use url::form_urlencoded;

/// Default base of the in-client OAuth URL.
pub const DEFAULT_OAUTH_BASE: &str = "https://open.weixin.qq.com";
/// Default base of the web/QR login URL.
pub const DEFAULT_WEB_LOGIN_BASE: &str = "https://login.work.weixin.qq.com";
/// Longest `state` WeCom accepts.
pub const MAX_STATE_LEN: usize = 128;

/// True when the User-Agent is the WeCom client (PC or mobile; `wxworklocal` = private deployment).
///
/// WeCom's UAs also contain `MicroMessenger` (and `WindowsWechat` on Windows), so the test is for
/// `wxwork` alone; plain WeChat (`MicroMessenger` without `wxwork`) is not WeCom.
pub fn is_wecom_client(user_agent: &str) -> bool {
    user_agent.to_ascii_lowercase().contains("wxwork")
}

/// The OAuth scope of an in-client login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `snsapi_base`: silent, gives the userid only.
    Base,
    /// `snsapi_privateinfo`: shows a consent screen, also gives a `user_ticket` for mobile/email.
    PrivateInfo,
}

impl Scope {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Base => "snsapi_base",
            Scope::PrivateInfo => "snsapi_privateinfo",
        }
    }

    /// Parses the wire value (`snsapi_userinfo`, a legacy name, counts as base).
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "snsapi_base" | "snsapi_userinfo" => Some(Scope::Base),
            "snsapi_privateinfo" => Some(Scope::PrivateInfo),
            _ => None,
        }
    }
}

/// True when `s` is a state WeCom passes back unchanged: `[a-zA-Z0-9]{1,128}`.
pub fn valid_state(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_STATE_LEN && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The in-client OAuth URL:
/// `{oauth_base}/connect/oauth2/authorize?appid=…&redirect_uri=…&response_type=code&scope=…&state=…&agentid=…#wechat_redirect`.
///
/// `redirect_uri` is percent-encoded here; pass it plain. `#wechat_redirect` is required by WeCom.
pub fn authorize_url(
    oauth_base: &str,
    corp_id: &str,
    agent_id: &str,
    redirect_uri: &str,
    scope: Scope,
    state: &str,
) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("appid", corp_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", scope.as_str())
        .append_pair("state", state)
        .append_pair("agentid", agent_id)
        .finish();
    format!(
        "{}/connect/oauth2/authorize?{query}#wechat_redirect",
        oauth_base.trim_end_matches('/')
    )
}

/// The web/QR login URL for a self-built app:
/// `{web_login_base}/wwlogin/sso/login?login_type=CorpApp&appid=…&agentid=…&redirect_uri=…&state=…&lang=…`.
///
/// `lang` is `zh` or `en`. Codes from this flow carry no `user_ticket`.
pub fn web_login_url(
    web_login_base: &str,
    corp_id: &str,
    agent_id: &str,
    redirect_uri: &str,
    state: &str,
    lang: &str,
) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("login_type", "CorpApp")
        .append_pair("appid", corp_id)
        .append_pair("agentid", agent_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state)
        .append_pair("lang", lang)
        .finish();
    format!(
        "{}/wwlogin/sso/login?{query}",
        web_login_base.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents() {
        let ios = "Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 \
                   (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.30 MicroMessenger/7.0.1 Language/zh \
                   ColorScheme/Light";
        let windows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                       Chrome/107.0.0.0 Safari/537.36 wxwork/4.1.10 (MicroMessenger/6.2) WindowsWechat \
                       MailPlugin_Electron WeMail embeddisk";
        let local = "Mozilla/5.0 (Linux; Android 12) Mobile Safari/537.36 wxworklocal/3.1.0";
        let upper = "Mozilla/5.0 WXWork/4.0";
        let wechat =
            "Mozilla/5.0 (iPhone) Mobile/15E148 MicroMessenger/8.0.40(0x18002831) NetType/WIFI";
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                      Chrome/120.0.0.0 Safari/537.36";
        assert!(is_wecom_client(ios));
        assert!(is_wecom_client(windows));
        assert!(is_wecom_client(local));
        assert!(is_wecom_client(upper));
        assert!(!is_wecom_client(wechat));
        assert!(!is_wecom_client(chrome));
        assert!(!is_wecom_client(""));
    }

    #[test]
    fn authorize_url_is_encoded_and_ordered() {
        let u = authorize_url(
            "https://open.weixin.qq.com/",
            "ww123",
            "1000002",
            "https://idp.example.com/wecom/callback?x=1&y=a b",
            Scope::PrivateInfo,
            "abc123",
        );
        assert_eq!(
            u,
            "https://open.weixin.qq.com/connect/oauth2/authorize?appid=ww123&redirect_uri=\
             https%3A%2F%2Fidp.example.com%2Fwecom%2Fcallback%3Fx%3D1%26y%3Da+b&response_type=code\
             &scope=snsapi_privateinfo&state=abc123&agentid=1000002#wechat_redirect"
        );
        let parsed = url::Url::parse(&u).unwrap();
        let redirect = parsed
            .query_pairs()
            .find(|(k, _)| k == "redirect_uri")
            .map(|(_, v)| v.into_owned());
        assert_eq!(
            redirect.as_deref(),
            Some("https://idp.example.com/wecom/callback?x=1&y=a b")
        );
        assert_eq!(parsed.fragment(), Some("wechat_redirect"));
    }

    #[test]
    fn base_scope() {
        let u = authorize_url(
            "http://127.0.0.1:9",
            "c",
            "1",
            "http://x/",
            Scope::Base,
            "s",
        );
        assert!(u.contains("scope=snsapi_base&"));
        assert_eq!(Scope::parse("snsapi_base"), Some(Scope::Base));
        assert_eq!(Scope::parse("snsapi_privateinfo"), Some(Scope::PrivateInfo));
        assert_eq!(Scope::parse("nope"), None);
    }

    #[test]
    fn web_login_url_shape() {
        let u = web_login_url(
            DEFAULT_WEB_LOGIN_BASE,
            "ww123",
            "1000002",
            "https://idp.example.com/wecom/callback",
            "st4te",
            "en",
        );
        assert_eq!(
            u,
            "https://login.work.weixin.qq.com/wwlogin/sso/login?login_type=CorpApp&appid=ww123\
             &agentid=1000002&redirect_uri=https%3A%2F%2Fidp.example.com%2Fwecom%2Fcallback\
             &state=st4te&lang=en"
        );
    }

    #[test]
    fn states() {
        assert!(valid_state("a"));
        assert!(valid_state(&"Z9".repeat(64)));
        assert!(!valid_state(&"a".repeat(129)));
        assert!(!valid_state(""));
        assert!(!valid_state("a-b"));
        assert!(!valid_state("a b"));
        assert!(!valid_state("é"));
    }
}
