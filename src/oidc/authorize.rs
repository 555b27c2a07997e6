//! The authorization request (OpenID Connect Core §3.1.2, RFC 6749 §4.1.1, RFC 7636): the client
//! and its redirect URI are checked first — until both are known nothing may be redirected, and
//! the browser gets a page — then the rest, whose errors go back to the client's redirect URI with
//! `state` and `iss` (RFC 9207). `response_type=code` (PKCE only with S256, required of public
//! clients; answered in the query unless `response_mode` asks for the fragment or `form_post`)
//! or, for a client allowed it, `id_token` alone — the implicit flow cloud consoles sign in with:
//! `nonce` required, answered in the fragment or by `form_post`, never in the query. No hybrid
//! response type, no access token from this endpoint. `prompt` is a list (`login consent`).

use super::client::{Client, ClientType, RedirectUri, ResponseType};
use super::scope::{Scope, Scopes};
use serde::{Deserialize, Serialize};

/// The request's parameters as sent (query or form).
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    /// `response_type`.
    pub response_type: Option<String>,
    /// `client_id`.
    pub client_id: Option<String>,
    /// `redirect_uri`.
    pub redirect_uri: Option<String>,
    /// `scope`.
    pub scope: Option<String>,
    /// `state`.
    pub state: Option<String>,
    /// `nonce`.
    pub nonce: Option<String>,
    /// `code_challenge`.
    pub code_challenge: Option<String>,
    /// `code_challenge_method`.
    pub code_challenge_method: Option<String>,
    /// `prompt`.
    pub prompt: Option<String>,
    /// `max_age`.
    pub max_age: Option<String>,
    /// `response_mode`.
    pub response_mode: Option<String>,
    /// `request` (a request object: not supported).
    pub request: Option<String>,
    /// `request_uri` (not supported).
    pub request_uri: Option<String>,
}

/// Why a request is refused before its redirect URI is trusted: the browser gets a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageError {
    /// No `client_id`, or no client has it.
    UnknownClient,
    /// No `redirect_uri`, or not one the client registered (exactly).
    BadRedirectUri,
}

impl PageError {
    /// The audit reason.
    pub fn reason(self) -> &'static str {
        match self {
            Self::UnknownClient => "oidc_unknown_client",
            Self::BadRedirectUri => "oidc_bad_redirect_uri",
        }
    }
}

/// An error code of an authorization error response (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Malformed or unsupported parameters.
    InvalidRequest,
    /// A response type other than `code` and `id_token`.
    UnsupportedResponseType,
    /// A response type the client's `response_types` setting does not allow.
    UnauthorizedClient,
    /// No `openid`, or a scope the client may not ask for.
    InvalidScope,
    /// `prompt=none` and no session.
    LoginRequired,
    /// `prompt=none` and the member must be asked for consent first.
    ConsentRequired,
    /// The member may not use the app.
    AccessDenied,
    /// `request` objects are not supported.
    RequestNotSupported,
    /// `request_uri` is not supported.
    RequestUriNotSupported,
    /// Our failure.
    ServerError,
}

impl ErrorCode {
    /// The code on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::InvalidScope => "invalid_scope",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::AccessDenied => "access_denied",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::ServerError => "server_error",
        }
    }
}

/// An error sent back to the client's redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectError {
    /// The code.
    pub code: ErrorCode,
    /// `error_description`: what the client's developer must fix.
    pub description: &'static str,
}

fn err(code: ErrorCode, description: &'static str) -> RedirectError {
    RedirectError { code, description }
}

/// What the request asks about the member's sign-in: `prompt`, a space-separated list (OIDC Core
/// §3.1.2.1) of which `login` and `consent` may go together and `none` goes alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    /// Sign in only if there is no session.
    Default,
    /// `prompt=none`: never show anything; no session is `login_required`.
    None,
    /// `prompt=login`: a fresh WeCom login even with a session.
    Login,
    /// `prompt=consent`: ask the member again (a client whose consent is on).
    Consent,
    /// `prompt=login consent`: both.
    LoginConsent,
}

impl Prompt {
    /// Whether a live session must be ignored: the member signs in at WeCom again.
    pub fn fresh_login(self) -> bool {
        matches!(self, Self::Login | Self::LoginConsent)
    }

    /// Whether a client whose consent is on asks the member again even after an earlier Allow.
    pub fn asks_consent(self) -> bool {
        matches!(self, Self::Consent | Self::LoginConsent)
    }

    /// Reads `prompt`. Unknown values are refused rather than ignored: Core leaves them open,
    /// the OpenID prompt=create specification says an OP SHOULD answer a value it does not
    /// support with `invalid_request`, and an RP has no way to see that a value it relies on was
    /// ignored. `select_account` is accepted and asks nothing more: a browser's IdP session holds
    /// one WeCom member, and with no session WeCom's own login is where the member picks who
    /// they are.
    fn parse(v: Option<&str>) -> Result<Self, RedirectError> {
        let words: Vec<&str> = v.unwrap_or("").split_ascii_whitespace().collect();
        let (mut none, mut login, mut consent) = (false, false, false);
        for word in &words {
            match *word {
                "none" => none = true,
                "login" => login = true,
                "consent" => consent = true,
                "select_account" => {}
                _ => return Err(err(
                    ErrorCode::InvalidRequest,
                    "prompt values are none, login, consent and select_account, space-separated",
                )),
            }
        }
        if none && words.iter().any(|w| *w != "none") {
            // OIDC Core §3.1.2.1: none with any other value is an error.
            return Err(err(
                ErrorCode::InvalidRequest,
                "prompt=none may not be combined with another value",
            ));
        }
        Ok(match (none, login, consent) {
            (true, _, _) => Self::None,
            (false, true, true) => Self::LoginConsent,
            (false, true, false) => Self::Login,
            (false, false, true) => Self::Consent,
            (false, false, false) => Self::Default,
        })
    }
}

/// How the response (or an error) reaches the client (OAuth 2.0 Multiple Response Type Encoding
/// Practices; OAuth 2.0 Form Post Response Mode).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    /// In the redirect URI's query: the code flow only.
    #[default]
    Query,
    /// In the redirect URI's fragment (the browser keeps it from servers and logs).
    Fragment,
    /// In a form the browser posts to the redirect URI.
    FormPost,
}

impl ResponseMode {
    /// Where an answer to `p` goes, before anything else of it is checked: the asked mode when
    /// it is one of ours, except that an `id_token` request is never answered in a query (its
    /// errors go back the way its answer would: its fragment, or `form_post`).
    pub fn of(p: &Params) -> Self {
        let id_token = p.response_type.as_deref() == Some("id_token");
        match p.response_mode.as_deref() {
            Some("form_post") => Self::FormPost,
            Some("fragment") => Self::Fragment,
            _ if id_token => Self::Fragment,
            _ => Self::Query,
        }
    }
}

fn code_flow() -> ResponseType {
    ResponseType::Code
}

/// An accepted authorization request: the pending OIDC login it becomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The client's app name.
    pub app: String,
    /// The client ID.
    pub client_id: String,
    /// The redirect URI, one the client registered.
    pub redirect_uri: String,
    /// Granted scopes (asked for and allowed).
    pub scopes: Scopes,
    /// `state`, passed back.
    pub state: Option<String>,
    /// `nonce`, put in the ID token.
    pub nonce: Option<String>,
    /// The S256 `code_challenge`.
    pub code_challenge: Option<String>,
    /// `prompt`.
    pub prompt: Prompt,
    /// `max_age` (seconds): a session older than this signs in again.
    pub max_age: Option<i64>,
    /// `code` or `id_token` (pending logins stored before the implicit flow are code).
    #[serde(default = "code_flow")]
    pub response_type: ResponseType,
    /// How the answer goes back.
    #[serde(default)]
    pub response_mode: ResponseMode,
}

/// Checks the client (`found`: the client `client_id` names, looked up by the caller) and the
/// redirect URI; until both pass, errors are a page.
pub fn redirect_target<'c>(
    found: Option<&'c Client>,
    p: &Params,
) -> Result<(&'c Client, &'c RedirectUri), PageError> {
    let client = found.ok_or(PageError::UnknownClient)?;
    let uri = p.redirect_uri.as_deref().ok_or(PageError::BadRedirectUri)?;
    let uri = client.redirect_uri(uri).ok_or(PageError::BadRedirectUri)?;
    Ok((client, uri))
}

/// The longest `state` and `nonce` accepted: they travel in the login state and the ID token.
const MAX_OPAQUE: usize = 512;

/// Checks the rest of a request whose client and redirect URI passed [`redirect_target`].
pub fn accept(client: &Client, uri: &RedirectUri, p: &Params) -> Result<Request, RedirectError> {
    use ErrorCode::*;
    if p.request.is_some() {
        return Err(err(
            RequestNotSupported,
            "request objects are not supported",
        ));
    }
    if p.request_uri.is_some() {
        return Err(err(RequestUriNotSupported, "request_uri is not supported"));
    }
    let response_type = match p.response_type.as_deref() {
        Some("code") => ResponseType::Code,
        Some("id_token") => ResponseType::IdToken,
        None => return Err(err(InvalidRequest, "response_type is required")),
        Some(_) => {
            return Err(err(
                UnsupportedResponseType,
                "response_type must be code or id_token (no hybrid, no token)",
            ))
        }
    };
    if !client.allows(response_type) {
        return Err(err(
            UnauthorizedClient,
            "the client's response_types setting does not allow this response_type",
        ));
    }
    // OAuth 2.0 Multiple Response Type Encoding Practices §2.1: a code may go back in the query
    // (its default), the fragment or a posted form; a token never in the query, where servers
    // and their logs would see it.
    let response_mode = match (response_type, p.response_mode.as_deref()) {
        (ResponseType::Code, None | Some("query")) => ResponseMode::Query,
        (ResponseType::IdToken, None) => ResponseMode::Fragment,
        (_, Some("fragment")) => ResponseMode::Fragment,
        (_, Some("form_post")) => ResponseMode::FormPost,
        (ResponseType::Code, Some(_)) => {
            return Err(err(
                InvalidRequest,
                "response_mode must be query, fragment or form_post",
            ))
        }
        (ResponseType::IdToken, Some(_)) => {
            return Err(err(
                InvalidRequest,
                "response_type=id_token is answered with response_mode=fragment or form_post, never query",
            ))
        }
    };
    let asked = Scopes::parse_known(p.scope.as_deref().unwrap_or(""));
    if !asked.has(Scope::Openid) {
        return Err(err(InvalidScope, "scope must include openid"));
    }
    let scopes = asked.within(&client.config.scopes);
    let opaque = |v: &Option<String>| v.as_ref().is_some_and(|s| s.len() > MAX_OPAQUE);
    if opaque(&p.state) || opaque(&p.nonce) {
        return Err(err(
            InvalidRequest,
            "state and nonce may be at most 512 bytes",
        ));
    }
    let code_challenge = match response_type {
        ResponseType::Code => challenge(client, p)?,
        ResponseType::IdToken => {
            // OIDC Core §3.2.2.1: the nonce binds the ID token to the browser's session; without
            // it a stolen token could be replayed.
            if p.nonce.as_deref().is_none_or(str::is_empty) {
                return Err(err(
                    InvalidRequest,
                    "nonce is required with response_type=id_token",
                ));
            }
            // PKCE protects a code; there is none here, and a silently ignored challenge would
            // let a client believe it is protected.
            if p.code_challenge.is_some() || p.code_challenge_method.is_some() {
                return Err(err(
                    InvalidRequest,
                    "code_challenge belongs to response_type=code",
                ));
            }
            None
        }
    };
    let prompt = Prompt::parse(p.prompt.as_deref())?;
    let max_age = match p.max_age.as_deref() {
        None | Some("") => None,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                return Err(err(
                    InvalidRequest,
                    "max_age must be a non-negative number of seconds",
                ))
            }
        },
    };
    Ok(Request {
        app: client.name.as_str().to_string(),
        client_id: client.client_id.as_str().to_string(),
        redirect_uri: uri.as_str().to_string(),
        scopes,
        state: p.state.clone().filter(|s| !s.is_empty()),
        nonce: p.nonce.clone().filter(|s| !s.is_empty()),
        code_challenge,
        prompt,
        max_age,
        response_type,
        response_mode,
    })
}

/// The PKCE challenge: S256 only (RFC 9700 §2.1.1 — `plain` is refused), required of public
/// clients, 43 base64url characters.
fn challenge(client: &Client, p: &Params) -> Result<Option<String>, RedirectError> {
    use ErrorCode::InvalidRequest;
    let Some(c) = p.code_challenge.as_deref().filter(|c| !c.is_empty()) else {
        if client.config.client_type == ClientType::Public {
            return Err(err(
                InvalidRequest,
                "a public client must send a PKCE code_challenge (S256)",
            ));
        }
        if p.code_challenge_method.is_some() {
            return Err(err(
                InvalidRequest,
                "code_challenge_method without code_challenge",
            ));
        }
        return Ok(None);
    };
    if p.code_challenge_method.as_deref() != Some("S256") {
        return Err(err(
            InvalidRequest,
            "code_challenge_method must be S256 (plain is not accepted)",
        ));
    }
    let b64url = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    if c.len() != 43 || !c.bytes().all(b64url) {
        return Err(err(
            InvalidRequest,
            "code_challenge must be the 43-character base64url SHA-256 of the verifier",
        ));
    }
    Ok(Some(c.to_string()))
}

/// Whether `verifier` (RFC 7636 §4.1: 43–128 characters of `[A-Za-z0-9-._~]`) hashes to
/// `challenge` with S256.
pub fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    use base64::Engine as _;
    let ok = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    if !(43..=128).contains(&verifier.len()) || !verifier.bytes().all(ok) {
        return false;
    }
    let digest = openssl::sha::sha256(verifier.as_bytes());
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    crate::crypto::constant_time_eq(computed.as_bytes(), challenge.as_bytes())
}

/// The URL a response or error goes back to: the redirect URI with `params` added to its query.
pub fn response_url(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    match url::Url::parse(redirect_uri) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                for (k, v) in params {
                    q.append_pair(k, v);
                }
            }
            u.to_string()
        }
        // Registered redirect URIs are parsed when registered; this is never reached.
        Err(_) => redirect_uri.to_string(),
    }
}

/// The URL an implicit answer goes back to: the redirect URI with `params` form-urlencoded in its
/// fragment (registered redirect URIs have none).
pub fn fragment_url(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    let mut f = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        f.append_pair(k, v);
    }
    format!("{redirect_uri}#{}", f.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_is_a_list_with_none_alone() {
        let p = |v: &str| Prompt::parse(Some(v)).map_err(|e| e.code);
        assert_eq!(Prompt::parse(None), Ok(Prompt::Default));
        assert_eq!(p(" "), Ok(Prompt::Default));
        assert_eq!(p("login consent"), Ok(Prompt::LoginConsent));
        assert_eq!(p("consent  login"), Ok(Prompt::LoginConsent));
        assert_eq!(p("select_account login"), Ok(Prompt::Login));
        assert_eq!(p("select_account"), Ok(Prompt::Default));
        assert_eq!(p("none"), Ok(Prompt::None));
        for bad in [
            "none login",
            "consent none",
            "none select_account",
            "NONE",
            "create",
        ] {
            assert_eq!(p(bad), Err(ErrorCode::InvalidRequest), "{bad}");
        }
        assert!(Prompt::LoginConsent.fresh_login() && Prompt::LoginConsent.asks_consent());
        assert!(!Prompt::Login.asks_consent() && !Prompt::Consent.fresh_login());
        // Pending logins stored before the list keep their meaning.
        let old: Prompt = serde_json::from_str("\"login\"").unwrap();
        assert_eq!(old, Prompt::Login);
    }

    #[test]
    fn implicit_answers_go_in_the_fragment_form_urlencoded() {
        let u = fragment_url(
            "https://a.example/cb?x=1",
            &[("id_token", "a.b.c"), ("state", "a b&")],
        );
        assert_eq!(u, "https://a.example/cb?x=1#id_token=a.b.c&state=a+b%26");
    }

    #[test]
    fn a_verifier_matches_its_s256_challenge_only() {
        let v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gXFQ5FHss";
        // The challenge computed independently (Python hashlib + base64url).
        let c = "5G0ywK4MJ4ZOW74-Aw58Kmu29y1tU5InVnKGM4SCf1g";
        assert!(verifier_matches(v, c));
        assert!(!verifier_matches(&v.replace('d', "e"), c));
        assert!(!verifier_matches("short", c));
    }

    #[test]
    fn response_params_are_added_to_the_redirect_uris_query() {
        let u = response_url(
            "https://a.example/cb?x=1",
            &[("code", "c"), ("state", "a b&")],
        );
        assert_eq!(u, "https://a.example/cb?x=1&code=c&state=a+b%26");
    }
}
