//! The IdP's JOSE keys: the active RS256 and ES256 signing keys with their key IDs, and every
//! published public key (active, next, previous) as a JSON Web Key Set (RFC 7517, RFC 7518 §6) —
//! the document at the discovery's `jwks_uri`. A relying party that caches the set sees a `next`
//! key before anything is signed with it, and keeps verifying tokens of a `previous` key until the
//! key is retired.
//!
//! The key ring builds one [`JoseKeys`] beside its SAML certificates; [`JoseKeys::new`] publishes the
//! active keys, so a key that signs is always in the set.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine as _;
use openssl::bn::{BigNum, BigNumContext};
use openssl::pkey::{PKey, Public};
use openssl::x509::X509;
use serde_json::{json, Value};

use super::jwt::{Es256Key, JwsAlg, JwtError};
use crate::saml::sign::SigningKey;

/// Where the set is served, below `public_url`.
pub const JWKS_PATH: &str = "/oidc/jwks";

/// How long a relying party may cache the set (`Cache-Control: max-age`, seconds). Short, so a
/// retired key leaves caches soon and a new `next` key reaches them well before it is activated.
pub const JWKS_MAX_AGE_SECS: u64 = 300;

/// Suffix of the ES256 key's ID after the ID of the RSA key it was made with (`k-…-es256`).
pub const ES256_KID_SUFFIX: &str = "-es256";

/// One published public key with its key ID and algorithm.
pub struct PublicJwk {
    /// The `kid`: the stored key's ID (`initial`, `k-…`; `…-es256` for its P-256 companion).
    pub kid: String,
    /// What it verifies.
    pub alg: JwsAlg,
    /// The public key.
    pub key: PKey<Public>,
}

impl std::fmt::Debug for PublicJwk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicJwk")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl PublicJwk {
    /// The RSA key of a signing certificate (DER).
    pub fn rsa(kid: &str, cert_der: &[u8]) -> Result<Self, JwtError> {
        Ok(Self {
            kid: kid.to_string(),
            alg: JwsAlg::Rs256,
            key: X509::from_der(cert_der)?.public_key()?,
        })
    }

    /// The public half of an ES256 key.
    pub fn es256(kid: &str, key: &Es256Key) -> Result<Self, JwtError> {
        Ok(Self {
            kid: kid.to_string(),
            alg: JwsAlg::Es256,
            key: key.public_key()?,
        })
    }

    /// The JWK: `kty`, `kid`, `use=sig`, `alg`, and `n`/`e` (RSA, unsigned big-endian without
    /// leading zeros) or `crv`/`x`/`y` (P-256, each exactly 32 bytes), all base64url.
    pub fn to_json(&self) -> Result<Value, JwtError> {
        Ok(match self.alg {
            JwsAlg::Rs256 => {
                let rsa = self.key.rsa()?;
                json!({
                    "kty": "RSA",
                    "kid": self.kid,
                    "use": "sig",
                    "alg": self.alg.as_str(),
                    "n": B64URL.encode(rsa.n().to_vec()),
                    "e": B64URL.encode(rsa.e().to_vec()),
                })
            }
            JwsAlg::Es256 => {
                let ec = self.key.ec_key()?;
                let (mut x, mut y) = (BigNum::new()?, BigNum::new()?);
                let mut ctx = BigNumContext::new()?;
                ec.public_key()
                    .affine_coordinates(ec.group(), &mut x, &mut y, &mut ctx)?;
                json!({
                    "kty": "EC",
                    "kid": self.kid,
                    "use": "sig",
                    "alg": self.alg.as_str(),
                    "crv": "P-256",
                    "x": B64URL.encode(x.to_vec_padded(32)?),
                    "y": B64URL.encode(y.to_vec_padded(32)?),
                })
            }
        })
    }
}

/// The key ring's JOSE side: what signs (the active RSA key; the active P-256 key when there is
/// one) and what is published.
pub struct JoseKeys {
    /// The active RSA key's ID, the `kid` of RS256 tokens.
    pub rs256_kid: String,
    /// The active RSA key (the same one that signs SAML Responses).
    pub rs256: SigningKey,
    es256: Option<(String, Es256Key)>,
    /// Every published key, the active ones first.
    pub published: Vec<PublicJwk>,
}

impl std::fmt::Debug for JoseKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoseKeys")
            .field("rs256_kid", &self.rs256_kid)
            .field("es256_kid", &self.es256_kid())
            .field("published", &self.published)
            .finish()
    }
}

impl JoseKeys {
    /// The active keys, published: RSA `rs256` as `rs256_kid`, and the ES256 key with its ID when
    /// there is one.
    pub fn new(
        rs256_kid: &str,
        rs256: SigningKey,
        es256: Option<(String, Es256Key)>,
    ) -> Result<Self, JwtError> {
        let mut published = vec![PublicJwk::rsa(rs256_kid, rs256.cert_der())?];
        if let Some((kid, key)) = &es256 {
            published.push(PublicJwk::es256(kid, key)?);
        }
        Ok(Self {
            rs256_kid: rs256_kid.to_string(),
            rs256,
            es256,
            published,
        })
    }

    /// Publishes a key that does not sign (a `next` or `previous` one).
    pub fn publish(&mut self, key: PublicJwk) {
        self.published.push(key);
    }

    /// The active ES256 key's ID, when there is one.
    pub fn es256_kid(&self) -> Option<&str> {
        self.es256.as_ref().map(|(kid, _)| kid.as_str())
    }

    /// The active ES256 key.
    pub(super) fn es256_key(&self) -> Option<&Es256Key> {
        self.es256.as_ref().map(|(_, key)| key)
    }

    /// Whether tokens can be signed with `alg` now (what discovery's
    /// `id_token_signing_alg_values_supported` lists, and what a client may ask for).
    pub fn can_sign(&self, alg: JwsAlg) -> bool {
        match alg {
            JwsAlg::Rs256 => true,
            JwsAlg::Es256 => self.es256.is_some(),
        }
    }

    /// The JWK Set document: `{"keys": [...]}`, every published key.
    pub fn document(&self) -> Result<Vec<u8>, JwtError> {
        let keys = self
            .published
            .iter()
            .map(PublicJwk::to_json)
            .collect::<Result<Vec<_>, _>>()?;
        serde_json::to_vec(&json!({ "keys": keys })).map_err(|e| JwtError::Claims(e.to_string()))
    }
}

/// The ID of a configured key file's key: `file-` and the first 8 bytes of the SHA-256 of `der`
/// (its certificate or public key), in hex. A constant ID would let a relying party keep a replaced
/// file's key cached under the same `kid`; this one changes with the key.
pub fn file_kid(prefix: &str, der: &[u8]) -> String {
    format!("{prefix}{}", hex::encode(&openssl::sha::sha256(der)[..8]))
}
