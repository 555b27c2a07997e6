//! The IdP's signing keys: loaded from configured PEM files, or generated on first start (RSA-2048,
//! self-signed, 10 years, CN = host of `public_url`) and stored so later starts — and every instance on
//! the same PostgreSQL — use the same key. The active key is parsed once and kept in memory.
//!
//! Stored private keys are sealed under the master key (issue 6, [`crate::secrets`]): a key stored in
//! plain PEM before is sealed at the first start with a master key and its PEM emptied;
//! [`rotate_master_key`] re-seals every key under a new master key.

use crate::clock::Clock;
use crate::config::{Config, ConfigError};
use crate::random::Rng;
use crate::saml::sign::{generate_key_and_cert, SigningKey};
use crate::secrets::MasterKey;
use crate::store::{KeyRow, Store, StoreError};

/// The keys in use.
pub struct KeyRing {
    /// Signs every Response.
    pub active: SigningKey,
    /// Certificates (base64 DER) published in our metadata: the active one, then any `next` key.
    pub published: Vec<String>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("published", &self.published.len())
            .finish()
    }
}

/// Why the keys could not be loaded.
#[derive(Debug)]
pub enum KeyError {
    /// A configured key file is unreadable or wrong.
    Config(ConfigError),
    /// The store failed.
    Store(StoreError),
    /// A stored key does not parse.
    Corrupt(String),
    /// No master key, or not the one the stored keys were sealed with.
    MasterKey(String),
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Config(e) => e.fmt(f),
            Self::Store(e) => e.fmt(f),
            Self::Corrupt(m) => write!(f, "signing key: {m}"),
            Self::MasterKey(m) => write!(f, "master key: {m}"),
        }
    }
}

impl std::error::Error for KeyError {}

impl From<StoreError> for KeyError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// The ID of the key generated at first start.
const INITIAL_KEY_ID: &str = "initial";

impl KeyRing {
    /// Loads the configured key files, or the stored keys, generating the first key if none exists.
    pub async fn load(
        config: &Config,
        store: &Store,
        clock: &dyn Clock,
        rng: &dyn Rng,
    ) -> Result<Self, KeyError> {
        if let (Some(k), Some(c)) = (&config.signing.key_file, &config.signing.cert_file) {
            let read = |p: &std::path::Path, setting: &str| {
                std::fs::read(p).map_err(|e| {
                    KeyError::Config(ConfigError {
                        setting: setting.into(),
                        problem: format!("cannot read {}: {e}", p.display()),
                    })
                })
            };
            let key_pem = read(k, "signing.key_file")?;
            let cert_pem = read(c, "signing.cert_file")?;
            let active = SigningKey::from_pem(&key_pem, &cert_pem).map_err(|e| {
                KeyError::Config(ConfigError {
                    setting: "signing.key_file".into(),
                    problem: format!("not a usable RSA key and matching certificate: {e}"),
                })
            })?;
            let published = vec![active.cert_base64().to_string()];
            return Ok(Self { active, published });
        }
        let master = config.master_key().map_err(KeyError::Config)?;
        let mut rows = store.signing_keys().await?;
        if seal_plain_rows(store, master, &rows, rng).await? {
            rows = store.signing_keys().await?;
        }
        if !rows.iter().any(|r| r.state == "active") {
            let host = config
                .public_url()
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_else(|| "wecom-idp".into());
            let mut serial = [0u8; 16];
            rng.fill(&mut serial);
            serial[0] &= 0x7f;
            let (key_pem, cert_pem) = generate_key_and_cert(&host, clock.now(), &serial)
                .map_err(|e| KeyError::Corrupt(format!("generation failed: {e}")))?;
            let key_enc = master
                .seal(&sealing_context(INITIAL_KEY_ID), key_pem.as_bytes(), rng)
                .map_err(KeyError::Corrupt)?;
            let stored = store
                .insert_key_if_absent(&KeyRow {
                    id: INITIAL_KEY_ID.into(),
                    key_pem: String::new(),
                    cert_pem,
                    state: "active".into(),
                    created_at: clock.unix(),
                    key_enc: Some(key_enc),
                    master_key_id: Some(master.id().to_string()),
                })
                .await?;
            if stored {
                tracing::info!(cn = %host, "generated the IdP signing key (RSA-2048, 10 years)");
            } else {
                tracing::info!("another instance generated the signing key first; using it");
            }
            rows = store.signing_keys().await?;
        }
        let active_row = rows
            .iter()
            .find(|r| r.state == "active")
            .ok_or_else(|| KeyError::Corrupt("no active key after generation".into()))?;
        let active = SigningKey::from_pem(
            private_pem(active_row, master)?.as_bytes(),
            active_row.cert_pem.as_bytes(),
        )
        .map_err(|e| KeyError::Corrupt(format!("stored key `{}`: {e}", active_row.id)))?;
        let mut published = vec![active.cert_base64().to_string()];
        for r in rows.iter().filter(|r| r.state == "next") {
            let k = SigningKey::from_pem(private_pem(r, master)?.as_bytes(), r.cert_pem.as_bytes())
                .map_err(|e| KeyError::Corrupt(format!("stored key `{}`: {e}", r.id)))?;
            published.push(k.cert_base64().to_string());
        }
        Ok(Self { active, published })
    }
}

// --- secrets at rest (issue 6) ---

/// What a stored key's seal is bound to: its row.
fn sealing_context(key_id: &str) -> String {
    format!("signing_key:{key_id}")
}

/// Seals the rows still holding a plain PEM (stored before issue 6). Returns whether any changed.
async fn seal_plain_rows(
    store: &Store,
    master: &MasterKey,
    rows: &[KeyRow],
    rng: &dyn Rng,
) -> Result<bool, KeyError> {
    let mut changed = false;
    for r in rows
        .iter()
        .filter(|r| r.key_enc.is_none() && !r.key_pem.is_empty())
    {
        let sealed = master
            .seal(&sealing_context(&r.id), r.key_pem.as_bytes(), rng)
            .map_err(KeyError::Corrupt)?;
        if store.seal_plain_key(&r.id, &sealed, master.id()).await? {
            tracing::info!(
                key = %r.id,
                master_key_id = master.id(),
                "encrypted the stored signing key under the master key; its plain copy is erased"
            );
        }
        changed = true;
    }
    Ok(changed)
}

/// The PEM private key of a stored row, opened with the master key; a clear error when the master
/// key is not the one that sealed it.
fn private_pem(row: &KeyRow, master: &MasterKey) -> Result<String, KeyError> {
    match (&row.key_enc, &row.master_key_id) {
        (Some(enc), Some(mid)) => {
            if mid != master.id() {
                return Err(KeyError::MasterKey(format!(
                    "the stored signing key `{}` was encrypted with master key ID {mid}, but the \
                     configured master key (WECOM_IDP_MASTER_KEY or master_key_file) has ID {}: \
                     give the master key this database was used with (after `wecom-idp master-key \
                     rotate`, the new one)",
                    row.id,
                    master.id()
                )));
            }
            let pem = master.open(&sealing_context(&row.id), enc).ok_or_else(|| {
                KeyError::MasterKey(format!(
                    "the stored signing key `{}` does not decrypt with master key ID {}: the row \
                     was damaged or altered",
                    row.id,
                    master.id()
                ))
            })?;
            String::from_utf8(pem)
                .map_err(|_| KeyError::Corrupt(format!("stored key `{}` is not PEM", row.id)))
        }
        (None, _) if !row.key_pem.is_empty() => Ok(row.key_pem.clone()),
        _ => Err(KeyError::Corrupt(format!(
            "stored key `{}` has no private key",
            row.id
        ))),
    }
}

/// Re-seals every stored signing key under `new` (`wecom-idp master-key rotate`). Keys already
/// under `new` are left alone, so an interrupted rotation can be run again. Returns how many changed.
pub async fn rotate_master_key(
    store: &Store,
    old: &MasterKey,
    new: &MasterKey,
    rng: &dyn Rng,
) -> Result<usize, KeyError> {
    let mut changed = 0;
    for r in store.signing_keys().await? {
        if r.master_key_id.as_deref() == Some(new.id()) {
            continue;
        }
        let pem = private_pem(&r, old)?;
        let sealed = new
            .seal(&sealing_context(&r.id), pem.as_bytes(), rng)
            .map_err(KeyError::Corrupt)?;
        let done = match &r.master_key_id {
            Some(old_id) => store.reseal_key(&r.id, old_id, &sealed, new.id()).await?,
            None => store.seal_plain_key(&r.id, &sealed, new.id()).await?,
        };
        if done {
            changed += 1;
        }
    }
    Ok(changed)
}
