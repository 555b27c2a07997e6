//! Regenerates the committed seed corpora under `corpus/<target>/seed-*` (deterministic: RSA
//! PKCS#1 v1.5 signatures with the committed throwaway key `keys/fuzz-sp-key.pem`).
//!
//! Usage: `cargo run --bin gen-seeds` (from `fuzz/`). Files not named `seed-*` (fuzzer finds that
//! were kept on purpose) are left alone.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;
use wecom_idp::saml::c14n::exc_c14n;
use wecom_idp::saml::dom::{self, ns, Limits};
use wecom_idp_fuzz::SSO_URL;

const KEY_PEM: &[u8] = include_bytes!("../../keys/fuzz-sp-key.pem");
const SLOT: &str = "<!--SIG-->";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const INSTANT: &str = "2026-01-01T00:01:00Z";

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn deflate(b: &[u8]) -> Vec<u8> {
    let mut e = DeflateEncoder::new(Vec::new(), Compression::best());
    e.write_all(b).expect("deflate");
    e.finish().expect("deflate")
}

/// Percent-encodes everything but unreserved characters, with `upper` or lowercase hex.
fn pct(s: &str, upper: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else if upper {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push_str(&format!("%{b:02x}"));
        }
    }
    out
}

fn key() -> PKey<Private> {
    PKey::private_key_from_pem(KEY_PEM).expect("fuzz key")
}

fn raw_sign(alg: &str, data: &[u8]) -> Vec<u8> {
    let md = if alg == RSA_SHA1 {
        MessageDigest::sha1()
    } else {
        MessageDigest::sha256()
    };
    let k = key();
    let mut s = Signer::new(md, &k).expect("signer");
    s.sign_oneshot_to_vec(data).expect("sign")
}

/// An AuthnRequest with `SLOT` where an enveloped signature may go.
fn authn(id: &str, attrs: &str, issuer: &str) -> String {
    format!(
        concat!(
            r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" "#,
            r#"ID="{id}" Version="2.0" IssueInstant="{instant}" Destination="{sso}" {attrs}>"#,
            "<saml:Issuer>{issuer}</saml:Issuer>{slot}",
            r#"<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" AllowCreate="true"/>"#,
            "</samlp:AuthnRequest>"
        ),
        id = id,
        instant = INSTANT,
        sso = SSO_URL,
        attrs = attrs,
        issuer = issuer,
        slot = SLOT
    )
}

fn basic() -> String {
    authn(
        "_req1",
        r#"AssertionConsumerServiceURL="https://sp.example/acs" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST""#,
        "https://sp.example/metadata",
    )
}

/// How to shape an enveloped signature.
struct Spec {
    sig_alg: &'static str,
    digest_alg: &'static str,
    reference_uri: Option<String>,
    transforms: Vec<&'static str>,
    two_references: bool,
    trailer: String,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            sig_alg: RSA_SHA256,
            digest_alg: SHA256,
            reference_uri: None,
            transforms: vec![ENVELOPED, EXC_C14N],
            two_references: false,
            trailer: String::new(),
        }
    }
}

/// Signs `xml` (holding `SLOT`) with our own exc-c14n and the fuzz key.
fn sign(xml: &str, spec: &Spec) -> String {
    let limits = Limits::default();
    let unsigned = dom::parse(xml.replace(SLOT, "").as_bytes(), &limits).expect("template parses");
    let root = unsigned.root();
    let uri = spec
        .reference_uri
        .clone()
        .unwrap_or_else(|| format!("#{}", unsigned.element(root).attr("ID").expect("root ID")));
    let target = uri
        .strip_prefix('#')
        .and_then(|id| unsigned.find_by_id(id).ok())
        .unwrap_or(root);
    let bytes = exc_c14n(&unsigned, target, None, &[]).expect("c14n");
    let md = if spec.digest_alg == SHA1 {
        MessageDigest::sha1()
    } else {
        MessageDigest::sha256()
    };
    let digest = b64(&openssl::hash::hash(md, &bytes).expect("hash"));
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
        "<ds:Signature xmlns:ds=\"{}\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"/><ds:SignatureMethod Algorithm=\"{}\"/>{references}</ds:SignedInfo><ds:SignatureValue></ds:SignatureValue>{}</ds:Signature>",
        ns::DS, spec.sig_alg, spec.trailer
    );
    let with_sig = xml.replace(SLOT, &signature);
    let doc = dom::parse(with_sig.as_bytes(), &limits).expect("signed parses");
    let si = doc
        .descendants(doc.root())
        .find(|i| doc.element(*i).is(ns::DS, "SignedInfo"))
        .expect("SignedInfo");
    let si_bytes = exc_c14n(&doc, si, None, &[]).expect("c14n SignedInfo");
    let value = b64(&raw_sign(spec.sig_alg, &si_bytes));
    with_sig.replace(
        "<ds:SignatureValue></ds:SignatureValue>",
        &format!("<ds:SignatureValue>{value}</ds:SignatureValue>"),
    )
}

/// A Redirect query for `xml`, signed with `sig_alg` when given (`upper`: percent-escape case).
fn redirect_query(
    xml: &[u8],
    relay_state: Option<&str>,
    sig_alg: Option<&str>,
    upper: bool,
) -> String {
    let mut q = format!("SAMLRequest={}", pct(&b64(&deflate(xml)), upper));
    if let Some(rs) = relay_state {
        q.push_str(&format!("&RelayState={}", pct(rs, upper)));
    }
    if let Some(alg) = sig_alg {
        q.push_str(&format!("&SigAlg={}", pct(alg, upper)));
        let sig = raw_sign(alg, q.as_bytes());
        q.push_str(&format!("&Signature={}", pct(&b64(&sig), upper)));
    }
    q
}

const BILLION_LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_lol" Version="2.0" IssueInstant="2026-01-01T00:01:00Z"><saml:Issuer>&lol3;</saml:Issuer></samlp:AuthnRequest>"#;

const XXE: &str = r#"<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_xxe" Version="2.0" IssueInstant="2026-01-01T00:01:00Z"><saml:Issuer>&xxe;</saml:Issuer></samlp:AuthnRequest>"#;

const EXTERNAL_DTD: &str = r#"<!DOCTYPE samlp:AuthnRequest SYSTEM "http://attacker.example/x.dtd"><samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_d" Version="2.0"/>"#;

fn deep(n: usize) -> String {
    let mut s = authn("_deep", "", "https://sp.example/metadata").replace(SLOT, "");
    let inner = format!(
        "{}x{}",
        "<samlp:Extensions>".repeat(n),
        "</samlp:Extensions>".repeat(n)
    );
    s = s.replace(
        "</samlp:AuthnRequest>",
        &format!("{inner}</samlp:AuthnRequest>"),
    );
    s
}

fn many_attrs(n: usize) -> String {
    let attrs: String = (0..n).map(|i| format!("a{i}=\"{i}\" ")).collect();
    authn("_attrs", &attrs, "https://sp.example/metadata").replace(SLOT, "")
}

struct Out {
    root: PathBuf,
    count: usize,
}

impl Out {
    fn put(&mut self, target: &str, name: &str, data: impl AsRef<[u8]>) {
        let dir = self.root.join(target);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(format!("seed-{name}")), data).expect("write");
        self.count += 1;
    }
}

fn redirect_seeds(o: &mut Out) {
    let t = "redirect";
    let plain = basic().replace(SLOT, "");
    let x = plain.as_bytes();
    o.put(
        t,
        "signed-rsa-sha256",
        redirect_query(x, Some("rs-1"), Some(RSA_SHA256), true),
    );
    o.put(
        t,
        "signed-no-relaystate",
        redirect_query(x, None, Some(RSA_SHA256), true),
    );
    o.put(
        t,
        "signed-lowercase-escapes",
        redirect_query(x, Some("a b/c?d"), Some(RSA_SHA256), false),
    );
    o.put(t, "unsigned", redirect_query(x, Some("rs-1"), None, true));
    o.put(
        t,
        "signed-sha1-refused",
        redirect_query(x, None, Some(RSA_SHA1), true),
    );
    let signed = redirect_query(x, Some("rs"), Some(RSA_SHA256), true);
    o.put(
        t,
        "sigalg-md5",
        signed.replace(
            &pct(RSA_SHA256, true),
            &pct("http://www.w3.org/2001/04/xmldsig-more#rsa-md5", true),
        ),
    );
    o.put(
        t,
        "sigalg-hmac",
        signed.replace(
            &pct(RSA_SHA256, true),
            &pct("http://www.w3.org/2000/09/xmldsig#hmac-sha1", true),
        ),
    );
    o.put(
        t,
        "sigalg-unknown",
        signed.replace(&pct(RSA_SHA256, true), "urn%3Aunknown"),
    );
    o.put(
        t,
        "relaystate-tampered",
        signed.replace("RelayState=rs", "RelayState=rt"),
    );
    o.put(
        t,
        "sigalg-without-signature",
        redirect_query(x, None, None, true) + "&SigAlg=" + &pct(RSA_SHA256, true),
    );
    o.put(
        t,
        "duplicate-samlrequest",
        format!("{signed}&SAMLRequest=AAAA"),
    );
    o.put(
        t,
        "encoded-parameter-name",
        signed.replacen("SAMLRequest=", "SAML%52equest=", 1),
    );
    o.put(
        t,
        "relaystate-81-bytes",
        redirect_query(x, Some(&"r".repeat(81)), None, true),
    );
    o.put(
        t,
        "relaystate-metachars",
        redirect_query(
            x,
            Some("<script>\"&'\u{0}\u{202e}😀"),
            Some(RSA_SHA256),
            true,
        ),
    );
    o.put(
        t,
        "relaystate-bad-utf8",
        redirect_query(x, None, None, true) + "&RelayState=%FF%FE",
    );
    o.put(t, "bad-percent-escape", "SAMLRequest=%G1%2&RelayState=%");
    o.put(
        t,
        "malformed-base64",
        "SAMLRequest=!!!not*base64===&RelayState=x",
    );
    o.put(
        t,
        "base64-not-deflate",
        format!("SAMLRequest={}", pct(&b64(plain.as_bytes()), true)),
    );
    let mut truncated = deflate(x);
    truncated.truncate(truncated.len() / 2);
    o.put(
        t,
        "deflate-truncated",
        format!("SAMLRequest={}", pct(&b64(&truncated), true)),
    );
    // 4 MiB of spaces around an AuthnRequest deflates to a few KiB: the inflate cap must stop it.
    let bomb = format!("{}{}", " ".repeat(4 << 20), plain);
    o.put(
        t,
        "deflate-bomb-4MiB",
        format!("SAMLRequest={}", pct(&b64(&deflate(bomb.as_bytes())), true)),
    );
    o.put(
        t,
        "billion-laughs",
        redirect_query(BILLION_LAUGHS.as_bytes(), None, None, true),
    );
    o.put(
        t,
        "xxe-file",
        redirect_query(XXE.as_bytes(), None, None, true),
    );
    o.put(
        t,
        "deep-nesting",
        redirect_query(deep(40).as_bytes(), None, None, true),
    );
    o.put(
        t,
        "many-attributes",
        redirect_query(many_attrs(100).as_bytes(), None, None, true),
    );
    // An enveloped signature inside a Redirect request is refused (the binding signs the query).
    let embedded = sign(&basic(), &Spec::default());
    o.put(
        t,
        "embedded-signature",
        redirect_query(embedded.as_bytes(), None, Some(RSA_SHA256), true),
    );
    let other_dest = basic()
        .replace(SSO_URL, "https://other-idp.example/sso")
        .replace(SLOT, "");
    o.put(
        t,
        "signed-foreign-destination",
        redirect_query(other_dest.as_bytes(), None, Some(RSA_SHA256), true),
    );
    let long_id = basic()
        .replace("_req1", &format!("_{}", "i".repeat(300)))
        .replace(SLOT, "");
    o.put(
        t,
        "signed-id-too-long",
        redirect_query(long_id.as_bytes(), None, Some(RSA_SHA256), true),
    );
    let stale = basic()
        .replace(INSTANT, "2025-12-31T23:00:00Z")
        .replace(SLOT, "");
    o.put(
        t,
        "signed-stale-issueinstant",
        redirect_query(stale.as_bytes(), None, Some(RSA_SHA256), true),
    );
    let index = authn(
        "_req2",
        r#"AssertionConsumerServiceIndex="1" ForceAuthn="true" IsPassive="0""#,
        "https://sp.example/metadata",
    )
    .replace(SLOT, "");
    o.put(
        t,
        "signed-acs-index",
        redirect_query(index.as_bytes(), None, Some(RSA_SHA256), true),
    );
    let conflict = authn(
        "_req3",
        r#"AssertionConsumerServiceIndex="1" AssertionConsumerServiceURL="https://evil.example/""#,
        "x",
    )
    .replace(SLOT, "");
    o.put(
        t,
        "signed-acs-index-and-url",
        redirect_query(conflict.as_bytes(), None, Some(RSA_SHA256), true),
    );
}

fn post_seeds(o: &mut Out, fixtures: &Path) {
    let t = "authn_post";
    for f in [
        "xmlsec1-signed-authnrequest.xml",
        "xmlsec1-signed-inclusive-ns.xml",
        "xmlsec1-template-authnrequest.xml",
    ] {
        let data = std::fs::read(fixtures.join("inbound").join(f)).expect("fixture");
        o.put(t, f.trim_end_matches(".xml"), data);
    }
    let signed = sign(&basic(), &Spec::default());
    o.put(t, "signed", &signed);
    o.put(t, "unsigned", basic().replace(SLOT, ""));
    // XSW: the signed request wrapped inside an evil one with another ID (XSW1/2 shape).
    let evil = authn(
        "_evil",
        r#"AssertionConsumerServiceURL="https://evil.example/acs""#,
        "https://sp.example/metadata",
    );
    o.put(
        t,
        "xsw-wrapped-in-evil",
        evil.replace(
            SLOT,
            &format!("<samlp:Extensions>{}</samlp:Extensions>", signed),
        ),
    );
    // XSW: evil root carrying the original signature, which references the wrapped original.
    let sig_start = signed.find("<ds:Signature").expect("sig");
    let sig_end = signed.find("</ds:Signature>").expect("sig") + "</ds:Signature>".len();
    let sig = &signed[sig_start..sig_end];
    let original = format!("{}{}", &signed[..sig_start], &signed[sig_end..]);
    o.put(
        t,
        "xsw-signature-moved-to-evil-root",
        evil.replace(
            SLOT,
            &format!("{sig}<samlp:Extensions>{original}</samlp:Extensions>"),
        ),
    );
    // XSW: the evil root takes the signed ID (duplicate IDs).
    o.put(
        t,
        "xsw-duplicate-id",
        evil.replace("_evil", "_req1").replace(
            SLOT,
            &format!("{sig}<samlp:Extensions>{original}</samlp:Extensions>"),
        ),
    );
    // XSW: evil content appended after a valid signature's covered content is impossible without
    // breaking the digest, so the attacker edits and hopes: tampered ACS.
    o.put(
        t,
        "tampered-acs",
        signed.replace("https://sp.example/acs", "https://evil.example/acs"),
    );
    o.put(
        t,
        "reference-to-other-id",
        sign(
            &basic().replace(
                "</saml:Issuer>",
                "</saml:Issuer><samlp:Extensions ID=\"_other\"></samlp:Extensions>",
            ),
            &Spec {
                reference_uri: Some("#_other".into()),
                ..Spec::default()
            },
        ),
    );
    o.put(
        t,
        "two-references",
        sign(
            &basic(),
            &Spec {
                two_references: true,
                ..Spec::default()
            },
        ),
    );
    o.put(
        t,
        "empty-reference-uri",
        sign(
            &basic(),
            &Spec {
                reference_uri: Some(String::new()),
                ..Spec::default()
            },
        ),
    );
    o.put(
        t,
        "missing-enveloped-transform",
        sign(
            &basic(),
            &Spec {
                transforms: vec![EXC_C14N],
                ..Spec::default()
            },
        ),
    );
    o.put(
        t,
        "extra-xpath-transform",
        sign(
            &basic(),
            &Spec {
                transforms: vec![
                    ENVELOPED,
                    EXC_C14N,
                    "http://www.w3.org/TR/1999/REC-xpath-19991116",
                ],
                ..Spec::default()
            },
        ),
    );
    o.put(
        t,
        "sha1-digest",
        sign(
            &basic(),
            &Spec {
                digest_alg: SHA1,
                ..Spec::default()
            },
        ),
    );
    o.put(
        t,
        "rsa-sha1",
        sign(
            &basic(),
            &Spec {
                sig_alg: RSA_SHA1,
                ..Spec::default()
            },
        ),
    );
    o.put(t, "foreign-keyinfo", sign(&basic(), &Spec { trailer: "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>MIIBmjCCAUCgAwIBAgIUQ==</ds:X509Certificate></ds:X509Data></ds:KeyInfo>".into(), ..Spec::default() }));
    o.put(
        t,
        "object-in-signature",
        sign(
            &basic(),
            &Spec {
                trailer: "<ds:Object><samlp:AuthnRequest ID=\"_req1\"/></ds:Object>".into(),
                ..Spec::default()
            },
        ),
    );
    o.put(
        t,
        "comment-in-issuer",
        signed.replace(
            "https://sp.example/metadata",
            "https://sp.example/<!-- x -->metadata",
        ),
    );
    o.put(
        t,
        "signed-without-destination",
        sign(
            &basic().replace(&format!(" Destination=\"{SSO_URL}\""), ""),
            &Spec::default(),
        ),
    );
    o.put(t, "billion-laughs", BILLION_LAUGHS);
    o.put(t, "xxe-file", XXE);
    o.put(t, "external-dtd", EXTERNAL_DTD);
    o.put(
        t,
        "processing-instruction",
        format!("<?xml-stylesheet href=\"x\"?>{}", basic().replace(SLOT, "")),
    );
    o.put(t, "deep-nesting", deep(40));
    o.put(t, "many-attributes", many_attrs(100));
    o.put(
        t,
        "huge-attribute",
        basic()
            .replace(SLOT, "")
            .replace("ID=\"_req1\"", &format!("ID=\"_{}\"", "a".repeat(20_000))),
    );
    o.put(
        t,
        "unbound-prefix",
        "<samlp:AuthnRequest ID=\"a\" Version=\"2.0\"><x:y/></samlp:AuthnRequest>",
    );
    o.put(t, "two-roots", "<a:r xmlns:a=\"u\"/><a:r xmlns:a=\"u\"/>");
    o.put(t, "cdata-and-refs", "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_c\" Version=\"2.0\" IssueInstant=\"2026-01-01T00:00:00Z\"><saml:Issuer><![CDATA[a<b]]>&#x1F600;&#0;&amp;&lt;</saml:Issuer></samlp:AuthnRequest>");
    // As the form field itself: malformed base64 (the body also feeds the bytes as the field).
    o.put(
        t,
        "field-malformed-base64",
        "PHNhbWxwOkF1dGhuUmVxdWVzdC*=\r\n==AAA",
    );
    o.put(t, "field-base64-of-signed", b64(signed.as_bytes()));
    o.put(
        t,
        "field-base64-wrapped",
        b64(signed.as_bytes())
            .as_bytes()
            .chunks(76)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("\r\n"),
    );
}

const MD_HEAD: &str = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://sp.example/metadata">"#;

fn sp_with(body: &str) -> String {
    format!(
        "{MD_HEAD}<md:SPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\" AuthnRequestsSigned=\"true\">{body}</md:SPSSODescriptor></md:EntityDescriptor>"
    )
}

fn metadata_seeds(o: &mut Out, fixtures: &Path) {
    let t = "sp_metadata";
    let dir = fixtures.join("sp-metadata");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    names.sort();
    for p in names {
        let name = p
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("x")
            .to_string();
        o.put(t, &name, std::fs::read(&p).expect("fixture"));
    }
    let cert_b64: String = String::from_utf8_lossy(include_bytes!("../../keys/fuzz-sp-cert.pem"))
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let kd = |usage: &str| {
        format!("<md:KeyDescriptor{usage}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>")
    };
    let acs = |b: &str, l: &str, i: u32, d: &str| {
        format!("<md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:{b}\" Location=\"{l}\" index=\"{i}\"{d}/>")
    };
    o.put(
        t,
        "minimal",
        sp_with(&format!(
            "{}{}",
            kd(""),
            acs("HTTP-POST", "https://sp.example/acs", 0, "")
        )),
    );
    o.put(t, "several-acs", sp_with(&format!(
        "{}{}<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>{}{}{}",
        kd(" use=\"signing\""), kd(" use=\"encryption\""),
        acs("HTTP-Artifact", "https://sp.example/art", 0, " isDefault=\"true\""),
        acs("HTTP-POST", "https://sp.example/acs2", 2, ""),
        acs("HTTP-POST", "https://sp.example/acs1", 1, " isDefault=\"false\""),
    )));
    o.put(t, "bad-certificate", sp_with(&format!("<md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>AAAA</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>{}", acs("HTTP-POST", "https://sp.example/acs", 0, ""))));
    o.put(t, "no-sp", format!("{MD_HEAD}<md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"/></md:EntityDescriptor>"));
    let one = |id: &str| {
        sp_with(&acs("HTTP-POST", "https://sp.example/acs", 0, ""))
            .replace("https://sp.example/metadata", id)
    };
    o.put(t, "entities-two-sps", format!(
        "<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" validUntil=\"2030-01-01T00:00:00Z\">{}{}</md:EntitiesDescriptor>",
        one("https://a.example/").replace(" xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"", ""),
        one("https://b.example/").replace(" xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"", "")
    ));
    o.put(
        t,
        "valid-until-past-http-acs",
        sp_with(&acs("HTTP-POST", "http://sp.example/acs", 0, ""))
            .replace("entityID=", "validUntil=\"2020-01-01T00:00:00Z\" entityID="),
    );
    o.put(t, "two-sp-descriptors", sp_with("").replace("</md:EntityDescriptor>", "<md:SPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"/></md:EntityDescriptor>"));
    o.put(
        t,
        "acs-metachars",
        sp_with(&acs(
            "HTTP-POST",
            "https://sp.example/acs?a=1&amp;b=&lt;x&gt;&#x9;",
            65535,
            "",
        )),
    );
    o.put(
        t,
        "acs-index-overflow",
        sp_with(
            &acs("HTTP-POST", "https://sp.example/acs", 0, "")
                .replace("index=\"0\"", "index=\"4294967296\""),
        ),
    );
    o.put(t, "billion-laughs", format!("<!DOCTYPE m [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>{}", sp_with("<md:NameIDFormat>&b;</md:NameIDFormat>")));
    o.put(
        t,
        "xxe-file",
        format!(
            "<!DOCTYPE m [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>{}",
            sp_with("<md:NameIDFormat>&x;</md:NameIDFormat>")
        ),
    );
    o.put(
        t,
        "deep-nesting",
        sp_with(&format!(
            "{}{}",
            "<md:Extensions>".repeat(40),
            "</md:Extensions>".repeat(40)
        )),
    );
}

fn writer_seeds(o: &mut Out) {
    let t = "writer_roundtrip";
    let c0: String = (0u8..0x20).map(char::from).collect();
    let cases: &[(&str, &[u8])] = &[
        ("empty", b""),
        ("plain", b"alice"),
        ("xml-metachars", b"<>&\"' ]]> &amp; &#x26; &lt;"),
        ("element-injection", b"x</saml2:AttributeValue></saml2:Attribute><saml2:Attribute Name=\"role\"><saml2:AttributeValue>admin"),
        ("attribute-injection", b"\" evil=\"1\" x=\""),
        ("comment-and-cdata", b"a<!-- c -->b<![CDATA[<x>]]>c<?pi x?>"),
        ("c0-controls", c0.as_bytes()),
        ("whitespace", b" \t\r\n\r\r\n  \t"),
        ("crlf-only", b"\r\n"),
        ("nonchars", "\u{FFFE}\u{FFFF}\u{FFFD}\u{D7FF}\u{E000}".as_bytes()),
        ("non-bmp", "😀𝔘𐍈\u{10FFFF}".as_bytes()),
        ("bidi-and-line-separators", "\u{202E}evil\u{2028}\u{2029}\u{0085}\u{00A0}\u{200B}".as_bytes()),
        ("cjk-profile-name", "张三（财务部）<管理员>&".as_bytes()),
        ("invalid-utf8", b"\xff\xfe\xc0\xafa\xed\xa0\x80b"),
        ("del-and-c1", "\u{7F}\u{80}\u{9F}".as_bytes()),
        ("entity-like", b"&#0; &#x1F600; &xxe; %pe;"),
    ];
    for (name, data) in cases {
        o.put(t, name, data);
    }
}

fn main() {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let fixtures = crate_dir.join("../tests/fixtures");
    let mut o = Out {
        root: crate_dir.join("corpus"),
        count: 0,
    };
    redirect_seeds(&mut o);
    post_seeds(&mut o, &fixtures);
    metadata_seeds(&mut o, &fixtures);
    writer_seeds(&mut o);
    println!(
        "gen-seeds: wrote {} seed files under {}",
        o.count,
        o.root.display()
    );
}
