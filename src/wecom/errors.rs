//! What can go wrong when talking to WeCom, and what an administrator or a member should do about it.
//!
//! [`WecomError`] is the one error type of the WeCom client. [`explain`] turns a WeCom `errcode` into an
//! [`Explanation`] (English and Chinese title and fix, plus an [`ErrorKind`] that tells the login flow
//! whether to show a configuration error, deny, restart the login or let the member try again).
//! Codes not in the catalogue get a generic explanation that links WeCom's own error-code lookup.
//!
//! The catalogue follows WeCom's global error-code list
//! (<https://developer.work.weixin.qq.com/document/path/90313>, as mirrored by WxJava).

use std::fmt;

/// WeCom's error-code lookup page; append the code.
pub const ERRCODE_LOOKUP: &str = "https://open.work.weixin.qq.com/devtool/query?e=";

/// The host of WeCom's own API.
const DEFAULT_API_HOST: &str = "qyapi.weixin.qq.com";

/// `host[:port]` of an `api_base` URL (the URL itself when it does not parse).
fn host_of(api_base: &str) -> String {
    match url::Url::parse(api_base.trim()) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => api_base.trim().to_owned(),
        },
        Err(_) => api_base.trim().to_owned(),
    }
}

/// An error from the WeCom client.
///
/// Never carries a secret, an access token, a code or a user ticket: `errmsg` is WeCom's own message
/// (which carries a `hint:[…]` worth logging), `detail` is a transport or decode message stripped of URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WecomError {
    /// WeCom answered with a non-zero `errcode`.
    Api {
        /// WeCom's `errcode`.
        code: i64,
        /// WeCom's `errmsg` (includes `hint:[…]` and the lookup link).
        errmsg: String,
        /// The endpoint that answered, e.g. `user/get`.
        endpoint: &'static str,
    },
    /// No answer within the configured timeout.
    Timeout {
        /// The endpoint that was called.
        endpoint: &'static str,
    },
    /// The request could not be made or the connection broke (DNS, TLS, refused, reset, HTTP status).
    Transport {
        /// The endpoint that was called.
        endpoint: &'static str,
        /// What went wrong (no URL, so no token or code in it).
        detail: String,
    },
    /// WeCom answered something that is not the JSON we expect.
    Decode {
        /// The endpoint that was called.
        endpoint: &'static str,
        /// What did not parse.
        detail: String,
    },
    /// The code belongs to someone who is not a member of the corp (WeCom returned only an `openid`).
    NotMember,
    /// The client could not be built (for example the TLS backend failed to initialise).
    Setup {
        /// What failed.
        detail: String,
    },
}

impl WecomError {
    /// WeCom's `errcode`, if WeCom answered with one.
    pub fn code(&self) -> Option<i64> {
        match self {
            WecomError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The endpoint involved, if any.
    pub fn endpoint(&self) -> Option<&'static str> {
        match self {
            WecomError::Api { endpoint, .. }
            | WecomError::Timeout { endpoint }
            | WecomError::Transport { endpoint, .. }
            | WecomError::Decode { endpoint, .. } => Some(endpoint),
            WecomError::NotMember | WecomError::Setup { .. } => None,
        }
    }

    /// The `hint:[…]` WeCom puts in every `errmsg` (quote it to WeCom support), if present.
    pub fn hint(&self) -> Option<&str> {
        match self {
            WecomError::Api { errmsg, .. } => hint_of(errmsg),
            _ => None,
        }
    }

    /// The address WeCom saw the call come from, when its answer names one (`from ip: a.b.c.d`,
    /// which 60020 — "not a trusted IP" — always carries): the server's real egress IP, the one
    /// to add as 企业可信IP.
    pub fn egress_ip(&self) -> Option<std::net::IpAddr> {
        match self {
            WecomError::Api { errmsg, .. } => from_ip_of(errmsg).and_then(|ip| ip.parse().ok()),
            _ => None,
        }
    }

    /// What this error means and what to do about it, for a client talking to WeCom itself.
    pub fn explain(&self) -> Explanation {
        self.explain_at(DEFAULT_API_HOST)
    }

    /// [`WecomError::explain`] for a client whose `api_base` is `api_base`: a timeout, a broken
    /// connection or an unreadable answer names the host that was actually called (a proxy or a
    /// test double), since telling an admin to check qyapi.weixin.qq.com when the server never
    /// called it sends them to the wrong place.
    pub fn explain_at(&self, api_base: &str) -> Explanation {
        let host = host_of(api_base);
        match self {
            WecomError::Api {
                code: 60020,
                errmsg,
                ..
            } => explain_untrusted_ip(errmsg),
            WecomError::Api { code, .. } => explain(*code),
            WecomError::Timeout { .. } => TIMEOUT.at(&host),
            WecomError::Transport { .. } => UNREACHABLE.at(&host),
            WecomError::Decode { .. } => UNREADABLE.at(&host),
            WecomError::NotMember => NOT_MEMBER.at(&host),
            WecomError::Setup { .. } => SETUP.at(&host),
        }
    }

    /// The [`ErrorKind`] of [`WecomError::explain`].
    pub fn kind(&self) -> ErrorKind {
        self.explain().kind
    }

    /// True when WeCom says the user does not exist (46004 / 60111): "no match", not a failure.
    pub fn is_no_such_user(&self) -> bool {
        matches!(self.code(), Some(46004 | 60111))
    }
}

impl fmt::Display for WecomError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WecomError::Api {
                code,
                errmsg,
                endpoint,
            } => write!(f, "WeCom {endpoint}: errcode {code}: {errmsg}"),
            WecomError::Timeout { endpoint } => write!(f, "WeCom {endpoint}: timed out"),
            WecomError::Transport { endpoint, detail } => {
                write!(f, "WeCom {endpoint}: transport error: {detail}")
            }
            WecomError::Decode { endpoint, detail } => {
                write!(f, "WeCom {endpoint}: unexpected answer: {detail}")
            }
            WecomError::NotMember => f.write_str("WeCom: the user is not a member of the corp"),
            WecomError::Setup { detail } => write!(f, "WeCom client set-up failed: {detail}"),
        }
    }
}

impl std::error::Error for WecomError {}

/// What the login flow should do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The administrator must fix the set-up (secret, corp ID, trusted domain or IP, …).
    Config,
    /// This member may not sign in (outside the app's visible range, app disabled, not a member, …).
    Denied,
    /// The login attempt is spent (code used or expired): start the login again.
    RestartLogin,
    /// Transient (busy, rate limit, network): try again later.
    Retry,
    /// Not in the catalogue.
    Unknown,
}

impl ErrorKind {
    /// A short stable name for logs and metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Denied => "denied",
            ErrorKind::RestartLogin => "restart_login",
            ErrorKind::Retry => "retry",
            ErrorKind::Unknown => "unknown",
        }
    }
}

/// A human explanation of an error, in English and Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// What the login flow should do.
    pub kind: ErrorKind,
    /// Short English title.
    pub title_en: String,
    /// Short Chinese title.
    pub title_zh: String,
    /// What to do, in English.
    pub fix_en: String,
    /// What to do, in Chinese.
    pub fix_zh: String,
}

impl Explanation {
    fn new(kind: ErrorKind, title_en: &str, title_zh: &str, fix_en: &str, fix_zh: &str) -> Self {
        Self {
            kind,
            title_en: title_en.to_owned(),
            title_zh: title_zh.to_owned(),
            fix_en: fix_en.to_owned(),
            fix_zh: fix_zh.to_owned(),
        }
    }
}

/// One entry of the errcode catalogue: the codes it covers and what they mean.
struct Entry {
    codes: &'static [i64],
    kind: ErrorKind,
    title_en: &'static str,
    title_zh: &'static str,
    fix_en: &'static str,
    fix_zh: &'static str,
}

/// The catalogue: WeCom's documented codes a login or a set-up check meets, in English and Chinese.
static CATALOGUE: &[Entry] = &[
    Entry {
        codes: &[-1],
        kind: ErrorKind::Retry,
        title_en: "WeCom is busy",
        title_zh: "企业微信系统繁忙",
        fix_en: "Try again in a moment.",
        fix_zh: "请稍后重试。",
    },
    Entry {
        codes: &[40001],
        kind: ErrorKind::Config,
        title_en: "Invalid secret (or access token)",
        title_zh: "不合法的 secret 参数",
        fix_en: "Check [wecom] secret: it must be the Secret of this self-built app (Apps → the app → \
             Secret) in the corp named by corp_id. If you reset the secret in the admin console, \
             update it here.",
        fix_zh: "请检查 [wecom] secret：必须是该企业下此自建应用的 Secret（应用管理 → 应用 → Secret）。\
             若在管理后台重置过 Secret，请同步更新此处配置。",
    },
    Entry {
        codes: &[40013],
        kind: ErrorKind::Config,
        title_en: "Invalid corp ID",
        title_zh: "不合法的 CorpID",
        fix_en: "Check [wecom] corp_id: copy the Corp ID from the admin console (My Company → Company \
             Information → Corp ID, it starts with \"ww\").",
        fix_zh: "请检查 [wecom] corp_id：在管理后台“我的企业 → 企业信息 → 企业ID”复制（以 ww 开头）。",
    },
    Entry {
        codes: &[40014],
        kind: ErrorKind::Retry,
        title_en: "Invalid access token",
        title_zh: "不合法的 access_token",
        fix_en: "Try again; the token is fetched anew. If it keeps happening, check that only this app's \
             secret is configured.",
        fix_zh: "请重试，系统会重新获取 access_token。如持续出现，请检查 secret 是否属于本应用。",
    },
    Entry {
        codes: &[42001],
        kind: ErrorKind::Retry,
        title_en: "Access token expired",
        title_zh: "access_token 已过期",
        fix_en: "Try again; the token is fetched anew.",
        fix_zh: "请重试，系统会重新获取 access_token。",
    },
    Entry {
        codes: &[40029],
        kind: ErrorKind::RestartLogin,
        title_en: "The sign-in code is no longer valid",
        title_zh: "登录授权码 code 无效或已过期",
        fix_en: "Start the sign-in again. A code can be used once, for 5 minutes, and only by the app \
             that requested it (check that agent_id and secret belong to the same app).",
        fix_zh: "请重新发起登录。code 只能使用一次、有效期 5 分钟，且只能由发起授权的应用使用\
             （请确认 agent_id 与 secret 属于同一应用）。",
    },
    Entry {
        codes: &[41011],
        kind: ErrorKind::Config,
        title_en: "AgentId missing",
        title_zh: "缺少 agentid 参数",
        fix_en: "Set the AgentId: the number shown on the self-built app's page in the admin console \
             (应用管理 › the app › AgentId).",
        fix_zh: "请填写 AgentId：管理后台“应用管理 › 该自建应用”页面上显示的数字。",
    },
    Entry {
        codes: &[301002],
        kind: ErrorKind::Config,
        title_en: "The AgentId and the Secret belong to different apps",
        title_zh: "AgentId 与 Secret 不属于同一个应用",
        fix_en: "The Secret opens another app than the AgentId names: copy the AgentId and the Secret \
             from the same self-built app's page (应用管理 › the app).",
        fix_zh: "Secret 对应的应用与 AgentId 不一致：请从同一个自建应用的详情页（应用管理 › 该应用）\
             复制 AgentId 和 Secret。",
    },
    Entry {
        codes: &[40056],
        kind: ErrorKind::Config,
        title_en: "Invalid agent ID",
        title_zh: "不合法的 agentid",
        fix_en: "Check [wecom] agent_id: the AgentId shown on the self-built app's page in the admin \
             console.",
        fix_zh: "请检查 [wecom] agent_id：管理后台自建应用详情页上的 AgentId。",
    },
    Entry {
        codes: &[40091],
        kind: ErrorKind::Config,
        title_en: "The secret belongs to another corp",
        title_zh: "secret 不属于该企业",
        fix_en: "[wecom] secret and corp_id must come from the same organisation's admin console.",
        fix_zh: "[wecom] secret 与 corp_id 必须来自同一企业的管理后台。",
    },
    Entry {
        codes: &[50001],
        kind: ErrorKind::Config,
        title_en: "This server's domain is not a trusted domain of the app",
        title_zh: "redirect_uri 未使用应用可信域名",
        fix_en: "In the admin console open the app → Web Authorization and JS-SDK → set this server's \
             domain (host, with the port if it is not 443/80) as the app's trusted domain. Also \
             check that the code was issued for this app (same agent_id).",
        fix_zh: "在管理后台打开该应用 →“网页授权及JS-SDK”→ 将本服务器的域名（非 80/443 端口需带端口）\
             设为应用的可信域名。同时确认 code 是由本应用（同一 agentid）发起授权获得的。",
    },
    Entry {
        codes: &[50002],
        kind: ErrorKind::Denied,
        title_en: "You are not in this app's visible range",
        title_zh: "您不在该应用的可见范围内",
        fix_en: "Ask an administrator to add you (or your department) to the app's visible range.",
        fix_zh: "请联系管理员将您（或您所在部门）加入该应用的可见范围。",
    },
    Entry {
        codes: &[50003],
        kind: ErrorKind::Denied,
        title_en: "The WeCom app is disabled",
        title_zh: "该企业微信应用已被停用",
        fix_en: "An administrator must re-enable the app in the admin console.",
        fix_zh: "请管理员在管理后台重新启用该应用。",
    },
    Entry {
        codes: &[60011],
        kind: ErrorKind::Config,
        title_en: "The app has no permission for this",
        title_zh: "应用无权限访问",
        fix_en: "Give the app access to the member's data: widen the app's visible range to include the \
             member, or grant the needed contacts permission.",
        fix_zh: "请为应用授予访问该成员数据的权限：将成员纳入应用可见范围，或授予所需的通讯录权限。",
    },
    Entry {
        codes: &[60020],
        kind: ErrorKind::Config,
        title_en: "This server's IP is not a trusted IP of the app",
        title_zh: "本服务器 IP 不在企业可信IP 中",
        fix_en: "Add this server's egress IP to the app's trusted IPs: in the admin console open the app → \
             Trusted IP (企业可信IP) and list every egress IP address of this server. Apps created \
             since 2022-06-20 must list them before any data call works.",
        fix_zh: "在管理后台打开该应用 →“企业可信IP”，添加本服务器的出口 IP。\
             2022-06-20 之后创建的应用必须配置后才能调用数据接口。",
    },
    Entry {
        codes: &[48002],
        kind: ErrorKind::Config,
        title_en: "The app may not call this WeCom API",
        title_zh: "应用无权调用该接口",
        fix_en: "In the WeCom admin console open the app (应用管理 › the app) and check its API \
             permissions; reading contacts needs the app's visible range to cover the departments \
             and members it reads.",
        fix_zh: "请在企业微信管理后台打开该应用（应用管理 › 该应用），检查其接口权限；读取通讯录要求应用的\
             可见范围包含所读取的部门和成员。",
    },
    Entry {
        codes: &[48009],
        kind: ErrorKind::Config,
        title_en: "This Secret may not call this WeCom API",
        title_zh: "该 Secret 无权调用此接口",
        fix_en: "Use the self-built app's own Secret (应用管理 › the app › Secret), not the contacts-sync \
             Secret, and make sure the app's visible range covers the departments it reads.",
        fix_zh: "请使用自建应用自己的 Secret（应用管理 › 该应用 › Secret），不要使用通讯录同步的 Secret，\
             并确认应用的可见范围包含所读取的部门。",
    },
    Entry {
        codes: &[40068],
        kind: ErrorKind::Config,
        title_en: "No such WeCom tag",
        title_zh: "不合法的标签ID",
        fix_en: "A role rule names a tag that does not exist or that the app cannot see: check the tag \
             ID (Contacts → Tags) in the app's role_rules, and that the tag is in the app's visible \
             range.",
        fix_zh: "角色规则中的标签不存在或应用不可见：请核对 role_rules 中的标签 ID（通讯录 → 标签），\
             并确认该标签在应用的可见范围内。",
    },
    Entry {
        codes: &[46004, 60111],
        kind: ErrorKind::Denied,
        title_en: "No such member",
        title_zh: "成员不存在",
        fix_en: "The member was not found in the organisation's contacts; check the user ID, mobile or \
             email.",
        fix_zh: "通讯录中找不到该成员，请核对 UserID、手机号或邮箱。",
    },
    Entry {
        codes: &[45009],
        kind: ErrorKind::Retry,
        title_en: "WeCom rate limit reached",
        title_zh: "接口调用超过频率限制",
        fix_en: "Wait a minute and try again. WeCom blocks for 60 seconds (or 60 minutes after repeated \
             excess).",
        fix_zh: "请等待一分钟后重试。企业微信会封禁 60 秒（多次超限为 60 分钟）。",
    },
    Entry {
        codes: &[45033],
        kind: ErrorKind::Retry,
        title_en: "Too many concurrent calls to WeCom",
        title_zh: "接口并发调用超过限制",
        fix_en: "Try again in a moment.",
        fix_zh: "请稍后重试。",
    },
];

/// Explains a WeCom `errcode` from the catalogue; a code not in it gets a generic explanation
/// that links `https://open.work.weixin.qq.com/devtool/query?e=CODE`.
pub fn explain(code: i64) -> Explanation {
    match CATALOGUE.iter().find(|e| e.codes.contains(&code)) {
        Some(e) => Explanation::new(e.kind, e.title_en, e.title_zh, e.fix_en, e.fix_zh),
        None => Explanation {
            kind: ErrorKind::Unknown,
            title_en: format!("WeCom error {code}"),
            title_zh: format!("企业微信错误码 {code}"),
            fix_en: format!("Look the code up at {ERRCODE_LOOKUP}{code}"),
            fix_zh: format!("请在 {ERRCODE_LOOKUP}{code} 查询该错误码"),
        },
    }
}

/// 60020 naming the IP WeCom saw, when its `errmsg` says.
fn explain_untrusted_ip(errmsg: &str) -> Explanation {
    let mut x = explain(60020);
    if let Some(ip) = from_ip_of(errmsg) {
        x.fix_en.push_str(&format!(
            " WeCom saw this server's requests come from {ip}."
        ));
        x.fix_zh
            .push_str(&format!("企业微信看到的本服务器出口 IP 为 {ip}。"));
    }
    x
}

impl Entry {
    /// The explanation, with `{host}` the host that was called and `{wecom}` WeCom's own.
    fn at(&self, host: &str) -> Explanation {
        let fill = |s: &str| {
            s.replace("{host}", host)
                .replace("{wecom}", DEFAULT_API_HOST)
        };
        Explanation {
            kind: self.kind,
            title_en: self.title_en.to_owned(),
            title_zh: self.title_zh.to_owned(),
            fix_en: fill(self.fix_en),
            fix_zh: fill(self.fix_zh),
        }
    }
}

/// No answer within the timeout.
static TIMEOUT: Entry = Entry {
    codes: &[],
    kind: ErrorKind::Retry,
    title_en: "WeCom did not answer in time",
    title_zh: "企业微信接口响应超时",
    fix_en: "Try again in a moment. If it keeps happening, check that this server can reach \
             {host} (outbound HTTPS, proxy, DNS) and consider a longer timeout.",
    fix_zh: "请稍后重试。如持续出现，请检查本服务器到 {host} 的出网连接（HTTPS、代理、DNS），\
             或适当调大超时时间。",
};

/// No connection, or a broken one.
static UNREACHABLE: Entry = Entry {
    codes: &[],
    kind: ErrorKind::Retry,
    title_en: "Could not reach WeCom",
    title_zh: "无法连接企业微信接口",
    fix_en: "Check that this server can reach {host} (api_base) over HTTPS (firewall, proxy, \
             DNS, CA certificates), then try again.",
    fix_zh: "请检查本服务器能否通过 HTTPS 访问 {host}（api_base）（防火墙、代理、DNS、CA 证书），然后重试。",
};

/// An answer that is not WeCom's JSON.
static UNREADABLE: Entry = Entry {
    codes: &[],
    kind: ErrorKind::Retry,
    title_en: "WeCom sent an answer we could not read",
    title_zh: "企业微信接口返回了无法解析的内容",
    fix_en: "Try again. If it keeps happening, check that api_base ({host}) points at the \
             WeCom API (https://{wecom}) and not at a proxy's error page.",
    fix_zh: "请重试。如持续出现，请确认 api_base（{host}）指向企业微信接口（https://{wecom}），\
             而不是代理的错误页面。",
};

/// A code that belongs to someone outside the corp.
static NOT_MEMBER: Entry = Entry {
    codes: &[],
    kind: ErrorKind::Denied,
    title_en: "You are not a member of this organisation",
    title_zh: "您不是该企业的成员",
    fix_en: "Sign in with the WeCom account of a member of this organisation, or ask an \
             administrator to add you.",
    fix_zh: "请使用该企业成员的企业微信账号登录，或联系管理员将您加入企业。",
};

/// The client could not be built.
static SETUP: Entry = Entry {
    codes: &[],
    kind: ErrorKind::Config,
    title_en: "The WeCom client could not start",
    title_zh: "企业微信客户端初始化失败",
    fix_en: "Check the TLS set-up of this server (OpenSSL, CA certificates) and the logs.",
    fix_zh: "请检查本服务器的 TLS 环境（OpenSSL、CA 证书）并查看日志。",
};

/// Explains 50001 naming the domain to register (host, with the port unless it is 80/443).
pub fn explain_trusted_domain(domain: &str) -> Explanation {
    let mut x = explain(50001);
    x.fix_en
        .push_str(&format!(" The domain to register is: {domain}"));
    x.fix_zh
        .push_str(&format!("需要填写的可信域名为：{domain}"));
    x
}

/// Extracts the caller IP WeCom reports in an `errmsg` (`"…, from ip: 1.2.3.4, more info at …"`).
pub fn from_ip_of(errmsg: &str) -> Option<&str> {
    let start = errmsg.find("from ip:")? + "from ip:".len();
    let rest = errmsg.get(start..)?.trim_start();
    let end = rest
        .find(|c: char| c == ',' || c.is_whitespace())
        .unwrap_or(rest.len());
    rest.get(..end).filter(|ip| !ip.is_empty())
}

/// Extracts the `hint: [...]` from a WeCom `errmsg` (e.g. `"invalid code, hint: [1700000000_1_ab], …"`).
pub fn hint_of(errmsg: &str) -> Option<&str> {
    let start = errmsg.find("hint:")? + "hint:".len();
    let rest = errmsg.get(start..)?.trim_start();
    let rest = rest.strip_prefix('[')?;
    let end = rest.find(']')?;
    rest.get(..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_egress_ip_is_read_from_wecoms_answer() {
        let m = "not allow to access from your ip, hint: [1700000000_1_ab], from ip: 203.0.113.7, \
                 more info at https://open.work.weixin.qq.com/devtool/query?e=60020";
        let api = |errmsg: &str| WecomError::Api {
            code: 60020,
            errmsg: errmsg.into(),
            endpoint: "department/list",
        };
        assert_eq!(
            api("x, from ip: 2001:db8::1 more").egress_ip(),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(api("from ip: not-an-ip, more").egress_ip(), None);
        assert_eq!(api("ok").egress_ip(), None);
        let e = WecomError::Api {
            code: 60020,
            errmsg: m.into(),
            endpoint: "department/list",
        };
        assert_eq!(e.egress_ip(), Some("203.0.113.7".parse().unwrap()));
    }

    const TABLE: [i64; 23] = [
        -1, 40001, 40013, 40014, 42001, 40029, 40056, 40091, 50001, 50002, 50003, 60011, 60020,
        46004, 60111, 45009, 45033, 42001, 40068, 41011, 301002, 48002, 48009,
    ];

    #[test]
    fn every_documented_code_has_an_entry() {
        for code in TABLE {
            let e = explain(code);
            assert_ne!(e.kind, ErrorKind::Unknown, "{code}");
            assert!(!e.fix_zh.is_empty() && !e.title_zh.is_empty(), "{code}");
        }
    }

    #[test]
    fn kinds_follow_the_reference_table() {
        assert_eq!(explain(-1).kind, ErrorKind::Retry);
        assert_eq!(explain(40013).kind, ErrorKind::Config);
        assert_eq!(explain(40029).kind, ErrorKind::RestartLogin);
        assert_eq!(explain(50002).kind, ErrorKind::Denied);
        assert_eq!(explain(60020).kind, ErrorKind::Config);
        assert!(explain(60020).fix_en.contains("trusted IP"));
        assert!(explain(60020).fix_zh.contains("企业可信IP"));
        assert!(explain(50001).fix_en.contains("trusted domain"));
        assert!(explain(50001).fix_zh.contains("可信域名"));
        assert_eq!(explain(45009).kind, ErrorKind::Retry);
    }

    #[test]
    fn unknown_codes_link_the_lookup_page() {
        let e = explain(81013);
        assert_eq!(e.kind, ErrorKind::Unknown);
        assert!(e
            .fix_en
            .contains("https://open.work.weixin.qq.com/devtool/query?e=81013"));
    }

    #[test]
    fn hint_is_extracted() {
        let m = "invalid code, hint: [1700000000_12_ab], from ip: 1.2.3.4, more info at x";
        assert_eq!(hint_of(m), Some("1700000000_12_ab"));
        assert_eq!(hint_of("ok"), None);
        let e = WecomError::Api {
            code: 40029,
            errmsg: m.into(),
            endpoint: "auth/getuserinfo",
        };
        assert_eq!(e.hint(), Some("1700000000_12_ab"));
        assert_eq!(e.kind(), ErrorKind::RestartLogin);
        assert!(e.to_string().contains("40029"));
    }

    #[test]
    fn untrusted_ip_names_the_ip() {
        let e = WecomError::Api {
            code: 60020,
            errmsg:
                "not allow to access from your ip, hint: [1_a], from ip: 203.0.113.7, more info \
                     at https://open.work.weixin.qq.com/devtool/query?e=60020"
                    .into(),
            endpoint: "user/get",
        };
        assert_eq!(from_ip_of("x, from ip: 203.0.113.7"), Some("203.0.113.7"));
        let x = e.explain();
        assert!(x.fix_en.contains("203.0.113.7"));
        assert!(x.fix_zh.contains("203.0.113.7"));
        assert!(explain_trusted_domain("idp.example.com:8443")
            .fix_zh
            .contains("idp.example.com:8443"));
    }

    #[test]
    fn network_errors_name_the_configured_host() {
        let e = WecomError::Transport {
            endpoint: "gettoken",
            detail: "connection refused".into(),
        };
        let x = e.explain_at("https://wecom-proxy.corp.example:8443/");
        assert!(x.fix_en.contains("wecom-proxy.corp.example:8443"), "{x:?}");
        assert!(x.fix_zh.contains("wecom-proxy.corp.example:8443"), "{x:?}");
        assert!(!x.fix_en.contains("qyapi"), "{x:?}");
        let t = WecomError::Timeout {
            endpoint: "gettoken",
        }
        .explain_at("http://10.0.0.5");
        assert!(
            t.fix_en.contains("10.0.0.5") && !t.fix_en.contains("qyapi"),
            "{t:?}"
        );
        assert!(e.explain().fix_en.contains("qyapi.weixin.qq.com"));
    }

    #[test]
    fn transport_errors_are_explained() {
        assert_eq!(
            WecomError::Timeout {
                endpoint: "user/get"
            }
            .kind(),
            ErrorKind::Retry
        );
        assert_eq!(WecomError::NotMember.kind(), ErrorKind::Denied);
        assert!(WecomError::Api {
            code: 60111,
            errmsg: String::new(),
            endpoint: "user/get"
        }
        .is_no_such_user());
    }
}
