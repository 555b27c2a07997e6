//! Randomness as a parameter: IDs, session keys, OAuth states and key material draw from an `Rng`, so
//! tests can make runs repeatable where they need to, and production uses OpenSSL's CSPRNG.

/// A source of random bytes.
pub trait Rng: Send + Sync + 'static {
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]);

    /// `n` random bytes as lowercase hex (2n characters).
    fn hex(&self, n: usize) -> String {
        let mut buf = vec![0u8; n];
        self.fill(&mut buf);
        hex::encode(buf)
    }

    /// A random token for cookies and OAuth states: 32 bytes as hex, `[a-f0-9]{64}`.
    fn token(&self) -> String {
        self.hex(32)
    }

    /// A SAML ID: must be an xs:ID (NCName), so it starts with a letter or underscore.
    fn saml_id(&self) -> String {
        format!("_{}", self.hex(20))
    }
}

/// OpenSSL's CSPRNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRng;

impl Rng for OsRng {
    fn fill(&self, buf: &mut [u8]) {
        // `rand_bytes` only fails when the CSPRNG cannot be seeded; there is no safe way to go on.
        if openssl::rand::rand_bytes(buf).is_err() {
            std::process::abort();
        }
    }
}
