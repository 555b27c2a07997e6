//! The IdP's signing keys: loaded from configured PEM files, or generated on first start (RSA-2048,
//! self-signed, 10 years, CN = host of `public_url`) and stored so later starts — and every instance on
//! the same PostgreSQL — use the same key. The active key is parsed once and kept in memory.

use crate::clock::Clock;
use crate::config::{Config, ConfigError};
use crate::random::Rng;
use crate::saml::sign::{generate_key_and_cert, SigningKey};
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
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Config(e) => e.fmt(f),
            Self::Store(e) => e.fmt(f),
            Self::Corrupt(m) => write!(f, "signing key: {m}"),
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
        let mut rows = store.signing_keys().await?;
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
            let stored = store
                .insert_key_if_absent(&KeyRow {
                    id: INITIAL_KEY_ID.into(),
                    key_pem,
                    cert_pem,
                    state: "active".into(),
                    created_at: clock.unix(),
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
            active_row.key_pem.as_bytes(),
            active_row.cert_pem.as_bytes(),
        )
        .map_err(|e| KeyError::Corrupt(format!("stored key `{}`: {e}", active_row.id)))?;
        let mut published = vec![active.cert_base64().to_string()];
        for r in rows.iter().filter(|r| r.state == "next") {
            let k = SigningKey::from_pem(r.key_pem.as_bytes(), r.cert_pem.as_bytes())
                .map_err(|e| KeyError::Corrupt(format!("stored key `{}`: {e}", r.id)))?;
            published.push(k.cert_base64().to_string());
        }
        Ok(Self { active, published })
    }
}
