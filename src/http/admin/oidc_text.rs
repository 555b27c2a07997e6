//! The words of an OIDC client's settings form in the console: each key's label and help in
//! English and Chinese, how it is entered, and a refusal said in both languages. The form is drawn
//! from [`CLIENT_KEYS`] and [`APP_KEYS`], so a key added there shows up here by itself (with its
//! CLI description as help until it gets words of its own below).

use super::apps_text::say as app_say;
use crate::apps::form::{self, Kind, Words};
use crate::http::error::{t, Text};
use crate::oidc::client::{APP_KEYS, CLIENT_KEYS};
use crate::oidc::Client;
use std::collections::HashMap;

/// How a client setting is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// Shown, not editable (fixed when the client is made).
    Fixed,
    /// One line.
    Line,
    /// Several lines (one redirect URI a line, rules).
    Long,
    /// One of fixed values.
    Choice(&'static [(&'static str, &'static str, &'static str)]),
}

struct Words3 {
    key: &'static str,
    label: Words,
    help: Words,
    entry: Entry,
    /// What a refusal of the key says in Chinese (the English is the domain's own message).
    wrong_zh: &'static str,
}

const SUB_CHOICES: &[(&str, &str, &str)] = &[
    (
        "unspecified",
        "The source below (default: the WeCom userid)",
        "取下方的来源（默认：企业微信账号）",
    ),
    (
        "persistent",
        "Pairwise: an ID of its own for this app, not the userid",
        "成对标识：此应用专用的标识，不暴露账号",
    ),
];

/// The client's own keys (the app rules' words are the SAML apps' form's).
const WORDS: &[Words3] = &[
    Words3 {
        key: "client_type",
        label: ("Client type", "客户端类型"),
        help: (
            "Confidential: a server-side app that keeps a client secret. Public: a browser or mobile app without a secret; PKCE is its proof. Fixed when the client is made: to change it, delete the client and add it again.",
            "机密客户端：在服务器端运行、能保管客户端密钥的应用。公开客户端：没有密钥的浏览器或移动端应用，以 PKCE 证明身份。创建后不能修改：如需更改，请删除客户端后重新添加。",
        ),
        entry: Entry::Fixed,
        wrong_zh: "客户端类型在创建后不能修改：如需更改，请删除客户端后重新添加。",
    },
    Words3 {
        key: "redirect_uris",
        label: ("Redirect URIs", "重定向 URI"),
        help: (
            "One per line. Where sign-in codes are sent: a request must name one of them exactly. https, or http only on 127.0.0.1, [::1] or localhost; no #fragment. At least one.",
            "每行一个。登录授权码发往的地址：请求必须与其中之一完全一致。须为 https；仅 127.0.0.1、[::1] 或 localhost 可用 http；不能带 #片段。至少一个。",
        ),
        entry: Entry::Long,
        wrong_zh: "重定向 URI 无效：每行一个完整地址，须为 https（仅本机回环地址可用 http），不能带 #片段，且至少填写一个。",
    },
    Words3 {
        key: "scopes",
        label: ("Scopes", "授权范围（scope）"),
        help: (
            "What the client may ask for, separated by spaces; must include openid. Available: openid profile email phone groups.",
            "客户端可以请求的范围，以空格分隔；必须包含 openid。可用：openid profile email phone groups。",
        ),
        entry: Entry::Line,
        wrong_zh: "授权范围无效：请填写以空格分隔的可用范围，且必须包含 openid。",
    },
    Words3 {
        key: "access_token_lifetime",
        label: ("Access token lifetime (seconds)", "访问令牌有效期（秒）"),
        help: (
            "60 to 86400; default 600 (10 minutes).",
            "60 到 86400；默认 600（10 分钟）。",
        ),
        entry: Entry::Line,
        wrong_zh: "访问令牌有效期须为 60 到 86400 之间的秒数。",
    },
    Words3 {
        key: "refresh_token_lifetime",
        label: ("Refresh token lifetime (seconds)", "刷新令牌有效期（秒）"),
        help: (
            "0 issues no refresh tokens; at most 7776000 (90 days); default 28800 (8 hours).",
            "0 表示不签发刷新令牌；最长 7776000（90 天）；默认 28800（8 小时）。",
        ),
        entry: Entry::Line,
        wrong_zh: "刷新令牌有效期须为 0 到 7776000 之间的秒数（0 表示不签发刷新令牌）。",
    },
    Words3 {
        key: "id_token_lifetime",
        label: ("ID token lifetime (seconds)", "ID 令牌有效期（秒）"),
        help: (
            "60 to 86400. Empty (default): as long as the access token lifetime, as before this setting existed.",
            "60 到 86400。留空（默认）：与访问令牌有效期相同，与设置出现前一致。",
        ),
        entry: Entry::Line,
        wrong_zh: "ID 令牌有效期须为 60 到 86400 之间的秒数，或留空（与访问令牌有效期相同）。",
    },
    Words3 {
        key: "initiate_login_uri",
        label: ("Login start address (initiate_login_uri)", "登录发起地址（initiate_login_uri）"),
        help: (
            "Where the app's mount address sends the browser so that the app starts a sign-in (OpenID Connect third-party-initiated login). Empty: the first redirect URI's site. https, or http on a loopback host.",
            "应用挂载地址把浏览器送到这里，由应用发起登录（OpenID Connect 第三方发起登录）。留空：使用第一个重定向 URI 所在的站点。须为 https，或回环地址上的 http。",
        ),
        entry: Entry::Line,
        wrong_zh: "登录发起地址无效：须为完整的 https 地址（仅本机回环地址可用 http），不能带 #片段；或留空。",
    },
    Words3 {
        key: "nameid_format",
        label: ("How the member's ID (sub) is made", "成员标识（sub）的生成方式"),
        help: (
            "sub must stay the same for a member. Pairwise gives each app a different ID, so apps cannot match members with each other.",
            "sub 对同一成员必须保持不变。成对标识为每个应用生成不同的标识，应用之间无法据此关联成员。",
        ),
        entry: Entry::Choice(SUB_CHOICES),
        wrong_zh: "成员标识（sub）对同一成员必须保持不变：请选择列表中的一种方式。",
    },
    // Keys other work adds to the client (shown once they are in CLIENT_KEYS).
    Words3 {
        key: "post_logout_redirect_uris",
        label: ("Addresses after sign-out", "退出后跳转地址"),
        help: (
            "One per line. Where the app may send the browser after signing the member out (post_logout_redirect_uri), compared exactly. Empty: the sign-out page of this service.",
            "每行一个。应用为成员退出登录后可以把浏览器送回的地址（post_logout_redirect_uri），须完全一致。留空：显示本服务的退出页面。",
        ),
        entry: Entry::Long,
        wrong_zh: "退出后跳转地址无效：每行一个完整地址，须为 https（仅本机回环地址可用 http），不能带 #片段。",
    },
    Words3 {
        key: "consent",
        label: ("Ask members to consent", "请成员确认授权"),
        help: (
            "on: the first sign-in shows the member what the app receives and asks before sending it; off: no question (the app is trusted by the company).",
            "开启：首次登录时向成员显示应用将获得的信息，并在发送前征得同意；关闭：不询问（企业信任该应用）。",
        ),
        entry: Entry::Choice(&[
            ("off", "Off: do not ask", "关闭：不询问"),
            ("on", "On: ask on the first sign-in", "开启：首次登录时询问"),
        ]),
        wrong_zh: "请选择开启或关闭。",
    },
    Words3 {
        key: "id_token_signed_response_alg",
        label: ("Token signature algorithm", "令牌签名算法"),
        help: (
            "RS256 (default, every library) or ES256 (shorter tokens; the app's library must support it).",
            "RS256（默认，所有库都支持）或 ES256（令牌更短，需应用的库支持）。",
        ),
        entry: Entry::Choice(&[
            ("RS256", "RS256 (default)", "RS256（默认）"),
            ("ES256", "ES256", "ES256"),
        ]),
        wrong_zh: "请选择 RS256 或 ES256（ES256 需要已配置 P-256 密钥）。",
    },
    Words3 {
        key: "response_types",
        label: ("Sign-in flows (response_types)", "登录流程（response_types）"),
        help: (
            "code (default): the app gets a code and exchanges it for tokens. id_token: the implicit flow, an ID token sent straight to the app (cloud console sign-in such as Huawei IAM's); every redirect URI must then be https. Both: code id_token (each flow on its own).",
            "code（默认）：应用获得授权码并换取令牌。id_token：隐式流程，ID 令牌直接发给应用（如华为云 IAM 的控制台登录）；此时所有重定向 URI 须为 https。两者都允许：code id_token（各自独立的流程）。",
        ),
        entry: Entry::Line,
        wrong_zh: "登录流程无效：请填写 code、id_token 或两者（以空格分隔）；允许 id_token 时所有重定向 URI 须为 https。",
    },
    Words3 {
        key: "backchannel_logout_uri",
        label: ("Back-channel logout URI", "后台通道退出地址"),
        help: (
            "Where this service POSTs a signed Logout Token (OpenID Connect Back-Channel Logout) when the member's sign-in session ends: sign-out, Single Logout, or the member leaving the company. https, or http only on 127.0.0.1, [::1] or localhost; no #fragment. Empty: the app is not told.",
            "成员的登录会话结束时（退出登录、单点退出或成员离职），本服务向此地址 POST 已签名的退出令牌（OIDC 后台通道退出）。须为 https；仅 127.0.0.1、[::1] 或 localhost 可用 http；不能带 #片段。留空：不通知应用。",
        ),
        entry: Entry::Line,
        wrong_zh: "后台通道退出地址无效：须为完整的 https 地址（仅本机回环地址可用 http），不能带 #片段。",
    },
    Words3 {
        key: "backchannel_logout_session_required",
        label: ("App requires sid in logout", "应用要求退出令牌带 `sid`"),
        help: (
            "What the app declares (backchannel_logout_session_required). The Logout Token always carries sid and sub, so either value works.",
            "应用声明的选项（backchannel_logout_session_required）。退出令牌总是带有 `sid` 和 `sub`，两种取值都可以。",
        ),
        entry: Entry::Choice(&[
            ("false", "No (default)", "否（默认）"),
            ("true", "Yes", "是"),
        ]),
        wrong_zh: "请选择是或否。",
    },
    Words3 {
        key: "preset",
        label: ("Preset", "预设"),
        help: (
            "The cloud console preset the client was made from; fixed when the client is made.",
            "创建客户端时所用的云控制台预设；创建后不能修改。",
        ),
        entry: Entry::Fixed,
        wrong_zh: "预设在创建后不能修改：如需更换，请删除客户端后重新添加。",
    },
];

/// One field of the client's settings form.
#[derive(Debug, Clone)]
pub(super) struct ClientField {
    /// The key (`setting.KEY` in the form).
    pub key: &'static str,
    /// Its name.
    pub label: Words,
    /// What it does and accepts.
    pub help: Words,
    /// `fixed`, `line`, `long` or `choice`.
    pub kind: &'static str,
    /// The current (or just typed) value; one redirect URI a line.
    pub value: String,
    /// `(value, English, Chinese)` of a choice.
    pub choices: Vec<(String, String, String)>,
}

/// Every key of the form: the client's own, then the app rules it has not already named.
pub(super) fn keys() -> impl Iterator<Item = &'static str> {
    let own: Vec<&'static str> = CLIENT_KEYS.iter().map(|(k, _)| *k).collect();
    CLIENT_KEYS
        .iter()
        .map(|(k, _)| *k)
        .chain(APP_KEYS.iter().copied().filter(move |k| !own.contains(k)))
}

/// Whether the form edits `key` (a fixed one is only shown).
pub(super) fn editable(key: &str) -> bool {
    !matches!(
        WORDS.iter().find(|w| w.key == key).map(|w| w.entry),
        Some(Entry::Fixed)
    )
}

/// Whether `key` is a list of URIs (one a line in the form, space-separated in the setting).
fn is_uri_list(key: &str) -> bool {
    key.ends_with("_uris")
}

/// The value as the form shows it (a redirect URI a line).
pub(super) fn shown_value(c: &Client, key: &str) -> String {
    let v = c.value(key).unwrap_or_default();
    if is_uri_list(key) {
        v.split_ascii_whitespace().collect::<Vec<_>>().join("\n")
    } else {
        v
    }
}

/// The value as [`Client::apply`] takes it from the form (redirect URIs space-separated).
pub(super) fn submitted_value(key: &str, v: &str) -> String {
    if is_uri_list(key) {
        v.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        v.trim().to_string()
    }
}

/// The settings form of `c`, with what was `typed` (after a refused save) over its values.
pub(super) fn fields(c: &Client, typed: Option<&HashMap<String, String>>) -> Vec<ClientField> {
    keys()
        .map(|key| {
            let value = typed
                .and_then(|m| m.get(&format!("setting.{key}")).cloned())
                .unwrap_or_else(|| shown_value(c, key));
            let (label, help, entry) = words(key);
            let (kind, choices) = match entry {
                Entry::Fixed => ("fixed", Vec::new()),
                Entry::Line => ("line", Vec::new()),
                Entry::Long => ("long", Vec::new()),
                Entry::Choice(opts) => {
                    let mut ch: Vec<(String, String, String)> = opts
                        .iter()
                        .map(|(v, en, zh)| (v.to_string(), en.to_string(), zh.to_string()))
                        .collect();
                    if !ch.iter().any(|(v, _, _)| *v == value) {
                        ch.insert(0, (value.clone(), value.clone(), value.clone()));
                    }
                    ("choice", ch)
                }
            };
            ClientField {
                key,
                label,
                help,
                kind,
                value,
                choices,
            }
        })
        .collect()
}

/// A key's words and entry: the client's own, the app form's for an app rule, else the CLI's
/// description.
fn words(key: &'static str) -> (Words, Words, Entry) {
    if let Some(w) = WORDS.iter().find(|w| w.key == key) {
        return (w.label, w.help, w.entry);
    }
    if let Some(f) = form::field(key) {
        let entry = match f.kind {
            Kind::Choice(o) => Entry::Choice(o),
            Kind::Toggle | Kind::Line => Entry::Line,
            Kind::Long => Entry::Long,
        };
        return (f.label, f.help, entry);
    }
    let cli = CLIENT_KEYS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, d)| *d)
        .unwrap_or("");
    ((key, key), (cli, cli), Entry::Line)
}

/// A refusal of the client forms in both languages.
pub(super) fn say(field: &str, en: &str) -> Text {
    if let Some(w) = WORDS.iter().find(|w| w.key == field) {
        let en_out = en
            .strip_prefix(&format!("{field}: "))
            .unwrap_or(en)
            .to_string();
        return t(en_out, w.wrong_zh);
    }
    if form::field(field).is_some() {
        return app_say(field, en, None);
    }
    match field {
        "name" if en.contains("already exists") => t(
            en,
            "已有同名的应用或 OIDC 客户端（两者共用名称）：请换一个名称。",
        ),
        "name" => t(en, "名称为 1 到 64 个字符：小写字母 a-z、数字和 -。"),
        "confirm_name" => t(en, "请输入客户端名称以确认删除。"),
        "confirm" => t(en, "请勾选确认框：旧密钥会立即失效。"),
        "client_type" => t(en, "公开客户端没有密钥，无需更换。"),
        _ => t(en, format!("无法保存：{en}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_words_in_both_languages() {
        for k in keys() {
            let (label, help, _) = words(k);
            assert!(
                !label.1.is_ascii() && !help.1.is_ascii(),
                "{k} has no Chinese words"
            );
        }
    }

    #[test]
    fn redirect_uris_are_one_a_line_in_the_form_and_space_separated_in_the_setting() {
        assert_eq!(
            submitted_value(
                "redirect_uris",
                "https://a.example/cb\r\nhttps://b.example/cb\n"
            ),
            "https://a.example/cb https://b.example/cb"
        );
        assert_eq!(submitted_value("scopes", " openid "), "openid");
    }
}
