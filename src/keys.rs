//! The IdP's signing keys: loaded from configured PEM files, or generated on first start (RSA-2048,
//! self-signed, 10 years, CN = host of `public_url`) and stored so later starts — and every instance on
//! the same PostgreSQL — use the same key. The active key is parsed once and kept in memory.
//!
//! Rollover: a stored key is `next` (published beside the active one, not yet
//! signing), `active` (signs every Response), `previous` (published after a switch so SPs holding the
//! old certificate keep working) or `retired` (gone from the metadata, private key erased). The ring
//! in memory is swappable ([`SharedKeys`]): the instance that makes a change reloads at once, every
//! other instance within [`FOLLOW_SECS`] ([`follow`], run by the background loop in `lib.rs`). Keys
//! from `signing.key_file` are never rolled over here: rotate the files instead.
//!
//! Stored private keys are sealed under the master key ([`crate::secrets`]): a key stored in
//! plain PEM before is sealed at the first start with a master key and its PEM emptied;
//! [`rotate_master_key`] re-seals every key under a new master key.
//!
//! OpenID Connect tokens are signed from the same ring ([`KeyRing::jose`], built in [`jose`]): RS256
//! with the active RSA key, ES256 with the P-256 companion every stored key has, both published in
//! the JWKS with the same rollover.

use crate::clock::Clock;
use crate::config::{Config, ConfigError};
use crate::oidc::jwks::JoseKeys;
use crate::random::Rng;
use crate::saml::sign::{generate_key_and_cert, SigningKey};
use crate::secrets::MasterKey;
use crate::store::{KeyRow, KeyState, Store, StoreError};
use std::sync::{Arc, PoisonError, RwLock};
use time::OffsetDateTime;

mod jose;
pub use jose::es256_kid;

/// How often every instance re-reads the stored key states (seconds).
pub const FOLLOW_SECS: u64 = 30;

/// Where the keys come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// `signing.key_file` / `signing.cert_file`: rotate the files, no rollover here.
    Files,
    /// Generated and stored (sealed under the master key): rollover in the console and API.
    Store,
}

/// The keys in use.
pub struct KeyRing {
    /// Signs every Response.
    pub active: SigningKey,
    /// The stored ID of the active key (`file` for a configured key file).
    pub active_id: String,
    /// Certificates (base64 DER) published in our metadata: the active one, then any `next` key,
    /// then any `previous` key.
    pub published: Vec<String>,
    /// Where the keys come from.
    pub source: KeySource,
    /// What signs OpenID Connect tokens (RS256 with `active`, ES256 with its P-256 companion) and
    /// what the JWKS publishes.
    pub jose: JoseKeys,
    /// The stored key IDs and states this ring was built from (to notice a change cheaply).
    stamp: String,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("active_id", &self.active_id)
            .field("published", &self.published.len())
            .field("source", &self.source)
            .field("jose", &self.jose)
            .finish()
    }
}

/// The ring in use, replaced whole when the stored keys change. Cheap to clone; readers take an
/// `Arc` of the current ring and keep it for the request, so a switch never tears a signature.
#[derive(Clone, Debug)]
pub struct SharedKeys(Arc<RwLock<Arc<KeyRing>>>);

impl SharedKeys {
    /// Wraps the ring loaded at start.
    pub fn new(ring: KeyRing) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(ring))))
    }

    /// The ring in use now.
    pub fn current(&self) -> Arc<KeyRing> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn replace(&self, ring: KeyRing) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(ring);
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

/// Whether keys come from configured files.
pub fn from_files(config: &Config) -> bool {
    config.signing.key_file.is_some() && config.signing.cert_file.is_some()
}

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
            let jose = jose::from_files(config, &active)?;
            return Ok(Self {
                active,
                active_id: "file".into(),
                published,
                source: KeySource::Files,
                jose,
                stamp: String::new(),
            });
        }
        let master = config.master_key().map_err(KeyError::Config)?;
        let mut rows = store.signing_keys().await?;
        if seal_plain_rows(store, master, &rows, rng).await? {
            rows = store.signing_keys().await?;
        }
        if !rows.iter().any(|r| r.state == KeyState::Active) {
            let row = new_key_row(
                config,
                master,
                INITIAL_KEY_ID,
                KeyState::Active,
                clock.now(),
                rng,
            )?;
            if store.insert_key_if_absent(&row).await? {
                tracing::info!("generated the IdP signing key (RSA-2048, 10 years)");
            } else {
                tracing::info!("another instance generated the signing key first; using it");
            }
            rows = store.signing_keys().await?;
        }
        if jose::add_missing_companions(store, master, &rows, rng).await? {
            rows = store.signing_keys().await?;
        }
        Self::from_rows(master, &rows)
    }

    /// The ring of the stored keys `rows`.
    fn from_rows(master: &MasterKey, rows: &[KeyRow]) -> Result<Self, KeyError> {
        let open = |r: &KeyRow| {
            SigningKey::from_pem(private_pem(r, master)?.as_bytes(), r.cert_pem.as_bytes())
                .map_err(|e| KeyError::Corrupt(format!("stored key `{}`: {e}", r.id)))
        };
        let active_row = rows
            .iter()
            .find(|r| r.state == KeyState::Active)
            .ok_or_else(|| KeyError::Corrupt("no active key is stored".into()))?;
        let active = open(active_row)?;
        let mut published = vec![active.cert_base64().to_string()];
        for state in [KeyState::Next, KeyState::Previous] {
            for r in rows.iter().filter(|r| r.state == state) {
                published.push(open(r)?.cert_base64().to_string());
            }
        }
        let jose = jose::from_rows(master, rows, active_row, &active)?;
        Ok(Self {
            active,
            active_id: active_row.id.clone(),
            published,
            source: KeySource::Store,
            jose,
            stamp: stamp_of(rows),
        })
    }
}

/// What identifies a set of stored key states: `id=state` of every row, and the start of its sealed
/// P-256 companion (another instance may have added it; the seal's random nonce comes first, so a
/// new companion changes the stamp).
fn stamp_of(rows: &[KeyRow]) -> String {
    rows.iter()
        .map(|r| {
            let ec = r
                .ec_key_enc
                .as_deref()
                .map_or("", |e| e.get(..16).unwrap_or(e));
            format!("{}={}+{ec}", r.id, r.state)
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// Re-reads the stored keys and swaps the ring in `shared` when their states changed (a key added,
/// activated or retired here or on another instance). Returns whether the ring changed. Keys from
/// files never change.
pub async fn follow(config: &Config, store: &Store, shared: &SharedKeys) -> Result<bool, KeyError> {
    if shared.current().source == KeySource::Files {
        return Ok(false);
    }
    let rows = store.signing_keys().await?;
    if stamp_of(&rows) == shared.current().stamp {
        return Ok(false);
    }
    let master = config.master_key().map_err(KeyError::Config)?;
    let ring = KeyRing::from_rows(master, &rows)?;
    tracing::info!(
        active = %ring.active_id,
        published = ring.published.len(),
        "signing keys changed in the store; this instance follows"
    );
    shared.replace(ring);
    Ok(true)
}

/// A new RSA-2048 key with a self-signed 10-year certificate (CN = host of `public_url`) and its
/// P-256 companion, both sealed under the master key, as a row in `state`.
fn new_key_row(
    config: &Config,
    master: &MasterKey,
    id: &str,
    state: KeyState,
    now: OffsetDateTime,
    rng: &dyn Rng,
) -> Result<KeyRow, KeyError> {
    let host = config
        .public_url()
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "wecom-idp".into());
    let mut serial = [0u8; 16];
    rng.fill(&mut serial);
    serial[0] &= 0x7f;
    serial[0] |= 0x01;
    let (key_pem, cert_pem) = generate_key_and_cert(&host, now, &serial)
        .map_err(|e| KeyError::Corrupt(format!("generation failed: {e}")))?;
    let key_enc = master
        .seal(&sealing_context(id), key_pem.as_bytes(), rng)
        .map_err(KeyError::Corrupt)?;
    Ok(KeyRow {
        id: id.into(),
        key_pem: String::new(),
        cert_pem,
        state,
        created_at: now.unix_timestamp(),
        key_enc: Some(key_enc),
        master_key_id: Some(master.id().to_string()),
        activated_at: None,
        retired_at: None,
        ec_key_enc: Some(jose::new_companion(master, id, rng)?),
    })
}

/// Generates and stores a `next` key with a fresh ID (`k-` + 12 hex digits); returns its row.
pub async fn add_next_key(
    config: &Config,
    store: &Store,
    now: OffsetDateTime,
    rng: &dyn Rng,
) -> Result<KeyRow, KeyError> {
    let master = config.master_key().map_err(KeyError::Config)?;
    let id = format!("k-{}", rng.hex(6));
    let row = new_key_row(config, master, &id, KeyState::Next, now, rng)?;
    if !store.insert_key_if_absent(&row).await? {
        return Err(KeyError::Corrupt(format!("key ID `{id}` is taken")));
    }
    tracing::info!(key = %id, "generated a next signing key (RSA-2048, 10 years, with its P-256 companion)");
    Ok(row)
}

// Secrets at rest: private keys sealed under the master key.

/// What a stored key's seal is bound to: its row.
fn sealing_context(key_id: &str) -> String {
    format!("signing_key:{key_id}")
}

/// Seals the rows still holding a plain PEM (stored before keys were sealed). Returns whether any changed.
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
        // Retired keys have no private key left to re-seal.
        if r.master_key_id.as_deref() == Some(new.id()) || r.state == KeyState::Retired {
            continue;
        }
        let pem = private_pem(&r, old)?;
        let sealed = new
            .seal(&sealing_context(&r.id), pem.as_bytes(), rng)
            .map_err(KeyError::Corrupt)?;
        let ec = jose::reseal_companion(&r, old, new, rng)?;
        let done = match &r.master_key_id {
            Some(old_id) => {
                store
                    .reseal_key(&r.id, old_id, &sealed, ec.as_deref(), new.id())
                    .await?
            }
            None => store.seal_plain_key(&r.id, &sealed, new.id()).await?,
        };
        if done {
            changed += 1;
        }
    }
    Ok(changed)
}

/// Opens the signing keys as `serve` would, without generating or changing anything (`serve
/// --check`): the configured key files, or the stored keys with the master key. `None`: no key is
/// stored yet (the first `serve` generates one).
pub async fn check(config: &Config, store: &Store) -> Result<Option<KeyRing>, KeyError> {
    if from_files(config) {
        return KeyRing::load(
            config,
            store,
            &crate::clock::SystemClock,
            &crate::random::OsRng,
        )
        .await
        .map(Some);
    }
    let master = config.master_key().map_err(KeyError::Config)?;
    let rows = store.signing_keys().await?;
    if !rows.iter().any(|r| r.state == KeyState::Active) {
        return Ok(None);
    }
    KeyRing::from_rows(master, &rows).map(Some)
}
