//! Signing helpers for tests of `verify` and `request`: our own c14n + OpenSSL.

use super::*;
use crate::saml::dom::{parse, Limits};
use openssl::asn1::Asn1Time;
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::Private;
use openssl::rsa::Rsa;
use openssl::sign::Signer;
use openssl::x509::{X509Builder, X509NameBuilder};

/// Where `sign` puts the `ds:Signature`.
pub const SLOT: &str = "<!--SIG-->";

pub fn rsa_key() -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
}

pub fn ec_key() -> PKey<Private> {
    let g = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&g).unwrap()).unwrap()
}

pub fn cert_for(key: &PKey<Private>) -> X509 {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "test-sp").unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(365).unwrap())
        .unwrap();
    b.sign(key, MessageDigest::sha256()).unwrap();
    b.build()
}

/// How to shape the signature (defaults: RSA-SHA256, SHA-256, the usual transforms).
pub struct Spec {
    pub sig_alg: &'static str,
    pub digest_alg: &'static str,
    /// `None`: `#` + root ID.
    pub reference_uri: Option<String>,
    pub transforms: Vec<&'static str>,
    pub c14n_alg: &'static str,
    /// Put a second copy of the Reference in SignedInfo.
    pub two_references: bool,
    /// Extra XML inside ds:Signature after SignatureValue (e.g. KeyInfo, Object).
    pub trailer: String,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            sig_alg: alg::RSA_SHA256,
            digest_alg: alg::SHA256,
            reference_uri: None,
            transforms: vec![alg::ENVELOPED, alg::EXC_C14N],
            c14n_alg: alg::EXC_C14N,
            two_references: false,
            trailer: String::new(),
        }
    }
}

fn md_for(digest_uri: &str) -> MessageDigest {
    match digest_uri {
        alg::SHA1 => MessageDigest::sha1(),
        alg::SHA384 => MessageDigest::sha384(),
        alg::SHA512 => MessageDigest::sha512(),
        _ => MessageDigest::sha256(),
    }
}

/// Raw signature bytes as XML-DSig / the Redirect binding carry them.
pub fn raw_sign(key: &PKey<Private>, alg: &str, data: &[u8]) -> Vec<u8> {
    let md = match alg {
        alg::RSA_SHA1 => MessageDigest::sha1(),
        alg::RSA_SHA384 | alg::ECDSA_SHA384 => MessageDigest::sha384(),
        alg::RSA_SHA512 | alg::ECDSA_SHA512 => MessageDigest::sha512(),
        _ => MessageDigest::sha256(),
    };
    let mut s = Signer::new(md, key).unwrap();
    let der = s.sign_oneshot_to_vec(data).unwrap();
    if key.id() != Id::EC {
        return der;
    }
    let sig = EcdsaSig::from_der(&der).unwrap();
    let n = key.ec_key().unwrap().group().degree().div_ceil(8) as i32;
    let mut out = sig.r().to_vec_padded(n).unwrap();
    out.extend(sig.s().to_vec_padded(n).unwrap());
    out
}

/// Signs `xml` (which holds `SLOT` where the Signature goes) with `key`.
pub fn sign(xml: &str, key: &PKey<Private>, spec: &Spec) -> String {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let limits = Limits::default();
    let unsigned = parse(xml.replace(SLOT, "").as_bytes(), &limits).unwrap();
    let root = unsigned.root();
    let uri = spec
        .reference_uri
        .clone()
        .unwrap_or_else(|| format!("#{}", unsigned.element(root).attr("ID").unwrap()));
    let target = uri
        .strip_prefix('#')
        .and_then(|id| unsigned.find_by_id(id).ok())
        .unwrap_or(root);
    let bytes = exc_c14n(&unsigned, target, None, &[]).unwrap();
    let digest = b64(&openssl::hash::hash(md_for(spec.digest_alg), &bytes).unwrap());
    let transforms: String = spec
        .transforms
        .iter()
        .map(|t| format!("<ds:Transform Algorithm=\"{t}\"/>"))
        .collect();
    let reference = format!(
        "<ds:Reference URI=\"{uri}\"><ds:Transforms>{transforms}</ds:Transforms><ds:DigestMethod Algorithm=\"{}\"/><ds:DigestValue>{digest}</ds:DigestValue></ds:Reference>",
        spec.digest_alg
    );
    let references = if spec.two_references {
        reference.repeat(2)
    } else {
        reference
    };
    let signature = format!(
        "<ds:Signature xmlns:ds=\"{}\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"{}\"/><ds:SignatureMethod Algorithm=\"{}\"/>{references}</ds:SignedInfo><ds:SignatureValue></ds:SignatureValue>{}</ds:Signature>",
        ns::DS, spec.c14n_alg, spec.sig_alg, spec.trailer
    );
    let with_sig = xml.replace(SLOT, &signature);
    let doc = parse(with_sig.as_bytes(), &limits).unwrap();
    let si = doc
        .descendants(doc.root())
        .find(|i| doc.element(*i).is(ns::DS, "SignedInfo"))
        .unwrap();
    let si_bytes = exc_c14n(&doc, si, None, &[]).unwrap();
    let value = b64(&raw_sign(key, spec.sig_alg, &si_bytes));
    with_sig.replace(
        "<ds:SignatureValue></ds:SignatureValue>",
        &format!("<ds:SignatureValue>{value}</ds:SignatureValue>"),
    )
}
