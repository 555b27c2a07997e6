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
