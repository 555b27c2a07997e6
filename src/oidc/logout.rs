//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), the protocol half without HTTP:
//! reading the request's parameters, checking the `id_token_hint` (one of our ID tokens, by our
//! published keys and issuer), telling which client asks, and where the browser may go afterwards.
//!
//! The rules, from the specification and its security considerations:
//! - each parameter at most once (OAuth 2.0 §3.1);
//! - `id_token_hint` is one of our ID tokens (signature, `typ`, `iss`); its expiry is not checked —
//!   an RP holding a day-old ID token may still log its user out (§2: the OP SHOULD accept it);
//! - `client_id`, when given with a hint, must be the hint's audience;
//! - `post_logout_redirect_uri` only for an identified client and only when registered for it,
//!   compared exactly (no prefix, no normalisation); `state` goes back on it unchanged;
//! - without a valid hint the OP cannot tell the request came from the member's RP, so the member
//!   is asked to confirm ([`LogoutPlan::confirm`]): a link alone must not end a session.

use url::Url;

use super::jwks::JoseKeys;
use super::jwt::{self, TokenType};

/// The parameters of a logout request (query or form), each at most once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogoutParams {
    /// `id_token_hint`: an ID token we issued to the RP.
    pub id_token_hint: Option<String>,
    /// `client_id`.
    pub client_id: Option<String>,
    /// `post_logout_redirect_uri`.
    pub post_logout_redirect_uri: Option<String>,
    /// `state`: returned unchanged on the redirect.
    pub state: Option<String>,
}

/// Why a logout request is refused; the `Display` says what the RP must fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutError {
    /// A parameter appears more than once.
    Repeated(&'static str),
    /// `id_token_hint` is not one of our ID tokens (why).
    BadHint(String),
    /// `client_id` is not the hint's audience.
    ClientMismatch,
    /// `post_logout_redirect_uri` without `id_token_hint` or `client_id` naming the client.
    UnknownClient,
    /// `post_logout_redirect_uri` is not registered for the client.
    UnregisteredRedirect,
}

impl std::fmt::Display for LogoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Repeated(p) => write!(f, "the parameter `{p}` appears more than once"),
            Self::BadHint(why) => {
                write!(f, "id_token_hint is not an ID token of this issuer: {why}")
            }
            Self::ClientMismatch => f.write_str("client_id is not the audience of id_token_hint"),
            Self::UnknownClient => f.write_str(
                "post_logout_redirect_uri needs id_token_hint or client_id to name the client",
            ),
            Self::UnregisteredRedirect => f.write_str(
                "post_logout_redirect_uri is not registered for this client (compared exactly)",
            ),
        }
    }
}

impl std::error::Error for LogoutError {}

impl LogoutError {
    /// The audit reason.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Repeated(_) => "repeated_parameter",
            Self::BadHint(_) => "bad_id_token_hint",
            Self::ClientMismatch => "client_mismatch",
            Self::UnknownClient => "unknown_client",
            Self::UnregisteredRedirect => "unregistered_post_logout_redirect",
        }
    }
}

impl LogoutParams {
    /// Reads the parameters from decoded `(name, value)` pairs; unknown ones (`ui_locales`,
    /// `logout_hint`) are ignored, a repeated known one is refused, an empty one is absent.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, LogoutError> {
        let mut p = Self::default();
        for (name, value) in pairs {
            let (slot, name) = match name {
                "id_token_hint" => (&mut p.id_token_hint, "id_token_hint"),
                "client_id" => (&mut p.client_id, "client_id"),
                "post_logout_redirect_uri" => {
                    (&mut p.post_logout_redirect_uri, "post_logout_redirect_uri")
                }
                "state" => (&mut p.state, "state"),
                _ => continue,
            };
            if slot.is_some() {
                return Err(LogoutError::Repeated(name));
            }
            if !value.is_empty() {
                *slot = Some(value.to_string());
            }
        }
        Ok(p)
    }
}

/// What an `id_token_hint` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// The client it was issued to (`aud`; `azp` when `aud` lists several).
    pub client_id: String,
    /// The member's `sub` at that client.
    pub sub: String,
    /// The IdP session it was issued in (`sid`), when the token carries one.
    pub sid: Option<String>,
}

/// Checks `token` is an ID token of `issuer` signed by a published key (expired ones included).
pub fn check_hint(keys: &JoseKeys, issuer: &str, token: &str) -> Result<Hint, LogoutError> {
    let v = jwt::verify(keys, token, TokenType::Jwt)
        .map_err(|e| LogoutError::BadHint(e.to_string()))?;
    let text = |name: &str| v.claims.get(name).and_then(|c| c.as_str());
    if text("iss") != Some(issuer) {
        return Err(LogoutError::BadHint("another issuer".into()));
    }
    let client_id = match v.claims.get("aud") {
        Some(serde_json::Value::String(a)) => Some(a.as_str()),
        Some(serde_json::Value::Array(a)) if a.len() == 1 => a[0].as_str(),
        Some(serde_json::Value::Array(_)) => text("azp"),
        _ => None,
    }
    .ok_or_else(|| LogoutError::BadHint("no single audience".into()))?;
    let sub = text("sub").ok_or_else(|| LogoutError::BadHint("no sub".into()))?;
    Ok(Hint {
        client_id: client_id.to_string(),
        sub: sub.to_string(),
        sid: text("sid").map(str::to_string),
    })
}

/// What to do with a logout request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutPlan {
    /// The client that asks, when known (hint's audience or `client_id`).
    pub client_id: Option<String>,
    /// The checked hint.
    pub hint: Option<Hint>,
    /// Where to send the browser afterwards: the registered `post_logout_redirect_uri` with
    /// `state`; None shows our own "signed out" page.
    pub redirect: Option<Url>,
    /// Whether the member must confirm first (no valid hint).
    pub confirm: bool,
}

/// Plans the logout of `params` with its checked `hint`. `registered` gives the client's registered
/// post-logout redirect URIs (None: no such client).
pub fn plan<'a>(
    params: &LogoutParams,
    hint: Option<Hint>,
    registered: impl FnOnce(&str) -> Option<Vec<&'a str>>,
) -> Result<LogoutPlan, LogoutError> {
    let client_id = match (&hint, &params.client_id) {
        (Some(h), Some(c)) if &h.client_id != c => return Err(LogoutError::ClientMismatch),
        (Some(h), _) => Some(h.client_id.clone()),
        (None, c) => c.clone(),
    };
    let redirect = match &params.post_logout_redirect_uri {
        None => None,
        Some(uri) => {
            let client = client_id.as_deref().ok_or(LogoutError::UnknownClient)?;
            let uris = registered(client).ok_or(LogoutError::UnknownClient)?;
            if !uris.iter().any(|r| r == uri) {
                return Err(LogoutError::UnregisteredRedirect);
            }
            let mut url = Url::parse(uri).map_err(|_| LogoutError::UnregisteredRedirect)?;
            if let Some(state) = &params.state {
                url.query_pairs_mut().append_pair("state", state);
            }
            Some(url)
        }
    };
    Ok(LogoutPlan {
        client_id,
        confirm: hint.is_none(),
        hint,
        redirect,
    })
}

#[cfg(test)]
mod tests;
