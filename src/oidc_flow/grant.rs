//! What a login gives a client: the grant (the member's `sub` and released claims, the scopes,
//! the nonce, the PKCE challenge, `auth_time`), its code (random, stored hashed, single use, 60
//! seconds) and the claims by scope. The claims come from the same [`Release`] SAML answers from:
//! one login module decides access, the subject and what is released.

use crate::identity::Profile;
use crate::login::Release;
use crate::oidc::authorize::Request;
use crate::oidc::scope::{Scope, Scopes};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// How long a code may be redeemed (RFC 6749 §4.1.2 recommends at most 10 minutes; a client
/// redeems at once).
pub const CODE_LIFETIME_SECS: i64 = 60;

/// A grant as stored (its row keeps the client, member and session beside it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The client's app name.
    pub app: String,
    /// The redirect URI the code was sent to (the token request must name it again).
    pub redirect_uri: String,
    /// The scopes granted.
    pub scopes: Scopes,
    /// `nonce`, for the ID token.
    pub nonce: Option<String>,
    /// The PKCE S256 challenge.
    pub code_challenge: Option<String>,
    /// When the member authenticated with WeCom (Unix seconds).
    pub auth_time: i64,
    /// The claims released, by the scope that releases them (see [`claims`]).
    pub claims: Map<String, Value>,
}

impl Grant {
    /// The grant a login makes for `req`.
    pub fn new(req: &Request, auth_time: i64, claims: Map<String, Value>) -> Self {
        Self {
            app: req.app.clone(),
            redirect_uri: req.redirect_uri.clone(),
            scopes: req.scopes.clone(),
            nonce: req.nonce.clone(),
            code_challenge: req.code_challenge.clone(),
            auth_time,
            claims,
        }
    }

    /// `sub`.
    pub fn sub(&self) -> &str {
        self.claims.get("sub").and_then(Value::as_str).unwrap_or("")
    }

    /// The claims the granted scopes release (userinfo; `sub` always).
    pub fn released(&self) -> Map<String, Value> {
        self.claims
            .iter()
            .filter(|(k, _)| scope_of(k).is_none_or(|s| self.scopes.has(s)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// The scope that releases claim `name` (`None`: always released).
fn scope_of(name: &str) -> Option<Scope> {
    match name {
        "sub" => None,
        "name" | "preferred_username" => Some(Scope::Profile),
        "email" => Some(Scope::Email),
        "phone_number" => Some(Scope::Phone),
        _ => Some(Scope::Groups),
    }
}

/// Every claim the member's release gives the client (the scopes choose among them later):
/// `sub` is the release's subject (userid, a profile field, or the pairwise ID); email and
/// mobile only when WeCom gave them (its consent scope); `groups`/`roles` are the role rules'
/// roles; `departments` the department names.
pub fn claims(release: &Release, profile: &Profile) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("sub".into(), json!(release.subject));
    m.insert("name".into(), json!(profile.name));
    let username = profile.username.as_deref().unwrap_or(&profile.userid);
    m.insert("preferred_username".into(), json!(username));
    if let Some(e) = profile.email.as_deref().filter(|e| !e.is_empty()) {
        m.insert("email".into(), json!(e));
    }
    if let Some(p) = profile.mobile.as_deref().filter(|p| !p.is_empty()) {
        m.insert("phone_number".into(), json!(p));
    }
    m.insert("groups".into(), json!(release.roles));
    m.insert("roles".into(), json!(release.roles));
    m.insert("departments".into(), json!(profile.department_names));
    m
}

/// Whether the WeCom login must ask for the member's private info (mobile, email): only when the
/// request's scopes would release them.
pub fn needs_private_info(scopes: &Scopes) -> bool {
    scopes.has(Scope::Email) || scopes.has(Scope::Phone)
}

/// The grant `req` makes from `live`'s session: the member's release is decided here (access
/// rules, `sub`, roles). Both flows come through it, so an ID token says what a code would.
pub async fn decide(
    ctx: &crate::login::Ctx<'_>,
    client: &crate::oidc::Client,
    req: &Request,
    live: &crate::login::Live,
) -> Result<Grant, crate::login::Error> {
    let release =
        crate::login::release::release(ctx, &live.effective, client, &live.profile, None).await?;
    Ok(Grant::new(
        req,
        live.row.authn_instant,
        claims(&release, &live.profile),
    ))
}

/// Stores `grant` as given to `client` by `live`'s session for `lifetime` seconds: its ID. The
/// implicit flow stores one too, with nothing to redeem, so that its ID token is known to the
/// session (RP-initiated logout's `id_token_hint`) and the session's logout revokes it.
pub async fn record(
    ctx: &crate::login::Ctx<'_>,
    client: &crate::oidc::Client,
    live: &crate::login::Live,
    grant: &Grant,
    lifetime: i64,
) -> Result<String, crate::login::Error> {
    let grant_json = serde_json::to_string(grant)
        .map_err(|e| crate::login::Error::broken("grant encoding", &e))?;
    let now = ctx.unix();
    let row = crate::store::GrantRow {
        id: ctx.rng.hex(16),
        client_id: client.client_id.as_str().to_string(),
        userid: live.profile.userid.clone(),
        session_hash: live.row.id_hash.clone(),
        grant_json,
        created_at: now,
        expires_at: now + lifetime,
        revoked_at: None,
    };
    ctx.store.create_grant(&row).await?;
    Ok(row.id)
}

/// What a login's code redemption needs to find: the grant made for `req` from `live`'s
/// session ([`decide`]), and its code. A refusal leaves nothing stored.
pub async fn issue_code(
    ctx: &crate::login::Ctx<'_>,
    client: &crate::oidc::Client,
    req: &Request,
    live: &crate::login::Live,
) -> Result<String, crate::login::Error> {
    let grant = decide(ctx, client, req, live).await?;
    // Refresh tokens end with the refresh lifetime counted from the login, and the last access
    // token (or ID token, whose `id_token_hint` names the session at logout) a refresh gives
    // outlives it by its own lifetime: the grant is kept that long.
    let last = client.config.access_token_secs.max(client.id_token_secs());
    let lifetime = CODE_LIFETIME_SECS + last + client.config.refresh_token_secs;
    let id = record(ctx, client, live, &grant, lifetime).await?;
    let now = ctx.unix();
    let code = ctx.rng.token();
    let code_hash = crate::crypto::sha256_hex(code.as_bytes());
    ctx.store
        .create_code(&code_hash, &id, now + CODE_LIFETIME_SECS)
        .await?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_released_by_their_scope_only() {
        let profile = Profile {
            userid: "zhangsan".into(),
            name: "张三".into(),
            email: Some("z@example.com".into()),
            mobile: Some("13800000000".into()),
            ..Profile::default()
        };
        let release = Release {
            roles: vec!["admin".into()],
            session_name: None,
            subject: "p-1".into(),
        };
        let mut g = Grant {
            app: "a".into(),
            redirect_uri: "https://a/cb".into(),
            scopes: Scopes::parse_known("openid email"),
            nonce: None,
            code_challenge: None,
            auth_time: 0,
            claims: claims(&release, &profile),
        };
        let r = g.released();
        assert_eq!(r["sub"], "p-1");
        assert_eq!(r["email"], "z@example.com");
        assert!(
            !r.contains_key("name") && !r.contains_key("phone_number") && !r.contains_key("groups")
        );
        g.scopes = Scopes::all();
        let r = g.released();
        assert_eq!(r["groups"], json!(["admin"]));
        assert_eq!(r["preferred_username"], "zhangsan");
    }
}
