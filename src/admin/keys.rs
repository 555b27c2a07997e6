//! Signing-key rollover, the admin side: what each key is (certificate subject,
//! validity, SHA-256 fingerprint, published or not), and the three steps — add a `next` key
//! (published at once beside the active one), activate it (the old active key stays published as
//! `previous`), retire the `previous` key once every SP holds the new certificate. Each step is
//! audited; the instance making it reloads its ring at once, the others within
//! [`crate::keys::FOLLOW_SECS`].

use super::auth::{audit_change, AdminChange};
use super::{Actor, AdminError};
use crate::config::Config;
use crate::keys::{self, KeyError, KeySource, SharedKeys};
use crate::random::Rng;
use crate::store::{AuditKind, KeyRow, KeyState, Store, StoreError};
use openssl::x509::X509;
use std::net::IpAddr;
use time::OffsetDateTime;

/// Days before the active certificate's expiry from which the console warns.
pub const EXPIRY_WARNING_DAYS: i64 = 90;

/// How long after a switch the `previous` key may not be retired: every instance must have
/// followed the switch (they re-read keys every [`keys::FOLLOW_SECS`]), or one could still sign
/// with a key that is no longer published.
pub const RETIRE_GRACE_SECS: i64 = 4 * keys::FOLLOW_SECS as i64;

/// What a signing key is, for the console and the API (never its private key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// Stored ID (`initial`, `k-…`; `file` for a configured key file).
    pub id: String,
    /// `next`, `active`, `previous` or `retired`.
    pub state: String,
    /// Certificate subject (`CN=…`).
    pub subject: String,
    /// Certificate validity start, Unix seconds.
    pub not_before: i64,
    /// Certificate validity end, Unix seconds.
    pub not_after: i64,
    /// SHA-256 of the certificate DER, `AB:CD:…` (what SP consoles show).
    pub fingerprint: String,
    /// Whether our metadata lists it.
    pub published: bool,
    /// When it was made, Unix seconds (None for a key file).
    pub created_at: Option<i64>,
    /// When it became active, Unix seconds.
    pub activated_at: Option<i64>,
    /// When it was retired, Unix seconds.
    pub retired_at: Option<i64>,
}

impl KeyInfo {
    /// Whether the certificate expires within [`EXPIRY_WARNING_DAYS`] of `now` (or has expired).
    pub fn expires_soon(&self, now: i64) -> bool {
        self.not_after - now < EXPIRY_WARNING_DAYS * 86_400
    }
}

/// Facts of a DER certificate: (subject, not_before, not_after, SHA-256 fingerprint).
fn cert_facts(der: &[u8]) -> Result<(String, i64, i64, String), String> {
    let cert = X509::from_der(der).map_err(|e| e.to_string())?;
    let subject = cert
        .subject_name()
        .entries()
        .map(|e| {
            let key = e.object().nid().short_name().unwrap_or("?");
            let value = e.data().to_string().unwrap_or_default();
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ");
    let unix = |t: &openssl::asn1::Asn1TimeRef| -> Result<i64, String> {
        let epoch = openssl::asn1::Asn1Time::from_unix(0).map_err(|e| e.to_string())?;
        let d = epoch.diff(t).map_err(|e| e.to_string())?;
        Ok(i64::from(d.days) * 86_400 + i64::from(d.secs))
    };
    let fingerprint = openssl::sha::sha256(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    Ok((
        subject,
        unix(cert.not_before())?,
        unix(cert.not_after())?,
        fingerprint,
    ))
}

fn corrupt(what: String) -> AdminError {
    AdminError::Store(StoreError::Corrupt(what))
}

fn describe(row: &KeyRow) -> Result<KeyInfo, AdminError> {
    let der = X509::from_pem(row.cert_pem.as_bytes())
        .and_then(|c| c.to_der())
        .map_err(|e| corrupt(format!("certificate of key `{}`: {e}", row.id)))?;
    let (subject, not_before, not_after, fingerprint) =
        cert_facts(&der).map_err(|e| corrupt(format!("certificate of key `{}`: {e}", row.id)))?;
    Ok(KeyInfo {
        id: row.id.clone(),
        state: row.state.as_str().to_string(),
        subject,
        not_before,
        not_after,
        fingerprint,
        published: row.state.published(),
        created_at: Some(row.created_at),
        activated_at: row.activated_at,
        retired_at: row.retired_at,
    })
}

/// Every signing key: the active one first, then `next`, `previous`, `retired` (newest first within
/// a state). With a configured key file, that one key.
pub async fn list(store: &Store, shared: &SharedKeys) -> Result<Vec<KeyInfo>, AdminError> {
    let ring = shared.current();
    if ring.source == KeySource::Files {
        let (subject, not_before, not_after, fingerprint) =
            cert_facts(ring.active.cert_der()).map_err(|e| corrupt(format!("key file: {e}")))?;
        return Ok(vec![KeyInfo {
            id: ring.active_id.clone(),
            state: "active".into(),
            subject,
            not_before,
            not_after,
            fingerprint,
            published: true,
            created_at: None,
            activated_at: None,
            retired_at: None,
        }]);
    }
    let mut out = store
        .signing_keys()
        .await?
        .iter()
        .map(describe)
        .collect::<Result<Vec<_>, _>>()?;
    let rank = |s: &str| match s {
        "active" => 0,
        "next" => 1,
        "previous" => 2,
        _ => 3,
    };
    out.sort_by(|a, b| {
        rank(&a.state)
            .cmp(&rank(&b.state))
            .then(b.created_at.cmp(&a.created_at))
    });
    Ok(out)
}

/// Refuses rollover when the keys come from files.
fn stored_keys_only(config: &Config) -> Result<(), AdminError> {
    if keys::from_files(config) {
        return Err(AdminError::invalid(
            "signing.key_file",
            "the signing key comes from signing.key_file / signing.cert_file, so it cannot be \
             rolled over here: rotate the files instead (publish the new certificate to every SP, \
             then replace the files and restart), or remove both settings to let wecom-idp keep \
             and roll over its own keys",
        ));
    }
    Ok(())
}

fn key_error(e: KeyError) -> AdminError {
    match e {
        KeyError::Store(e) => AdminError::Store(e),
        e => corrupt(e.to_string()),
    }
}

async fn find(store: &Store, id: &str) -> Result<KeyRow, AdminError> {
    store
        .signing_keys()
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| AdminError::NotFound(format!("signing key `{id}`")))
}

/// What every rollover step needs: where keys live, the ring to reload, who acts and from where.
#[derive(Clone, Copy)]
pub struct KeyCtx<'a> {
    /// The configuration (key files, master key).
    pub config: &'a Config,
    /// The store.
    pub store: &'a Store,
    /// This instance's key ring, reloaded after each step.
    pub shared: &'a SharedKeys,
    /// Who acts.
    pub actor: &'a Actor,
    /// The client IP, for the audit log.
    pub ip: Option<IpAddr>,
}

impl KeyCtx<'_> {
    /// Reloads this instance's ring and describes key `id` as it is now stored.
    async fn follow(&self, id: &str) -> Result<KeyInfo, AdminError> {
        keys::follow(self.config, self.store, self.shared)
            .await
            .map_err(key_error)?;
        describe(&find(self.store, id).await?)
    }

    /// The audit row of a step.
    async fn audit(&self, now: i64, event: AuditKind, detail: serde_json::Value) {
        audit_change(
            self.store,
            now,
            AdminChange {
                actor: self.actor,
                event,
                app: None,
                userid: None,
                detail: Some(detail),
                client_ip: self.ip,
            },
        )
        .await;
    }
}

/// A step that lost a race with another admin (or instance).
fn changed_meanwhile(id: &str) -> AdminError {
    AdminError::state(
        "id",
        format!("key `{id}` changed meanwhile; reload and try again"),
    )
}

/// Step 1: generates a `next` key (RSA-2048, sealed under the master key), published in our
/// metadata beside the active key at once. Only one `next` key at a time.
pub async fn add_next(
    ctx: KeyCtx<'_>,
    now: OffsetDateTime,
    rng: &dyn Rng,
) -> Result<KeyInfo, AdminError> {
    stored_keys_only(ctx.config)?;
    if let Some(next) = ctx
        .store
        .signing_keys()
        .await?
        .into_iter()
        .find(|r| r.state == KeyState::Next)
    {
        return Err(AdminError::state(
            "state",
            format!(
                "key `{}` is already waiting as the next key: activate or retire it first",
                next.id
            ),
        ));
    }
    let row = keys::add_next_key(ctx.config, ctx.store, now, rng)
        .await
        .map_err(key_error)?;
    let info = describe(&row)?;
    keys::follow(ctx.config, ctx.store, ctx.shared)
        .await
        .map_err(key_error)?;
    ctx.audit(
        now.unix_timestamp(),
        AuditKind::KeyAdd,
        serde_json::json!({
            "key": info.id,
            "state": "next",
            "fingerprint": info.fingerprint,
            "not_after": info.not_after,
        }),
    )
    .await;
    tracing::info!(key = %info.id, "next signing key added and published");
    Ok(info)
}

/// Step 2: the `next` key `id` starts signing; the old active key stays published as `previous`.
pub async fn activate(ctx: KeyCtx<'_>, id: &str, now: i64) -> Result<KeyInfo, AdminError> {
    stored_keys_only(ctx.config)?;
    let row = find(ctx.store, id).await?;
    if row.state != KeyState::Next {
        return Err(AdminError::state(
            "id",
            format!(
                "key `{id}` is `{}`: only a `next` key can be activated (add one first)",
                row.state
            ),
        ));
    }
    let before = ctx.shared.current().active_id.clone();
    if !ctx.store.activate_key(id, now).await? {
        return Err(changed_meanwhile(id));
    }
    let info = ctx.follow(id).await?;
    ctx.audit(
        now,
        AuditKind::KeyActivate,
        serde_json::json!({
            "key": id,
            "fingerprint": info.fingerprint,
            "before": { "active": before },
            "after": { "active": id, "previous": before },
        }),
    )
    .await;
    tracing::info!(key = %id, previous = %before, "signing key activated");
    Ok(info)
}

/// Step 3: a `previous` (or unwanted `next`) key leaves the metadata; its private key is erased.
/// The active key cannot be retired, nor the previous one within [`RETIRE_GRACE_SECS`] of the
/// switch.
pub async fn retire(ctx: KeyCtx<'_>, id: &str, now: i64) -> Result<KeyInfo, AdminError> {
    stored_keys_only(ctx.config)?;
    let rows = ctx.store.signing_keys().await?;
    let row = rows
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| AdminError::NotFound(format!("signing key `{id}`")))?;
    may_retire(&rows, row, now)?;
    let state_before = row.state.as_str();
    if !ctx.store.retire_key(id, now).await? {
        return Err(changed_meanwhile(id));
    }
    let info = ctx.follow(id).await?;
    ctx.audit(
        now,
        AuditKind::KeyRetire,
        serde_json::json!({
            "key": id,
            "fingerprint": info.fingerprint,
            "before": { "state": state_before },
            "after": { "state": "retired" },
        }),
    )
    .await;
    tracing::info!(key = %id, "signing key retired and unpublished");
    Ok(info)
}

/// Whether `row` may be retired now: not the active key, not already retired, and a `previous`
/// key only once every instance has followed the switch.
fn may_retire(rows: &[KeyRow], row: &KeyRow, now: i64) -> Result<(), AdminError> {
    let id = &row.id;
    match row.state {
        KeyState::Active => Err(AdminError::state(
            "id",
            format!(
                "key `{id}` is the active key: it signs every Response. Add a next key and \
                 activate it first"
            ),
        )),
        KeyState::Retired => Err(AdminError::state(
            "id",
            format!("key `{id}` is already retired"),
        )),
        KeyState::Previous => {
            let switched = rows
                .iter()
                .filter(|r| r.state == KeyState::Active)
                .filter_map(|r| r.activated_at)
                .max()
                .unwrap_or(0);
            if now < switched + RETIRE_GRACE_SECS {
                return Err(AdminError::state(
                    "id",
                    format!(
                        "key `{id}` stopped signing less than {RETIRE_GRACE_SECS} seconds ago; \
                         other instances may still use it. Retire it in {} seconds (and only once \
                         every SP has the new certificate)",
                        switched + RETIRE_GRACE_SECS - now
                    ),
                ));
            }
            Ok(())
        }
        KeyState::Next => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_of_a_generated_certificate() {
        let t = time::macros::datetime!(2026-01-01 00:00:00 UTC);
        let (_, pem) = crate::saml::sign::generate_key_and_cert("idp.example", t, &[1]).unwrap();
        let der = X509::from_pem(pem.as_bytes()).unwrap().to_der().unwrap();
        let (subject, nb, na, fp) = cert_facts(&der).unwrap();
        assert_eq!(subject, "CN=idp.example");
        assert_eq!(nb, t.unix_timestamp());
        assert!(na > nb + 9 * 365 * 86_400);
        assert_eq!(fp.len(), 32 * 3 - 1);
    }
}
