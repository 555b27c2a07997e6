//! The console's home page (`/admin`): the overview — the set-up checklist with a link to fix each
//! step, a first-run guide while it is not complete, the signing key's expiry and the refusals of the
//! last 24 hours by reason — and what this IdP is (entity ID, metadata, SSO and callback URLs to give
//! consoles and WeCom).

use super::super::AppState;
use super::auth::{chrome, ConsoleAdmin};
use super::overview::{command, current, words};
use super::{page, Chrome};
use crate::admin::audit::utc;
use crate::admin::overview::{Overview, Step};
use crate::admin::AdminError;
use crate::http::error::{Lang, WebError};
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin", get(home))
}

#[derive(Template)]
#[template(path = "admin/home.html")]
struct HomePage {
    c: Chrome,
    entity_id: String,
    metadata_url: String,
    sso_url: String,
    callback_url: String,
    trusted_domain: String,
    apps: usize,
    /// The steps in the first-run order.
    steps: Vec<StepRow>,
    /// Set-up complete (the guide is hidden).
    complete: bool,
    /// The newest WeCom check, as a sentence in the page's language.
    wecom_check: String,
    wecom_ok: bool,
    /// The signing key's health, as a sentence; `warn` when it needs attention.
    key_notice: String,
    key_warn: bool,
    /// Refusals of the last 24 hours by reason.
    refusals: Vec<(String, i64)>,
    refusals_total: i64,
    /// `since` of the audit link (24 hours ago).
    refusals_since: String,
}

/// One step as the page shows it.
struct StepRow {
    number: usize,
    title: &'static str,
    todo: &'static str,
    href: &'static str,
    done: bool,
    /// The first step not done: the guide's "do this next".
    next: bool,
    /// A shell command the step needs.
    command: Option<&'static str>,
    in_checklist: bool,
    /// What shows it is done (when it is), in the page's language.
    evidence: String,
}

async fn home(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let o = current(&state).await.map_err(|e| match e {
        // The store being down gets its own page (503, retry); anything else is a fault of ours.
        AdminError::Store(e) => WebError::from(e),
        e => WebError::internal("overview", &e),
    })?;
    let c = chrome(&admin, &headers, "home");
    let l = c.l;
    let next = o.next_step();
    let steps = step_rows(&o, l);
    let now = state.clock.unix();
    let (key_notice, key_warn) = key_notice(&o, l);
    let (wecom_check, wecom_ok) = wecom_line(&o, l);
    page(&HomePage {
        complete: next.is_none(),
        steps,
        wecom_check,
        wecom_ok,
        key_notice,
        key_warn,
        refusals_total: o.refusals_total(),
        refusals: o.refusals.clone(),
        refusals_since: utc(now - crate::admin::overview::REFUSALS_WINDOW_SECS),
        apps: o.apps,
        c,
        entity_id: state.config.entity_id(),
        metadata_url: format!("{}/saml/metadata", state.config.base()),
        sso_url: state.config.sso_url(),
        callback_url: state.config.callback_url(),
        trusted_domain: state.config.trusted_domain(),
    })
}

/// The set-up steps in their order, the first not done marked as next.
fn step_rows(o: &Overview, l: Lang) -> Vec<StepRow> {
    let next = o.next_step();
    Step::SEQUENCE
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let [te, tz, de, dz] = words(*s);
            StepRow {
                number: i + 1,
                title: l.t(te, tz),
                todo: l.t(de, dz),
                command: command(*s),
                href: s.href(),
                done: o.done(*s),
                next: next == Some(*s),
                in_checklist: s.in_checklist(),
                evidence: evidence(o, *s, l),
            }
        })
        .collect()
}

/// The last WeCom check as the page says it, and whether it passed.
fn wecom_line(o: &Overview, l: Lang) -> (String, bool) {
    match &o.wecom_check {
        None => (
            l.t(
                "Never checked: run “Check connection” on the WeCom page.",
                "尚未检查：请在企业微信页面点击“检查连接”。",
            )
            .to_string(),
            false,
        ),
        Some(w) if w.ok => (
            format!("{} · {}", l.t("Connected", "连接正常"), utc(w.at)),
            true,
        ),
        Some(w) => (
            format!("{} ({}) · {}", l.t("Failed", "失败"), w.reason, utc(w.at)),
            false,
        ),
    }
}

/// What shows a step is done, in `l`'s language; empty when it is not.
fn evidence(o: &Overview, step: Step, l: Lang) -> String {
    let login = |s: &crate::admin::overview::LoginSeen| {
        format!(
            "{} {} · {}",
            s.app,
            s.userid.as_deref().unwrap_or("-"),
            utc(s.at)
        )
    };
    match step {
        _ if !o.done(step) => String::new(),
        Step::Wecom => o
            .wecom_check
            .as_ref()
            .map(|w| format!("{} {}", l.t("checked", "检查于"), utc(w.at)))
            .unwrap_or_default(),
        Step::Admin => format!("{} {}", o.admins, l.t("admin(s)", "名管理员")),
        Step::App => format!("{} {}", o.apps, l.t("app(s)", "个应用")),
        Step::Metadata => o
            .any_login
            .as_ref()
            .map(|s| format!("{} {}", l.t("login:", "登录："), login(s)))
            .unwrap_or_default(),
        Step::Homepage | Step::TryIt => o
            .homepage_login
            .as_ref()
            .map(|s| format!("{} {}", l.t("from the homepage:", "从主页登录："), login(s)))
            .unwrap_or_default(),
    }
}

/// The signing key's notice and whether it needs attention.
fn key_notice(o: &Overview, l: Lang) -> (String, bool) {
    let Some(k) = &o.key else {
        return (
            l.t(
                "No active signing key could be read.",
                "无法读取当前签名密钥。",
            )
            .to_string(),
            true,
        );
    };
    let next = match &k.next {
        Some(n) => format!(
            "{} {} ({} {}).",
            l.t(
                "A next key is published and waiting to be activated:",
                "下一个密钥已发布，等待启用：",
            ),
            n.id,
            l.t("valid until", "有效期至"),
            utc(n.not_after)
        ),
        None => l
            .t(
                "No next key yet: add one on the Signing keys page well before expiry.",
                "尚无下一个密钥：请在到期前尽早到“签名密钥”页面添加。",
            )
            .to_string(),
    };
    let head = if k.days_left < 0 {
        format!(
            "{} {}.",
            l.t(
                "The signing certificate has expired on",
                "签名证书已于以下时间过期："
            ),
            utc(k.not_after)
        )
    } else {
        format!(
            "{} {} {} ({}).",
            l.t("The signing certificate expires in", "签名证书将在"),
            k.days_left,
            l.t("days", "天后过期"),
            utc(k.not_after)
        )
    };
    (format!("{head} {next}"), k.expires_soon)
}
