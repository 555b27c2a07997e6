//! OIDC clients as admins change them — the implementation behind `app add --oidc`, `app show`,
//! `app remove` for clients (and the console and API the `oidc-keys` work builds on it): create
//! (the secret returned once, stored hashed), change settings, rotate the secret, load, list,
//! delete. Every change writes one audit row (`app_create`/`app_update`/`app_delete`) with the
//! client ID and what changed, never the secret.

use super::apps::Ctx;
use super::AdminError;
use crate::apps::AppName;
use crate::crypto::sha256_hex;
use crate::oidc::client::{Client, NewClient};
use crate::random::Rng;
use crate::store::{AuditKind, Store};

/// A client to create.
#[derive(Debug, Clone, Default)]
pub struct NewOidcClient {
    /// `[a-z0-9-]{1,64}`, shared with the SAML apps' names.
    pub name: String,
    /// Redirect URIs (at least one).
    pub redirect_uris: Vec<String>,
    /// `KEY=VALUE` settings ([`crate::oidc::client::CLIENT_KEYS`] and the app rules).
    pub settings: Vec<(String, String)>,
}

/// A refused setting, with the key at fault as its field (what the console marks and the API's
/// `field` names): `name`, the key the message names, `redirect_uris` for a redirect URI, else the only
/// key given, else `settings`.
pub fn refusal(pairs: &[(String, String)], e: crate::apps::AppError) -> AdminError {
    let m = e.to_string();
    let named = |k: &str| {
        m.starts_with(&format!("{k}:"))
            || m.starts_with(&format!("{k} "))
            || m.contains(&format!("`{k}`"))
    };
    let field = if m.starts_with("app name") {
        "name"
    } else if m.starts_with("redirect URI") || m.contains("at least one redirect URI") {
        "redirect_uris"
    } else if let Some((k, _)) = pairs.iter().find(|(k, _)| named(k.trim())) {
        k.trim()
    } else if let [(k, _)] = pairs {
        k.trim()
    } else {
        "settings"
    };
    AdminError::invalid(field, m)
}

async fn audit(ctx: &Ctx<'_>, event: AuditKind, c: &Client, detail: serde_json::Value) {
    super::auth::audit_change(
        ctx.store,
        ctx.unix(),
        super::auth::AdminChange {
            actor: ctx.actor,
            event,
            app: Some(c.name.as_str()),
            userid: None,
            detail: Some(detail),
            client_ip: ctx.ip,
        },
    )
    .await;
}

/// What an audit row says of a client: its ID, type, redirect URIs, scopes (no secret).
fn summary(c: &Client) -> serde_json::Value {
    serde_json::json!({
        "protocol": "oidc",
        "client_id": c.client_id.as_str(),
        "client_type": c.config.client_type.as_str(),
        "redirect_uris": c.config.redirect_uris,
        "scopes": c.config.scopes.to_wire(),
        "id_token_signed_response_alg": c.config.id_token_signed_response_alg.as_str(),
        "consent": c.config.consent.as_str(),
    })
}

/// Creates a client; the secret of a confidential client is in the answer and nowhere else.
pub async fn create(
    ctx: &Ctx<'_>,
    rng: &dyn Rng,
    new: &NewOidcClient,
) -> Result<NewClient, AdminError> {
    let made = Client::create(
        new.name.trim(),
        &new.redirect_uris,
        &new.settings,
        rng,
        ctx.unix(),
    )
    .map_err(|e| refusal(&new.settings, e))?;
    let row = made
        .client
        .to_row()
        .map_err(|e| AdminError::invalid("", e.to_string()))?;
    ctx.store.insert_oidc_client(&row).await?;
    audit(
        ctx,
        AuditKind::AppCreate,
        &made.client,
        summary(&made.client),
    )
    .await;
    Ok(made)
}

/// Loads the client `name`; `Ok(None)` when no client has the name (it may be a SAML app).
pub async fn find(store: &Store, name: &str) -> Result<Option<Client>, AdminError> {
    let Ok(name) = AppName::parse(name.trim()) else {
        return Ok(None);
    };
    let Some(row) = store.oidc_client(name.as_str()).await? else {
        return Ok(None);
    };
    Client::from_row(row)
        .map(Some)
        .map_err(|e| AdminError::Store(crate::store::StoreError::Corrupt(e.to_string())))
}

/// Loads the client `name`.
pub async fn load(store: &Store, name: &str) -> Result<Client, AdminError> {
    find(store, name)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("OIDC client `{}`", name.trim())))
}

/// Every client, by name.
pub async fn list(store: &Store) -> Result<Vec<Client>, AdminError> {
    store
        .oidc_clients()
        .await?
        .into_iter()
        .map(|r| {
            Client::from_row(r)
                .map_err(|e| AdminError::Store(crate::store::StoreError::Corrupt(e.to_string())))
        })
        .collect()
}

/// Whether `pairs` would be accepted by `c` (nothing stored): the refusal `update_settings` would
/// give. Callers check syntax before asking WeCom about the names the rules name.
pub fn check_settings(c: &Client, pairs: &[(String, String)]) -> Result<(), AdminError> {
    c.clone().apply(pairs).map_err(|e| refusal(pairs, e))
}

/// Changes a client's settings (`KEY=VALUE`, checked as a whole before anything is stored).
pub async fn update_settings(
    ctx: &Ctx<'_>,
    name: &str,
    pairs: &[(String, String)],
) -> Result<Client, AdminError> {
    let before = load(ctx.store, name).await?;
    let mut after = before.clone();
    after.apply(pairs).map_err(|e| refusal(pairs, e))?;
    after.updated_at = ctx.unix();
    store_changed(ctx, &after).await?;
    let detail = serde_json::json!({ "before": summary(&before), "after": summary(&after) });
    audit(ctx, AuditKind::AppUpdate, &after, detail).await;
    Ok(after)
}

/// Gives a confidential client a new secret (returned once); the old one stops working at once.
pub async fn rotate_secret(
    ctx: &Ctx<'_>,
    rng: &dyn Rng,
    name: &str,
) -> Result<(Client, String), AdminError> {
    let mut c = load(ctx.store, name).await?;
    if c.secret_hash.is_none() {
        return Err(AdminError::invalid(
            "client_type",
            "a public client has no secret to rotate",
        ));
    }
    let secret = rng.token();
    c.secret_hash = Some(sha256_hex(secret.as_bytes()));
    c.updated_at = ctx.unix();
    store_changed(ctx, &c).await?;
    // "changed" is the word the audit's redaction keeps under a secret-looking key.
    let detail =
        serde_json::json!({ "client_id": c.client_id.as_str(), "client_secret": "changed" });
    audit(ctx, AuditKind::AppUpdate, &c, detail).await;
    Ok((c, secret))
}

async fn store_changed(ctx: &Ctx<'_>, c: &Client) -> Result<(), AdminError> {
    let row = c
        .to_row()
        .map_err(|e| AdminError::invalid("", e.to_string()))?;
    if !ctx.store.update_oidc_client(&row).await? {
        return Err(AdminError::NotFound(format!("OIDC client `{}`", c.name)));
    }
    Ok(())
}

/// Deletes a client (and its pairwise subjects).
pub async fn delete(ctx: &Ctx<'_>, name: &str) -> Result<(), AdminError> {
    let c = load(ctx.store, name).await?;
    ctx.store.remove_oidc_client(c.name.as_str()).await?;
    audit(ctx, AuditKind::AppDelete, &c, summary(&c)).await;
    Ok(())
}
