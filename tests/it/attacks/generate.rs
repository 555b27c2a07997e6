//! Writes the generated part of the attack corpus (`tests/attacks/post/`,
//! `tests/attacks/redirect/`) from the committed throwaway keys in `tests/attacks/keys/`.
//! Deterministic (RSA PKCS#1 v1.5, fixed IDs and instants, one DEFLATE level): running it again
//! rewrites the same bytes.
//!
//! `cargo test --test it attacks::generate -- --ignored` (see `tests/attacks/README.md`). Every
//! case is one [`Case`]: a path, what it attacks, the defence it checks, the expected outcome, the
//! bytes. The canonicalization used to sign is ours (`saml::c14n`); the positive control is checked
//! with `xmlsec1` here as well, so a c14n bug cannot hide behind a corpus signed by the same bug.
use super::{corpus_dir, APP, INSTANT, SSO};
use base64::Engine as _;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;
use openssl::x509::X509;
use std::io::Write as _;
use std::path::Path;
use wecom_idp::saml::c14n::exc_c14n;
use wecom_idp::saml::dom::{self, ns, Limits};

mod redirect;
mod requests;
mod signatures;
mod xsw;

const SLOT: &str = "<!--SIG-->";
const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const POST_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
const ARTIFACT_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact";

const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const RSA_MD5: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-md5";
const HMAC_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#hmac-sha1";
const HMAC_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256";
const DSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#dsa-sha1";
const UNKNOWN_ALG: &str = "urn:example:unknown-signature-algorithm";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
const MD5: &str = "http://www.w3.org/2001/04/xmldsig-more#md5";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const EXC_C14N_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
const C14N: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
const XPATH: &str = "http://www.w3.org/TR/1999/REC-xpath-19991116";
const XSLT: &str = "http://www.w3.org/TR/1999/REC-xslt-19991116";

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn deflate(b: &[u8]) -> Vec<u8> {
    let mut e = DeflateEncoder::new(Vec::new(), Compression::best());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

/// Percent-encodes everything but unreserved characters, with uppercase or lowercase hex.
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

// ---- keys ----

struct Keys {
    corpus: PKey<Private>,
    corpus_cert_pem: String,
    other: PKey<Private>,
    other_cert_pem: String,
    attacker: PKey<Private>,
    attacker_cert_pem: String,
}

fn read(name: &str) -> String {
    std::fs::read_to_string(corpus_dir().join("keys").join(name)).unwrap()
}

impl Keys {
    fn load() -> Keys {
        let key = |n: &str| PKey::private_key_from_pem(read(n).as_bytes()).unwrap();
        Keys {
            corpus: key("corpus-sp-key.pem"),
            corpus_cert_pem: read("corpus-sp-cert.pem"),
            other: key("other-sp-key.pem"),
            other_cert_pem: read("other-sp-cert.pem"),
            attacker: key("attacker-key.pem"),
            attacker_cert_pem: read("attacker-cert.pem"),
        }
    }
}

fn cert_b64(pem: &str) -> String {
    b64(&X509::from_pem(pem.as_bytes()).unwrap().to_der().unwrap())
}

/// Who produces the signature value.
#[derive(Clone, Copy)]
enum Signing<'a> {
    /// An asymmetric key (RSA).
    Key(&'a PKey<Private>),
    /// HMAC with this secret (algorithm confusion: the SP's *public* certificate as the secret).
    Hmac(&'a [u8]),
}

fn raw_sign(signing: Signing<'_>, alg: &str, data: &[u8]) -> Vec<u8> {
    let md = match alg {
        RSA_SHA1 | DSA_SHA1 | HMAC_SHA1 => MessageDigest::sha1(),
        RSA_MD5 => MessageDigest::md5(),
        RSA_SHA512 => MessageDigest::sha512(),
        _ => MessageDigest::sha256(),
    };
    match signing {
        Signing::Key(k) => Signer::new(md, k)
            .unwrap()
            .sign_oneshot_to_vec(data)
            .unwrap(),
        Signing::Hmac(secret) => {
            let k = PKey::hmac(secret).unwrap();
            let mut s = Signer::new(md, &k).unwrap();
            s.update(data).unwrap();
            s.sign_to_vec().unwrap()
        }
    }
}

// ---- AuthnRequests ----

/// Which ACS the request asks for.
#[derive(Clone)]
enum Acs {
    /// `AssertionConsumerServiceURL` + `ProtocolBinding`.
    Url(String, &'static str),
    /// `AssertionConsumerServiceIndex`.
    Index(&'static str),
    /// Both (SAML Core §3.4.1 forbids it).
    Both,
}

/// An AuthnRequest template: `SLOT` marks where an enveloped signature goes.
#[derive(Clone)]
struct Req {
    root: &'static str,
    id: Option<String>,
    version: &'static str,
    issue_instant: String,
    destination: Option<String>,
    acs: Acs,
    extra_attrs: String,
    issuer: Option<String>,
    /// After the signature slot, before `NameIDPolicy` (e.g. `samlp:Extensions`).
    after_sig: String,
}

fn acs_url(app: &str) -> String {
    format!("https://sp.example/{app}/acs")
}

fn entity(app: &str) -> String {
    format!("https://sp.example/{app}")
}

impl Req {
    fn new(id: &str) -> Req {
        Req {
            root: "AuthnRequest",
            id: Some(id.to_string()),
            version: "2.0",
            issue_instant: INSTANT.to_string(),
            destination: Some(SSO.to_string()),
            acs: Acs::Url(acs_url(APP), POST_BINDING),
            extra_attrs: String::new(),
            issuer: Some(entity(APP)),
            after_sig: String::new(),
        }
    }

    fn evil(id: &str) -> Req {
        Req {
            acs: Acs::Url("https://evil.example/acs".into(), POST_BINDING),
            ..Req::new(id)
        }
    }

    /// The XML with `SLOT` still in it.
    fn template(&self) -> String {
        let mut a = String::new();
        if let Some(id) = &self.id {
            a.push_str(&format!(" ID=\"{id}\""));
        }
        a.push_str(&format!(
            " Version=\"{}\" IssueInstant=\"{}\"",
            self.version, self.issue_instant
        ));
        if let Some(d) = &self.destination {
            a.push_str(&format!(" Destination=\"{d}\""));
        }
        match &self.acs {
            Acs::Url(u, b) => a.push_str(&format!(
                " AssertionConsumerServiceURL=\"{u}\" ProtocolBinding=\"{b}\""
            )),
            Acs::Index(i) => a.push_str(&format!(" AssertionConsumerServiceIndex=\"{i}\"")),
            Acs::Both => a.push_str(&format!(
                " AssertionConsumerServiceURL=\"{}\" ProtocolBinding=\"{POST_BINDING}\" \
                 AssertionConsumerServiceIndex=\"0\"",
                acs_url(APP)
            )),
        }
        a.push_str(&self.extra_attrs);
        let issuer = self
            .issuer
            .as_ref()
            .map(|i| format!("<saml:Issuer>{i}</saml:Issuer>"))
            .unwrap_or_default();
        format!(
            "<samlp:{root} xmlns:samlp=\"{SAMLP}\" xmlns:saml=\"{SAML}\"{a}>{issuer}{SLOT}{after}\
             <samlp:NameIDPolicy Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified\" \
             AllowCreate=\"true\"/></samlp:{root}>",
            root = self.root,
            after = self.after_sig,
        )
    }

    /// Unsigned XML.
    fn plain(&self) -> String {
        self.template().replace(SLOT, "")
    }
}

/// How to shape an enveloped signature.
struct Spec<'a> {
    signing: Signing<'a>,
    sig_alg: &'static str,
    digest_alg: &'static str,
    /// `None`: `#` + the root's ID.
    reference_uri: Option<String>,
    /// `ds:Transform` elements; `None`: no `ds:Transforms` at all.
    transforms: Option<Vec<String>>,
    c14n_alg: &'static str,
    references: usize,
    /// PEM certificate to carry in `ds:KeyInfo`.
    key_info: Option<&'a str>,
    /// Extra XML at the end of `ds:Signature` (after KeyInfo).
    trailer: String,
    /// Replaces the computed `SignatureValue` text.
    signature_value: Option<String>,
}

fn tf(alg: &str) -> String {
    format!("<ds:Transform Algorithm=\"{alg}\"/>")
}

impl<'a> Spec<'a> {
    fn new(key: &'a PKey<Private>) -> Spec<'a> {
        Spec {
            signing: Signing::Key(key),
            sig_alg: RSA_SHA256,
            digest_alg: SHA256,
            reference_uri: None,
            transforms: Some(vec![tf(ENVELOPED), tf(EXC_C14N)]),
            c14n_alg: EXC_C14N,
            references: 1,
            key_info: None,
            trailer: String::new(),
            signature_value: None,
        }
    }
}

/// Signs `template` (holding `SLOT`) as `spec` says: digest over the referenced element of the
/// unsigned document (the root unless the Reference names another ID), our exclusive c14n.
fn sign(template: &str, spec: &Spec<'_>) -> String {
    let limits = Limits::default();
    let unsigned = dom::parse(template.replace(SLOT, "").as_bytes(), &limits).unwrap();
    let root = unsigned.root();
    let uri = spec
        .reference_uri
        .clone()
        .unwrap_or_else(|| format!("#{}", unsigned.element(root).attr("ID").unwrap()));
    let root_uri = unsigned.element(root).attr("ID").map(|i| format!("#{i}"));
    let target = if Some(&uri) == root_uri.as_ref() {
        root
    } else {
        uri.strip_prefix('#')
            .and_then(|id| unsigned.find_by_id(id).ok())
            .unwrap_or(root)
    };
    let bytes = exc_c14n(&unsigned, target, None, &[]).unwrap();
    let md = match spec.digest_alg {
        SHA1 => MessageDigest::sha1(),
        MD5 => MessageDigest::md5(),
        _ => MessageDigest::sha256(),
    };
    let digest = b64(&openssl::hash::hash(md, &bytes).unwrap());
    let transforms = spec
        .transforms
        .as_ref()
        .map(|t| format!("<ds:Transforms>{}</ds:Transforms>", t.concat()))
        .unwrap_or_default();
    let reference = format!(
        "<ds:Reference URI=\"{uri}\">{transforms}<ds:DigestMethod Algorithm=\"{}\"/>\
         <ds:DigestValue>{digest}</ds:DigestValue></ds:Reference>",
        spec.digest_alg
    );
    let key_info = spec
        .key_info
        .map(|pem| {
            format!(
                "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate>\
                 </ds:X509Data></ds:KeyInfo>",
                cert_b64(pem)
            )
        })
        .unwrap_or_default();
    let signature = format!(
        "<ds:Signature xmlns:ds=\"{}\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"{}\"/>\
         <ds:SignatureMethod Algorithm=\"{}\"/>{}</ds:SignedInfo>\
         <ds:SignatureValue></ds:SignatureValue>{key_info}{}</ds:Signature>",
        ns::DS,
        spec.c14n_alg,
        spec.sig_alg,
        reference.repeat(spec.references),
        spec.trailer
    );
    let with_sig = template.replace(SLOT, &signature);
    let doc = dom::parse(with_sig.as_bytes(), &limits).unwrap();
    let si = doc
        .descendants(doc.root())
        .find(|i| doc.element(*i).is(ns::DS, "SignedInfo"))
        .unwrap();
    let si_bytes = exc_c14n(&doc, si, None, &[]).unwrap();
    let value = spec
        .signature_value
        .clone()
        .unwrap_or_else(|| b64(&raw_sign(spec.signing, spec.sig_alg, &si_bytes)));
    with_sig.replace(
        "<ds:SignatureValue></ds:SignatureValue>",
        &format!("<ds:SignatureValue>{value}</ds:SignatureValue>"),
    )
}

/// The `ds:Signature` element of a signed request.
fn sig_of(signed: &str) -> &str {
    let s = signed.find("<ds:Signature ").unwrap();
    let e = signed.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    &signed[s..e]
}

/// A signed request with its `ds:Signature` cut out.
fn without_sig(signed: &str) -> String {
    signed.replace(sig_of(signed), "")
}

/// An HTTP-Redirect query for `xml`, signed with `sig` (signer, SigAlg URI) when given.
fn redirect_query(
    xml: &[u8],
    relay_state: Option<&str>,
    sig: Option<(Signing<'_>, &str)>,
    upper: bool,
) -> String {
    let mut q = format!("SAMLRequest={}", pct(&b64(&deflate(xml)), upper));
    if let Some(rs) = relay_state {
        q.push_str(&format!("&RelayState={}", pct(rs, upper)));
    }
    if let Some((signing, alg)) = sig {
        q.push_str(&format!("&SigAlg={}", pct(alg, upper)));
        let s = raw_sign(signing, alg, q.as_bytes());
        q.push_str(&format!("&Signature={}", pct(&b64(&s), upper)));
    }
    q
}

// ---- the corpus ----

/// One corpus file.
struct Case {
    /// Relative to `tests/attacks/`.
    path: String,
    attack: String,
    defence: String,
    expect: String,
    twice: bool,
    body: Vec<u8>,
}

#[derive(Default)]
struct Corpus {
    cases: Vec<Case>,
}

impl Corpus {
    fn add(
        &mut self,
        path: &str,
        attack: &str,
        defence: &str,
        expect: &str,
        body: impl Into<Vec<u8>>,
    ) -> &mut Case {
        assert!(
            !self.cases.iter().any(|c| c.path == path),
            "two cases named {path}"
        );
        self.cases.push(Case {
            path: path.to_string(),
            attack: attack.to_string(),
            defence: defence.to_string(),
            expect: expect.to_string(),
            twice: false,
            body: body.into(),
        });
        self.cases.last_mut().unwrap()
    }

    fn write(&self, dir: &Path) {
        for sub in ["post", "redirect"] {
            let d = dir.join(sub);
            if d.exists() {
                std::fs::remove_dir_all(&d).unwrap();
            }
            std::fs::create_dir_all(&d).unwrap();
        }
        for c in &self.cases {
            for text in [&c.attack, &c.defence, &c.expect] {
                assert!(
                    !text.contains(';') && !text.contains("--") && !text.contains('\n'),
                    "{}: header text may not hold ';', '--' or a line break: {text}",
                    c.path
                );
            }
            let send = if c.twice { "; send: twice" } else { "" };
            let fields = format!(
                "attack: {}; defence: {}{send}; expect: {}",
                c.attack, c.defence, c.expect
            );
            let header = if c.path.ends_with(".xml") {
                format!("<!-- {fields} -->\n")
            } else {
                format!("# {fields}\n")
            };
            let mut bytes = header.into_bytes();
            bytes.extend_from_slice(&c.body);
            bytes.push(b'\n');
            std::fs::write(dir.join(&c.path), bytes).unwrap();
        }
    }
}

/// POST cases whose signature `xmlsec1 --verify` accepts (it follows the Reference wherever it
/// points): proof that they are real wrapping attacks on a verifier that checks only "is there a
/// valid signature", not stand-ins that any verifier refuses. `ok-signed` and `keyinfo-lies` are the
/// positive controls, checked here with a c14n other than ours.
const XMLSEC_ACCEPTS: &[&str] = &[
    "post/ok-signed.xml",
    "post/keyinfo-lies.xml",
    "post/xsw2-original-before-signature.xml",
    "post/xsw4-original-as-child-of-forged-root.xml",
    "post/xsw5-forged-root-keeps-signature-original-appended.xml",
    "post/xsw7-original-in-extensions-of-forged-root.xml",
    "post/signature-moved-into-extensions.xml",
    "post/reference-empty-uri.xml",
    "post/reference-xpointer.xml",
    "post/duplicate-ids.xml",
];

/// Checks `XMLSEC_ACCEPTS` with `xmlsec1` when it is installed.
fn xmlsec_check(c: &Corpus, cert_pem: &str) {
    let found = std::process::Command::new("xmlsec1")
        .arg("--version")
        .output();
    if !found.map(|o| o.status.success()).unwrap_or(false) {
        eprintln!("xmlsec1 not found: the corpus signatures are not checked independently");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cf = dir.path().join("c.pem");
    std::fs::write(&cf, cert_pem).unwrap();
    for path in XMLSEC_ACCEPTS {
        let case = c.cases.iter().find(|x| x.path == *path).unwrap();
        let d = dir.path().join("d.xml");
        std::fs::write(&d, &case.body).unwrap();
        let out = std::process::Command::new("xmlsec1")
            .args(["--verify", "--pubkey-cert-pem"])
            .arg(&cf)
            .args(["--id-attr:ID", &format!("{SAMLP}:AuthnRequest")])
            .arg(&d)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "xmlsec1 rejects {path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
#[ignore = "writes tests/attacks/: run by hand to regenerate the corpus"]
fn generate() {
    let k = Keys::load();
    let mut c = Corpus::default();
    signatures::post_positive(&mut c, &k);
    xsw::xsw_cases(&mut c, &k);
    signatures::signature_cases(&mut c, &k);
    signatures::post_form_cases(&mut c, &k);
    let key = &k.corpus;
    requests::rule_cases(
        &mut c,
        &k,
        "post",
        &|r: &Req| sign(&r.template(), &Spec::new(key)).into_bytes(),
        "xml",
    );
    requests::rule_cases(
        &mut c,
        &k,
        "redirect",
        &|r: &Req| {
            redirect_query(
                r.plain().as_bytes(),
                None,
                Some((Signing::Key(key), RSA_SHA256)),
                true,
            )
            .into_bytes()
        },
        "txt",
    );
    requests::parser_cases(&mut c, "post", &|x: &str| x.as_bytes().to_vec(), "xml");
    requests::parser_cases(
        &mut c,
        "redirect",
        &|x: &str| redirect_query(x.as_bytes(), None, None, true).into_bytes(),
        "txt",
    );
    redirect::redirect_cases(&mut c, &k);
    xmlsec_check(&c, &k.corpus_cert_pem);
    c.write(&corpus_dir());
    eprintln!(
        "wrote {} cases to {}",
        c.cases.len(),
        corpus_dir().display()
    );
}
