//! The bind page: shown when a login's member has no account and `binding.when_unmatched` is
//! `bind` or `bind_or_create`; `POST /bind`, where the member proves an existing account by its
//! password or a one-time code (or asks for a new account) and the login goes on. The proofs,
//! the page's server-side state and their audit rows are [`crate::login::bind`]'s.

use super::flow;
use super::refusal::refuse;
use super::target::Target;
use super::ClientIp;
use super::{cookies, AppState};
use crate::http::error::{Lang, WebError};
use crate::login::bind::{self, Proof, Proved, Retry};
use crate::login::{self, AuditKind, Ctx, Refusal};
use crate::text::BIND_PAGE;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/bind", post(bind))
}

/// A repeated WeCom callback whose first answer was the bind page: the same page again while it is
/// usable, `bind_expired` otherwise.
pub async fn page_again(
    state: &AppState,
    ctx: &Ctx<'_>,
    headers: &HeaderMap,
    token: &str,
) -> Result<Response, WebError> {
    if !bind::still_usable(ctx, token).await? {
        return Err(Refusal::BindExpired.into());
    }
    let effective = state.effective().await?;
    bind_page(
        Lang::from_headers(headers),
        token,
        bind::allows_create(&effective),
    )
}

#[derive(Template)]
#[template(path = "bind.html")]
struct BindPage<'a> {
    lang: &'a str,
    title: &'a str,
    intro: &'a str,
    message: Option<&'a str>,
    token: &'a str,
    username_label: &'a str,
    password_legend: &'a str,
    password_label: &'a str,
    password_button: &'a str,
    code_legend: &'a str,
    code_label: &'a str,
    code_button: &'a str,
    allow_create: bool,
    create_button: &'a str,
}

/// The bind page for `token`.
pub(super) fn bind_page(lang: Lang, token: &str, allow_create: bool) -> Result<Response, WebError> {
    render(lang, token, allow_create, None, StatusCode::OK)
}

/// The bind page again after a wrong proof (401), saying why.
fn again(lang: Lang, token: &str, allow_create: bool, why: Retry) -> Result<Response, WebError> {
    let message = match why {
        Retry::WrongProof => BIND_PAGE.wrong_proof,
        Retry::Taken => BIND_PAGE.taken,
    };
    let message = Some(message.get(lang));
    render(lang, token, allow_create, message, StatusCode::UNAUTHORIZED)
}

fn render(
    lang: Lang,
    token: &str,
    allow_create: bool,
    message: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let t = BIND_PAGE;
    let html = BindPage {
        lang: lang.code(),
        title: t.title.get(lang),
        intro: t.intro.get(lang),
        message,
        token,
        username_label: t.username.get(lang),
        password_legend: t.password_legend.get(lang),
        password_label: t.password.get(lang),
        password_button: t.password_button.get(lang),
        code_legend: t.code_legend.get(lang),
        code_label: t.code.get(lang),
        code_button: t.code_button.get(lang),
        allow_create,
        create_button: t.create_button.get(lang),
    }
    .render()
    .map_err(|e| WebError::internal("bind page", &e))?;
    let mut r = (status, html).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(r)
}

#[derive(Debug, Deserialize)]
struct BindForm {
    token: String,
    method: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

impl BindForm {
    /// The proof the form gives, if its method is one.
    fn proof(self) -> Option<Proof> {
        match self.method.as_str() {
            "create" => Some(Proof::Create),
            "password" => Some(Proof::Password {
                username: self.username,
                password: self.password,
            }),
            "code" => Some(Proof::Code {
                username: self.username,
                code: self.code,
            }),
            _ => None,
        }
    }
}

/// `POST /bind`: the member proves an account (or asks for a new one); the login goes on.
async fn bind(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    Form(f): Form<BindForm>,
) -> Result<Response, WebError> {
    let ctx = flow::ctx(&state, &ip);
    let lang = Lang::from_headers(&headers);
    let carried = cookies::bindings(
        &headers,
        &cookies::name(cookies::BROWSER, state.config.secure_cookies()),
    );
    let page = bind::open(&ctx, &f.token, &carried).await?;
    let effective = state.effective().await?;
    let allow_create = bind::allows_create(&effective);
    let token = f.token.clone();
    let proof = f.proof().ok_or(Refusal::BindExpired)?;
    let account = match bind::prove(&ctx, &effective, &page, proof).await? {
        Proved::Account(a) => a,
        Proved::Again(why) => return again(lang, &token, allow_create, why),
    };
    let bind::Opened {
        login: pending,
        profile,
        ..
    } = page;
    let target = Target::load(&ctx, pending).await?;
    let userid = profile.userid.clone();
    let who = target.who().userid(Some(&userid));
    let profile = match login::account::ready(&ctx, *account, profile).await {
        Ok(p) => p,
        Err(e) => return Err(refuse(&ctx, AuditKind::Login, who, e).await),
    };
    let old = cookies::get(&headers, &flow::session_cookie_name(&state));
    let (token, live) = login::session::start(&ctx, effective, profile, old.as_deref()).await?;
    let mut resp = target.answer(&state, &ctx, &headers, &live).await?;
    if let Some(c) = flow::session_cookie(&state, &token) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(resp)
}
