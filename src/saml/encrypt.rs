//! Assertion encryption (XML Encryption 1.1): a signed Assertion's bytes → a
//! `<saml:EncryptedAssertion>` holding one `xenc:EncryptedData` (Type Element) whose `ds:KeyInfo`
//! carries the `xenc:EncryptedKey`: the content key under the SP's RSA key with RSA-OAEP-MGF1P
//! (SHA-1 inside OAEP, as that URI defines), and the recipient's certificate in the
//! EncryptedKey's own `KeyInfo` so an SP with several keys knows which one to use.
//!
//! The block cipher is the app's [`BlockCipher`]; AES-256-GCM by default. Which SPs decrypt it
//! (the sources behind [`BlockCipher::DEFAULT`]):
//! - Shibboleth SP 3: xml-security-c 2 decrypts AES-GCM (Shibboleth IdP 4 encrypts with it by
//!   default: <https://shibboleth.atlassian.net/wiki/spaces/IDP4/pages/1265631833/GCMEncryption>);
//! - pysaml2 decrypts with the `xmlsec1` command, which has AES-GCM since 1.2.27:
//!   <https://github.com/IdentityPython/pysaml2/issues/671>;
//! - python3-saml decrypts with python-xmlsec, AES-GCM with libxmlsec1 ≥ 1.2.27:
//!   <https://github.com/SAML-Toolkits/python3-saml/issues/312>;
//! - mod_auth_mellon decrypts through lasso, which hands the `EncryptedData` to libxmlsec1's
//!   `xmlSecEncCtxDecrypt` (the algorithm is the document's), so GCM works with the same
//!   libxmlsec1 ≥ 1.2.27 (<https://www.aleksey.com/xmlsec/news.html>, 1.2.27: "Added AES-GCM
//!   support for OpenSSL"); every Debian and Ubuntu release still supported ships a newer one.
//!
//! All four decrypt AES-256-GCM, so it is the default; AES-128-GCM and the CBC modes (for SPs on
//! an older libxmlsec1, or Salesforce-like SPs that name AES-256-CBC) are per-app choices. CBC
//! carries no integrity of its own: the Assertion's signature is what protects it then.
//!
//! The content key and IV come from the [`Rng`] parameter. The RSA-OAEP padding's own seed is
//! drawn by OpenSSL inside the padding, from the same CSPRNG [`crate::random::OsRng`] uses: the
//! padding is part of the RSA primitive and has no way to take it from outside.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use openssl::pkey::{Id, PKey, Public};
use openssl::rsa::Padding;
use openssl::symm::{encrypt, encrypt_aead, Cipher};
use openssl::x509::X509;
use serde::{Deserialize, Serialize};

use crate::random::Rng;
use crate::saml::sign::SignError;
use crate::saml::uris::{alg, ns, MIN_RSA_BITS};
use crate::saml::xml::{Element, Writer};

/// The block cipher of an encrypted Assertion (`encryption_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum BlockCipher {
    /// AES-256-GCM (`http://www.w3.org/2009/xmlenc11#aes256-gcm`), the default.
    #[default]
    Aes256Gcm,
    /// AES-128-GCM (`http://www.w3.org/2009/xmlenc11#aes128-gcm`).
    Aes128Gcm,
    /// AES-256-CBC (`http://www.w3.org/2001/04/xmlenc#aes256-cbc`).
    Aes256Cbc,
    /// AES-128-CBC (`http://www.w3.org/2001/04/xmlenc#aes128-cbc`).
    Aes128Cbc,
}

impl BlockCipher {
    /// The default: the strongest all four SPs of the module documentation decrypt.
    pub const DEFAULT: Self = Self::Aes256Gcm;

    /// Every choice, in the order settings list them.
    pub const ALL: [Self; 4] = [
        Self::Aes256Gcm,
        Self::Aes128Gcm,
        Self::Aes256Cbc,
        Self::Aes128Cbc,
    ];

    /// The setting's value: `aes256-gcm`, `aes128-gcm`, `aes256-cbc`, `aes128-cbc`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aes256Gcm => "aes256-gcm",
            Self::Aes128Gcm => "aes128-gcm",
            Self::Aes256Cbc => "aes256-cbc",
            Self::Aes128Cbc => "aes128-cbc",
        }
    }

    /// Reads the setting's value.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The `EncryptionMethod` URI.
    pub fn uri(self) -> &'static str {
        match self {
            Self::Aes256Gcm => alg::AES256_GCM,
            Self::Aes128Gcm => alg::AES128_GCM,
            Self::Aes256Cbc => alg::AES256_CBC,
            Self::Aes128Cbc => alg::AES128_CBC,
        }
    }

    fn cipher(self) -> Cipher {
        match self {
            Self::Aes256Gcm => Cipher::aes_256_gcm(),
            Self::Aes128Gcm => Cipher::aes_128_gcm(),
            Self::Aes256Cbc => Cipher::aes_256_cbc(),
            Self::Aes128Cbc => Cipher::aes_128_cbc(),
        }
    }

    fn key_len(self) -> usize {
        match self {
            Self::Aes256Gcm | Self::Aes256Cbc => 32,
            Self::Aes128Gcm | Self::Aes128Cbc => 16,
        }
    }

    fn is_gcm(self) -> bool {
        matches!(self, Self::Aes256Gcm | Self::Aes128Gcm)
    }

    /// XML Encryption 1.1 §5.2.4: a 96-bit IV for GCM; the block size for CBC.
    fn iv_len(self) -> usize {
        if self.is_gcm() {
            12
        } else {
            16
        }
    }

    /// `IV ‖ ciphertext` (CBC, PKCS#7 padding, which XML Encryption's padding rule accepts: only
    /// the last byte is read) or `IV ‖ ciphertext ‖ tag` (GCM, 128-bit tag).
    fn seal(self, key: &[u8], iv: &[u8], plain: &[u8]) -> Result<Vec<u8>, SignError> {
        let mut out = iv.to_vec();
        if self.is_gcm() {
            let mut tag = [0u8; 16];
            let ct = encrypt_aead(self.cipher(), key, Some(iv), &[], plain, &mut tag)?;
            out.extend_from_slice(&ct);
            out.extend_from_slice(&tag);
        } else {
            out.extend_from_slice(&encrypt(self.cipher(), key, Some(iv), plain)?);
        }
        Ok(out)
    }
}

/// An SP's encryption certificate, checked once: an X.509 certificate with an RSA key of at least
/// 2048 bits (RSA-OAEP key transport is the only one we do).
pub struct Recipient {
    key: PKey<Public>,
    cert_b64: String,
}

impl std::fmt::Debug for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recipient")
            .field("bits", &self.key.bits())
            .finish_non_exhaustive()
    }
}

impl Recipient {
    /// Reads a certificate as SP metadata import keeps it (base64 of the DER).
    pub fn from_base64(cert_b64: &str) -> Result<Self, SignError> {
        let der = B64
            .decode(cert_b64.trim())
            .map_err(|_| SignError::Recipient("the encryption certificate is not base64"))?;
        let cert = X509::from_der(&der)
            .map_err(|_| SignError::Recipient("the encryption certificate is not X.509"))?;
        let key = cert.public_key()?;
        if key.id() != Id::RSA {
            return Err(SignError::Recipient(
                "the encryption certificate's key is not RSA (RSA-OAEP needs one)",
            ));
        }
        if key.bits() < MIN_RSA_BITS {
            return Err(SignError::Recipient(
                "the encryption certificate's RSA key is smaller than 2048 bits",
            ));
        }
        Ok(Self {
            key,
            cert_b64: B64.encode(&der),
        })
    }

    /// RSA-OAEP (MGF1 with SHA-1, SHA-1 digest, no label) of `content_key`.
    fn wrap(&self, content_key: &[u8]) -> Result<Vec<u8>, SignError> {
        let mut enc = openssl::encrypt::Encrypter::new(&self.key)?;
        enc.set_rsa_padding(Padding::PKCS1_OAEP)?;
        enc.set_rsa_oaep_md(openssl::hash::MessageDigest::sha1())?;
        enc.set_rsa_mgf1_md(openssl::hash::MessageDigest::sha1())?;
        let mut out = vec![0u8; enc.encrypt_len(content_key)?];
        let n = enc.encrypt(content_key, &mut out)?;
        out.truncate(n);
        Ok(out)
    }
}

/// Encrypts `assertion` (a finished, signed `saml:Assertion`) for `to` with `cipher`; the
/// content key and IV are drawn from `rng`. Returns the `saml:EncryptedAssertion`, ready to be
/// embedded in a Response.
pub fn encrypt_assertion(
    assertion: &Element,
    to: &Recipient,
    cipher: BlockCipher,
    rng: &dyn Rng,
) -> Result<Element, SignError> {
    if assertion.has_open_slot() {
        return Err(SignError::Xml(
            "an Assertion is encrypted once it is signed",
        ));
    }
    let mut key = vec![0u8; cipher.key_len()];
    rng.fill(&mut key);
    let mut iv = vec![0u8; cipher.iv_len()];
    rng.fill(&mut iv);
    let sealed = cipher.seal(&key, &iv, assertion.as_bytes())?;
    let wrapped = to.wrap(&key)?;

    let mut w = Writer::with_capacity(sealed.len() * 4 / 3 + 2048);
    w.start("saml", "EncryptedAssertion", ns::SAML)
        .start("xenc", "EncryptedData", ns::XENC)
        .attr("Type", alg::XENC_ELEMENT)
        .start("xenc", "EncryptionMethod", ns::XENC)
        .attr("Algorithm", cipher.uri())
        .end()
        .start("ds", "KeyInfo", ns::DS)
        .start("xenc", "EncryptedKey", ns::XENC)
        .start("xenc", "EncryptionMethod", ns::XENC)
        .attr("Algorithm", alg::RSA_OAEP_MGF1P)
        .start("ds", "DigestMethod", ns::DS)
        .attr("Algorithm", alg::SHA1)
        .end()
        .end()
        .start("ds", "KeyInfo", ns::DS)
        .start("ds", "X509Data", ns::DS)
        .leaf("ds", "X509Certificate", ns::DS, &to.cert_b64)
        .end()
        .end()
        .start("xenc", "CipherData", ns::XENC)
        .leaf("xenc", "CipherValue", ns::XENC, &B64.encode(&wrapped))
        .end()
        .end()
        .end()
        .start("xenc", "CipherData", ns::XENC)
        .leaf("xenc", "CipherValue", ns::XENC, &B64.encode(&sealed))
        .end()
        .end()
        .end();
    w.finish()
}

#[cfg(test)]
mod tests;
