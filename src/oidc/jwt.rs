//! JSON Web Signature in compact serialization (RFC 7515) over OpenSSL, for the ID tokens and access
//! tokens we issue: RS256 (RSASSA-PKCS1-v1_5 with SHA-256, the key ring's RSA keys) and ES256 (ECDSA
//! P-256 with SHA-256; the signature is JOSE's fixed-width `r ‖ s`, not OpenSSL's DER).
//!
//! Hand-written rather than a JOSE crate: the two algorithms are a few OpenSSL calls, and the JOSE
//! crates bring a second crypto stack (ring, RustCrypto) this project keeps out. What it does not do
//! is on purpose: no `none`, no HMAC (no key confusion between a public key and a shared secret), no
//! `jku`/`x5u`/`jwk` header keys (a token never chooses its own key), no `crit` extensions. A token
//! is verified only against our own published keys, found by `kid`, with the algorithm that key
//! has — never the one the header claims for it.
//!
//! Which key signs is the key ring's business: [`sign`] takes the ring's [`JoseKeys`] and signs with
//! the active key of the asked algorithm, naming it in `kid`.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine as _;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::ecdsa::EcdsaSig;
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::sign::Verifier;
use serde::{Deserialize, Serialize};

use super::jwks::{JoseKeys, PublicJwk};

/// Longest token [`verify`] reads; ours are a few hundred bytes to a few kilobytes (many groups).
pub const MAX_TOKEN_LEN: usize = 32 * 1024;

/// Width of each of `r` and `s` in an ES256 signature (P-256: 32 bytes).
const P256_COORD: usize = 32;

/// A JWS algorithm we sign with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JwsAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 over the key ring's RSA key: the default.
    #[serde(rename = "RS256")]
    Rs256,
    /// ECDSA P-256 with SHA-256 over the ring's P-256 key, for clients that ask for it.
    #[serde(rename = "ES256")]
    Es256,
}

impl JwsAlg {
    /// Every algorithm we sign with, the default first (what discovery lists).
    pub const ALL: [JwsAlg; 2] = [JwsAlg::Rs256, JwsAlg::Es256];

    /// The JOSE name (`RS256`, `ES256`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
        }
    }

    /// Parses a JOSE name exactly (`RS256`, `ES256`); anything else (`none`, `HS256`, `rs256`) is
    /// `None`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "RS256" => Some(Self::Rs256),
            "ES256" => Some(Self::Es256),
            _ => None,
        }
    }
}

impl fmt::Display for JwsAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `typ` header of a token: it keeps an ID token from being accepted where an access token is
/// expected, and the reverse (RFC 9068 §2.1, RFC 8725 §3.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    /// `JWT`: an ID token.
    Jwt,
    /// `at+jwt`: an access token (RFC 9068).
    AccessToken,
    /// `logout+jwt`: a Back-Channel Logout token (OpenID Connect Back-Channel Logout 1.0 §2.4),
    /// so that it can never pass for an ID token.
    LogoutToken,
}

impl TokenType {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jwt => "JWT",
            Self::AccessToken => "at+jwt",
            Self::LogoutToken => "logout+jwt",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "JWT" => Some(Self::Jwt),
            "at+jwt" => Some(Self::AccessToken),
            "logout+jwt" => Some(Self::LogoutToken),
            _ => None,
        }
    }
}

/// Why a token could not be signed or verified. The verify variants say what was wrong without
/// repeating the token.
#[derive(Debug)]
pub enum JwtError {
    /// The ring has no active key for this algorithm (ES256 with `signing.key_file` but no
    /// `signing.ec_key_file`).
    NoKey(JwsAlg),
    /// The claims do not serialize to a JSON object.
    Claims(String),
    /// Not three base64url parts, too long, or a part is not base64url / JSON.
    Malformed(&'static str),
    /// The header names an algorithm we do not accept, or not the one of the key it names.
    Algorithm(String),
    /// The header's `kid` is none of our published keys.
    UnknownKey(String),
    /// The `typ` header is not the expected one.
    WrongType,
    /// The signature does not verify.
    BadSignature,
    /// OpenSSL failed.
    Crypto(ErrorStack),
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoKey(alg) => write!(f, "no active {alg} signing key"),
            Self::Claims(m) => write!(f, "claims: {m}"),
            Self::Malformed(m) => write!(f, "malformed token: {m}"),
            Self::Algorithm(a) => write!(f, "algorithm not accepted: {a}"),
            Self::UnknownKey(k) => write!(f, "unknown key ID: {k}"),
            Self::WrongType => f.write_str("wrong token type"),
            Self::BadSignature => f.write_str("signature does not verify"),
            Self::Crypto(e) => write!(f, "openssl: {e}"),
        }
    }
}

impl std::error::Error for JwtError {}

impl From<ErrorStack> for JwtError {
    fn from(e: ErrorStack) -> Self {
        Self::Crypto(e)
    }
}

/// A P-256 private key for ES256, parsed once (like [`crate::saml::sign::SigningKey`]).
pub struct Es256Key {
    pkey: PKey<Private>,
}

impl fmt::Debug for Es256Key {
    /// Never prints the private key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Es256Key").finish_non_exhaustive()
    }
}

impl Es256Key {
    /// Parses a PEM private key (PKCS#8 or SEC 1) and checks it is on P-256.
    pub fn from_pem(pem: &[u8]) -> Result<Self, JwtError> {
        let pkey = PKey::private_key_from_pem(pem)?;
        let on_p256 = pkey.id() == Id::EC
            && pkey.ec_key()?.group().curve_name() == Some(Nid::X9_62_PRIME256V1);
        if !on_p256 {
            return Err(JwtError::Algorithm(
                "the ES256 key must be an EC key on P-256 (prime256v1)".into(),
            ));
        }
        Ok(Self { pkey })
    }

    /// A new P-256 key as PKCS#8 PEM (to be sealed and stored; parse it with [`Self::from_pem`]).
    pub fn generate_pem() -> Result<String, JwtError> {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
        let pkey = PKey::from_ec_key(EcKey::generate(&group)?)?;
        String::from_utf8(pkey.private_key_to_pem_pkcs8()?)
            .map_err(|_| JwtError::Malformed("key PEM is not UTF-8"))
    }

    /// The public half.
    pub fn public_key(&self) -> Result<PKey<Public>, JwtError> {
        Ok(PKey::public_key_from_der(&self.pkey.public_key_to_der()?)?)
    }

    /// ECDSA over SHA-256(`data`), as JOSE's 64-byte `r ‖ s` (RFC 7518 §3.4).
    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, JwtError> {
        let digest = openssl::sha::sha256(data);
        let sig = EcdsaSig::sign(&digest, self.pkey.ec_key()?.as_ref())?;
        let mut out = sig.r().to_vec_padded(P256_COORD as i32)?;
        out.extend(sig.s().to_vec_padded(P256_COORD as i32)?);
        Ok(out)
    }
}

/// The protected header we write and the only one we read back: unknown members (`crit`, `jku`,
/// `jwk`, `x5u`…) and duplicates are refused.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header<'a> {
    alg: &'a str,
    kid: &'a str,
    typ: &'a str,
}

/// Signs `claims` (which must serialize to a JSON object) with the ring's active key of `alg`:
/// `base64url(header).base64url(claims).base64url(signature)`, header `{"alg","kid","typ"}`.
pub fn sign(
    keys: &JoseKeys,
    alg: JwsAlg,
    typ: TokenType,
    claims: &impl Serialize,
) -> Result<String, JwtError> {
    let payload = serde_json::to_vec(claims).map_err(|e| JwtError::Claims(e.to_string()))?;
    if payload.first() != Some(&b'{') {
        return Err(JwtError::Claims("not a JSON object".into()));
    }
    let kid = match alg {
        JwsAlg::Rs256 => keys.rs256_kid.as_str(),
        JwsAlg::Es256 => keys.es256_kid().ok_or(JwtError::NoKey(alg))?,
    };
    let header = serde_json::to_vec(&Header {
        alg: alg.as_str(),
        kid,
        typ: typ.as_str(),
    })
    .map_err(|e| JwtError::Claims(e.to_string()))?;
    let mut out = B64URL.encode(header);
    out.push('.');
    out.push_str(&B64URL.encode(payload));
    let signature = match alg {
        JwsAlg::Rs256 => keys
            .rs256
            .sign_rsa_sha256(out.as_bytes())
            .map_err(|e| match e {
                crate::saml::sign::SignError::Crypto(e) => JwtError::Crypto(e),
                e => JwtError::Algorithm(e.to_string()),
            })?,
        JwsAlg::Es256 => keys
            .es256_key()
            .ok_or(JwtError::NoKey(alg))?
            .sign(out.as_bytes())?,
    };
    out.push('.');
    out.push_str(&B64URL.encode(signature));
    Ok(out)
}

/// A token whose signature verified against one of our published keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The key that signed it.
    pub kid: String,
    /// Its algorithm.
    pub alg: JwsAlg,
    /// The claims, unchecked: the caller checks `iss`, `aud`, `exp` and what else its token needs.
    pub claims: serde_json::Map<String, serde_json::Value>,
}

/// Verifies a compact JWS of type `typ` against the published keys (active, next and previous: a
/// token signed just before a switch stays valid until it expires; a retired key verifies nothing).
/// Only the signature, the header and the claims' JSON shape are checked here.
pub fn verify(keys: &JoseKeys, token: &str, typ: TokenType) -> Result<Verified, JwtError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwtError::Malformed("too long"));
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed("not three dot-separated parts"));
    };
    let header_json = decode(h, "header")?;
    let header: Header<'_> = serde_json::from_slice(&header_json)
        .map_err(|_| JwtError::Malformed("header is not {alg, kid, typ}"))?;
    let alg = JwsAlg::parse(header.alg).ok_or_else(|| JwtError::Algorithm(header.alg.into()))?;
    if TokenType::parse(header.typ) != Some(typ) {
        return Err(JwtError::WrongType);
    }
    let key = keys
        .published
        .iter()
        .find(|k| k.kid == header.kid)
        .ok_or_else(|| JwtError::UnknownKey(header.kid.into()))?;
    if key.alg != alg {
        return Err(JwtError::Algorithm(format!(
            "{alg} with the {} key `{}`",
            key.alg, key.kid
        )));
    }
    let signature = decode(s, "signature")?;
    let signed = &token[..h.len() + 1 + p.len()];
    if !check_signature(key, signed.as_bytes(), &signature)? {
        return Err(JwtError::BadSignature);
    }
    let claims = serde_json::from_slice(&decode(p, "payload")?)
        .map_err(|_| JwtError::Malformed("payload is not a JSON object"))?;
    Ok(Verified {
        kid: key.kid.clone(),
        alg,
        claims,
    })
}

fn decode(part: &str, what: &'static str) -> Result<Vec<u8>, JwtError> {
    B64URL.decode(part).map_err(|_| {
        JwtError::Malformed(match what {
            "header" => "header is not base64url",
            "payload" => "payload is not base64url",
            _ => "signature is not base64url",
        })
    })
}

/// Whether `signature` over `data` verifies with `key` under the key's own algorithm.
fn check_signature(key: &PublicJwk, data: &[u8], signature: &[u8]) -> Result<bool, JwtError> {
    match key.alg {
        JwsAlg::Rs256 => {
            let mut v = Verifier::new(MessageDigest::sha256(), &key.key)?;
            Ok(v.verify_oneshot(signature, data).unwrap_or(false))
        }
        JwsAlg::Es256 => {
            if signature.len() != 2 * P256_COORD {
                return Ok(false);
            }
            let (r, s) = signature.split_at(P256_COORD);
            let sig =
                EcdsaSig::from_private_components(BigNum::from_slice(r)?, BigNum::from_slice(s)?)?;
            let digest = openssl::sha::sha256(data);
            Ok(sig
                .verify(&digest, key.key.ec_key()?.as_ref())
                .unwrap_or(false))
        }
    }
}

#[cfg(test)]
mod tests;
