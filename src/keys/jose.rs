//! The key ring's JOSE side: each stored RSA key's P-256 companion for ES256 tokens (made, sealed,
//! rolled over and retired with it), and the [`JoseKeys`] a ring signs tokens with and publishes in
//! the JWKS.
//!
//! A companion shares its RSA key's row and state, so the rollover needs no step of its own: a
//! `next` key is in the JWKS with both its RSA and its P-256 half before either signs. Keys made
//! before ES256 existed get a companion at the next start when they are `active` or `next` (a
//! `previous` key no longer signs, so it needs none).

use super::{private_pem, KeyError};
use crate::config::Config;
use crate::oidc::jwks::{file_kid, JoseKeys, PublicJwk, ES256_KID_SUFFIX};
use crate::oidc::jwt::Es256Key;
use crate::random::Rng;
use crate::saml::sign::SigningKey;
use crate::secrets::MasterKey;
use crate::store::{KeyRow, KeyState, Store};

/// What a stored companion's seal is bound to: its row, and that it is the P-256 half.
fn sealing_context(key_id: &str) -> String {
    format!("signing_key:{key_id}:es256")
}

/// The `kid` of the companion of the stored key `id`.
pub fn es256_kid(id: &str) -> String {
    format!("{id}{ES256_KID_SUFFIX}")
}

/// A new P-256 key sealed under `master` as the companion of the key `id`.
pub(super) fn new_companion(
    master: &MasterKey,
    id: &str,
    rng: &dyn Rng,
) -> Result<String, KeyError> {
    let pem = Es256Key::generate_pem()
        .map_err(|e| KeyError::Corrupt(format!("P-256 generation failed: {e}")))?;
    master
        .seal(&sealing_context(id), pem.as_bytes(), rng)
        .map_err(KeyError::Corrupt)
}

/// The companion of `row`, opened (None when it has none).
fn open_companion(row: &KeyRow, master: &MasterKey) -> Result<Option<Es256Key>, KeyError> {
    let Some(enc) = &row.ec_key_enc else {
        return Ok(None);
    };
    // The RSA key's check gives the clear message about a wrong master key first.
    private_pem(row, master)?;
    let pem = master.open(&sealing_context(&row.id), enc).ok_or_else(|| {
        KeyError::MasterKey(format!(
            "the ES256 key of signing key `{}` does not decrypt with master key ID {}: the row \
             was damaged or altered",
            row.id,
            master.id()
        ))
    })?;
    Es256Key::from_pem(&pem)
        .map(Some)
        .map_err(|e| KeyError::Corrupt(format!("ES256 key of stored key `{}`: {e}", row.id)))
}

/// Gives the `active` and `next` keys without a companion one (first writer wins across
/// instances). Returns whether any row changed.
pub(super) async fn add_missing_companions(
    store: &Store,
    master: &MasterKey,
    rows: &[KeyRow],
    rng: &dyn Rng,
) -> Result<bool, KeyError> {
    let mut changed = false;
    for r in rows.iter().filter(|r| {
        matches!(r.state, KeyState::Active | KeyState::Next)
            && r.ec_key_enc.is_none()
            && r.master_key_id.as_deref() == Some(master.id())
    }) {
        let enc = new_companion(master, &r.id, rng)?;
        if store.add_ec_companion(&r.id, &enc, master.id()).await? {
            tracing::info!(key = %r.id, "generated the ES256 (P-256) companion of the signing key");
        }
        changed = true;
    }
    Ok(changed)
}

/// The companion of `row` re-sealed under `new` (master-key rotation), None when it has none.
pub(super) fn reseal_companion(
    row: &KeyRow,
    old: &MasterKey,
    new: &MasterKey,
    rng: &dyn Rng,
) -> Result<Option<String>, KeyError> {
    let Some(enc) = &row.ec_key_enc else {
        return Ok(None);
    };
    let pem = old.open(&sealing_context(&row.id), enc).ok_or_else(|| {
        KeyError::MasterKey(format!(
            "the ES256 key of signing key `{}` does not decrypt with the old master key",
            row.id
        ))
    })?;
    new.seal(&sealing_context(&row.id), &pem, rng)
        .map(Some)
        .map_err(KeyError::Corrupt)
}

fn jose_error(e: crate::oidc::jwt::JwtError) -> KeyError {
    KeyError::Corrupt(format!("JOSE key: {e}"))
}

/// The JOSE keys of the stored rows: the active row's RSA key and companion sign; every `next`
/// and `previous` key (and companion) is published too.
pub(super) fn from_rows(
    master: &MasterKey,
    rows: &[KeyRow],
    active_row: &KeyRow,
    active: &SigningKey,
) -> Result<JoseKeys, KeyError> {
    let es256 = open_companion(active_row, master)?.map(|k| (es256_kid(&active_row.id), k));
    let mut jose = JoseKeys::new(&active_row.id, active.clone(), es256).map_err(jose_error)?;
    for state in [KeyState::Next, KeyState::Previous] {
        for r in rows.iter().filter(|r| r.state == state) {
            let cert = openssl::x509::X509::from_pem(r.cert_pem.as_bytes())
                .and_then(|c| c.to_der())
                .map_err(|e| KeyError::Corrupt(format!("stored key `{}`: {e}", r.id)))?;
            jose.publish(PublicJwk::rsa(&r.id, &cert).map_err(jose_error)?);
            if let Some(k) = open_companion(r, master)? {
                jose.publish(PublicJwk::es256(&es256_kid(&r.id), &k).map_err(jose_error)?);
            }
        }
    }
    Ok(jose)
}

/// The JOSE keys of configured key files: the RSA key of `signing.key_file`, and the P-256 key of
/// `signing.ec_key_file` when set (without it, no ES256). Their IDs follow the keys' bytes
/// ([`file_kid`]), so replacing a file changes the `kid`.
pub(super) fn from_files(config: &Config, active: &SigningKey) -> Result<JoseKeys, KeyError> {
    let es256 = match &config.signing.ec_key_file {
        None => None,
        Some(path) => {
            let bad = |problem: String| {
                KeyError::Config(crate::config::ConfigError {
                    setting: "signing.ec_key_file".into(),
                    problem,
                })
            };
            let pem = std::fs::read(path)
                .map_err(|e| bad(format!("cannot read {}: {e}", path.display())))?;
            let key = Es256Key::from_pem(&pem).map_err(|e| {
                bad(format!(
                    "not a usable P-256 private key (make one with `openssl genpkey -algorithm \
                     EC -pkeyopt ec_paramgen_curve:P-256`): {e}"
                ))
            })?;
            let der = key
                .public_key()
                .and_then(|k| k.public_key_to_der().map_err(Into::into))
                .map_err(jose_error)?;
            Some((file_kid("file-es256-", &der), key))
        }
    };
    JoseKeys::new(&file_kid("file-", active.cert_der()), active.clone(), es256).map_err(jose_error)
}
