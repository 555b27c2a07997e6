//! What an app is, in words: the lines `wecom-idp app show` prints and the console's app page
//! shows (entity ID, ACS, certificates, NameID, signing, attributes, roles, RelayState), and the
//! addresses an admin copies — the mount address and the WeCom homepage URL with its mode and why.

use crate::apps::{App, AppSettings, NameIdFormat};
use crate::config::Config;
use crate::identity::roles::{format_rules, RoleConfig, RoleMode};
use crate::identity::session_name::SessionNameRule;
use crate::identity::Source;
use crate::lang::{t, Text};
use crate::providers::{self, Homepage};
use crate::saml::sp_metadata::AcsEndpoint;
use crate::text::Tx;

/// One line: a label (empty for a continuation) and its value, each in English and Chinese (`app
/// show` prints the English; the console shows the admin's language).
pub type Line = (Tx, Text);

const fn tx(en: &'static str, zh: &'static str) -> Tx {
    Tx { en, zh }
}

/// A value that reads the same in both languages (a URL, an ID, a list of names).
fn same(v: String) -> Text {
    t(v.clone(), v)
}

/// A value of fixed words.
fn words(w: Tx) -> Text {
    t(w.en, w.zh)
}

/// The addresses of an app.
#[derive(Debug, Clone)]
pub struct Addresses {
    /// `{public_url}/apps/{name}/start`: IdP-initiated sign-in, and the "test sign-in" link.
    pub mount: String,
    /// What to paste as the WeCom app homepage, its mode and why.
    pub homepage: Homepage,
}

/// The app's mount address and WeCom homepage.
pub fn addresses(config: &Config, app: &App) -> Addresses {
    let mount = config.mount_url(app.name.as_str());
    let homepage = providers::homepage(&app.settings, &mount);
    Addresses { mount, homepage }
}

/// The app described line by line.
pub fn lines(config: &Config, app: &App) -> Vec<Line> {
    let m = &app.metadata;
    let mut out: Vec<Line> = vec![
        (tx("name", "名称"), same(app.name.to_string())),
        (tx("entity ID", "实体 ID"), same(m.entity_id.clone())),
    ];
    out.extend(m.acs.iter().map(acs_line));
    let (signing, encryption) = (m.signing_certs.len(), m.encryption_certs.len());
    out.push((
        tx("certificates", "证书"),
        t(
            format!("{signing} signing, {encryption} encryption"),
            format!("{signing} 个签名证书，{encryption} 个加密证书"),
        ),
    ));
    out.push((
        tx("signed requests", "登录请求签名"),
        words(
            if app.requires_signed_requests(config.saml.want_authn_requests_signed) {
                tx("required", "必须签名")
            } else {
                tx(
                    "not required (verified when present)",
                    "不要求（如有签名则校验）",
                )
            },
        ),
    ));
    out.push((tx("NameID", "NameID"), name_id_line(&app.settings)));
    out.push((tx("signing", "签名"), signing_line(&app.settings)));
    out.extend(release_lines(&app.settings));
    out
}

/// One ACS endpoint: its location, binding, index and whether it is the default.
fn acs_line(a: &AcsEndpoint) -> Line {
    let binding = a.binding.rsplit(':').next().unwrap_or(&a.binding);
    let index = a.index.map(|i| format!(" index={i}")).unwrap_or_default();
    let default = a.is_default == Some(true);
    (
        tx("ACS", "ACS"),
        t(
            format!(
                "{} [{binding}]{index}{}",
                a.location,
                if default { " default" } else { "" }
            ),
            format!(
                "{} [{binding}]{index}{}",
                a.location,
                if default { "（默认）" } else { "" }
            ),
        ),
    )
}

/// The NameID format's URI and where its value comes from.
fn name_id_line(s: &AppSettings) -> Text {
    let name_id_from = match (&s.name_id_format, &s.name_id_source) {
        (NameIdFormat::Transient, _) => {
            words(tx("a new random value each time", "每次随机生成的新值"))
        }
        (NameIdFormat::Persistent, _) => {
            words(tx("a stable random pairwise ID", "固定的随机成对 ID"))
        }
        (_, Source::Template(t)) => same(t.clone()),
        (_, Source::Constant(c)) => same(format!("\"{c}\"")),
        (_, src) => same(src.label().to_string()),
    };
    let uri = s.name_id_format.uri();
    t(
        format!("{uri} = {}", name_id_from.en),
        format!("{uri} = {}", name_id_from.zh),
    )
}

/// What is signed: the Response, the Assertion or both.
fn signing_line(s: &AppSettings) -> Text {
    words(match (s.sign_response, s.sign_assertion) {
        (true, true) => tx("Response and Assertion", "Response 和断言"),
        (true, false) => tx("Response only", "仅 Response"),
        _ => tx("Assertion only", "仅断言"),
    })
}

/// What the app receives: attributes, preset and its parameters, roles, session name, RelayState.
fn release_lines(s: &AppSettings) -> Vec<Line> {
    let attrs: Vec<String> = s
        .attributes
        .iter()
        .map(|a| match &a.source {
            Source::Constant(v) => format!("{}=\"{v}\"", a.name),
            Source::Template(t) => format!("{}={t}", a.name),
            other => format!("{}←{}", a.name, other.label()),
        })
        .collect();
    let mut out: Vec<Line> = vec![(
        tx("attributes", "属性"),
        if attrs.is_empty() {
            words(tx("(none)", "（无）"))
        } else {
            same(attrs.join(", "))
        },
    )];
    if s.attribute_per_value {
        out.push((
            tx("", ""),
            words(tx(
                "(one Attribute element per value)",
                "（每个值单独一个 Attribute 元素）",
            )),
        ));
    }
    if let Some(p) = &s.preset {
        out.push((tx("preset", "预设"), same(p.clone())));
    }
    if !s.params.is_empty() {
        let kv: Vec<String> = s.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push((tx("parameters", "参数"), same(kv.join(", "))));
    }
    if let Some(r) = roles_line(&s.roles) {
        out.push((tx("roles", "角色"), r));
    }
    if !s.roles.accounts.is_empty() {
        out.push((
            tx("other accounts", "其他账号"),
            same(format!(
                "accounts={}",
                crate::identity::roles::format_accounts(&s.roles.accounts)
            )),
        ));
    }
    if let Some(n) = &s.session_name {
        out.push((tx("session name", "会话名称"), session_name_line(n)));
    }
    if let Some(rs) = &s.default_relay_state {
        out.push((tx("relay state", "登录后打开的页面"), same(rs.clone())));
    }
    out
}

/// Where the session name comes from and its limits.
fn session_name_line(n: &SessionNameRule) -> Text {
    let (src, set, min, max) = (n.source.label(), n.charset.describe(), n.min, n.max);
    t(
        format!("from {src}, {set} {min}–{max} characters (changed values get a hash suffix)"),
        format!("来自 {src}，{set} {min}–{max} 个字符（改动过的值会加哈希后缀）"),
    )
}

/// The roles line: the default role, the rules, how they combine, and whether a member without a
/// role is refused.
fn roles_line(r: &RoleConfig) -> Option<Text> {
    if !(r.required || r.default_role.is_some() || !r.rules.is_empty()) {
        return None;
    }
    let rules = format_rules(&r.rules);
    let default = |none: &str| {
        r.default_role
            .as_deref()
            .map(|d| format!("role={d}"))
            .unwrap_or_else(|| none.to_string())
    };
    let rules_part = if r.rules.is_empty() {
        String::new()
    } else {
        format!("; role_rules={rules}")
    };
    let (mode_en, mode_zh) = match r.mode {
        RoleMode::First => ("first match", "第一条匹配的规则"),
        RoleMode::Union => ("union", "所有匹配的规则"),
    };
    Some(t(
        format!(
            "{}{rules_part} ({mode_en}){}",
            default("no default role"),
            if r.required {
                "; members without a role are refused"
            } else {
                ""
            }
        ),
        format!(
            "{}{rules_part}（{mode_zh}）{}",
            default("无默认角色"),
            if r.required {
                "；没有角色的成员会被拒绝"
            } else {
                ""
            }
        ),
    ))
}

/// The app's SCIM provisioning in one line (none when it does not provision): where to, whether a
/// token is set and since when (`token_set_at`), the last run's time, counts and first error, and
/// the last dry run apart (what a run would have done then; it never passes for the last run).
pub fn provision_line(
    app: &App,
    token_set_at: Option<i64>,
    run: Option<&crate::store::ScimRunRow>,
    dry_run: Option<&crate::store::ScimRunRow>,
) -> Option<Line> {
    let url = match (app.settings.provision, &app.settings.scim_url) {
        (crate::apps::ProvisionMode::Scim, Some(u)) => u,
        _ => return None,
    };
    let token = match token_set_at {
        Some(at) => {
            let at = rfc3339(at);
            t(format!("token set on {at}"), format!("令牌设置于 {at}"))
        }
        None => t(
            "no token yet (set it under SCIM token on the app's page, by the API, or with \
             scim_token_file)",
            "尚未设置令牌（在应用页面的“SCIM 令牌”处、通过 API 或用 scim_token_file 设置）",
        ),
    };
    let last = match run {
        None => t("never run", "尚未运行"),
        Some(r) => {
            let at = rfc3339(r.finished_at);
            let err = r.last_error.clone().unwrap_or_default();
            t(
                format!(
                    "last run {at} by {}: {} created, {} updated, {} deactivated, {} group changes, {} failed{}",
                    r.run_trigger, r.created, r.updated, r.deactivated, r.group_changes, r.failed,
                    if err.is_empty() { String::new() } else { format!("; first error: {err}") }
                ),
                format!(
                    "最近运行 {at}（{}）：创建 {}，更新 {}，停用 {}，组变更 {}，失败 {}{}",
                    r.run_trigger, r.created, r.updated, r.deactivated, r.group_changes, r.failed,
                    if err.is_empty() { String::new() } else { format!("；首个错误：{err}") }
                ),
            )
        }
    };
    let dry = match dry_run {
        None => t("", ""),
        Some(r) => {
            let at = rfc3339(r.finished_at);
            t(
                format!(
                    "; last dry run {at} by {}: would create {}, update {}, deactivate {}, change {} group(s)",
                    r.run_trigger, r.created, r.updated, r.deactivated, r.group_changes
                ),
                format!(
                    "；最近演练 {at}（{}）：将创建 {}，更新 {}，停用 {}，组变更 {}",
                    r.run_trigger, r.created, r.updated, r.deactivated, r.group_changes
                ),
            )
        }
    };
    Some((
        tx("provisioning", "用户同步"),
        t(
            format!("SCIM to {url}, {}, {}{}", token.en, last.en, dry.en),
            format!("SCIM 推送至 {url}，{}，{}{}", token.zh, last.zh, dry.zh),
        ),
    ))
}

/// A Unix time as RFC 3339 (empty when out of range).
fn rfc3339(at: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
