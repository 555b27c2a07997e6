//! Inbound signatures: enveloped XML-DSig (HTTP-POST, metadata) and the HTTP-Redirect query
//! signature. Keys come only from the caller (the SP's metadata); `KeyInfo` in a message is never read.
//!
//! Enveloped signatures follow the SAML profile of XML-DSig (SAML Core §5.4) and nothing more: one
//! `ds:Signature`, a direct child of the signed root; one `Reference` whose URI is `#` + the root's
//! unique ID; transforms exactly enveloped-signature + exclusive c14n; exclusive c14n for
//! `SignedInfo`; allowlisted algorithms. Anything else is refused rather than interpreted.

use std::fmt;

use base64::Engine as _;
use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Public};
use openssl::rsa::Padding;
use openssl::sign::Verifier;
use openssl::x509::X509;

use super::c14n::{exc_c14n, C14nError};
use super::dom::{Document, ElementId, IdLookupError};
use super::uris::{alg, ns, MIN_RSA_BITS};

/// Why a signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyError {
    /// The Redirect query string is malformed (what is wrong in the text).
    Query(&'static str),
    /// A signature or digest algorithm outside the allowlist (the URI as received).
    Algorithm(String),
    /// SHA-1 (signature or digest) without the per-app opt-in.
    Sha1NotAllowed,
    /// The `ds:Signature` does not have the one shape we accept (what is wrong).
    Structure(&'static str),
    /// The signed root has no `ID` attribute.
    MissingId,
    /// The root's ID is carried by more than one element.
    DuplicateId,
    /// `SignatureValue` / `DigestValue` / `Signature` is not valid base64.
    Base64,
    /// Canonicalization failed.
    C14n(C14nError),
    /// The digest of the signed element does not match `DigestValue`.
    DigestMismatch,
    /// The message is signed but no certificate was given to check it with.
    NoCertificates,
    /// No given certificate verifies the signature.
    BadSignature,
    /// Only keys too weak to be accepted (RSA < 2048 bits) were given.
    WeakKey,
    /// OpenSSL failed.
    Crypto(String),
}

impl VerifyError {
    /// A short stable code for the audit log.
    pub fn reason(&self) -> &'static str {
        match self {
            VerifyError::Query(_) => "redirect_query_malformed",
            VerifyError::Algorithm(_) => "signature_algorithm_refused",
            VerifyError::Sha1NotAllowed => "signature_sha1_refused",
            VerifyError::Structure(_) => "signature_structure_refused",
            VerifyError::MissingId => "signed_root_without_id",
            VerifyError::DuplicateId => "duplicate_id",
            VerifyError::Base64 => "signature_base64_invalid",
            VerifyError::C14n(_) => "canonicalization_failed",
            VerifyError::DigestMismatch => "digest_mismatch",
            VerifyError::NoCertificates => "no_sp_certificate",
            VerifyError::BadSignature => "signature_invalid",
            VerifyError::WeakKey => "sp_key_too_weak",
            VerifyError::Crypto(_) => "crypto_error",
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Query(m) => write!(f, "malformed Redirect query: {m}"),
            VerifyError::Algorithm(u) => write!(f, "algorithm not allowed: {u}"),
            VerifyError::Sha1NotAllowed => write!(f, "SHA-1 is not allowed for this app"),
            VerifyError::Structure(m) => write!(f, "signature refused: {m}"),
            VerifyError::MissingId => write!(f, "signed element has no ID"),
            VerifyError::DuplicateId => write!(f, "the signed ID appears more than once"),
            VerifyError::Base64 => write!(f, "invalid base64 in signature"),
            VerifyError::C14n(e) => write!(f, "canonicalization failed: {e}"),
            VerifyError::DigestMismatch => write!(f, "digest does not match the signed content"),
            VerifyError::NoCertificates => {
                write!(f, "message is signed but the SP has no signing certificate")
            }
            VerifyError::BadSignature => {
                write!(f, "signature does not verify with the SP's certificates")
            }
            VerifyError::WeakKey => {
                write!(f, "the SP's RSA key is shorter than {MIN_RSA_BITS} bits")
            }
            VerifyError::Crypto(e) => write!(f, "crypto error: {e}"),
        }
    }
}

impl std::error::Error for VerifyError {}

impl From<C14nError> for VerifyError {
    fn from(e: C14nError) -> Self {
        VerifyError::C14n(e)
    }
}

impl From<ErrorStack> for VerifyError {
    fn from(e: ErrorStack) -> Self {
        VerifyError::Crypto(e.to_string())
    }
}

/// Signature algorithms we accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SigAlg {
    /// RSA PKCS#1 v1.5, SHA-256.
    RsaSha256,
    /// RSA PKCS#1 v1.5, SHA-384.
    RsaSha384,
    /// RSA PKCS#1 v1.5, SHA-512.
    RsaSha512,
    /// ECDSA, SHA-256.
    EcdsaSha256,
    /// ECDSA, SHA-384.
    EcdsaSha384,
    /// ECDSA, SHA-512.
    EcdsaSha512,
    /// RSA PKCS#1 v1.5, SHA-1: only when the app opts in.
    RsaSha1,
}

impl SigAlg {
    /// The algorithm named by `uri`; unknown URIs (MD5, DSA, HMAC, …) are refused, SHA-1 unless
    /// `allow_sha1`.
    pub fn from_uri(uri: &str, allow_sha1: bool) -> Result<SigAlg, VerifyError> {
        let alg = match uri {
            alg::RSA_SHA256 => SigAlg::RsaSha256,
            alg::RSA_SHA384 => SigAlg::RsaSha384,
            alg::RSA_SHA512 => SigAlg::RsaSha512,
            alg::ECDSA_SHA256 => SigAlg::EcdsaSha256,
            alg::ECDSA_SHA384 => SigAlg::EcdsaSha384,
            alg::ECDSA_SHA512 => SigAlg::EcdsaSha512,
            alg::RSA_SHA1 if allow_sha1 => SigAlg::RsaSha1,
            alg::RSA_SHA1 => return Err(VerifyError::Sha1NotAllowed),
            other => return Err(VerifyError::Algorithm(other.to_string())),
        };
        Ok(alg)
    }

    /// The algorithm's URI.
    pub fn uri(self) -> &'static str {
        match self {
            SigAlg::RsaSha256 => alg::RSA_SHA256,
            SigAlg::RsaSha384 => alg::RSA_SHA384,
            SigAlg::RsaSha512 => alg::RSA_SHA512,
            SigAlg::EcdsaSha256 => alg::ECDSA_SHA256,
            SigAlg::EcdsaSha384 => alg::ECDSA_SHA384,
            SigAlg::EcdsaSha512 => alg::ECDSA_SHA512,
            SigAlg::RsaSha1 => alg::RSA_SHA1,
        }
    }

    fn digest(self) -> MessageDigest {
        match self {
            SigAlg::RsaSha256 | SigAlg::EcdsaSha256 => MessageDigest::sha256(),
            SigAlg::RsaSha384 | SigAlg::EcdsaSha384 => MessageDigest::sha384(),
            SigAlg::RsaSha512 | SigAlg::EcdsaSha512 => MessageDigest::sha512(),
            SigAlg::RsaSha1 => MessageDigest::sha1(),
        }
    }

    fn is_ecdsa(self) -> bool {
        matches!(
            self,
            SigAlg::EcdsaSha256 | SigAlg::EcdsaSha384 | SigAlg::EcdsaSha512
        )
    }
}

fn digest_from_uri(uri: &str, allow_sha1: bool) -> Result<MessageDigest, VerifyError> {
    match uri {
        alg::SHA256 => Ok(MessageDigest::sha256()),
        alg::SHA384 => Ok(MessageDigest::sha384()),
        alg::SHA512 => Ok(MessageDigest::sha512()),
        alg::SHA1 if allow_sha1 => Ok(MessageDigest::sha1()),
        alg::SHA1 => Err(VerifyError::Sha1NotAllowed),
        other => Err(VerifyError::Algorithm(other.to_string())),
    }
}

/// Outcome of a successful check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureStatus {
    /// There is no signature on the message (whether that is acceptable is the caller's call).
    Unsigned,
    /// The signature verified with one of the given certificates.
    Verified {
        /// The signature algorithm used.
        alg: SigAlg,
    },
}

/// Checks the enveloped signature of `root` (a direct `ds:Signature` child) with `certs` only.
///
/// Returns `Unsigned` when `root` has no `ds:Signature` child (a signature elsewhere in the
/// document never counts for `root`).
pub fn verify_enveloped(
    doc: &Document,
    root: ElementId,
    certs: &[X509],
    allow_sha1: bool,
) -> Result<SignatureStatus, VerifyError> {
    let sigs: Vec<ElementId> = doc.find_children(root, ns::DS, "Signature").collect();
    let sig = match sigs.as_slice() {
        [] => return Ok(SignatureStatus::Unsigned),
        [one] => *one,
        _ => return Err(VerifyError::Structure("more than one Signature")),
    };
    let root_id = doc.element(root).attr("ID").ok_or(VerifyError::MissingId)?;
    match doc.find_by_id(root_id) {
        Ok(found) if found == root => {}
        Err(IdLookupError::Duplicate) => return Err(VerifyError::DuplicateId),
        _ => return Err(VerifyError::MissingId),
    }

    // Signature = SignedInfo, SignatureValue, optional KeyInfo (ignored). No Object.
    let parts: Vec<ElementId> = doc.child_elements(sig).collect();
    let (signed_info, sig_value) = match parts.as_slice() {
        [si, sv] => (*si, *sv),
        [si, sv, ki] if doc.element(*ki).is(ns::DS, "KeyInfo") => (*si, *sv),
        _ => {
            return Err(VerifyError::Structure(
                "Signature must hold SignedInfo, SignatureValue and optionally KeyInfo",
            ))
        }
    };
    require_ds(doc, signed_info, "SignedInfo")?;
    require_ds(doc, sig_value, "SignatureValue")?;

    // SignedInfo = CanonicalizationMethod, SignatureMethod, exactly one Reference.
    let si: Vec<ElementId> = doc.child_elements(signed_info).collect();
    let [c14n_method, sig_method, reference] = si.as_slice() else {
        return Err(VerifyError::Structure(
            "SignedInfo must hold exactly one Reference",
        ));
    };
    require_ds(doc, *c14n_method, "CanonicalizationMethod")?;
    require_ds(doc, *sig_method, "SignatureMethod")?;
    require_ds(doc, *reference, "Reference")?;
    if doc.element(*c14n_method).attr("Algorithm") != Some(alg::EXC_C14N) {
        return Err(VerifyError::Structure(
            "SignedInfo must use exclusive c14n without comments",
        ));
    }
    let si_prefixes = inclusive_prefixes(doc, *c14n_method)?;
    if doc.child_elements(*sig_method).next().is_some() {
        return Err(VerifyError::Structure("SignatureMethod must be empty"));
    }
    let alg = SigAlg::from_uri(
        doc.element(*sig_method).attr("Algorithm").unwrap_or(""),
        allow_sha1,
    )?;

    // Reference = URI "#root-id", Transforms, DigestMethod, DigestValue.
    let expected_uri = format!("#{root_id}");
    if doc.element(*reference).attr("URI") != Some(expected_uri.as_str()) {
        return Err(VerifyError::Structure(
            "Reference URI must be # + the signed root's ID",
        ));
    }
    let r: Vec<ElementId> = doc.child_elements(*reference).collect();
    let [transforms, digest_method, digest_value] = r.as_slice() else {
        return Err(VerifyError::Structure(
            "Reference must hold Transforms, DigestMethod, DigestValue",
        ));
    };
    require_ds(doc, *transforms, "Transforms")?;
    require_ds(doc, *digest_method, "DigestMethod")?;
    require_ds(doc, *digest_value, "DigestValue")?;
    let ref_prefixes = check_transforms(doc, *transforms)?;
    if doc.child_elements(*digest_method).next().is_some() {
        return Err(VerifyError::Structure("DigestMethod must be empty"));
    }
    let md = digest_from_uri(
        doc.element(*digest_method).attr("Algorithm").unwrap_or(""),
        allow_sha1,
    )?;
    let expected_digest = decode_b64(&doc.text(*digest_value))?;
    let signature = decode_b64(&doc.text(sig_value))?;
    if certs.is_empty() {
        return Err(VerifyError::NoCertificates);
    }

    let signed_bytes = exc_c14n(doc, root, Some(sig), &ref_prefixes)?;
    let digest = openssl::hash::hash(md, &signed_bytes)?;
    if digest.len() != expected_digest.len() || !openssl::memcmp::eq(&digest, &expected_digest) {
        return Err(VerifyError::DigestMismatch);
    }
    let si_bytes = exc_c14n(doc, signed_info, None, &si_prefixes)?;
    verify_with_certs(alg, &si_bytes, &signature, certs)?;
    Ok(SignatureStatus::Verified { alg })
}

fn require_ds(doc: &Document, id: ElementId, local: &'static str) -> Result<(), VerifyError> {
    if doc.element(id).is(ns::DS, local) {
        Ok(())
    } else {
        Err(VerifyError::Structure(local))
    }
}

/// The `ec:InclusiveNamespaces PrefixList` under a c14n method/transform element (nothing else
/// may be there).
fn inclusive_prefixes(doc: &Document, method: ElementId) -> Result<Vec<String>, VerifyError> {
    let kids: Vec<ElementId> = doc.child_elements(method).collect();
    match kids.as_slice() {
        [] => Ok(Vec::new()),
        [inc]
            if doc.element(*inc).is(ns::EC, "InclusiveNamespaces")
                && doc.child_elements(*inc).next().is_none() =>
        {
            let list = doc.element(*inc).attr("PrefixList").unwrap_or("");
            Ok(list.split_ascii_whitespace().map(str::to_string).collect())
        }
        _ => Err(VerifyError::Structure("unexpected content in c14n method")),
    }
}

/// Transforms must be exactly enveloped-signature then exclusive c14n (possibly with
/// `InclusiveNamespaces`); returns that prefix list.
fn check_transforms(doc: &Document, transforms: ElementId) -> Result<Vec<String>, VerifyError> {
    let t: Vec<ElementId> = doc.child_elements(transforms).collect();
    let [enveloped, c14n] = t.as_slice() else {
        return Err(VerifyError::Structure(
            "transforms must be enveloped-signature + exclusive c14n",
        ));
    };
    require_ds(doc, *enveloped, "Transform")?;
    require_ds(doc, *c14n, "Transform")?;
    if doc.element(*enveloped).attr("Algorithm") != Some(alg::ENVELOPED)
        || doc.child_elements(*enveloped).next().is_some()
        || doc.element(*c14n).attr("Algorithm") != Some(alg::EXC_C14N)
    {
        return Err(VerifyError::Structure(
            "transforms must be enveloped-signature + exclusive c14n",
        ));
    }
    inclusive_prefixes(doc, *c14n)
}

/// Base64 as found in XML text: whitespace (line breaks) ignored, padding required.
fn decode_b64(text: &str) -> Result<Vec<u8>, VerifyError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| VerifyError::Base64)
}

/// Succeeds when one certificate's key verifies `signature` over `data`.
fn verify_with_certs(
    alg: SigAlg,
    data: &[u8],
    signature: &[u8],
    certs: &[X509],
) -> Result<(), VerifyError> {
    if certs.is_empty() {
        return Err(VerifyError::NoCertificates);
    }
    let mut weak = 0usize;
    for cert in certs {
        let Ok(key) = cert.public_key() else {
            continue;
        };
        if key.id() == Id::RSA && key.bits() < MIN_RSA_BITS {
            weak += 1;
            continue;
        }
        // An OpenSSL failure with one key (odd curve, …) just means that key did not verify.
        if verify_one(alg, &key, data, signature).unwrap_or(false) {
            return Ok(());
        }
    }
    if weak == certs.len() {
        return Err(VerifyError::WeakKey);
    }
    Err(VerifyError::BadSignature)
}

fn verify_one(
    alg: SigAlg,
    key: &PKey<Public>,
    data: &[u8],
    signature: &[u8],
) -> Result<bool, ErrorStack> {
    match (alg.is_ecdsa(), key.id()) {
        (false, Id::RSA) => {
            let mut v = Verifier::new(alg.digest(), key)?;
            v.set_rsa_padding(Padding::PKCS1)?;
            // A malformed signature is an error inside OpenSSL: it simply does not verify.
            Ok(v.verify_oneshot(signature, data).unwrap_or(false))
        }
        (true, Id::EC) => {
            // XML-DSig (RFC 4050/6931) carries r || s, each padded to the field size.
            let ec = key.ec_key()?;
            let n = usize::try_from(ec.group().degree().div_ceil(8)).unwrap_or(usize::MAX);
            if signature.len() != n.saturating_mul(2) {
                return Ok(false);
            }
            let (r, s) = signature.split_at(n);
            let der =
                EcdsaSig::from_private_components(BigNum::from_slice(r)?, BigNum::from_slice(s)?)?
                    .to_der()?;
            let mut v = Verifier::new(alg.digest(), key)?;
            Ok(v.verify_oneshot(&der, data).unwrap_or(false))
        }
        _ => Ok(false),
    }
}

/// The parameters of an HTTP-Redirect query, each the raw text as received (still
/// percent-encoded), so the signed string can be rebuilt byte for byte.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RedirectQuery<'q> {
    /// `SAMLRequest` value.
    pub saml_request: Option<&'q str>,
    /// `SAMLResponse` value (a LogoutResponse).
    pub saml_response: Option<&'q str>,
    /// `RelayState` value.
    pub relay_state: Option<&'q str>,
    /// `SigAlg` value.
    pub sig_alg: Option<&'q str>,
    /// `Signature` value.
    pub signature: Option<&'q str>,
}

impl<'q> RedirectQuery<'q> {
    /// Splits a raw query string. Each of the five parameters may appear once; a parameter whose
    /// name is percent-encoded into one of the five is refused (no second spelling); others are
    /// ignored.
    pub fn parse(raw_query: &'q str) -> Result<Self, VerifyError> {
        let mut q = RedirectQuery::default();
        for piece in raw_query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
            let slot = match key {
                "SAMLRequest" => &mut q.saml_request,
                "SAMLResponse" => &mut q.saml_response,
                "RelayState" => &mut q.relay_state,
                "SigAlg" => &mut q.sig_alg,
                "Signature" => &mut q.signature,
                other => {
                    let decoded = percent_decode(other, true)?;
                    let names: [&[u8]; 5] = [
                        b"SAMLRequest",
                        b"SAMLResponse",
                        b"RelayState",
                        b"SigAlg",
                        b"Signature",
                    ];
                    if names.contains(&decoded.as_slice()) {
                        return Err(VerifyError::Query("encoded parameter name"));
                    }
                    continue;
                }
            };
            if !piece.contains('=') {
                return Err(VerifyError::Query("parameter without '='"));
            }
            if slot.replace(value).is_some() {
                return Err(VerifyError::Query("duplicated parameter"));
            }
        }
        Ok(q)
    }
}

/// Percent-decoding; `plus_is_space` for form-encoded free text (RelayState). Base64 values never
/// contain spaces, so for them `+` stays `+` (some senders leave it unescaped).
pub fn percent_decode(raw: &str, plus_is_space: bool) -> Result<Vec<u8>, VerifyError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or(VerifyError::Query("bad percent-escape"))?;
                out.push(hex);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Checks the HTTP-Redirect binding signature (SAML Bindings §3.4.4.1) over the raw query
/// (as received, without the leading `?`):
/// `SAMLRequest=…[&RelayState=…]&SigAlg=…` (or `SAMLResponse=…`), each piece exactly as
/// received.
pub fn verify_redirect(
    raw_query: &str,
    certs: &[X509],
    allow_sha1: bool,
) -> Result<SignatureStatus, VerifyError> {
    let q = RedirectQuery::parse(raw_query)?;
    let (field, request) = match (q.saml_request, q.saml_response) {
        (Some(r), None) => ("SAMLRequest", r),
        (None, Some(r)) => ("SAMLResponse", r),
        _ => return Err(VerifyError::Query("no SAMLRequest")),
    };
    let (sig_alg, signature) = match (q.sig_alg, q.signature) {
        (None, None) => return Ok(SignatureStatus::Unsigned),
        (Some(a), Some(s)) => (a, s),
        _ => {
            return Err(VerifyError::Query(
                "SigAlg and Signature must come together",
            ))
        }
    };
    let alg_uri = String::from_utf8(percent_decode(sig_alg, false)?)
        .map_err(|_| VerifyError::Query("SigAlg is not UTF-8"))?;
    let alg = SigAlg::from_uri(&alg_uri, allow_sha1)?;
    let sig_b64 = percent_decode(signature, false)?;
    let sig = base64::engine::general_purpose::STANDARD
        .decode(&sig_b64)
        .map_err(|_| VerifyError::Base64)?;
    let mut signed = format!("{field}={request}");
    if let Some(rs) = q.relay_state {
        signed.push_str("&RelayState=");
        signed.push_str(rs);
    }
    signed.push_str("&SigAlg=");
    signed.push_str(sig_alg);
    verify_with_certs(alg, signed.as_bytes(), &sig, certs)?;
    Ok(SignatureStatus::Verified { alg })
}

/// Signing helpers for tests of this module and of `request`: our own c14n + OpenSSL.
#[cfg(test)]
pub(crate) mod test_support;

#[cfg(test)]
mod tests;
