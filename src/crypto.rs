//! Small cryptographic helpers shared by several modules: hashing of opaque tokens before they are
//! stored, and constant-time comparison.

use openssl::sha::sha256;

/// SHA-256 of `data` as lowercase hex. Session cookies and WeCom codes are stored only as this hash.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(sha256(data))
}

/// Compares two byte strings in time independent of where they differ (lengths may leak).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && openssl::memcmp::eq(a, b)
}

/// Seals `plaintext` with AES-256-GCM under a key derived from `secret` and `context`, for values the
/// store keeps but must not be able to read (the key material, e.g. a browser cookie, never reaches the
/// store). Returns hex of `nonce ‖ tag ‖ ciphertext`.
pub fn seal(
    secret: &[u8],
    context: &str,
    plaintext: &[u8],
    rng: &dyn crate::random::Rng,
) -> Result<String, openssl::error::ErrorStack> {
    let key = derive_key(secret, context);
    let mut nonce = [0u8; 12];
    rng.fill(&mut nonce);
    let mut tag = [0u8; 16];
    let ct = openssl::symm::encrypt_aead(
        openssl::symm::Cipher::aes_256_gcm(),
        &key,
        Some(&nonce),
        context.as_bytes(),
        plaintext,
        &mut tag,
    )?;
    let mut out = Vec::with_capacity(12 + 16 + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&tag);
    out.extend_from_slice(&ct);
    Ok(hex::encode(out))
}

/// Opens what [`seal`] produced with the same `secret` and `context`; `None` when anything differs.
pub fn open(secret: &[u8], context: &str, sealed: &str) -> Option<Vec<u8>> {
    let raw = hex::decode(sealed).ok()?;
    if raw.len() < 28 {
        return None;
    }
    let (nonce, rest) = raw.split_at(12);
    let (tag, ct) = rest.split_at(16);
    let key = derive_key(secret, context);
    openssl::symm::decrypt_aead(
        openssl::symm::Cipher::aes_256_gcm(),
        &key,
        Some(nonce),
        context.as_bytes(),
        ct,
        tag,
    )
    .ok()
}

fn derive_key(secret: &[u8], context: &str) -> [u8; 32] {
    let mut h = openssl::sha::Sha256::new();
    h.update(b"wecom-idp seal v1\0");
    h.update(context.as_bytes());
    h.update(b"\0");
    h.update(secret);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::OsRng;

    #[test]
    fn sealed_values_open_only_with_the_same_secret_and_context() {
        let s = seal(b"browser-cookie", "state1", b"session-token", &OsRng).unwrap();
        assert!(!s.contains(&hex::encode(b"session-token")));
        assert_eq!(
            open(b"browser-cookie", "state1", &s).unwrap(),
            b"session-token"
        );
        assert!(open(b"other-cookie", "state1", &s).is_none());
        assert!(open(b"browser-cookie", "state2", &s).is_none());
        let mut tampered = s.clone();
        tampered.replace_range(s.len() - 2.., "00");
        assert!(open(b"browser-cookie", "state1", &tampered).is_none() || tampered == s);
        assert!(open(b"browser-cookie", "state1", "zz").is_none());
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
