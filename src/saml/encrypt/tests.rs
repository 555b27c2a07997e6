use super::*;
use crate::saml::dom;
use openssl::pkey::Private;
use openssl::rsa::Rsa;
use openssl::symm::{decrypt, decrypt_aead};
use std::sync::atomic::{AtomicU8, Ordering};

/// Bytes 1, 2, 3, … so a test knows the content key and IV.
struct Counting(AtomicU8);

impl Rng for Counting {
    fn fill(&self, buf: &mut [u8]) {
        for b in buf {
            *b = self.0.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        }
    }
}

fn self_signed(pkey: &PKey<Private>) -> String {
    let mut b = X509::builder().unwrap();
    b.set_pubkey(pkey).unwrap();
    b.set_not_before(&openssl::asn1::Asn1Time::from_unix(0).unwrap())
        .unwrap();
    b.set_not_after(&openssl::asn1::Asn1Time::from_unix(1 << 31).unwrap())
        .unwrap();
    b.sign(pkey, openssl::hash::MessageDigest::sha256())
        .unwrap();
    B64.encode(b.build().to_der().unwrap())
}

fn sp_key() -> (PKey<Private>, String) {
    let pkey = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let cert = self_signed(&pkey);
    (pkey, cert)
}

fn assertion() -> Element {
    let mut w = Writer::new();
    w.start("saml", "Assertion", ns::SAML)
        .attr("ID", "_a1")
        .leaf(
            "saml",
            "Issuer",
            ns::SAML,
            "https://idp.example/saml/metadata",
        )
        .leaf("saml", "Audience", ns::SAML, "名字 <&>")
        .end();
    w.finish().unwrap()
}

/// Decrypts what [`encrypt_assertion`] wrote the way an SP does: the EncryptedKey with the
/// private key (RSA-OAEP, SHA-1), then the CipherValue with the block cipher the document names.
fn decrypt_as_sp(xml: &[u8], sp: &PKey<Private>) -> (String, Vec<u8>) {
    let doc = dom::parse(xml, &dom::Limits::default()).unwrap();
    let root = doc.root();
    assert!(doc.element(root).is(ns::SAML, "EncryptedAssertion"));
    let data = doc
        .find_children(root, ns::XENC, "EncryptedData")
        .next()
        .unwrap();
    assert_eq!(doc.element(data).attr("Type"), Some(alg::XENC_ELEMENT));
    let method = doc
        .find_children(data, ns::XENC, "EncryptionMethod")
        .next()
        .unwrap();
    let uri = doc.element(method).attr("Algorithm").unwrap().to_string();
    let key_info = doc.find_children(data, ns::DS, "KeyInfo").next().unwrap();
    let ek = doc
        .find_children(key_info, ns::XENC, "EncryptedKey")
        .next()
        .unwrap();
    let ek_method = doc
        .find_children(ek, ns::XENC, "EncryptionMethod")
        .next()
        .unwrap();
    assert_eq!(
        doc.element(ek_method).attr("Algorithm"),
        Some(alg::RSA_OAEP_MGF1P)
    );
    let values: Vec<_> = doc
        .descendants(data)
        .filter(|e| doc.element(*e).is(ns::XENC, "CipherValue"))
        .map(|e| B64.decode(doc.text(e).trim()).unwrap())
        .collect();
    assert_eq!(values.len(), 2, "one for the key, one for the data");
    let mut dec = openssl::encrypt::Decrypter::new(sp).unwrap();
    dec.set_rsa_padding(Padding::PKCS1_OAEP).unwrap();
    dec.set_rsa_oaep_md(openssl::hash::MessageDigest::sha1())
        .unwrap();
    dec.set_rsa_mgf1_md(openssl::hash::MessageDigest::sha1())
        .unwrap();
    let mut key = vec![0u8; dec.decrypt_len(&values[0]).unwrap()];
    let n = dec.decrypt(&values[0], &mut key).unwrap();
    key.truncate(n);
    let c = BlockCipher::ALL
        .into_iter()
        .find(|c| c.uri() == uri)
        .unwrap();
    assert_eq!(key.len(), c.key_len());
    let data = &values[1];
    let (iv, rest) = data.split_at(c.iv_len());
    let plain = if c.is_gcm() {
        let (ct, tag) = rest.split_at(rest.len() - 16);
        decrypt_aead(c.cipher(), &key, Some(iv), &[], ct, tag).unwrap()
    } else {
        decrypt(c.cipher(), &key, Some(iv), rest).unwrap()
    };
    (uri, plain)
}

#[test]
fn each_cipher_round_trips_to_the_exact_assertion_bytes() {
    let (sp, cert) = sp_key();
    let to = Recipient::from_base64(&cert).unwrap();
    let a = assertion();
    for c in BlockCipher::ALL {
        let rng = Counting(AtomicU8::new(0));
        let enc = encrypt_assertion(&a, &to, c, &rng).unwrap();
        let (uri, plain) = decrypt_as_sp(enc.as_bytes(), &sp);
        assert_eq!(uri, c.uri());
        assert_eq!(plain, a.as_bytes(), "{}", c.as_str());
        let text = String::from_utf8(enc.into_bytes()).unwrap();
        assert!(!text.contains("Audience"), "the plaintext must not show");
        assert!(text.contains(&format!("<ds:X509Certificate>{cert}</ds:X509Certificate>")));
        assert!(text.contains(&format!(r#"<ds:DigestMethod Algorithm="{}">"#, alg::SHA1)));
    }
}

#[test]
fn key_and_iv_come_from_the_rng_and_differ_per_call() {
    let (sp, cert) = sp_key();
    let to = Recipient::from_base64(&cert).unwrap();
    let a = assertion();
    let rng = Counting(AtomicU8::new(0));
    let first = encrypt_assertion(&a, &to, BlockCipher::Aes256Gcm, &rng).unwrap();
    let second = encrypt_assertion(&a, &to, BlockCipher::Aes256Gcm, &rng).unwrap();
    assert_ne!(first.as_bytes(), second.as_bytes());
    // The first call drew the key 1..=32 and the IV 33..=44: the CipherValue starts with that IV.
    let doc = dom::parse(first.as_bytes(), &dom::Limits::default()).unwrap();
    let values: Vec<Vec<u8>> = doc
        .descendants(doc.root())
        .filter(|e| doc.element(*e).is(ns::XENC, "CipherValue"))
        .map(|e| B64.decode(doc.text(e).trim()).unwrap())
        .collect();
    assert_eq!(values[1][..12], (33u8..=44).collect::<Vec<_>>()[..]);
    let (_, plain) = decrypt_as_sp(first.as_bytes(), &sp);
    assert_eq!(plain, a.as_bytes());
}

#[test]
fn a_tampered_gcm_ciphertext_does_not_decrypt() {
    let (sp, cert) = sp_key();
    let to = Recipient::from_base64(&cert).unwrap();
    let rng = Counting(AtomicU8::new(0));
    let enc = encrypt_assertion(&assertion(), &to, BlockCipher::Aes128Gcm, &rng).unwrap();
    let doc = dom::parse(enc.as_bytes(), &dom::Limits::default()).unwrap();
    let v: Vec<Vec<u8>> = doc
        .descendants(doc.root())
        .filter(|e| doc.element(*e).is(ns::XENC, "CipherValue"))
        .map(|e| B64.decode(doc.text(e).trim()).unwrap())
        .collect();
    let mut dec = openssl::encrypt::Decrypter::new(&sp).unwrap();
    dec.set_rsa_padding(Padding::PKCS1_OAEP).unwrap();
    let mut key = vec![0u8; dec.decrypt_len(&v[0]).unwrap()];
    let n = dec.decrypt(&v[0], &mut key).unwrap();
    key.truncate(n);
    let mut data = v[1].clone();
    data[20] ^= 1;
    let (iv, rest) = data.split_at(12);
    let (ct, tag) = rest.split_at(rest.len() - 16);
    assert!(decrypt_aead(Cipher::aes_128_gcm(), &key, Some(iv), &[], ct, tag).is_err());
}

#[test]
fn refuses_certificates_it_cannot_encrypt_to() {
    assert!(matches!(
        Recipient::from_base64("not base64!"),
        Err(SignError::Recipient(_))
    ));
    assert!(matches!(
        Recipient::from_base64(&B64.encode(b"not a certificate")),
        Err(SignError::Recipient(_))
    ));
    let small = PKey::from_rsa(Rsa::generate(1024).unwrap()).unwrap();
    assert!(matches!(
        Recipient::from_base64(&self_signed(&small)),
        Err(SignError::Recipient(m)) if m.contains("2048")
    ));
    let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
    let ec = PKey::from_ec_key(openssl::ec::EcKey::generate(&group).unwrap()).unwrap();
    assert!(matches!(
        Recipient::from_base64(&self_signed(&ec)),
        Err(SignError::Recipient(m)) if m.contains("not RSA")
    ));
}

#[test]
fn an_assertion_with_an_open_signature_slot_is_not_encrypted() {
    let (_, cert) = sp_key();
    let to = Recipient::from_base64(&cert).unwrap();
    let mut w = Writer::new();
    w.start("saml", "Assertion", ns::SAML)
        .attr("ID", "_a")
        .signature_slot()
        .end();
    let el = w.finish().unwrap();
    let rng = Counting(AtomicU8::new(0));
    assert!(encrypt_assertion(&el, &to, BlockCipher::DEFAULT, &rng).is_err());
}

#[test]
fn settings_values_and_uris() {
    for c in BlockCipher::ALL {
        assert_eq!(BlockCipher::parse(c.as_str()), Some(c));
    }
    assert_eq!(BlockCipher::parse("des3-cbc"), None);
    assert_eq!(BlockCipher::default(), BlockCipher::DEFAULT);
    assert_eq!(
        BlockCipher::DEFAULT.uri(),
        "http://www.w3.org/2009/xmlenc11#aes256-gcm"
    );
    assert_eq!(
        serde_json::to_string(&BlockCipher::Aes128Cbc).unwrap(),
        "\"aes128-cbc\""
    );
}
