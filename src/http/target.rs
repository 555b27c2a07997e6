//! What a pending app login answers once the member is known — a SAML app (a signed Response to
//! its ACS) or an OIDC client (a code to its redirect URI) — so the WeCom callback and the bind
//! page run the same `login::` steps for both and differ only in the last one.

use super::flow;
use super::AppState;
use crate::apps::App;
use crate::http::error::WebError;
use crate::login::{self, AppLogin, Ctx, Live, Pending, Refusal, Who};
use crate::oidc::authorize::Request;
use crate::oidc::Client;
use axum::http::HeaderMap;
use axum::response::Response;

/// The app a pending login answers.
pub enum Target {
    /// A SAML app and the login's ACS, RelayState and request ID.
    Saml(Box<App>, AppLogin),
    /// An OIDC client and its authorization request.
    Oidc(Box<Client>, Box<Request>),
}

impl Target {
    /// Loads the app of `pending` (an admin sign-in answers no app: refused as unknown).
    pub async fn load(ctx: &Ctx<'_>, pending: Pending) -> Result<Self, WebError> {
        match pending {
            Pending::App(login) => {
                let app = login::load_app(ctx, &login.app).await?;
                Ok(Self::Saml(Box::new(app), login))
            }
            Pending::Oidc(req) => {
                let client = super::oidc::pending_client(ctx, &req).await?;
                Ok(Self::Oidc(Box::new(client), Box::new(req)))
            }
            Pending::Admin(_) => Err(Refusal::UnknownApp.into()),
        }
    }

    /// The app's name.
    pub fn name(&self) -> &str {
        match self {
            Self::Saml(app, _) => app.name.as_str(),
            Self::Oidc(client, _) => client.name.as_str(),
        }
    }

    /// Who the login's audit rows concern.
    pub fn who(&self) -> Who<'_> {
        match self {
            Self::Saml(app, login) => flow::who(app, login),
            Self::Oidc(client, _) => Who::app(client.name.as_str()),
        }
    }

    /// The pending login, as the bind page keeps it.
    pub fn pending(&self) -> Pending {
        match self {
            Self::Saml(_, login) => Pending::App(login.clone()),
            Self::Oidc(_, req) => Pending::Oidc((**req).clone()),
        }
    }

    /// Answers the app for the member of `live`.
    pub async fn answer(
        &self,
        state: &AppState,
        ctx: &Ctx<'_>,
        headers: &HeaderMap,
        live: &Live,
    ) -> Result<Response, WebError> {
        match self {
            Self::Saml(app, login) => flow::answer(state, ctx, headers, app, login, live).await,
            Self::Oidc(client, req) => {
                super::oidc::answer(state, ctx, headers, client, req, live).await
            }
        }
    }
}
