//! The WeCom source and the binding settings, edited over the configuration's defaults: the console
//! page `/admin/wecom` and the API `/api/v1/wecom`, `/api/v1/wecom/check`, `/api/v1/binding`. The
//! secret is write-only (shown as a masked hint); "check connection" calls `gettoken`, `agent/get`
//! and `department/list` with the saved or the submitted values and reports WeCom's exact error with
//! the catalogue's meaning and fix; a Save runs the same check first and is refused (409 with the
//! check) when it fails, unless the request says `force: true`. Thin over [`crate::admin::settings`].
//! This file holds the API and the views both use; the console page is `wecom_console.rs`.

use super::super::AppState;
use super::super::ClientIp;
use super::api::{ApiError, ApiJson, ErrorBody};
use super::auth::ApiAdmin;
use crate::admin::settings::{
    self as domain, BindingChange, Change, CheckOutcome, SaveMode, WecomChange, WecomSave,
};
use crate::admin::{Actor, AdminError};
use crate::settings::{mask, BINDING, WECOM};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;
use utoipa::{OpenApi, ToSchema};

pub(super) fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/wecom", get(wecom_get).put(wecom_put).delete(wecom_reset))
        .route("/wecom/check", post(wecom_check))
        .route(
            "/binding",
            get(binding_get).put(binding_put).delete(binding_reset),
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(
        wecom_get,
        wecom_put,
        wecom_reset,
        wecom_check,
        binding_get,
        binding_put,
        binding_reset
    ),
    components(schemas(
        WecomView,
        WecomUpdate,
        CheckView,
        CheckFailedBody,
        Bilingual,
        BindingView,
        BindingUpdate,
        MatchKey
    ))
)]
pub(super) struct WecomApi;

// ---- views ----

/// The WeCom source in force (the secret never; only whether it is set and a masked hint).
#[derive(Debug, Serialize, ToSchema)]
pub struct WecomView {
    /// 企业ID.
    pub corp_id: String,
    /// The self-built app's AgentId.
    pub agent_id: String,
    /// Whether a secret is set.
    pub secret_set: bool,
    /// `••••` and the secret's last four characters (only `••••` for a short secret).
    pub secret_hint: String,
    /// WeCom API base.
    pub api_base: String,
    /// In-client OAuth base.
    pub oauth_base: String,
    /// Web/QR login base.
    pub web_login_base: String,
    /// The event callback's Token (empty: the callback is off).
    pub callback_token: String,
    /// Whether the event callback's EncodingAESKey is set (it is never returned).
    pub callback_aes_key_set: bool,
    /// The HTTP(S) proxy of WeCom API calls (a password shown as `***`); empty: direct.
    pub proxy_url: String,
    /// Where each value comes from: `config` (file, environment, default) or `console`.
    pub sources: BTreeMap<String, String>,
    /// Why the values in force do not work, when they do not.
    pub problem: Option<String>,
    /// After a save: the set-up check the saved values passed (or failed, when saved with
    /// `force`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckView>,
}

/// The answer to a save refused because the set-up check failed: nothing was stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckFailedBody {
    /// `code` `wecom_check_failed`, the field the failure points at, and what to do.
    pub error: super::api::ErrorDetail,
    /// The check's result.
    pub check: CheckView,
}

/// The binding settings in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct BindingView {
    /// Match an unbound member to an account by `match`.
    pub auto_bind: bool,
    /// Keys tried in order: `userid`, `mobile`, `email`, `employee_no`.
    #[serde(rename = "match")]
    pub match_keys: Vec<String>,
    /// `create`, `bind`, `bind_or_create` or `reject`.
    pub when_unmatched: String,
    /// `alias` or `extattr:NAME`.
    pub employee_no_from: String,
    /// Whom a refused member should ask (empty: "your administrator").
    pub contact: String,
    /// Access of apps whose `access` is `default` (every new app): `everyone` or `none`.
    pub default_access: String,
    /// Where each value comes from: `config` or `console`.
    pub sources: BTreeMap<String, String>,
    /// Why the values in force do not work, when they do not.
    pub problem: Option<String>,
}

fn sources(c: &domain::Current, fields: &[&str]) -> BTreeMap<String, String> {
    fields
        .iter()
        .map(|f| (f.to_string(), c.source(f).as_str().to_string()))
        .collect()
}

const WECOM_FIELDS: &[&str] = &[
    "corp_id",
    "agent_id",
    "secret",
    "api_base",
    "oauth_base",
    "web_login_base",
    "callback_token",
    "callback_aes_key",
    "proxy_url",
];
const BINDING_FIELDS: &[&str] = &[
    "auto_bind",
    "match",
    "when_unmatched",
    "employee_no_from",
    "contact",
    "default_access",
];

impl From<&domain::Current> for WecomView {
    fn from(c: &domain::Current) -> Self {
        let w = &c.wecom;
        Self {
            corp_id: w.corp_id.clone(),
            agent_id: w.agent_id.clone(),
            secret_set: !w.secret.is_empty(),
            secret_hint: if w.secret.is_empty() {
                String::new()
            } else {
                mask(&w.secret)
            },
            api_base: w.api_base.clone(),
            oauth_base: w.oauth_base.clone(),
            web_login_base: w.web_login_base.clone(),
            callback_token: w.callback_token.clone(),
            callback_aes_key_set: !w.callback_aes_key.is_empty(),
            proxy_url: crate::config::mask_proxy(&w.proxy_url),
            sources: sources(c, WECOM_FIELDS),
            problem: c.problem.clone(),
            check: None,
        }
    }
}

impl From<&domain::Current> for BindingView {
    fn from(c: &domain::Current) -> Self {
        let b = &c.binding;
        Self {
            auto_bind: b.auto_bind,
            match_keys: b.match_keys.clone(),
            when_unmatched: b.when_unmatched.clone(),
            employee_no_from: b.employee_no_from.clone(),
            contact: b.contact.clone(),
            default_access: b.default_access.clone(),
            sources: sources(c, BINDING_FIELDS),
            problem: c.problem.clone(),
        }
    }
}

/// A partial update of the WeCom source; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WecomUpdate {
    /// 企业ID (`ww…`): letters and digits.
    #[schema(pattern = "^\\s*[A-Za-z0-9]{1,64}\\s*$")]
    pub corp_id: Option<String>,
    /// AgentId (digits).
    #[schema(pattern = "^\\s*[0-9]{1,32}\\s*$")]
    pub agent_id: Option<String>,
    /// The Secret (up to 256 visible characters); empty or absent: unchanged. Never returned.
    #[schema(pattern = "^\\s*[!-~]{0,256}\\s*$")]
    pub secret: Option<String>,
    /// API base URL (http(s), no query or fragment).
    #[schema(pattern = "\\S", max_length = 512)]
    pub api_base: Option<String>,
    /// In-client OAuth base URL.
    #[schema(pattern = "\\S", max_length = 512)]
    pub oauth_base: Option<String>,
    /// Web/QR login base URL.
    #[schema(pattern = "\\S", max_length = 512)]
    pub web_login_base: Option<String>,
    /// The event callback's Token (3–32 letters or digits); empty turns the callback off (with
    /// the key set to be removed by a reset).
    #[schema(pattern = "^\\s*([A-Za-z0-9]{3,32})?\\s*$")]
    pub callback_token: Option<String>,
    /// The event callback's EncodingAESKey (43 characters of base64); empty or absent: unchanged.
    /// Never returned.
    #[schema(pattern = "^\\s*([A-Za-z0-9+/]{43})?\\s*$")]
    pub callback_aes_key: Option<String>,
    /// The HTTP(S) proxy every WeCom API call goes through, `http://host:port` without
    /// credentials (those belong in the configuration); empty: direct. A change needs the Secret.
    #[schema(max_length = 512)]
    pub proxy_url: Option<String>,
    /// Save even though the set-up check fails (members may then be unable to sign in; the save
    /// is audited with the failed check). Only for `PUT`; a check ignores it.
    pub force: Option<bool>,
}

impl WecomUpdate {
    fn mode(&self) -> SaveMode {
        if self.force == Some(true) {
            SaveMode::Anyway
        } else {
            SaveMode::CheckFirst
        }
    }
}

impl From<WecomUpdate> for WecomChange {
    fn from(u: WecomUpdate) -> Self {
        Self {
            corp_id: u.corp_id,
            agent_id: u.agent_id,
            secret: u.secret,
            api_base: u.api_base,
            oauth_base: u.oauth_base,
            web_login_base: u.web_login_base,
            callback_token: u.callback_token,
            callback_aes_key: u.callback_aes_key,
            proxy_url: u.proxy_url,
        }
    }
}

/// A partial update of the binding settings; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindingUpdate {
    /// Match an unbound member to an account by `match` (which must then list a key).
    pub auto_bind: Option<bool>,
    /// Keys tried in order, each once: `userid`, `mobile`, `email`, `employee_no`.
    #[serde(rename = "match")]
    #[schema(schema_with = match_schema)]
    pub match_keys: Option<Vec<String>>,
    /// `create`, `bind`, `bind_or_create` or `reject`.
    #[schema(value_type = Option<WhenUnmatched>)]
    pub when_unmatched: Option<String>,
    /// `alias` or `extattr:NAME`.
    #[schema(
        pattern = "^\\s*(alias|extattr:[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]{0,110})\\s*$"
    )]
    pub employee_no_from: Option<String>,
    /// Whom a refused member should ask (at most 200 characters, no control characters).
    #[schema(pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$", max_length = 200)]
    pub contact: Option<String>,
    /// `everyone` or `none`: access of apps whose `access` is `default`.
    #[schema(value_type = Option<DefaultAccess>)]
    pub default_access: Option<String>,
}

/// The schema of `match`: distinct [`MatchKey`]s.
fn match_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::ArrayBuilder;
    use utoipa::openapi::Ref;
    ArrayBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            utoipa::openapi::schema::Type::Array,
            utoipa::openapi::schema::Type::Null,
        ]))
        .items(Ref::from_schema_name("MatchKey"))
        .unique_items(true)
        .into()
}

/// A key that matches a member to an account.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the vocabulary of `BindingUpdate::match_keys` (checked by the domain)
#[schema(rename_all = "snake_case")]
enum MatchKey {
    Userid,
    Mobile,
    Email,
    EmployeeNo,
}

/// What happens to a member no account matches.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the vocabulary of `BindingUpdate::when_unmatched`
#[schema(rename_all = "snake_case")]
enum WhenUnmatched {
    Create,
    Bind,
    BindOrCreate,
    Reject,
}

/// Access of apps whose `access` is `default`.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the vocabulary of `BindingUpdate::default_access`
#[schema(rename_all = "snake_case")]
enum DefaultAccess {
    Everyone,
    None,
}

impl From<BindingUpdate> for BindingChange {
    fn from(u: BindingUpdate) -> Self {
        Self {
            auto_bind: u.auto_bind,
            match_keys: u.match_keys,
            when_unmatched: u.when_unmatched,
            employee_no_from: u.employee_no_from,
            contact: u.contact,
            default_access: u.default_access,
        }
    }
}

/// A text in English and Chinese.
#[derive(Debug, Serialize, ToSchema)]
pub struct Bilingual {
    /// English.
    pub en: String,
    /// 中文.
    pub zh: String,
}

/// The result of a connection check.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckView {
    /// `gettoken`, `agent/get` and `department/list` worked.
    pub ok: bool,
    /// The WeCom endpoint that failed (`gettoken`, `agent/get`, `department/list`).
    pub endpoint: Option<String>,
    /// WeCom's errcode, when WeCom answered with one (e.g. 40001: wrong secret, 40056: no such
    /// AgentId, 301002: the Secret is another app's).
    pub errcode: Option<i64>,
    /// The field the failure points at (`corp_id`, `agent_id`, `secret`, `api_base`), when one.
    pub field: Option<String>,
    /// The app's name as WeCom's `agent/get` gave it, when the check got that far.
    pub app_name: Option<String>,
    /// What the result means.
    pub meaning: Bilingual,
    /// What to do about it (empty when ok).
    pub fix: Bilingual,
    /// WeCom's `hint:[…]`, to quote to WeCom support.
    pub hint: Option<String>,
    /// The address WeCom saw the calls come from, when its answer named one (errcode 60020
    /// does): add it as 企业可信IP, or set `proxy_url`.
    pub egress_ip: Option<String>,
}

impl From<CheckOutcome> for CheckView {
    fn from(o: CheckOutcome) -> Self {
        Self {
            ok: o.ok,
            endpoint: o.endpoint,
            errcode: o.errcode,
            field: o.field.map(str::to_string),
            app_name: o.app_name,
            meaning: Bilingual {
                en: o.meaning_en,
                zh: o.meaning_zh,
            },
            fix: Bilingual {
                en: o.fix_en,
                zh: o.fix_zh,
            },
            hint: o.hint,
            egress_ip: o.egress_ip.map(|ip| ip.to_string()),
        }
    }
}

pub(super) fn change<'a>(state: &'a AppState, actor: &'a Actor, ip: Option<IpAddr>) -> Change<'a> {
    Change {
        store: &state.store,
        config: &state.config,
        now: state.clock.unix(),
        rng: state.rng.as_ref(),
        actor,
        ip,
        clock: state.clock.clone(),
    }
}

pub(super) async fn current(state: &AppState) -> Result<domain::Current, AdminError> {
    domain::current(&state.store, &state.config).await
}

pub(super) async fn check(
    state: &AppState,
    unsaved: Option<&WecomChange>,
) -> Result<CheckOutcome, AdminError> {
    domain::check_connection(
        &state.store,
        &state.config,
        unsaved,
        state.clock.clone(),
        state.rng.as_ref(),
    )
    .await
}

// ---- API ----

/// The WeCom source in force, with the source of each value (the secret only as a masked hint).
#[utoipa::path(get, path = "/api/v1/wecom", tag = "wecom",
    responses((status = 200, body = WecomView), (status = 401, body = ErrorBody)))]
async fn wecom_get(
    State(state): State<AppState>,
    _a: ApiAdmin,
) -> Result<Json<WecomView>, ApiError> {
    Ok(Json(WecomView::from(&current(&state).await?)))
}

/// Changes the WeCom source (partial; an empty or absent secret is unchanged). Validated as a whole
/// over the configuration's values, then checked against WeCom (gettoken, agent/get, department/list):
/// a failed check stores nothing and answers 409 `wecom_check_failed` with the check, unless
/// `force: true` (audited). Takes effect at the next request on every instance.
#[utoipa::path(put, path = "/api/v1/wecom", tag = "wecom", request_body = WecomUpdate,
    responses((status = 200, body = WecomView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 409, body = CheckFailedBody)))]
async fn wecom_put(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    ApiJson(body): ApiJson<WecomUpdate>,
) -> Result<Response, ApiError> {
    let actor = a.actor();
    let mode = body.mode();
    let saved = domain::update_wecom(&change(&state, &actor, ip.0), &body.into(), mode).await?;
    let check = match saved {
        WecomSave::Refused(o) => return Ok(refused(o.into())),
        WecomSave::Saved(o) => Some(o.into()),
        WecomSave::Unchanged => None,
    };
    let mut view = WecomView::from(&current(&state).await?);
    view.check = check;
    Ok(Json(view).into_response())
}

/// 409 with the failed check: what failed, where to fix it, and how to save anyway.
fn refused(check: CheckView) -> Response {
    let code = check
        .errcode
        .map(|c| format!(" (errcode {c})"))
        .unwrap_or_default();
    let message = format!(
        "not saved: WeCom refused these values at {}{code}: {} — {} Send \"force\": true to save \
         anyway. / 未保存：企业微信在 {} 拒绝了这些值{code}：{}——{} 如确需保存，请加上 \"force\": true。",
        check.endpoint.as_deref().unwrap_or("gettoken"),
        check.meaning.en,
        check.fix.en,
        check.endpoint.as_deref().unwrap_or("gettoken"),
        check.meaning.zh,
        check.fix.zh,
    );
    let body = CheckFailedBody {
        error: super::api::ErrorDetail {
            code: "wecom_check_failed".into(),
            message,
            field: check.field.clone(),
        },
        check,
    };
    (StatusCode::CONFLICT, Json(body)).into_response()
}

/// Puts the WeCom source back to the configuration's values (refused when those are incomplete).
#[utoipa::path(delete, path = "/api/v1/wecom", tag = "wecom",
    responses((status = 200, body = WecomView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)))]
async fn wecom_reset(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
) -> Result<Json<WecomView>, ApiError> {
    let actor = a.actor();
    domain::reset(&change(&state, &actor, ip.0), WECOM).await?;
    Ok(Json(WecomView::from(&current(&state).await?)))
}

/// Checks the connection: `gettoken`, then `department/list` (which catches an untrusted server
/// IP). Without a body, the saved values; with a `WecomUpdate` body, those values over the saved
/// ones, without saving them. A WeCom error is a 200 with `ok: false`, its errcode, meaning and fix.
#[utoipa::path(post, path = "/api/v1/wecom/check", tag = "wecom", request_body(content = Option<WecomUpdate>),
    responses((status = 200, body = CheckView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)))]
async fn wecom_check(
    State(state): State<AppState>,
    _a: ApiAdmin,
    body: Bytes,
) -> Result<Json<CheckView>, ApiError> {
    // No body (or `null`): the saved values.
    let unsaved: Option<WecomChange> = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<Option<WecomUpdate>>(&body)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid", e.to_string()))?
            .map(Into::into)
    };
    Ok(Json(check(&state, unsaved.as_ref()).await?.into()))
}

/// The binding settings in force, with the source of each value.
#[utoipa::path(get, path = "/api/v1/binding", tag = "wecom",
    responses((status = 200, body = BindingView), (status = 401, body = ErrorBody)))]
async fn binding_get(
    State(state): State<AppState>,
    _a: ApiAdmin,
) -> Result<Json<BindingView>, ApiError> {
    Ok(Json(BindingView::from(&current(&state).await?)))
}

/// Changes the binding settings (partial), validated as a whole; takes effect at the next login.
#[utoipa::path(put, path = "/api/v1/binding", tag = "wecom", request_body = BindingUpdate,
    responses((status = 200, body = BindingView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody)))]
async fn binding_put(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
    ApiJson(body): ApiJson<BindingUpdate>,
) -> Result<Json<BindingView>, ApiError> {
    let actor = a.actor();
    domain::update_binding(&change(&state, &actor, ip.0), &body.into()).await?;
    Ok(Json(BindingView::from(&current(&state).await?)))
}

/// Puts the binding settings back to the configuration's values.
#[utoipa::path(delete, path = "/api/v1/binding", tag = "wecom",
    responses((status = 200, body = BindingView), (status = 401, body = ErrorBody)))]
async fn binding_reset(
    State(state): State<AppState>,
    a: ApiAdmin,
    ip: ClientIp,
) -> Result<Json<BindingView>, ApiError> {
    let actor = a.actor();
    domain::reset(&change(&state, &actor, ip.0), BINDING).await?;
    Ok(Json(BindingView::from(&current(&state).await?)))
}
