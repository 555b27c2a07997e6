//! The member preview over HTTP: `GET /api/v1/apps/{name}/preview?userid=…` (JSON) and the console
//! page `/admin/apps/{name}/member-preview` (a userid field and the answer, in Chinese and English).
//! Thin over [`crate::admin::preview`], which applies login's own rules without a login.

use super::super::AppState;
use super::api::{ApiError, ApiPath, ApiQuery, ErrorBody};
use super::auth::{chrome, ApiAdmin, ConsoleAdmin};
use super::{page, Chrome};
use crate::admin::preview::{
    self as domain, AccountStep, Decision, NameIdValue, Preview, PreviewError, Warning,
};
use crate::http::error::{Lang, WebError};
use crate::identity::directory::WhenUnmatched;
use crate::logsafe::Escaped;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/apps/{name}/member-preview", get(console_page))
}

pub(super) fn api_routes() -> Router<AppState> {
    Router::new().route("/apps/{name}/preview", get(api_preview))
}

#[derive(OpenApi)]
#[openapi(
    paths(api_preview),
    components(schemas(MemberPreview, MemberNameId, MemberAttribute))
)]
pub(super) struct PreviewApi;

/// Who to preview.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewParams {
    /// The member's WeCom userid (1–64 letters, digits or `_-.@`).
    #[param(pattern = "^[A-Za-z0-9_.@-]{1,64}$")]
    userid: Option<String>,
}

/// What the member would receive from the app if they signed in now.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberPreview {
    /// The app.
    pub app: String,
    /// The member's WeCom userid.
    pub userid: String,
    /// The member's display name.
    pub name: String,
    /// `allowed`, `bind_page` (the member would first link an account) or `refused`.
    pub decision: String,
    /// Login's reason code when refused: `member_not_active`, `no_account`, `ambiguous_account`,
    /// `account_disabled`, `access_denied`, `no_role`, `no_name_id`.
    pub reason: Option<String>,
    /// How login finds the account: `bound`, `auto_bind_<key>`, `create`, `ambiguous_<key>`,
    /// `bind_page`, `reject`.
    pub account: Option<String>,
    /// The account's username, when one is bound or would be.
    pub username: Option<String>,
    /// The NameID, when allowed.
    pub name_id: Option<MemberNameId>,
    /// The released attributes, when allowed.
    pub attributes: Vec<MemberAttribute>,
    /// The member's roles for the app.
    pub roles: Vec<String>,
    /// The RoleSessionName, when the app sends one.
    pub session_name: Option<String>,
    /// The mount address (IdP-initiated sign-in).
    pub mount_url: String,
    /// What to set as the WeCom app homepage.
    pub homepage_url: String,
    /// Rules that name a user or tag WeCom does not have (they grant nothing), in English.
    pub warnings: Vec<String>,
    /// Fields (`email`, `mobile`) WeCom gives only at a sign-in (`getuserdetail`) that neither
    /// `user/get` nor the account has: attributes from them are not shown.
    pub sign_in_only: Vec<String>,
}

/// The NameID the member would get.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberNameId {
    /// The format URI.
    pub format: String,
    /// The value; absent when it is made at login.
    pub value: Option<String>,
    /// `fixed`, `assigned_at_first_login` (persistent, not assigned yet), `new_each_login`
    /// (transient) or `given_at_sign_in` (from a field in `sign_in_only`).
    pub kind: String,
}

/// One released attribute.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberAttribute {
    /// The SAML `Name`.
    pub name: String,
    /// Its values.
    pub values: Vec<String>,
}

impl From<PreviewError> for ApiError {
    fn from(e: PreviewError) -> Self {
        match e {
            PreviewError::UnknownApp(_) => Self::not_found(e.to_string()),
            PreviewError::UnknownMember(_) => Self {
                field: Some("userid".into()),
                ..Self::not_found(e.to_string())
            },
            PreviewError::InvalidUserid(m) => Self::invalid("userid", m),
            PreviewError::Wecom(ref w) => {
                tracing::warn!(error = %Escaped(w), "member preview: WeCom unavailable");
                Self::new(StatusCode::BAD_GATEWAY, "wecom_error", e.to_string())
            }
            PreviewError::Settings(s) => {
                tracing::error!(error = %Escaped(&s), "member preview: settings unreadable");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "internal error; the server log has the detail",
                )
            }
            PreviewError::Store(s) => s.into(),
        }
    }
}

impl From<&Preview> for MemberPreview {
    fn from(p: &Preview) -> Self {
        let (decision, reason) = match p.decision {
            Decision::Allowed => ("allowed", None),
            Decision::BindPage => ("bind_page", None),
            Decision::Refused(r) => ("refused", Some(r.code().to_string())),
        };
        let (account, username) = match &p.account {
            None => (None, None),
            Some(AccountStep::Bound(u)) => (Some("bound".to_string()), Some(u.clone())),
            Some(AccountStep::WouldAutoBind(u, k)) => {
                (Some(format!("auto_bind_{}", k.as_str())), Some(u.clone()))
            }
            Some(AccountStep::WouldCreate) => (Some("create".into()), Some(p.userid.clone())),
            Some(AccountStep::Ambiguous(k)) => (Some(format!("ambiguous_{}", k.as_str())), None),
            Some(AccountStep::Unmatched(WhenUnmatched::Reject)) => (Some("reject".into()), None),
            Some(AccountStep::Unmatched(_)) => (Some("bind_page".into()), None),
        };
        Self {
            app: p.app.clone(),
            userid: p.userid.clone(),
            name: p.name.clone(),
            decision: decision.into(),
            reason,
            account,
            username,
            name_id: p.name_id.as_ref().map(|n| {
                let (value, kind) = match n {
                    NameIdValue::Value(v) => (Some(v.clone()), "fixed"),
                    NameIdValue::AssignedAtFirstLogin => (None, "assigned_at_first_login"),
                    NameIdValue::NewEachLogin => (None, "new_each_login"),
                    NameIdValue::GivenAtSignIn => (None, "given_at_sign_in"),
                };
                MemberNameId {
                    format: p.name_id_format.to_string(),
                    value,
                    kind: kind.into(),
                }
            }),
            attributes: p
                .attributes
                .iter()
                .map(|a| MemberAttribute {
                    name: a.name.clone(),
                    values: a.values.clone(),
                })
                .collect(),
            roles: p.roles.clone(),
            session_name: p.session_name.clone(),
            mount_url: p.mount.clone(),
            homepage_url: p.homepage.clone(),
            warnings: p
                .warnings
                .iter()
                .map(|w| warning_text(w, Lang::En))
                .collect(),
            sign_in_only: p.sign_in_only.iter().map(|f| f.to_string()).collect(),
        }
    }
}

/// A warning in the page's language.
fn warning_text(w: &Warning, l: Lang) -> String {
    match (w, l) {
        (Warning::UnknownUser(u), Lang::En) => {
            format!("user {u} not found in WeCom: its rules grant nothing")
        }
        (Warning::UnknownUser(u), Lang::Zh) => {
            format!("企业微信中没有成员 {u}：相关规则不生效")
        }
        (Warning::UnknownTag(t), Lang::En) => {
            format!("tag {t} not found in WeCom: its rules grant nothing")
        }
        (Warning::UnknownTag(t), Lang::Zh) => format!("企业微信中没有标签 {t}：相关规则不生效"),
        (Warning::UnreadableTag(t), Lang::En) => {
            format!("the members of tag {t} cannot be read from WeCom: its rules grant nothing")
        }
        (Warning::UnreadableTag(t), Lang::Zh) => {
            format!("无法从企业微信读取标签 {t} 的成员：相关规则不生效")
        }
        (Warning::TagListUnavailable, Lang::En) => {
            "WeCom's tag list cannot be read: rules on tag names grant nothing".into()
        }
        (Warning::TagListUnavailable, Lang::Zh) => {
            "无法读取企业微信标签列表：按标签名的规则不生效".into()
        }
    }
}

async fn run(state: &AppState, app: &str, userid: &str) -> Result<Preview, PreviewError> {
    let effective = state
        .settings
        .current(&state.store)
        .await
        .map_err(PreviewError::Settings)?;
    let ctx = domain::Ctx {
        store: &state.store,
        config: &state.config,
        effective: &effective,
    };
    domain::preview(ctx, app, userid).await
}

/// What a member would receive from the app if they signed in now: the access decision with its
/// reason, the NameID, every attribute and role, the homepage. Nothing is written; the member is
/// read live from WeCom.
#[utoipa::path(get, path = "/api/v1/apps/{name}/preview", tag = "apps",
    params(("name" = String, Path, description = "app name: 1–64 of a-z, 0-9 and -", pattern = "^[a-z0-9-]{1,64}$"),
           PreviewParams),
    responses((status = 200, body = MemberPreview), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody),
              (status = 404, description = "no such app, or no WeCom member with this userid (`field`: `userid`)", body = ErrorBody),
              (status = 502, description = "WeCom could not be asked", body = ErrorBody)))]
async fn api_preview(
    State(state): State<AppState>,
    _a: ApiAdmin,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<PreviewParams>,
) -> Result<Json<MemberPreview>, ApiError> {
    let p = run(&state, &name, q.userid.as_deref().unwrap_or_default()).await?;
    Ok(Json(MemberPreview::from(&p)))
}

#[derive(Template)]
#[template(path = "admin/app_member_preview.html")]
struct PreviewPage {
    c: Chrome,
    app: String,
    userid: String,
    error: Option<String>,
    p: Option<MemberPreview>,
    warnings: Vec<String>,
}

impl PreviewPage {
    /// The decision in the page's language.
    fn decision_text(&self, p: &MemberPreview) -> String {
        let l = self.c.l;
        match (p.decision.as_str(), p.reason.as_deref()) {
            ("allowed", _) => l
                .t("Allowed: a Response would be sent", "允许：将发送登录响应")
                .into(),
            ("bind_page", _) => l
                .t(
                    "The member would first be asked to link an account (bind page)",
                    "成员将先被要求关联账号（绑定页面）",
                )
                .into(),
            (_, Some(r)) => {
                let why = match r {
                    "member_not_active" => l.t(
                        "the WeCom member is disabled, not activated or has left",
                        "企业微信成员已禁用、未激活或已退出",
                    ),
                    "no_account" => l.t(
                        "no account is linked and unmatched members are rejected",
                        "没有关联账号，且未匹配的成员会被拒绝",
                    ),
                    "ambiguous_account" => l.t(
                        "several accounts match the member",
                        "有多个账号与该成员匹配",
                    ),
                    "account_disabled" => l.t("the linked account is disabled", "关联的账号已停用"),
                    "access_denied" => l.t(
                        "the app's access rule does not allow the member",
                        "应用的访问规则不允许该成员",
                    ),
                    "no_role" => l.t(
                        "no role rule gives the member a role",
                        "没有角色规则给该成员分配角色",
                    ),
                    "no_name_id" => l.t(
                        "WeCom has no value for the app's NameID source",
                        "企业微信没有应用 NameID 来源所需的值",
                    ),
                    _ => "",
                };
                format!("{} ({r}): {why}", l.t("Refused", "拒绝"))
            }
            _ => l.t("Refused", "拒绝").into(),
        }
    }

    /// The NameID value in the page's language.
    fn name_id_text(&self, n: &MemberNameId) -> String {
        let l = self.c.l;
        match (n.kind.as_str(), &n.value) {
            (_, Some(v)) => v.clone(),
            ("given_at_sign_in", None) => l
                .t(
                    "from a field WeCom gives only when the member signs in (see below)",
                    "来自企业微信仅在成员登录时提供的字段（见下方）",
                )
                .into(),
            ("assigned_at_first_login", None) => l
                .t(
                    "a random pairwise ID, assigned at the member's first sign-in to this app",
                    "随机的成对标识，在成员首次登录此应用时分配",
                )
                .into(),
            _ => l
                .t("new at every sign-in (transient)", "每次登录都不同（临时）")
                .into(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    userid: Option<String>,
}

async fn console_page(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let c = chrome(&admin, &headers, "apps");
    let l = c.l;
    let userid = q.userid.unwrap_or_default();
    let (p, error) = if userid.trim().is_empty() {
        (None, None)
    } else {
        match run(&state, &name, &userid).await {
            Ok(p) => (Some(p), None),
            Err(PreviewError::UnknownApp(_)) => {
                return Err(crate::login::Refusal::UnknownApp.into())
            }
            Err(PreviewError::Store(e)) => return Err(WebError::store("member preview", &e)),
            Err(e) => (None, Some(error_text(&e, l))),
        }
    };
    let warnings = p
        .as_ref()
        .map(|p| p.warnings.iter().map(|w| warning_text(w, l)).collect())
        .unwrap_or_default();
    page(&PreviewPage {
        c,
        app: name,
        userid,
        error,
        p: p.as_ref().map(MemberPreview::from),
        warnings,
    })
}

/// A preview error in the page's language.
fn error_text(e: &PreviewError, l: Lang) -> String {
    match e {
        PreviewError::UnknownMember(u) => match l {
            Lang::En => format!("WeCom has no member with the userid {u}. Check the spelling: the userid, not the display name."),
            Lang::Zh => format!("企业微信中没有 userid 为 {u} 的成员。请检查拼写：填写 userid，而不是姓名。"),
        },
        PreviewError::InvalidUserid(_) => l
            .t(
                "A WeCom userid is 1–64 letters, digits or _ - . @ (the userid, not the display name).",
                "企业微信 userid 为 1–64 个字母、数字或 _ - . @（填写 userid，而不是姓名）。",
            )
            .into(),
        _ => l
            .t(
                "WeCom could not be asked right now; check the WeCom page of this console and try again.",
                "暂时无法访问企业微信；请检查本控制台的企业微信页面后重试。",
            )
            .into(),
    }
}
