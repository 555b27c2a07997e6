//! An OIDC client: an app that speaks OpenID Connect. It has the app's name and the app's rules
//! ([`AppSettings`]: access, roles, the subject's source) like a SAML app, and instead of SP
//! metadata its client ID, its secret's hash (confidential clients) or none (public clients, which
//! must use PKCE), its redirect URIs (compared exactly), the scopes it may ask for, its token
//! lifetimes and its `initiate_login_uri`. Stored beside the apps, in `oidc_clients`.

use super::jwt::JwsAlg;
use super::scope::Scopes;
use crate::apps::{AppError, AppName, AppPolicy, AppSettings, NameIdFormat};
use crate::crypto::{constant_time_eq, sha256_hex};
use crate::identity::access::Access;
use crate::identity::roles::RoleConfig;
use crate::random::Rng;
use crate::store::OidcClientRow;
use serde::{Deserialize, Serialize};

/// The longest access token lifetime an administrator may set (seconds).
pub const MAX_ACCESS_TOKEN_SECS: i64 = 86_400;
/// The longest ID token lifetime an administrator may set (seconds).
pub const MAX_ID_TOKEN_SECS: i64 = 86_400;
/// The longest refresh token lifetime an administrator may set (seconds).
pub const MAX_REFRESH_TOKEN_SECS: i64 = 90 * 86_400;

/// A client ID: random, 32 lowercase hex characters; not a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientId(String);

impl ClientId {
    /// A new random client ID.
    pub fn generate(rng: &dyn Rng) -> Self {
        Self(rng.hex(16))
    }

    /// A client ID as a request carries it; `None` when it cannot be one of ours.
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 32
            && s.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        .then(|| Self(s.to_string()))
    }

    /// The ID.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ClientId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether the client can keep a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientType {
    /// A server-side app with a client secret (`client_secret_basic` or `client_secret_post`).
    Confidential,
    /// A browser or native app without a secret: PKCE is its proof.
    Public,
}

impl ClientType {
    fn parse(v: &str) -> Result<Self, AppError> {
        match v {
            "confidential" => Ok(Self::Confidential),
            "public" => Ok(Self::Public),
            _ => Err(AppError::Invalid(format!(
                "client_type: `{v}` is not confidential or public"
            ))),
        }
    }

    /// `confidential` or `public`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confidential => "confidential",
            Self::Public => "public",
        }
    }
}

/// A registered redirect URI: absolute, no fragment, `https` — or `http` on a loopback host
/// (RFC 8252 §7.3). Requests must name one exactly, byte for byte (RFC 9700 §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// Checks an administrator's redirect URI; the error says what to fix.
    pub fn parse(s: &str) -> Result<Self, AppError> {
        let bad = |why: &str| AppError::Invalid(format!("redirect URI `{s}`: {why}"));
        let u = url::Url::parse(s).map_err(|e| bad(&format!("not an absolute URL ({e})")))?;
        if u.fragment().is_some() {
            return Err(bad("a redirect URI may not have a #fragment"));
        }
        if !u.username().is_empty() || u.password().is_some() {
            return Err(bad("a redirect URI may not carry user:password@"));
        }
        match u.scheme() {
            "https" => {}
            "http" if is_loopback(&u) => {}
            "http" => {
                return Err(bad(
                    "plain http is allowed only on a loopback host (127.0.0.1, [::1], localhost); use https",
                ))
            }
            _ => return Err(bad("use an https URL")),
        }
        if s.len() > 2000 {
            return Err(bad("longer than 2000 characters"));
        }
        Ok(Self(s.to_string()))
    }

    /// The URI.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        None => false,
    }
}

/// What an OIDC client has beside the app's rules; stored as JSON in its row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientConfig {
    /// Confidential or public.
    pub client_type: ClientType,
    /// `redirect_uri`: where codes may be sent, compared exactly.
    pub redirect_uris: Vec<RedirectUri>,
    /// `scopes`: what the client may ask for.
    pub scopes: Scopes,
    /// `access_token_lifetime` (seconds).
    pub access_token_secs: i64,
    /// `refresh_token_lifetime` (seconds); 0 issues no refresh tokens.
    pub refresh_token_secs: i64,
    /// `id_token_lifetime` (seconds); unset, an ID token lasts as long as the access token, as
    /// every ID token did before the setting existed (so no RP sees its tokens expire sooner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_secs: Option<i64>,
    /// `initiate_login_uri`: where the mount address sends the browser (OpenID Connect
    /// third-party-initiated login); otherwise the first redirect URI's origin.
    pub initiate_login_uri: Option<String>,
    /// `id_token_signed_response_alg` (the client registration metadata name): what signs the
    /// client's ID tokens and access tokens; RS256 unless the client asks for ES256.
    #[serde(default = "default_alg")]
    pub id_token_signed_response_alg: JwsAlg,
    /// `consent`: whether the member is asked before the client gets the claims; off by default
    /// (the company's administrator registers clients, so the company already trusts them).
    #[serde(default)]
    pub consent: Consent,
    /// `post_logout_redirect_uris`: where RP-initiated logout may send the browser afterwards,
    /// compared exactly (same rules as redirect URIs). Older rows have none.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    /// `response_types`: the flows the client may use, each on its own — `code id_token` allows
    /// both, not the hybrid response type. Older rows are code only.
    #[serde(default = "default_response_types")]
    pub response_types: Vec<ResponseType>,
    /// `backchannel_logout_uri`: where the client's Logout Tokens are POSTed when a session that
    /// gave it a grant ends (same rules as redirect URIs). None: the client is not told.
    #[serde(default)]
    pub backchannel_logout_uri: Option<RedirectUri>,
    /// `backchannel_logout_session_required`: the client needs `sid` in its Logout Tokens. We
    /// always send it; the setting is kept so the registration says what the client declared.
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
}

/// A flow a client may be allowed: an authorization request's `response_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseType {
    /// `code`: the authorization code flow.
    Code,
    /// `id_token`: the implicit flow giving an ID token only (no access token), as cloud
    /// consoles' OIDC console sign-in asks for.
    IdToken,
}

impl ResponseType {
    /// The value on the wire and in the setting.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::IdToken => "id_token",
        }
    }

    fn parse(v: &str) -> Result<Self, AppError> {
        match v {
            "code" => Ok(Self::Code),
            "id_token" => Ok(Self::IdToken),
            _ => Err(AppError::Invalid(format!(
                "response_types: `{v}` is not code or id_token"
            ))),
        }
    }
}

fn default_response_types() -> Vec<ResponseType> {
    vec![ResponseType::Code]
}

fn default_alg() -> JwsAlg {
    JwsAlg::Rs256
}

/// Whether a member is asked to allow the claims a client will receive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Consent {
    /// Never asked (the default).
    #[default]
    Off,
    /// Asked once per client and scopes; `prompt=consent` asks again.
    On,
}

impl Consent {
    fn parse(v: &str) -> Result<Self, AppError> {
        match v {
            "off" => Ok(Self::Off),
            "on" => Ok(Self::On),
            _ => Err(AppError::Invalid(format!(
                "consent: `{v}` is not on or off"
            ))),
        }
    }

    /// `on` or `off`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::On => "on",
        }
    }
}

impl ClientConfig {
    fn new(client_type: ClientType) -> Self {
        Self {
            client_type,
            redirect_uris: Vec::new(),
            scopes: Scopes::all(),
            access_token_secs: 600,
            refresh_token_secs: 8 * 3600,
            id_token_secs: None,
            initiate_login_uri: None,
            id_token_signed_response_alg: JwsAlg::Rs256,
            consent: Consent::Off,
            post_logout_redirect_uris: Vec::new(),
            response_types: default_response_types(),
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
        }
    }
}

/// A registered OIDC client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The app's name (one name space with the SAML apps).
    pub name: AppName,
    /// The client ID.
    pub client_id: ClientId,
    /// SHA-256 of the secret (confidential clients); the secret itself is shown once.
    pub secret_hash: Option<String>,
    /// Redirect URIs, scopes, lifetimes.
    pub config: ClientConfig,
    /// The app's rules: access, roles, and `nameid_format`/`nameid_source` for `sub`.
    pub settings: AppSettings,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

impl crate::identity::rule_inputs::AppRules for Client {
    fn app_name(&self) -> &str {
        self.name.as_str()
    }
    fn roles(&self) -> &RoleConfig {
        &self.settings.roles
    }
    fn access(&self) -> &Access {
        &self.settings.access
    }
}

impl AppPolicy for Client {
    fn name(&self) -> &AppName {
        &self.name
    }
    fn settings(&self) -> &AppSettings {
        &self.settings
    }
}

/// The `--set` keys of an OIDC client besides its redirect URIs.
pub const CLIENT_KEYS: &[(&str, &str)] = &[
    ("client_type", "confidential (default: has a secret) or public (PKCE, no secret)"),
    ("redirect_uris", "redirect URIs, space-separated (replaces the list)"),
    ("scopes", "scopes the client may ask for (default: openid profile email phone groups)"),
    ("access_token_lifetime", "seconds, 60..86400 (default 600)"),
    ("refresh_token_lifetime", "seconds, 0 (no refresh tokens)..7776000 (default 28800)"),
    ("id_token_lifetime", "seconds, 60..86400; empty (default): as long as access_token_lifetime"),
    ("initiate_login_uri", "https URL the mount address sends the browser to"),
    ("id_token_signed_response_alg", "RS256 (default) or ES256: signs the ID token and the access token"),
    ("consent", "off (default) or on: the member allows the claims once per client and scopes"),
    ("post_logout_redirect_uris", "where RP-initiated logout may return, space-separated (replaces the list)"),
    ("response_types", "code (default), id_token (implicit, ID token only; https redirect URIs only) or both, space-separated"),
    ("backchannel_logout_uri", "https URL (http only on loopback) the client's Logout Tokens are POSTed to when the member's session ends; empty: none"),
    ("backchannel_logout_session_required", "false (default) or true: the client needs sid in Logout Tokens (always sent)"),
    ("nameid_format", "how `sub` is made: unspecified (nameid_source, default userid) or persistent (pairwise per app)"),
];

/// App settings that mean something for an OIDC client (the rest are SAML's).
pub const APP_KEYS: &[&str] = &[
    "nameid_format",
    "nameid_source",
    "access",
    "role",
    "role_rules",
    "role_mode",
    "role_contact",
    "accounts",
];

/// A new client and, for a confidential one, its secret (to show once).
pub struct NewClient {
    /// The client.
    pub client: Client,
    /// The secret, for a confidential client.
    pub secret: Option<String>,
}

impl Client {
    /// A new client named `name` with `redirect_uris` and `KEY=VALUE` settings; a confidential
    /// client gets a random secret, kept only as its hash.
    pub fn create(
        name: &str,
        redirect_uris: &[String],
        sets: &[(String, String)],
        rng: &dyn Rng,
        now: i64,
    ) -> Result<NewClient, AppError> {
        let name = AppName::parse(name)?;
        let client_type = match sets.iter().rev().find(|(k, _)| k == "client_type") {
            Some((_, v)) => ClientType::parse(v.trim())?,
            None => ClientType::Confidential,
        };
        let mut client = Client {
            name,
            client_id: ClientId::generate(rng),
            secret_hash: None,
            config: ClientConfig::new(client_type),
            settings: AppSettings {
                attributes: Vec::new(),
                ..AppSettings::default()
            },
            created_at: now,
            updated_at: now,
        };
        for u in redirect_uris {
            client.config.redirect_uris.push(RedirectUri::parse(u)?);
        }
        client.apply(sets)?;
        let secret = (client.config.client_type == ClientType::Confidential).then(|| rng.token());
        client.secret_hash = secret.as_deref().map(|s| sha256_hex(s.as_bytes()));
        Ok(NewClient { client, secret })
    }

    /// Applies `KEY=VALUE` settings, then checks the whole.
    pub fn apply(&mut self, sets: &[(String, String)]) -> Result<(), AppError> {
        for (k, v) in sets {
            self.set(k.trim(), v.trim())?;
        }
        self.check()
    }

    fn set(&mut self, key: &str, v: &str) -> Result<(), AppError> {
        let c = &mut self.config;
        match key {
            "client_type" => {
                if ClientType::parse(v)? != c.client_type {
                    return Err(AppError::Invalid(
                        "client_type cannot change after the client is made: remove and add it again".into(),
                    ));
                }
            }
            "redirect_uris" => {
                c.redirect_uris = v
                    .split_ascii_whitespace()
                    .map(RedirectUri::parse)
                    .collect::<Result<_, _>>()?
            }
            "scopes" => {
                c.scopes = Scopes::parse_strict(v)
                    .map_err(|e| AppError::Invalid(format!("scopes: {e}")))?
            }
            "access_token_lifetime" => {
                c.access_token_secs = secs(key, v, 60, MAX_ACCESS_TOKEN_SECS)?
            }
            "refresh_token_lifetime" => {
                c.refresh_token_secs = secs(key, v, 0, MAX_REFRESH_TOKEN_SECS)?
            }
            "id_token_lifetime" if v.is_empty() => c.id_token_secs = None,
            "id_token_lifetime" => c.id_token_secs = Some(secs(key, v, 60, MAX_ID_TOKEN_SECS)?),
            "initiate_login_uri" => c.initiate_login_uri = initiate_login_uri(v)?,
            "id_token_signed_response_alg" => {
                c.id_token_signed_response_alg = JwsAlg::parse(v).ok_or_else(|| {
                    AppError::Invalid(format!(
                        "id_token_signed_response_alg: `{v}` is not RS256 or ES256"
                    ))
                })?
            }
            "consent" => c.consent = Consent::parse(v)?,
            "post_logout_redirect_uris" => {
                c.post_logout_redirect_uris = v
                    .split_ascii_whitespace()
                    .map(|u| {
                        RedirectUri::parse(u).map_err(|e| {
                            AppError::Invalid(format!("post_logout_redirect_uris: {e}"))
                        })
                    })
                    .collect::<Result<_, _>>()?
            }
            "response_types" => {
                let mut list = Vec::new();
                for t in v.split_ascii_whitespace().map(ResponseType::parse) {
                    let t = t?;
                    if !list.contains(&t) {
                        list.push(t);
                    }
                }
                c.response_types = list;
            }
            "backchannel_logout_uri" => {
                c.backchannel_logout_uri =
                    match v {
                        "" => None,
                        u => Some(RedirectUri::parse(u).map_err(|e| {
                            AppError::Invalid(format!("backchannel_logout_uri: {e}"))
                        })?),
                    }
            }
            "backchannel_logout_session_required" => {
                c.backchannel_logout_session_required = match v {
                    "true" => true,
                    "false" | "" => false,
                    _ => {
                        return Err(AppError::Invalid(format!(
                            "backchannel_logout_session_required: `{v}` is not true or false"
                        )))
                    }
                }
            }
            k if APP_KEYS.contains(&k) => self.settings.set(k, v)?,
            k => {
                return Err(AppError::Invalid(format!(
                "`{k}` is not a setting of an OIDC client; its keys are {}, and the app rules {}",
                CLIENT_KEYS
                    .iter()
                    .map(|(k, _)| *k)
                    .collect::<Vec<_>>()
                    .join(", "),
                APP_KEYS.join(", ")
            )))
            }
        }
        Ok(())
    }

    fn check(&self) -> Result<(), AppError> {
        if self.config.redirect_uris.is_empty() {
            return Err(AppError::Invalid(
                "an OIDC client needs at least one redirect URI (--redirect-uri URL)".into(),
            ));
        }
        if self.config.response_types.is_empty() {
            return Err(AppError::Invalid(
                "response_types: give code, id_token, or both".into(),
            ));
        }
        // An ID token in a URL or a form is a bearer credential: it may travel only over TLS,
        // even to a loopback address (the code flow's loopback exception rests on PKCE).
        if self.allows(ResponseType::IdToken) {
            if let Some(u) = self
                .config
                .redirect_uris
                .iter()
                .find(|u| !u.as_str().starts_with("https://"))
            {
                return Err(AppError::Invalid(format!(
                    "response_types: id_token needs https redirect URIs, and `{}` is not",
                    u.as_str()
                )));
            }
        }
        if !self.config.scopes.has(super::Scope::Openid) {
            return Err(AppError::Invalid("scopes: must include openid".into()));
        }
        if !matches!(
            self.settings.name_id_format,
            NameIdFormat::Unspecified | NameIdFormat::Persistent
        ) {
            return Err(AppError::Invalid(
                "nameid_format: `sub` must stay the same for a member: use unspecified (nameid_source) or persistent (pairwise)".into(),
            ));
        }
        Ok(())
    }

    /// The current value of a [`CLIENT_KEYS`] or [`APP_KEYS`] key in the form [`Client::apply`]
    /// takes back (the console's settings form and the API's view show it); `None` for another key.
    pub fn value(&self, key: &str) -> Option<String> {
        let c = &self.config;
        Some(match key {
            "client_type" => c.client_type.as_str().to_string(),
            "redirect_uris" => c
                .redirect_uris
                .iter()
                .map(RedirectUri::as_str)
                .collect::<Vec<_>>()
                .join(" "),
            "scopes" => c.scopes.to_wire(),
            "access_token_lifetime" => c.access_token_secs.to_string(),
            "refresh_token_lifetime" => c.refresh_token_secs.to_string(),
            "id_token_lifetime" => c.id_token_secs.map(|n| n.to_string()).unwrap_or_default(),
            "initiate_login_uri" => c.initiate_login_uri.clone().unwrap_or_default(),
            k if APP_KEYS.contains(&k) => crate::apps::form::current(&self.settings, k),
            // A key added later whose stored field has its name reads back without a line here.
            k if CLIENT_KEYS.iter().any(|(c, _)| *c == k) => stored_field(&self.config, k)?,
            _ => return None,
        })
    }

    /// How long the client's ID tokens last (seconds): `id_token_lifetime`, else the access
    /// token's lifetime.
    pub fn id_token_secs(&self) -> i64 {
        self.config
            .id_token_secs
            .unwrap_or(self.config.access_token_secs)
    }

    /// Whether the client may use the flow `t`.
    pub fn allows(&self, t: ResponseType) -> bool {
        self.config.response_types.contains(&t)
    }

    /// Whether `uri` is one of the registered redirect URIs, exactly.
    pub fn redirect_uri(&self, uri: &str) -> Option<&RedirectUri> {
        self.config.redirect_uris.iter().find(|r| r.0 == uri)
    }

    /// The registered post-logout redirect URIs, for an exact comparison.
    pub fn post_logout_redirect_uris(&self) -> Vec<&str> {
        self.config
            .post_logout_redirect_uris
            .iter()
            .map(RedirectUri::as_str)
            .collect()
    }

    /// Whether `secret` is the client's secret (compared in constant time, over the hashes).
    pub fn secret_matches(&self, secret: &str) -> bool {
        match &self.secret_hash {
            Some(h) => constant_time_eq(h.as_bytes(), sha256_hex(secret.as_bytes()).as_bytes()),
            None => false,
        }
    }

    /// Where the mount address sends the browser: `initiate_login_uri`, else the first redirect
    /// URI's origin.
    pub fn homepage(&self) -> Option<String> {
        if let Some(u) = &self.config.initiate_login_uri {
            return Some(u.clone());
        }
        let first = self.config.redirect_uris.first()?;
        let u = url::Url::parse(first.as_str()).ok()?;
        Some(format!("{}/", u.origin().ascii_serialization()))
    }

    /// Reads a stored row.
    pub fn from_row(row: OidcClientRow) -> Result<Self, AppError> {
        let corrupt = |what: &str, e: serde_json::Error| {
            AppError::Corrupt(format!("{}: {what}: {e}", row.name))
        };
        Ok(Self {
            name: AppName::parse(&row.name)?,
            client_id: ClientId(row.client_id.clone()),
            secret_hash: row.secret_hash.clone(),
            config: serde_json::from_str(&row.client_json).map_err(|e| corrupt("client", e))?,
            settings: serde_json::from_str(&row.settings_json)
                .map_err(|e| corrupt("settings", e))?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    /// The row to store.
    pub fn to_row(&self) -> Result<OidcClientRow, AppError> {
        let enc = |e: serde_json::Error| AppError::Corrupt(e.to_string());
        Ok(OidcClientRow {
            name: self.name.as_str().to_string(),
            client_id: self.client_id.0.clone(),
            secret_hash: self.secret_hash.clone(),
            client_json: serde_json::to_string(&self.config).map_err(enc)?,
            settings_json: serde_json::to_string(&self.settings).map_err(enc)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The field `key` of the stored configuration as text (a list space-separated, none empty).
fn stored_field(c: &ClientConfig, key: &str) -> Option<String> {
    let v = serde_json::to_value(c).ok()?;
    Some(match v.get(key)? {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(String::from)
                    .unwrap_or_else(|| x.to_string())
            })
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    })
}

fn secs(key: &str, v: &str, min: i64, max: i64) -> Result<i64, AppError> {
    match v.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(AppError::Invalid(format!(
            "{key}: `{v}` is not a number of seconds from {min} to {max}"
        ))),
    }
}

fn initiate_login_uri(v: &str) -> Result<Option<String>, AppError> {
    if v.is_empty() {
        return Ok(None);
    }
    // The same rule as a redirect URI: https, or http on loopback.
    RedirectUri::parse(v)
        .map(|u| Some(u.0))
        .map_err(|e| AppError::Invalid(format!("initiate_login_uri: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::OsRng;

    fn sets(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn redirect_uris_are_https_or_loopback_http_without_fragment() {
        assert!(RedirectUri::parse("https://grafana.example.com/login/generic_oauth").is_ok());
        assert!(RedirectUri::parse("http://127.0.0.1:8000/cb").is_ok());
        assert!(RedirectUri::parse("http://localhost/cb").is_ok());
        assert!(RedirectUri::parse("http://[::1]:9/cb").is_ok());
        assert!(RedirectUri::parse("http://grafana.example.com/cb").is_err());
        assert!(RedirectUri::parse("https://a.example/cb#x").is_err());
        assert!(RedirectUri::parse("javascript:alert(1)").is_err());
        assert!(RedirectUri::parse("/relative").is_err());
    }

    #[test]
    fn confidential_clients_get_a_secret_kept_as_its_hash() {
        let uris = ["https://a.example/cb".to_string()];
        let n = Client::create("grafana", &uris, &[], &OsRng, 1).unwrap();
        let secret = n.secret.unwrap();
        assert!(n.client.secret_matches(&secret));
        assert!(!n.client.secret_matches("x"));
        assert_ne!(n.client.secret_hash.as_deref(), Some(secret.as_str()));
        let p =
            Client::create("spa", &uris, &sets(&[("client_type", "public")]), &OsRng, 1).unwrap();
        assert!(p.secret.is_none() && !p.client.secret_matches(""));
        assert_eq!(p.client.homepage().as_deref(), Some("https://a.example/"));
    }

    #[test]
    fn every_key_reads_back_as_it_is_set() {
        let uris = ["https://a.example/cb".to_string()];
        let n = Client::create(
            "x",
            &uris,
            &sets(&[
                ("scopes", "openid email"),
                ("initiate_login_uri", "https://a.example/"),
            ]),
            &OsRng,
            1,
        )
        .unwrap();
        let c = n.client;
        for k in CLIENT_KEYS
            .iter()
            .map(|(k, _)| *k)
            .chain(APP_KEYS.iter().copied())
        {
            let v = c.value(k).unwrap_or_else(|| panic!("{k} has no value"));
            let mut again = c.clone();
            again.apply(&sets(&[(k, v.as_str())])).unwrap();
            assert_eq!(again, c, "{k}={v} does not round-trip");
        }
        assert_eq!(c.value("scopes").as_deref(), Some("openid email"));
        assert_eq!(c.value("sign_response"), None);
    }

    #[test]
    fn bad_settings_say_what_to_fix() {
        let uris = ["https://a.example/cb".to_string()];
        let e = |kv| {
            Client::create("x", &uris, &sets(kv), &OsRng, 1)
                .err()
                .unwrap()
                .to_string()
        };
        assert!(e(&[("sign_response", "false")]).contains("not a setting of an OIDC client"));
        assert!(e(&[("nameid_format", "transient")]).contains("sub"));
        assert!(e(&[("scopes", "profile")]).contains("openid"));
        assert!(e(&[("access_token_lifetime", "5")]).contains("60"));
        assert!(e(&[("id_token_lifetime", "59")]).contains("60"));
        assert!(e(&[("id_token_lifetime", "86401")]).contains("86400"));
        assert!(e(&[("id_token_signed_response_alg", "HS256")]).contains("ES256"));
        assert!(e(&[("id_token_signed_response_alg", "none")]).contains("RS256"));
        assert!(e(&[("consent", "yes")]).contains("on or off"));
        assert!(Client::create("x", &[], &[], &OsRng, 1).is_err());
        assert!(e(&[("post_logout_redirect_uris", "http://rp.example/bye")])
            .contains("post_logout_redirect_uris"));
        assert!(e(&[("response_types", "code id_token token")]).contains("code or id_token"));
        assert!(e(&[("response_types", "")]).contains("response_types"));
    }

    #[test]
    fn id_tokens_last_as_long_as_access_tokens_unless_set() {
        let uris = ["https://a.example/cb".to_string()];
        let made = |kv| {
            Client::create("x", &uris, &sets(kv), &OsRng, 1)
                .unwrap()
                .client
        };
        let c = made(&[("access_token_lifetime", "900")]);
        assert_eq!(
            (c.id_token_secs(), c.value("id_token_lifetime")),
            (900, Some(String::new()))
        );
        let mut c = made(&[("id_token_lifetime", "3600")]);
        assert_eq!(c.id_token_secs(), 3600);
        assert_eq!(
            c.config.access_token_secs, 600,
            "the access token keeps its own"
        );
        c.apply(&sets(&[("id_token_lifetime", "")])).unwrap();
        assert_eq!(
            c.id_token_secs(),
            600,
            "emptied: as long as the access token again"
        );
        // A row stored before the setting existed reads as unset.
        let mut json = serde_json::to_value(&made(&[]).config).unwrap();
        json.as_object_mut().unwrap().remove("id_token_secs");
        let old: ClientConfig = serde_json::from_value(json).unwrap();
        assert_eq!(old.id_token_secs, None);
    }

    #[test]
    fn id_token_needs_https_redirect_uris_and_old_rows_are_code_only() {
        let loopback = ["http://127.0.0.1:9/cb".to_string()];
        let kv = sets(&[("response_types", "code id_token")]);
        let e = Client::create("x", &loopback, &kv, &OsRng, 1)
            .err()
            .unwrap();
        assert!(e.to_string().contains("https"));
        let uris = ["https://a.example/cb".to_string()];
        let c = Client::create("x", &uris, &kv, &OsRng, 1).unwrap().client;
        assert!(c.allows(ResponseType::Code) && c.allows(ResponseType::IdToken));
        assert_eq!(c.value("response_types").as_deref(), Some("code id_token"));
        let mut row = c.to_row().unwrap();
        row.client_json = row
            .client_json
            .replace(",\"response_types\":[\"code\",\"id_token\"]", "");
        assert!(!row.client_json.contains("response_types"));
        let old = Client::from_row(row).unwrap();
        assert!(old.allows(ResponseType::Code) && !old.allows(ResponseType::IdToken));
    }

    #[test]
    fn post_logout_redirect_uris_are_kept_exactly_and_old_rows_have_none() {
        let uris = ["https://a.example/cb".to_string()];
        let kv = sets(&[(
            "post_logout_redirect_uris",
            "https://a.example/bye http://127.0.0.1:9/out?x=1",
        )]);
        let c = Client::create("x", &uris, &kv, &OsRng, 1).unwrap().client;
        assert_eq!(
            c.post_logout_redirect_uris(),
            ["https://a.example/bye", "http://127.0.0.1:9/out?x=1"]
        );
        let mut row = c.to_row().unwrap();
        row.client_json = row
            .client_json
            .replace(",\"post_logout_redirect_uris\":[\"https://a.example/bye\",\"http://127.0.0.1:9/out?x=1\"]", "");
        assert!(!row.client_json.contains("post_logout"));
        assert!(Client::from_row(row)
            .unwrap()
            .post_logout_redirect_uris()
            .is_empty());
    }

    #[test]
    fn backchannel_logout_settings_follow_the_redirect_uri_rules_and_old_rows_have_none() {
        let uris = ["https://a.example/cb".to_string()];
        let e = |kv| {
            Client::create("x", &uris, &sets(kv), &OsRng, 1)
                .err()
                .unwrap()
                .to_string()
        };
        assert!(e(&[("backchannel_logout_uri", "http://rp.example/bcl")])
            .contains("backchannel_logout_uri"));
        assert!(e(&[("backchannel_logout_uri", "https://rp.example/bcl#f")]).contains("fragment"));
        assert!(e(&[("backchannel_logout_session_required", "yes")]).contains("true or false"));
        let kv = sets(&[
            ("backchannel_logout_uri", "http://127.0.0.1:9/bcl"),
            ("backchannel_logout_session_required", "true"),
        ]);
        let c = Client::create("x", &uris, &kv, &OsRng, 1).unwrap().client;
        assert_eq!(
            c.value("backchannel_logout_uri").as_deref(),
            Some("http://127.0.0.1:9/bcl")
        );
        assert_eq!(
            c.value("backchannel_logout_session_required").as_deref(),
            Some("true")
        );
        let mut cleared = c.clone();
        cleared
            .apply(&sets(&[("backchannel_logout_uri", "")]))
            .unwrap();
        assert_eq!(cleared.config.backchannel_logout_uri, None);
        let mut row = c.to_row().unwrap();
        row.client_json = row.client_json.replace(
            ",\"backchannel_logout_uri\":\"http://127.0.0.1:9/bcl\",\"backchannel_logout_session_required\":true",
            "",
        );
        assert!(!row.client_json.contains("backchannel"));
        let old = Client::from_row(row).unwrap();
        assert_eq!(old.config.backchannel_logout_uri, None);
        assert!(!old.config.backchannel_logout_session_required);
    }
}
