//! Secrets at rest: the master key (`WECOM_IDP_MASTER_KEY` or `master_key_file`, 32 bytes as base64 or
//! hex) and the AES-256-GCM sealing of what the store keeps secret (the signing private key). Every
//! sealed value records the ID of the master key that sealed it (first 8 hex of SHA-256 of the key), so
//! a wrong key is named at start and `wecom-idp master-key rotate` can re-seal everything under a new one.

use base64::Engine as _;

/// The environment variable holding the master key.
pub const MASTER_KEY_ENV: &str = "WECOM_IDP_MASTER_KEY";

/// How to make a master key, for error messages and the README.
pub const HOW_TO_MAKE: &str = "make one with `openssl rand -base64 32` and give it in \
     WECOM_IDP_MASTER_KEY or in a file named by `master_key_file` (mode 0600)";

/// The master key. Never printed: `Debug` shows only its ID.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    bytes: [u8; 32],
    id: String,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey").field("id", &self.id).finish()
    }
}

impl MasterKey {
    /// Parses 32 bytes written as base64 (standard or URL-safe, padded or not) or as 64 hex digits.
    /// The error says what was wrong, never the value.
    pub fn parse(text: &str) -> Result<Self, String> {
        let s = text.trim();
        if s.is_empty() {
            return Err(format!("the master key is empty; {HOW_TO_MAKE}"));
        }
        let decoded = if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(s).ok()
        } else {
            let engines = [
                &base64::engine::general_purpose::STANDARD,
                &base64::engine::general_purpose::STANDARD_NO_PAD,
                &base64::engine::general_purpose::URL_SAFE,
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            ];
            engines.iter().find_map(|e| e.decode(s).ok())
        };
        let Some(raw) = decoded else {
            return Err(format!(
                "the master key is neither base64 nor 64 hex digits; {HOW_TO_MAKE}"
            ));
        };
        let bytes: [u8; 32] = raw.as_slice().try_into().map_err(|_| {
            format!(
                "the master key must be 32 bytes, this one is {} bytes; {HOW_TO_MAKE}",
                raw.len()
            )
        })?;
        Ok(Self::from_bytes(bytes))
    }

    /// A key from raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let id = crate::crypto::sha256_hex(&bytes)[..8].to_string();
        Self { bytes, id }
    }

    /// A fresh random key (the demo's).
    pub fn generate(rng: &dyn crate::random::Rng) -> Self {
        let mut bytes = [0u8; 32];
        rng.fill(&mut bytes);
        Self::from_bytes(bytes)
    }

    /// The key as standard base64 (what `openssl rand -base64 32` prints), for writing a key file.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.bytes)
    }

    /// The key ID recorded next to every sealed value: first 8 hex of SHA-256 of the key.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Seals `plaintext` for the row `context` (e.g. `signing_key:initial`): the context is
    /// authenticated, so a sealed value copied to another row does not open.
    pub fn seal(
        &self,
        context: &str,
        plaintext: &[u8],
        rng: &dyn crate::random::Rng,
    ) -> Result<String, String> {
        crate::crypto::seal(&self.bytes, &sealing_context(context), plaintext, rng)
            .map_err(|e| format!("encryption failed: {e}"))
    }

    /// Opens what [`MasterKey::seal`] produced for the same `context`; `None` when the key, context
    /// or ciphertext differ.
    pub fn open(&self, context: &str, sealed: &str) -> Option<Vec<u8>> {
        crate::crypto::open(&self.bytes, &sealing_context(context), sealed)
    }
}

fn sealing_context(context: &str) -> String {
    format!("master-key:{context}")
}

/// Reads a master key file (trailing newline allowed). On Unix, warns when others may read it.
pub fn read_key_file(path: &std::path::Path) -> Result<MasterKey, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(m) = std::fs::metadata(path) {
            if m.permissions().mode() & 0o077 != 0 {
                tracing::warn!(
                    path = %path.display(),
                    "the master key file can be read by other users: chmod 600 it"
                );
            }
        }
    }
    MasterKey::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes a new key file readable by its owner only (mode 0600), refusing to overwrite one.
pub fn write_key_file(path: &std::path::Path, key: &MasterKey) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(key.to_base64().as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::OsRng;

    #[test]
    fn parses_base64_and_hex_of_32_bytes_only() {
        let k = MasterKey::generate(&OsRng);
        let b64 = k.to_base64();
        assert_eq!(MasterKey::parse(&b64).unwrap(), k);
        assert_eq!(MasterKey::parse(&format!("{b64}\n")).unwrap(), k);
        assert_eq!(MasterKey::parse(&hex::encode(k.bytes)).unwrap(), k);
        let short = base64::engine::general_purpose::STANDARD.encode([1u8; 16]);
        let e = MasterKey::parse(&short).unwrap_err();
        assert!(e.contains("32 bytes") && e.contains("openssl rand -base64 32"));
        assert!(MasterKey::parse("not a key!").is_err());
        assert!(MasterKey::parse("").is_err());
        assert_eq!(k.id().len(), 8);
        assert!(!format!("{k:?}").contains(&b64));
    }

    #[test]
    fn sealed_values_need_the_same_key_and_context() {
        let k = MasterKey::generate(&OsRng);
        let other = MasterKey::generate(&OsRng);
        let s = k
            .seal("signing_key:a", b"-----BEGIN PRIVATE KEY-----", &OsRng)
            .unwrap();
        assert!(!s.contains("BEGIN"));
        assert_eq!(
            k.open("signing_key:a", &s).unwrap(),
            b"-----BEGIN PRIVATE KEY-----"
        );
        assert!(k.open("signing_key:b", &s).is_none());
        assert!(other.open("signing_key:a", &s).is_none());
    }

    #[test]
    fn key_files_are_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("master.key");
        let k = MasterKey::generate(&OsRng);
        write_key_file(&p, &k).unwrap();
        assert_eq!(read_key_file(&p).unwrap(), k);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert!(write_key_file(&p, &k).is_err(), "never overwrites a key");
    }
}
