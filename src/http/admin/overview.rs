//! The overview over HTTP: `GET /api/v1/overview` (the set-up checklist in the first-run order, the
//! signing key's expiry, refusals of the last 24 hours by reason) and the words of each step in both
//! languages, which the console's home page shares. Thin over [`crate::admin::overview`].

use super::super::AppState;
use super::api::{rfc3339, ApiError, ErrorBody};
use super::auth::ApiAdmin;
use crate::admin::overview::{self as domain, Overview, Step};
use crate::admin::AdminError;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

pub(super) fn api_routes() -> Router<AppState> {
    Router::new().route("/overview", get(overview_get))
}

#[derive(OpenApi)]
#[openapi(
    paths(overview_get),
    components(schemas(
        OverviewView,
        StepView,
        WecomCheckView,
        LoginView,
        KeyHealthView,
        RefusalView
    ))
)]
pub(super) struct OverviewApi;

/// The overview, computed now.
pub(super) async fn current(state: &AppState) -> Result<Overview, AdminError> {
    domain::overview(&state.config, &state.store, &state.keys, state.clock.unix()).await
}

/// The shell command a step needs, shown as a command beside its words.
pub(super) fn command(step: Step) -> Option<&'static str> {
    (step == Step::Admin).then_some("wecom-idp admin add USERID")
}

/// A step's title and what to do, English then Chinese.
pub(super) fn words(step: Step) -> [&'static str; 4] {
    match step {
        Step::Wecom => [
            "WeCom connected",
            "企业微信已连接",
            "Enter the CorpID, AgentId and Secret of the self-built app and run “Check connection”.",
            "填写自建应用的 CorpID、AgentId 和 Secret，然后点击“检查连接”。",
        ],
        Step::Admin => [
            "At least one admin",
            "至少一名管理员",
            "Add an admin by WeCom userid; the first one is added on the server with the command below.",
            "按企业微信 userid 添加管理员；第一位须在服务器上用下面的命令添加。",
        ],
        Step::App => [
            "At least one app",
            "至少一个应用",
            "Add an app: upload the console's SP metadata, fetch it by URL, or use a preset.",
            "添加应用：上传云控制台的 SP 元数据、按地址获取，或使用预设。",
        ],
        Step::Metadata => [
            "IdP metadata given to the console",
            "已把 IdP 元数据交给云控制台",
            "Upload the IdP metadata (above) in the console's SAML identity-provider settings; a successful login of any app ticks this.",
            "在云控制台的 SAML 身份提供商设置中上传上方的 IdP 元数据；任一应用登录成功即完成此项。",
        ],
        Step::Homepage => [
            "Homepage pasted in WeCom",
            "已在企业微信中填写应用主页",
            "Paste the app's mount address (shown on its page) as the WeCom app's homepage; a login started there ticks this.",
            "把应用页面上的挂载地址填为企业微信应用的主页；从主页发起的一次登录即完成此项。",
        ],
        Step::TryIt => [
            "Try it",
            "试一试",
            "Open the app from the WeCom workbench as a member and check the audit log.",
            "以成员身份从企业微信工作台打开应用，再查看审计日志。",
        ],
    }
}

/// The set-up state and health.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverviewView {
    /// Whether every step is done.
    pub complete: bool,
    /// The first step not done (`wecom`, `admin`, `app`, `metadata`, `homepage`, `try_it`).
    pub next_step: Option<String>,
    /// The steps in the first-run order.
    pub steps: Vec<StepView>,
    /// The newest check of the WeCom source in force; absent when never checked.
    pub wecom_check: Option<WecomCheckView>,
    /// Admins (configuration and store).
    pub admins: usize,
    /// Registered apps.
    pub apps: usize,
    /// The newest successful login of any app.
    pub last_login: Option<LoginView>,
    /// The newest successful login started by an app's WeCom homepage (IdP-initiated, or
    /// SP-initiated for an app whose homepage is the console's login link).
    pub last_homepage_login: Option<LoginView>,
    /// The active signing key; absent when none could be read.
    pub signing_key: Option<KeyHealthView>,
    /// Refused logins in the last 24 hours by reason, most frequent first.
    pub refusals_24h: Vec<RefusalView>,
}

/// One step.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    /// Machine name.
    pub step: String,
    /// Done.
    pub done: bool,
    /// The console page where it is done or fixed.
    pub href: String,
}

/// A WeCom check.
#[derive(Debug, Serialize, ToSchema)]
pub struct WecomCheckView {
    /// When (RFC 3339).
    pub at: String,
    /// Connected.
    pub ok: bool,
    /// `connected`, `wecom_<errcode>` or `check_failed_<field>`.
    pub reason: String,
}

/// A successful login.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginView {
    /// App name.
    pub app: String,
    /// Member.
    pub userid: Option<String>,
    /// When (RFC 3339).
    pub at: String,
}

/// The active signing key's expiry.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyHealthView {
    /// Key ID.
    pub id: String,
    /// Certificate end (RFC 3339).
    pub not_after: String,
    /// Whole days left (negative once expired).
    pub days_left: i64,
    /// Within the 90-day warning period.
    pub expires_soon: bool,
    /// The ID of the `next` key waiting for activation, if one was added.
    pub next_key: Option<String>,
}

/// Refusals of one reason.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefusalView {
    /// The audit reason code.
    pub reason: String,
    /// How many.
    pub count: i64,
}

impl From<&Overview> for OverviewView {
    fn from(o: &Overview) -> Self {
        let login = |l: &domain::LoginSeen| LoginView {
            app: l.app.clone(),
            userid: l.userid.clone(),
            at: rfc3339(l.at),
        };
        Self {
            complete: o.next_step().is_none(),
            next_step: o.next_step().map(|s| s.code().to_string()),
            steps: Step::SEQUENCE
                .iter()
                .map(|s| StepView {
                    step: s.code().into(),
                    done: o.done(*s),
                    href: s.href().into(),
                })
                .collect(),
            wecom_check: o.wecom_check.as_ref().map(|c| WecomCheckView {
                at: rfc3339(c.at),
                ok: c.ok,
                reason: c.reason.clone(),
            }),
            admins: o.admins,
            apps: o.apps,
            last_login: o.any_login.as_ref().map(login),
            last_homepage_login: o.homepage_login.as_ref().map(login),
            signing_key: o.key.as_ref().map(|k| KeyHealthView {
                id: k.active_id.clone(),
                not_after: rfc3339(k.not_after),
                days_left: k.days_left,
                expires_soon: k.expires_soon,
                next_key: k.next.as_ref().map(|n| n.id.clone()),
            }),
            refusals_24h: o
                .refusals
                .iter()
                .map(|(reason, count)| RefusalView {
                    reason: reason.clone(),
                    count: *count,
                })
                .collect(),
        }
    }
}

/// The set-up checklist in the first-run order (each step with the console page that fixes it),
/// the last WeCom check, the signing key's expiry and refusals of the last 24 hours by reason.
#[utoipa::path(get, path = "/api/v1/overview", tag = "overview",
    responses((status = 200, body = OverviewView), (status = 401, body = ErrorBody)))]
async fn overview_get(
    State(state): State<AppState>,
    _a: ApiAdmin,
) -> Result<Json<OverviewView>, ApiError> {
    Ok(Json(OverviewView::from(&current(&state).await?)))
}
