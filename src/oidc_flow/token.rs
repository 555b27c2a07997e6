//! The token endpoint's rules (RFC 6749 §3.2, §4.1.3, §6; RFC 7636 §4.6; OIDC Core §3.1.3): client
//! authentication (`client_secret_basic` or `client_secret_post`, one method only, secrets compared
//! in constant time; a public client by its ID and PKCE), the code redeemed once (a second use
//! revokes everything the first gave), refresh tokens rotated (a reused one revokes its family),
//! and the tokens: an ID token and an `at+jwt` access token signed by the key ring, the access
//! token's hash kept for userinfo and revocation.

use super::grant::Grant;
use crate::crypto::sha256_hex;
use crate::login::Ctx;
use crate::oidc::authorize::verifier_matches;
use crate::oidc::client::{Client, ClientId, ClientType};
use crate::oidc::jwks::JoseKeys;
use crate::oidc::jwt::{self, JwsAlg, TokenType};
use crate::store::{GrantRow, StoreError, Use};
use base64::Engine as _;
use serde::Serialize;
use serde_json::{json, Value};

/// A token error (RFC 6749 §5.2): the code and what the client's developer must fix.
#[derive(Debug)]
pub enum TokenError {
    /// Missing or repeated parameters, or two authentication methods.
    InvalidRequest(&'static str),
    /// Unknown client, wrong secret, or no authentication (HTTP 401).
    InvalidClient(&'static str),
    /// The code or refresh token is unknown, used, expired, revoked, or not this client's; or the
    /// redirect URI or PKCE verifier does not match.
    InvalidGrant(&'static str),
    /// A grant type other than `authorization_code` and `refresh_token`.
    UnsupportedGrantType,
    /// Our failure (the store, signing).
    Server(String),
}

impl TokenError {
    /// The `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidClient(_) => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::Server(_) => "server_error",
        }
    }

    /// The `error_description`.
    pub fn description(&self) -> &'static str {
        match self {
            Self::InvalidRequest(d) | Self::InvalidClient(d) | Self::InvalidGrant(d) => d,
            Self::UnsupportedGrantType => "grant_type must be authorization_code or refresh_token",
            Self::Server(_) => "the server could not answer; try again",
        }
    }
}

impl From<StoreError> for TokenError {
    fn from(e: StoreError) -> Self {
        Self::Server(e.to_string())
    }
}

/// How the client authenticated: HTTP Basic and/or form parameters.
#[derive(Debug, Default)]
pub struct Credentials {
    /// `Authorization: Basic` (client ID, secret), form-urlencoded as RFC 6749 §2.3.1 says.
    pub basic: Option<(String, String)>,
    /// The form's `client_id`.
    pub form_id: Option<String>,
    /// The form's `client_secret`.
    pub form_secret: Option<String>,
}

/// Authenticates the client: exactly one method; a confidential client by its secret, a public
/// one by its ID alone (its proof is the PKCE verifier, checked with the code).
pub async fn authenticate(ctx: &Ctx<'_>, c: &Credentials) -> Result<Client, TokenError> {
    let (id, secret) = match (&c.basic, &c.form_secret) {
        (Some(_), Some(_)) => {
            return Err(TokenError::InvalidRequest(
                "use one client authentication method, not Basic and client_secret both",
            ))
        }
        (Some((id, s)), None) => {
            if c.form_id.as_deref().is_some_and(|f| f != id) {
                return Err(TokenError::InvalidRequest(
                    "client_id differs from the Basic credentials",
                ));
            }
            (Some(id.as_str()), Some(s.as_str()))
        }
        (None, s) => (c.form_id.as_deref(), s.as_deref()),
    };
    let unknown = TokenError::InvalidClient("unknown client or wrong client secret");
    let Some(id) = id.and_then(ClientId::parse) else {
        return Err(TokenError::InvalidClient(
            "client authentication is required",
        ));
    };
    let Some(row) = ctx.store.client_by_id_row(id.as_str()).await? else {
        return Err(unknown);
    };
    let client = Client::from_row(row).map_err(|e| TokenError::Server(e.to_string()))?;
    match (client.config.client_type, secret) {
        (ClientType::Confidential, Some(s)) if client.secret_matches(s) => Ok(client),
        (ClientType::Public, None) => Ok(client),
        _ => Err(unknown),
    }
}

/// The tokens of a successful request.
#[derive(Debug, Serialize)]
pub struct Tokens {
    /// The `at+jwt` access token.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: &'static str,
    /// Seconds.
    pub expires_in: i64,
    /// The ID token.
    pub id_token: String,
    /// A new refresh token (when the client has a refresh lifetime).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The granted scopes.
    pub scope: String,
}

/// What signs and names the tokens.
pub struct Issuer<'a> {
    /// `iss`: the public URL.
    pub iss: &'a str,
    /// The key ring's JOSE keys.
    pub keys: &'a JoseKeys,
}

/// Redeems a code: once, by the client it was given to, with the same redirect URI and the PKCE
/// verifier of its challenge. A second use revokes the grant and so every token the first gave.
pub async fn redeem_code(
    ctx: &Ctx<'_>,
    issuer: &Issuer<'_>,
    client: &Client,
    code: Option<&str>,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
) -> Result<Tokens, TokenError> {
    let code = code.ok_or(TokenError::InvalidRequest("code is required"))?;
    let now = ctx.unix();
    let grant_id = match ctx
        .store
        .use_code(&sha256_hex(code.as_bytes()), now)
        .await?
    {
        Use::Fresh(g) => g,
        Use::Reused(g) => {
            ctx.store.revoke_grant(&g, now).await?;
            tracing::warn!(client = %client.name, "an OIDC code was used twice: its grant and tokens are revoked");
            return Err(TokenError::InvalidGrant("the code was already used"));
        }
        Use::Expired => return Err(TokenError::InvalidGrant("the code has expired")),
        Use::Unknown => return Err(TokenError::InvalidGrant("unknown code")),
    };
    let (row, grant) = live_grant(ctx, &grant_id, client).await?;
    if redirect_uri != Some(grant.redirect_uri.as_str()) {
        return Err(TokenError::InvalidGrant(
            "redirect_uri differs from the authorization request's",
        ));
    }
    match (&grant.code_challenge, verifier) {
        (Some(c), Some(v)) if verifier_matches(v, c) => {}
        (Some(_), Some(_)) => {
            return Err(TokenError::InvalidGrant(
                "code_verifier does not match the code_challenge",
            ))
        }
        (Some(_), None) => {
            return Err(TokenError::InvalidGrant("code_verifier is required (PKCE)"))
        }
        (None, Some(_)) => {
            return Err(TokenError::InvalidGrant(
                "code_verifier without a code_challenge in the authorization request",
            ))
        }
        (None, None) => {}
    }
    issue(ctx, issuer, client, &row, &grant, true).await
}

/// Exchanges a refresh token for new tokens and a new refresh token; a reused one revokes its
/// grant (the whole family), and one whose IdP session has ended gives nothing.
pub async fn refresh(
    ctx: &Ctx<'_>,
    issuer: &Issuer<'_>,
    client: &Client,
    token: Option<&str>,
) -> Result<Tokens, TokenError> {
    let token = token.ok_or(TokenError::InvalidRequest("refresh_token is required"))?;
    let now = ctx.unix();
    let grant_id = match ctx
        .store
        .use_refresh_token(&sha256_hex(token.as_bytes()), now)
        .await?
    {
        Use::Fresh(g) => g,
        Use::Reused(g) => {
            ctx.store.revoke_grant(&g, now).await?;
            tracing::warn!(client = %client.name, "a rotated refresh token was used again: its family is revoked");
            return Err(TokenError::InvalidGrant(
                "the refresh token was already used",
            ));
        }
        Use::Expired | Use::Unknown => {
            return Err(TokenError::InvalidGrant("unknown or expired refresh token"))
        }
    };
    let (row, grant) = live_grant(ctx, &grant_id, client).await?;
    let session = ctx.store.session(&row.session_hash).await?;
    if session.is_none_or(|s| s.expires_at <= now) {
        ctx.store.revoke_grant(&row.id, now).await?;
        return Err(TokenError::InvalidGrant(
            "the sign-in session has ended; sign in again",
        ));
    }
    issue(ctx, issuer, client, &row, &grant, false).await
}

/// The grant `id`, unrevoked and this client's.
async fn live_grant(
    ctx: &Ctx<'_>,
    id: &str,
    client: &Client,
) -> Result<(GrantRow, Grant), TokenError> {
    let row = ctx
        .store
        .grant(id)
        .await?
        .filter(|g| g.revoked_at.is_none())
        .ok_or(TokenError::InvalidGrant("the grant has been revoked"))?;
    if row.client_id != client.client_id.as_str() {
        return Err(TokenError::InvalidGrant(
            "the code or token was issued to another client",
        ));
    }
    let grant: Grant =
        serde_json::from_str(&row.grant_json).map_err(|e| TokenError::Server(e.to_string()))?;
    Ok((row, grant))
}

/// Signs and stores the tokens of `grant`.
async fn issue(
    ctx: &Ctx<'_>,
    issuer: &Issuer<'_>,
    client: &Client,
    row: &GrantRow,
    grant: &Grant,
    with_nonce: bool,
) -> Result<Tokens, TokenError> {
    let now = ctx.unix();
    let lifetime = client.config.access_token_secs;
    // One algorithm for both tokens: a client that verifies ES256 ID tokens may verify its
    // access tokens too, and an RS256-only client never sees an EC key.
    let alg: JwsAlg = client.config.id_token_signed_response_alg;
    let sign = |typ, claims: &Value| {
        jwt::sign(issuer.keys, alg, typ, claims).map_err(|e| TokenError::Server(e.to_string()))
    };
    let aud = client.client_id.as_str();
    let access_claims = json!({
        "iss": issuer.iss, "sub": grant.sub(), "aud": aud, "client_id": aud,
        "iat": now, "exp": now + lifetime, "jti": ctx.rng.hex(16),
        "scope": grant.scopes.to_wire(), "auth_time": grant.auth_time,
    });
    let access_token = sign(TokenType::AccessToken, &access_claims)?;
    let claims = id_claims(
        issuer,
        client,
        grant,
        &row.session_hash,
        now,
        Some(&at_hash(&access_token)),
        with_nonce,
    );
    let id_token = sign(TokenType::Jwt, &claims)?;
    let access_expires = now + lifetime;
    ctx.store
        .create_token(
            &sha256_hex(access_token.as_bytes()),
            "access",
            &row.id,
            access_expires,
        )
        .await?;
    let refresh_until = row.created_at + client.config.refresh_token_secs;
    let refresh_token = if refresh_until > now {
        let t = ctx.rng.token();
        ctx.store
            .create_token(&sha256_hex(t.as_bytes()), "refresh", &row.id, refresh_until)
            .await?;
        Some(t)
    } else {
        None
    };
    Ok(Tokens {
        access_token,
        token_type: "Bearer",
        expires_in: lifetime,
        id_token,
        refresh_token,
        scope: grant.scopes.to_wire(),
    })
}

/// An ID token's claims: the grant's released claims, and `iss`, `aud`, `azp`, `iat`, `exp`,
/// `auth_time`, `sid` (the session's at this client, as its Logout Tokens will name it), `at_hash`
/// when an access token goes with it.
fn id_claims(
    issuer: &Issuer<'_>,
    client: &Client,
    grant: &Grant,
    session_hash: &str,
    now: i64,
    at_hash: Option<&str>,
    with_nonce: bool,
) -> Value {
    let aud = client.client_id.as_str();
    let mut c = grant.released();
    for (k, v) in [
        ("iss", json!(issuer.iss)),
        ("aud", json!(aud)),
        ("azp", json!(aud)),
        ("iat", json!(now)),
        ("exp", json!(now + client.id_token_secs())),
        ("auth_time", json!(grant.auth_time)),
        (
            "sid",
            json!(crate::oidc::backchannel::sid(session_hash, aud)),
        ),
    ] {
        c.insert(k.into(), v);
    }
    if let Some(h) = at_hash {
        c.insert("at_hash".into(), json!(h));
    }
    // The nonce answers the authorization request: the code's ID token carries it; a refreshed
    // one does not (there is no request for it to answer).
    if let Some(n) = grant.nonce.as_deref().filter(|_| with_nonce) {
        c.insert("nonce".into(), json!(n));
    }
    Value::Object(c)
}

/// The ID token of the implicit flow (`response_type=id_token`): the code flow's ID token for the
/// same grant given by the session whose hash is `session_hash`, with its nonce, without
/// `at_hash` (no access token is issued) — signed with the client's algorithm, nothing stored.
pub fn implicit_id_token(
    issuer: &Issuer<'_>,
    client: &Client,
    grant: &Grant,
    session_hash: &str,
    now: i64,
) -> Result<String, TokenError> {
    let claims = id_claims(issuer, client, grant, session_hash, now, None, true);
    jwt::sign(
        issuer.keys,
        client.config.id_token_signed_response_alg,
        TokenType::Jwt,
        &claims,
    )
    .map_err(|e| TokenError::Server(e.to_string()))
}

/// `at_hash`: the left half of the access token's SHA-256, base64url (OIDC Core §3.1.3.6).
pub fn at_hash(access_token: &str) -> String {
    let d = openssl::sha::sha256(access_token.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&d[..16])
}

/// The claims userinfo answers for a bearer access token: its grant's claims by scope, while the
/// token is live, its grant unrevoked and the IdP session that signed the member in still open —
/// a member signed out, or cut off as a leaver, is no longer described to the client.
pub async fn userinfo(ctx: &Ctx<'_>, access_token: &str) -> Result<Option<Value>, StoreError> {
    let hash = sha256_hex(access_token.as_bytes());
    let now = ctx.unix();
    let Some(row) = ctx.store.access_token_grant(&hash, now).await? else {
        return Ok(None);
    };
    let session = ctx.store.session(&row.session_hash).await?;
    if session.is_none_or(|s| s.expires_at <= now) {
        return Ok(None);
    }
    let grant: Grant = serde_json::from_str(&row.grant_json)
        .map_err(|e| StoreError::Corrupt(format!("OIDC grant: {e}")))?;
    Ok(Some(Value::Object(grant.released())))
}
