//! `GET /wecom/callback?code=…&state=…`: WeCom sends the browser back here. The login state is
//! consumed ([`login::state::arrive`]: single use, bound to this browser, 10 minutes); an admin
//! sign-in goes on in the console's module, an app login here: the member is read
//! ([`login::member`]), the account step runs ([`login::account`]), a new session starts and the
//! pending login is answered. A double-submitted callback from the same browser gets the first
//! result: the same session and Response, or the same bind page when the first one ended there.

use super::flow;
use super::refusal::refuse;
use super::target::Target;
use super::ClientIp;
use super::{bind, cookies, AppState};
use crate::http::error::{Lang, WebError};
use crate::login::account::{self, Step};
use crate::login::state::{self as login_state, Arrival, Browser, Outcome};
use crate::login::{self, AuditKind, Ctx, Live, Pending, Refusal, Who};
use crate::logsafe::Escaped;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/wecom/callback", get(callback))
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    Query(q): Query<CallbackQuery>,
    ip: ClientIp,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let ctx = flow::ctx(&state, &ip);
    let secure = state.config.secure_cookies();
    let carried = cookies::bindings(&headers, &cookies::name(cookies::BROWSER, secure));
    let login_state = q.state.unwrap_or_default();
    let input = login_state::Callback {
        login_state: &login_state,
        code: q.code,
        carried: &carried,
    };
    let arrival = match login_state::arrive(&ctx, input).await {
        Ok(a) => a,
        Err(e) => return Err(refuse(&ctx, AuditKind::Login, Who::default(), e).await),
    };
    let here = Here {
        state: &state,
        ctx: &ctx,
        headers: &headers,
        login_state: &login_state,
    };
    match arrival {
        Arrival::Fresh {
            pending: Pending::Admin(admin),
            code,
            ..
        } => super::admin::finish_sign_in(&state, &ctx, &code, &admin).await,
        Arrival::Fresh {
            pending,
            browser,
            code,
        } => here.app_login(pending, browser, &code).await,
        Arrival::Repeat {
            pending,
            browser,
            result,
        } => here.repeat(pending, browser, result).await,
    }
}

/// The request a callback answers.
struct Here<'a> {
    state: &'a AppState,
    ctx: &'a Ctx<'a>,
    headers: &'a HeaderMap,
    login_state: &'a str,
}

impl Here<'_> {
    /// The first callback of an app login: the member, the account, then a new session and the
    /// answer, or the bind page.
    async fn app_login(
        &self,
        pending: Pending,
        browser: Browser,
        code: &str,
    ) -> Result<Response, WebError> {
        let ctx = self.ctx;
        let target = Target::load(ctx, pending).await?;
        super::request_log::note_app(target.name());
        // The settings in force, read once for the whole login.
        let effective = self.state.effective().await?;
        let who = target.who();
        let profile = match login::member::profile(ctx, &effective, code).await {
            Ok(p) => p,
            Err(m) => {
                let who = who.userid(m.userid.as_deref());
                return Err(refuse(ctx, AuditKind::Login, who, m.error).await);
            }
        };
        let userid = profile.userid.clone();
        let pending = target.pending();
        let member = account::Member {
            effective: &effective,
            app: target.name(),
            login: &pending,
            profile,
            browser_hash: &browser.hash,
        };
        match account::resolve(ctx, member).await {
            Ok(Step::Ready(profile)) => {
                let (token, live) = self.start(effective, *profile, &browser).await?;
                tracing::debug!(userid = %Escaped(&userid), app = %target.name(), "WeCom login succeeded; session started");
                self.answer(&target, &live, &token).await
            }
            Ok(Step::Bind {
                token,
                allow_create,
            }) => {
                // A repeated callback shows the same bind page.
                let outcome = Outcome::BindPage(token.as_str());
                login_state::keep(ctx, &browser, self.login_state, outcome).await?;
                bind::bind_page(Lang::from_headers(self.headers), &token, allow_create)
            }
            Err(e) => Err(refuse(ctx, AuditKind::Login, who.userid(Some(&userid)), e).await),
        }
    }

    /// A new session for `profile` (ending the browser's previous one), kept for a repeated
    /// callback sealed with the browser cookie the store never sees.
    async fn start(
        &self,
        effective: std::sync::Arc<crate::settings::Effective>,
        profile: crate::identity::Profile,
        browser: &Browser,
    ) -> Result<(String, Live), WebError> {
        let old = cookies::get(self.headers, &flow::session_cookie_name(self.state));
        let (token, live) =
            login::session::start(self.ctx, effective, profile, old.as_deref()).await?;
        let outcome = Outcome::Session(token.as_str());
        login_state::keep(self.ctx, browser, self.login_state, outcome).await?;
        super::request_log::note_userid(&live.profile.userid);
        Ok((token, live))
    }

    /// The same browser sent the same callback again: wait briefly for the first one, then give
    /// the same result (same session, a Response for the same pending login; or the same bind
    /// page). An admin sign-in set its cookie on the first answer; a repeat just goes on.
    async fn repeat(
        &self,
        pending: Pending,
        browser: Browser,
        result: Option<String>,
    ) -> Result<Response, WebError> {
        let ctx = self.ctx;
        let first = login_state::first_outcome(ctx, &browser, self.login_state, result).await?;
        if let Pending::Admin(admin) = &pending {
            return flow::redirect(&admin.next);
        }
        let token = match first {
            Some(Outcome::Session(token)) => token,
            Some(Outcome::BindPage(token)) => {
                tracing::info!("repeated WeCom callback: showing the same bind page");
                return bind::page_again(self.state, ctx, self.headers, &token).await;
            }
            None => return Err(Refusal::StateInProgress.into()),
        };
        let Some((row, profile)) = login::session::by_token(ctx, &token).await? else {
            return Err(Refusal::StateUsed.into());
        };
        let target = Target::load(ctx, pending).await?;
        super::request_log::note_app(target.name());
        tracing::info!(app = %target.name(), "repeated WeCom callback: answering with the first result");
        let effective = self.state.effective().await?;
        let live = Live {
            row,
            profile,
            effective,
        };
        self.answer(&target, &live, &token).await
    }

    /// The answer to the app, with the session's cookie.
    async fn answer(
        &self,
        target: &Target,
        live: &Live,
        token: &str,
    ) -> Result<Response, WebError> {
        let mut resp = target
            .answer(self.state, self.ctx, self.headers, live)
            .await?;
        if let Some(c) = flow::session_cookie(self.state, token) {
            resp.headers_mut().append(header::SET_COOKIE, c);
        }
        Ok(resp)
    }
}
