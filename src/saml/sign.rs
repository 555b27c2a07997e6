//! Enveloped XML-DSig signing with a key parsed once, our signing certificate, and [`SignError`],
//! the one error type of the outbound side (`xml`, `sign`, `encrypt`, `response`, `metadata`).
//!
//! Signing **never parses XML**. The [`Element`] to sign comes from the canonical writer, so its
//! bytes already are its exclusive-c14n form as an apex; the Signature is spliced into the
//! element's signature slot (right after its `Issuer`), which is exactly what the
//! enveloped-signature transform removes again. So:
//! - digest = SHA-256(element bytes, without the Signature);
//! - the `SignedInfo` is written once as an apex (`<ds:SignedInfo xmlns:ds="…">`) — those bytes
//!   are what RSA-SHA256 signs — and once inside `<ds:Signature xmlns:ds="…">` without
//!   re-declaring `ds`, which canonicalizes back to the same apex bytes.
//!
//! Algorithms are fixed: RSA-SHA256 (PKCS#1 v1.5), SHA-256 digest, transforms enveloped-signature
//! and exc-c14n, CanonicalizationMethod exc-c14n, `Reference URI="#ID"`, and
//! `KeyInfo/X509Data/X509Certificate` carrying our certificate.

use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::Signer;
use openssl::x509::extension::{BasicConstraints, KeyUsage, SubjectKeyIdentifier};
use openssl::x509::{X509NameBuilder, X509};
use time::OffsetDateTime;

use crate::saml::names::is_ascii_ncname;
use crate::saml::uris::{alg, ns, MIN_RSA_BITS};
use crate::saml::xml::{Element, Writer};

/// What can go wrong while writing or signing what we emit.
#[derive(Debug)]
pub enum SignError {
    /// The XML writer was misused (a bug in the caller, never caused by data values).
    Xml(&'static str),
    /// An input value is not acceptable (an ID that is not an NCName, an empty validity window…).
    Invalid(&'static str),
    /// The private key does not belong to the certificate.
    KeyMismatch,
    /// The key is not RSA, or smaller than 2048 bits.
    UnsupportedKey,
    /// A timestamp could not be formatted or is out of range.
    Time,
    /// The SP's encryption certificate cannot be encrypted to (what is wrong with it).
    Recipient(&'static str),
    /// OpenSSL refused (bad PEM, signing failure…).
    Crypto(ErrorStack),
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Xml(m) => write!(f, "XML writer misuse: {m}"),
            Self::Invalid(m) => write!(f, "invalid input: {m}"),
            Self::KeyMismatch => f.write_str("the private key does not match the certificate"),
            Self::UnsupportedKey => {
                f.write_str("the signing key must be RSA of at least 2048 bits")
            }
            Self::Time => f.write_str("timestamp out of range"),
            Self::Recipient(m) => write!(f, "cannot encrypt to the SP: {m}"),
            Self::Crypto(e) => write!(f, "openssl: {e}"),
        }
    }
}

impl std::error::Error for SignError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Crypto(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ErrorStack> for SignError {
    fn from(e: ErrorStack) -> Self {
        Self::Crypto(e)
    }
}

/// Our signing key and certificate, parsed once and reused for every signature. Cloning shares the
/// parsed key (OpenSSL reference count).
#[derive(Clone)]
pub struct SigningKey {
    pkey: PKey<Private>,
    cert_der: Vec<u8>,
    cert_b64: String,
    not_after: OffsetDateTime,
}

impl fmt::Debug for SigningKey {
    /// Never prints the private key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("cert_der_len", &self.cert_der.len())
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Parses a PEM private key (PKCS#8 or PKCS#1) and its PEM certificate, and checks that they
    /// belong together and that the key is RSA ≥ 2048 bits.
    pub fn from_pem(key_pem: &[u8], cert_pem: &[u8]) -> Result<Self, SignError> {
        let pkey = PKey::private_key_from_pem(key_pem)?;
        let cert = X509::from_pem(cert_pem)?;
        if pkey.id() != Id::RSA || pkey.bits() < MIN_RSA_BITS {
            return Err(SignError::UnsupportedKey);
        }
        if !cert.public_key()?.public_eq(&pkey) {
            return Err(SignError::KeyMismatch);
        }
        let not_after = asn1_to_offset(cert.not_after())?;
        let cert_der = cert.to_der()?;
        let cert_b64 = B64.encode(&cert_der);
        Ok(Self {
            pkey,
            cert_der,
            cert_b64,
            not_after,
        })
    }

    /// The certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The certificate, base64 of the DER (what goes in `X509Certificate` and our metadata).
    pub fn cert_base64(&self) -> &str {
        &self.cert_b64
    }

    /// When the certificate expires.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// RSA PKCS#1 v1.5 signature with SHA-256 over `data`.
    pub fn sign_rsa_sha256(&self, data: &[u8]) -> Result<Vec<u8>, SignError> {
        let mut signer = Signer::new(MessageDigest::sha256(), &self.pkey)?;
        Ok(signer.sign_oneshot_to_vec(data)?)
    }
}

/// Converts an ASN.1 time to `OffsetDateTime` (UTC).
fn asn1_to_offset(t: &openssl::asn1::Asn1TimeRef) -> Result<OffsetDateTime, SignError> {
    let epoch = Asn1Time::from_unix(0)?;
    let diff = epoch.diff(t)?;
    let secs = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
    OffsetDateTime::from_unix_timestamp(secs).map_err(|_| SignError::Time)
}

/// Makes a new RSA-2048 key and a self-signed X.509 v3 certificate for it (SHA-256, CN =
/// `common_name`, valid from `now` to `now` + 10 years, serial = `serial` read as an unsigned
/// big-endian integer, 1–20 bytes, not zero). Returns (key PEM PKCS#8, certificate PEM).
pub fn generate_key_and_cert(
    common_name: &str,
    now: OffsetDateTime,
    serial: &[u8],
) -> Result<(String, String), SignError> {
    if serial.is_empty() || serial.len() > 20 || serial.iter().all(|b| *b == 0) {
        return Err(SignError::Invalid("serial must be 1-20 bytes and not zero"));
    }
    if common_name.is_empty() {
        return Err(SignError::Invalid("empty common name"));
    }
    let not_after = match now.replace_year(now.year() + 10) {
        Ok(t) => t,
        // 29 February → 28 February.
        Err(_) => (now - time::Duration::days(1))
            .replace_year(now.year() + 10)
            .map_err(|_| SignError::Time)?,
    };

    let rsa = Rsa::generate(MIN_RSA_BITS)?;
    let pkey = PKey::from_rsa(rsa)?;

    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_nid(Nid::COMMONNAME, common_name)?;
    let name = name.build();

    let mut b = X509::builder()?;
    b.set_version(2)?;
    let serial = BigNum::from_slice(serial)?.to_asn1_integer()?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(&name)?;
    b.set_issuer_name(&name)?;
    b.set_pubkey(&pkey)?;
    let nb = Asn1Time::from_unix(now.unix_timestamp())?;
    let na = Asn1Time::from_unix(not_after.unix_timestamp())?;
    b.set_not_before(&nb)?;
    b.set_not_after(&na)?;
    b.append_extension(BasicConstraints::new().critical().build()?)?;
    b.append_extension(KeyUsage::new().critical().digital_signature().build()?)?;
    let ski = SubjectKeyIdentifier::new().build(&b.x509v3_context(None, None))?;
    b.append_extension(ski)?;
    b.sign(&pkey, MessageDigest::sha256())?;
    let cert = b.build();

    let key_pem = String::from_utf8(pkey.private_key_to_pem_pkcs8()?)
        .map_err(|_| SignError::Invalid("key PEM is not UTF-8"))?;
    let cert_pem =
        String::from_utf8(cert.to_pem()?).map_err(|_| SignError::Invalid("cert PEM not UTF-8"))?;
    Ok((key_pem, cert_pem))
}

/// Writes `<ds:SignedInfo>` for one reference to `#id` with the given base64 digest.
fn write_signed_info(w: &mut Writer, id: &str, digest_b64: &str) {
    let uri = format!("#{id}");
    w.start("ds", "SignedInfo", ns::DS)
        .start("ds", "CanonicalizationMethod", ns::DS)
        .attr("Algorithm", alg::EXC_C14N)
        .end()
        .start("ds", "SignatureMethod", ns::DS)
        .attr("Algorithm", alg::RSA_SHA256)
        .end()
        .start("ds", "Reference", ns::DS)
        .attr("URI", &uri)
        .start("ds", "Transforms", ns::DS)
        .start("ds", "Transform", ns::DS)
        .attr("Algorithm", alg::ENVELOPED)
        .end()
        .start("ds", "Transform", ns::DS)
        .attr("Algorithm", alg::EXC_C14N)
        .end()
        .end()
        .start("ds", "DigestMethod", ns::DS)
        .attr("Algorithm", alg::SHA256)
        .end()
        .leaf("ds", "DigestValue", ns::DS, digest_b64)
        .end()
        .end();
}

/// Signs `element` (enveloped signature over its root, found by its `ID`), putting the
/// `ds:Signature` into its signature slot. The element must have an `ID` that is an NCName and an
/// open slot.
pub fn sign_element(element: Element, key: &SigningKey) -> Result<Element, SignError> {
    let id = element
        .root_id()
        .ok_or(SignError::Invalid("the element to sign has no ID"))?;
    if !is_ascii_ncname(id) {
        return Err(SignError::Invalid("ID must be an NCName"));
    }
    if !element.has_open_slot() {
        return Err(SignError::Xml("the element to sign has no signature slot"));
    }
    let digest_b64 = B64.encode(openssl::sha::sha256(element.as_bytes()));

    let mut si = Writer::with_capacity(1024);
    write_signed_info(&mut si, id, &digest_b64);
    let si = si.finish()?;
    let sig_b64 = B64.encode(key.sign_rsa_sha256(si.as_bytes())?);

    let mut w =
        Writer::with_capacity(si.as_bytes().len() + sig_b64.len() + key.cert_b64.len() + 256);
    w.start("ds", "Signature", ns::DS);
    write_signed_info(&mut w, id, &digest_b64);
    w.leaf("ds", "SignatureValue", ns::DS, &sig_b64)
        .start("ds", "KeyInfo", ns::DS)
        .start("ds", "X509Data", ns::DS)
        .leaf("ds", "X509Certificate", ns::DS, &key.cert_b64)
        .end()
        .end()
        .end();
    element.fill_slot(w.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    pub(crate) fn test_key() -> SigningKey {
        let (k, c) =
            generate_key_and_cert("wecom-idp test", datetime!(2026-01-01 0:00 UTC), &[1, 2, 3])
                .unwrap();
        SigningKey::from_pem(k.as_bytes(), c.as_bytes()).unwrap()
    }

    #[test]
    fn generated_cert_is_v3_self_signed_ten_years() {
        let now = datetime!(2028-02-29 12:00 UTC);
        let (k, c) = generate_key_and_cert("idp.example", now, &[0x80, 1]).unwrap();
        let cert = X509::from_pem(c.as_bytes()).unwrap();
        assert_eq!(cert.version(), 2);
        assert_eq!(
            cert.serial_number().to_bn().unwrap().to_vec(),
            vec![0x80, 1]
        );
        let cn = cert
            .subject_name()
            .entries_by_nid(Nid::COMMONNAME)
            .next()
            .unwrap()
            .data()
            .as_slice()
            .to_vec();
        assert_eq!(cn, b"idp.example");
        let pkey = cert.public_key().unwrap();
        assert!(cert.verify(&pkey).unwrap());
        assert_eq!(pkey.bits(), 2048);
        let key = SigningKey::from_pem(k.as_bytes(), c.as_bytes()).unwrap();
        assert_eq!(key.not_after(), datetime!(2038-02-28 12:00 UTC));
        assert_eq!(
            asn1_to_offset(cert.not_before()).unwrap(),
            datetime!(2028-02-29 12:00 UTC)
        );
        assert_eq!(B64.decode(key.cert_base64()).unwrap(), key.cert_der());
        assert!(!format!("{key:?}").contains("PRIVATE"));
    }

    #[test]
    fn rejects_mismatched_key_and_bad_serial() {
        let now = datetime!(2026-01-01 0:00 UTC);
        let (k1, _) = generate_key_and_cert("a", now, &[1]).unwrap();
        let (_, c2) = generate_key_and_cert("b", now, &[2]).unwrap();
        assert!(matches!(
            SigningKey::from_pem(k1.as_bytes(), c2.as_bytes()),
            Err(SignError::KeyMismatch)
        ));
        assert!(generate_key_and_cert("a", now, &[]).is_err());
        assert!(generate_key_and_cert("a", now, &[0, 0]).is_err());
        assert!(generate_key_and_cert("a", now, &[1; 21]).is_err());
        assert!(SigningKey::from_pem(b"junk", b"junk").is_err());
    }

    #[test]
    fn refuses_small_or_non_rsa_keys_and_accepts_pkcs1() {
        fn self_signed(pkey: &PKey<Private>) -> String {
            let mut b = X509::builder().unwrap();
            b.set_pubkey(pkey).unwrap();
            b.set_not_before(&Asn1Time::from_unix(0).unwrap()).unwrap();
            b.set_not_after(&Asn1Time::from_unix(1 << 31).unwrap())
                .unwrap();
            b.sign(pkey, MessageDigest::sha256()).unwrap();
            String::from_utf8(b.build().to_pem().unwrap()).unwrap()
        }
        let small = PKey::from_rsa(Rsa::generate(1024).unwrap()).unwrap();
        let pem = small.private_key_to_pem_pkcs8().unwrap();
        assert!(matches!(
            SigningKey::from_pem(&pem, self_signed(&small).as_bytes()),
            Err(SignError::UnsupportedKey)
        ));
        let group = openssl::ec::EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let ec = PKey::from_ec_key(openssl::ec::EcKey::generate(&group).unwrap()).unwrap();
        let pem = ec.private_key_to_pem_pkcs8().unwrap();
        assert!(matches!(
            SigningKey::from_pem(&pem, self_signed(&ec).as_bytes()),
            Err(SignError::UnsupportedKey)
        ));
        let rsa = Rsa::generate(2048).unwrap();
        let pkcs1 = rsa.private_key_to_pem().unwrap();
        assert!(String::from_utf8_lossy(&pkcs1).contains("BEGIN RSA PRIVATE KEY"));
        let pkey = PKey::from_rsa(rsa).unwrap();
        let key = SigningKey::from_pem(&pkcs1, self_signed(&pkey).as_bytes()).unwrap();
        let sig = key.sign_rsa_sha256(b"data").unwrap();
        let mut v = openssl::sign::Verifier::new(MessageDigest::sha256(), &pkey).unwrap();
        assert!(v.verify_oneshot(&sig, b"data").unwrap());
    }

    #[test]
    fn signature_is_spliced_after_issuer_and_digest_covers_the_rest() {
        let key = test_key();
        let mut w = Writer::new();
        w.start("a", "R", "urn:a")
            .attr("ID", "_abc")
            .leaf("a", "Issuer", "urn:a", "me")
            .signature_slot()
            .leaf("a", "Body", "urn:a", "x")
            .end();
        let el = w.finish().unwrap();
        let unsigned = el.as_bytes().to_vec();
        let signed = sign_element(el, &key).unwrap();
        let text = String::from_utf8(signed.into_bytes()).unwrap();
        let start = text.find("<ds:Signature xmlns:ds=").unwrap();
        let end = text.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
        assert!(text[..start].ends_with("</a:Issuer>"));
        let mut without = text[..start].to_string();
        without.push_str(&text[end..]);
        assert_eq!(without.as_bytes(), unsigned.as_slice());
        let digest = B64.encode(openssl::sha::sha256(&unsigned));
        assert!(text.contains(&format!("<ds:DigestValue>{digest}</ds:DigestValue>")));
        assert!(text.contains("<ds:SignedInfo><ds:CanonicalizationMethod"));
        assert!(text.contains(r##"<ds:Reference URI="#_abc">"##));
    }

    #[test]
    fn refuses_without_id_or_slot() {
        let key = test_key();
        let mut w = Writer::new();
        w.start("a", "R", "urn:a").signature_slot().end();
        assert!(sign_element(w.finish().unwrap(), &key).is_err());
        let mut w = Writer::new();
        w.start("a", "R", "urn:a").attr("ID", "_1").end();
        assert!(sign_element(w.finish().unwrap(), &key).is_err());
        let mut w = Writer::new();
        w.start("a", "R", "urn:a")
            .attr("ID", "1bad")
            .signature_slot()
            .end();
        assert!(sign_element(w.finish().unwrap(), &key).is_err());
    }
}
