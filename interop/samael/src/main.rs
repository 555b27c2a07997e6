//! samael, the Rust SAML crate, as one more independent SP: reads what the Rust test `interop`
//! wrote to a directory (`cases.json`, our IdP metadata and certificate, each Response as posted)
//! and checks each case the way a samael SP does.
//!
//! - Our IdP metadata parses as a samael `EntityDescriptor` with our entity ID, both
//!   SingleSignOnService bindings and our signing certificate; its SingleLogoutService endpoints are
//!   checked where the metadata has them (said as skipped while it has none).
//! - Each Response goes through `ServiceProvider::parse_base64_response` configured with our IdP
//!   metadata, the case's SP entity ID and ACS, only rsa-sha256 signatures allowed, and the request
//!   ID of an SP-initiated case (`allow_idp_initiated` only for unsolicited ones). The NameID, its
//!   Format and every expected attribute must come back exactly; where the case says the Response
//!   is signed, samael must have verified the Response signature, not only the Assertion's.
//! - The same Response with its NameID altered after signing must be refused.
//!
//! Encrypted cases (hook for encrypted assertions): a Response carrying an EncryptedAssertion is
//! decrypted by samael with the case's `sp_key_file` (the SP's PEM private key, relative to the
//! directory; an encrypted case without it fails). samael 0.0.22 decrypts only `xmlenc#aes128-cbc`
//! and `xmlenc11#aes128-gcm` with `rsa-oaep-mgf1p` or `rsa-1_5` key transport
//! (`decrypt_assertion_value_info` / `decrypt_assertion_key_info` in its
//! `src/crypto/xmlsec/mod.rs`); a Response with another block cipher is reported as skipped with
//! that reason, never counted as passed.
//!
//! Prints one line per check and `samael: N passed, M failed, K skipped`; exits 1 on any failure.
//! Usage: `wecom-idp-interop-samael DIR`.

use base64::Engine as _;
use samael::crypto::{AllowedSignatureAlgorithm, CertificateDer, Crypto, CryptoProvider};
use samael::metadata::EntityDescriptor;
use samael::schema::Assertion;
use samael::service_provider::{ServiceProvider, ServiceProviderBuilder};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
const REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
/// The block ciphers samael 0.0.22 decrypts (see the module doc).
const SAMAEL_CIPHERS: [&str; 2] = [
    "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
    "http://www.w3.org/2009/xmlenc11#aes128-gcm",
];

/// The tally, printed at the end.
#[derive(Default)]
struct Tally {
    passed: u32,
    failed: u32,
    skipped: u32,
}

impl Tally {
    fn check(&mut self, what: &str, result: Result<String, String>) {
        match result {
            Ok(seen) => {
                self.passed += 1;
                println!("ok   samael       {what}: {seen}");
            }
            Err(why) => {
                self.failed += 1;
                println!("FAIL samael       {what}: {why}");
            }
        }
    }

    fn skip(&mut self, what: &str, why: &str) {
        self.skipped += 1;
        println!("skip samael       {what}: skipped: {why}");
    }
}

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: wecom-idp-interop-samael DIR (the directory interop/run.sh fills)");
        return ExitCode::from(2);
    };
    match run(&dir) {
        Ok(t) => {
            println!(
                "samael: {} passed, {} failed, {} skipped",
                t.passed, t.failed, t.skipped
            );
            if t.failed == 0 && t.passed > 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn read(dir: &Path, name: &str) -> Result<String, String> {
    std::fs::read_to_string(dir.join(name))
        .map_err(|e| format!("{}: {e}", dir.join(name).display()))
}

fn field<'a>(v: &'a Value, key: &str) -> Result<&'a str, String> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("cases.json: `{key}` missing or not a string"))
}

fn run(dir: &Path) -> Result<Tally, String> {
    let index: Value =
        serde_json::from_str(&read(dir, "cases.json")?).map_err(|e| format!("cases.json: {e}"))?;
    let metadata_xml = read(dir, field(&index, "idp_metadata_file")?)?;
    let cert = idp_cert(&read(dir, field(&index, "idp_cert_file")?)?)?;
    let entity_id = field(&index, "idp_entity_id")?;
    let mut t = Tally::default();
    let metadata: EntityDescriptor = match metadata_xml.parse() {
        Ok(m) => m,
        Err(e) => return Err(format!("samael cannot parse our IdP metadata: {e}")),
    };
    check_metadata(&mut t, &metadata, entity_id, &cert);
    let cases = index
        .get("cases")
        .and_then(Value::as_array)
        .ok_or("cases.json: no `cases` list")?;
    if cases.is_empty() {
        return Err("cases.json has no cases".into());
    }
    for case in cases {
        run_case(&mut t, dir, &metadata, &cert, case)?;
    }
    Ok(t)
}

/// Our certificate (PEM) as samael holds certificates.
fn idp_cert(pem: &str) -> Result<CertificateDer, String> {
    let x509 =
        openssl::x509::X509::from_pem(pem.as_bytes()).map_err(|e| format!("idp-cert.pem: {e}"))?;
    let der = x509.to_der().map_err(|e| format!("idp-cert.pem: {e}"))?;
    Ok(CertificateDer::from(der))
}

/// Our metadata as samael reads it: entity ID, SSO on both bindings, our signing certificate, and
/// SingleLogoutService on both bindings once the IdP publishes it.
fn check_metadata(t: &mut Tally, m: &EntityDescriptor, entity_id: &str, cert: &CertificateDer) {
    let sp = ServiceProvider {
        idp_metadata: m.clone(),
        ..ServiceProvider::default()
    };
    let sso = entity_id.replace("/saml/metadata", "/saml/sso");
    let result = (|| {
        if m.entity_id.as_deref() != Some(entity_id) {
            return Err(format!("entityID {:?} != {entity_id:?}", m.entity_id));
        }
        for b in [REDIRECT, POST] {
            if sp.sso_binding_location(b).as_deref() != Some(sso.as_str()) {
                return Err(format!(
                    "SingleSignOnService {b}: {:?}",
                    sp.sso_binding_location(b)
                ));
            }
        }
        let certs = sp.idp_signing_certs().map_err(|e| e.to_string())?;
        match certs {
            Some(c) if c.iter().any(|c| c.der_data() == cert.der_data()) => Ok(format!(
                "entityID, SSO on both bindings, {} signing cert(s)",
                c.len()
            )),
            other => Err(format!(
                "our certificate is not among the signing keys ({} found)",
                other.map_or(0, |c| c.len())
            )),
        }
    })();
    t.check("IdP metadata", result);
    check_slo_metadata(t, &sp, entity_id);
}

/// Hook for Single Logout: the metadata's SingleLogoutService on both bindings at `/saml/slo`.
fn check_slo_metadata(t: &mut Tally, sp: &ServiceProvider, entity_id: &str) {
    let slo = entity_id.replace("/saml/metadata", "/saml/slo");
    let found: Vec<Option<String>> = [REDIRECT, POST]
        .iter()
        .map(|b| sp.slo_binding_location(b))
        .collect();
    if found.iter().all(Option::is_none) {
        t.skip(
            "IdP metadata SingleLogoutService",
            "Single Logout not on main yet (our metadata has no SingleLogoutService)",
        );
        return;
    }
    let result = if found.iter().all(|l| l.as_deref() == Some(slo.as_str())) {
        Ok(format!("HTTP-Redirect and HTTP-POST at {slo}"))
    } else {
        Err(format!("want both bindings at {slo}, got {found:?}"))
    };
    t.check("IdP metadata SingleLogoutService", result);
}

/// One case: the Response as posted, then the same altered after signing.
fn run_case(
    t: &mut Tally,
    dir: &Path,
    metadata: &EntityDescriptor,
    cert: &CertificateDer,
    case: &Value,
) -> Result<(), String> {
    let name = field(case, "name")?;
    let xml = read(dir, field(case, "response_xml_file")?)?;
    if let Some(why) = unsupported_encryption(&xml) {
        t.skip(name, &why);
        return Ok(());
    }
    if xml.contains("EncryptedAssertion") && case.get("sp_key_file").is_none() {
        t.check(
            name,
            Err(
                "an encrypted Response, but cases.json gives no `sp_key_file` to decrypt it".into(),
            ),
        );
        return Ok(());
    }
    let sp = service_provider(dir, metadata, case)?;
    let b64 = read(dir, field(case, "response_b64_file")?)?;
    let ids = request_ids(case);
    let result = sp
        .parse_base64_response(b64.trim(), ids.as_deref())
        .map_err(|e| format!("refused: {e}"))
        .and_then(|a| {
            check_values(case, &a)?;
            check_response_signature(case, &xml, cert)?;
            Ok(describe(&a))
        });
    t.check(name, result);
    let tampered = tamper(&xml)?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(tampered.as_bytes());
    let result = match sp.parse_base64_response(&b64, ids.as_deref()) {
        Ok(a) => Err(format!(
            "a Response altered after signing was accepted: {}",
            describe(&a)
        )),
        Err(e) => Ok(format!("refused ({e})")),
    };
    t.check(&format!("{name}-tampered"), result);
    Ok(())
}

/// Why samael cannot decrypt this case: an EncryptedAssertion whose block cipher (the
/// EncryptedData's own EncryptionMethod, which precedes the EncryptedKey in its KeyInfo) samael
/// lacks.
fn unsupported_encryption(xml: &str) -> Option<String> {
    let data = xml.find("EncryptedData")?;
    let marker = "EncryptionMethod Algorithm=\"";
    let start = data + xml[data..].find(marker)? + marker.len();
    let method = &xml[start..start + xml[start..].find('"')?];
    (!SAMAEL_CIPHERS.contains(&method)).then(|| {
        format!(
            "samael 0.0.22 decrypts only aes128-cbc and aes128-gcm \
             (decrypt_assertion_value_info in its src/crypto/xmlsec/mod.rs); this Response uses {method}"
        )
    })
}

fn request_ids(case: &Value) -> Option<Vec<&str>> {
    case.get("request_id")
        .and_then(Value::as_str)
        .map(|id| vec![id])
}

/// The SP as a samael application configures it for this case.
fn service_provider(
    dir: &Path,
    metadata: &EntityDescriptor,
    case: &Value,
) -> Result<ServiceProvider, String> {
    let unsolicited = request_ids(case).is_none();
    let mut b = ServiceProviderBuilder::default();
    b.entity_id(field(case, "sp_entity_id")?.to_string())
        .acs_url(field(case, "acs_url")?.to_string())
        .idp_metadata(metadata.clone())
        .allow_idp_initiated(unsolicited)
        .allowed_signature_algorithms(vec![AllowedSignatureAlgorithm::RsaSha256])
        // The Responses were issued by the Rust test moments before (run.sh runs this right after
        // it); samael's default of 90 s would judge the test's run time, not our Responses.
        .max_issue_delay(chrono::Duration::minutes(10));
    if let Some(key) = case.get("sp_key_file").and_then(Value::as_str) {
        let pem = read(dir, key)?;
        let key = openssl::pkey::PKey::private_key_from_pem(pem.as_bytes())
            .map_err(|e| format!("{key}: {e}"))?;
        b.key(key);
    }
    b.build().map_err(|e| format!("ServiceProvider: {e}"))
}

/// The NameID, its Format and each expected attribute's values (same-named elements merged).
fn check_values(case: &Value, a: &Assertion) -> Result<(), String> {
    let expect = case.get("expect").ok_or("cases.json: no `expect`")?;
    let name_id = a.subject.as_ref().and_then(|s| s.name_id.as_ref());
    let want = field(expect, "name_id")?;
    if name_id.map(|n| n.value.as_str()) != Some(want) {
        return Err(format!(
            "NameID {:?} != {want:?}",
            name_id.map(|n| &n.value)
        ));
    }
    let want_format = case
        .get("name_id_format")
        .and_then(Value::as_str)
        .unwrap_or(UNSPECIFIED);
    let format = name_id
        .and_then(|n| n.format.as_deref())
        .unwrap_or(UNSPECIFIED);
    if format != want_format {
        return Err(format!("NameID Format {format:?} != {want_format:?}"));
    }
    let got = attributes(a);
    let wanted = expect
        .get("attributes")
        .and_then(Value::as_object)
        .ok_or("cases.json: no `expect.attributes`")?;
    for (name, values) in wanted {
        let values: Vec<&str> = values
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let have: Vec<&str> = got
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, v)| v.iter().map(String::as_str))
            .collect();
        if have != values {
            return Err(format!("attribute {name:?}: {have:?} != {values:?}"));
        }
    }
    Ok(())
}

/// Every Attribute of every AttributeStatement: name and values, in document order.
fn attributes(a: &Assertion) -> Vec<(String, Vec<String>)> {
    a.attribute_statements
        .iter()
        .flatten()
        .flat_map(|s| s.attributes.iter())
        .map(|at| {
            let values = at
                .values
                .iter()
                .map(|v| v.value.clone().unwrap_or_default())
                .collect();
            (at.name.clone().unwrap_or_default(), values)
        })
        .collect()
}

/// Where the app signs the Response, samael's reduction to verified content must keep the Response
/// itself (its signature verified), not only the Assertion.
fn check_response_signature(case: &Value, xml: &str, cert: &CertificateDer) -> Result<(), String> {
    if !case
        .get("response_signed")
        .and_then(Value::as_bool)
        .unwrap_or(true)
    {
        return Ok(());
    }
    let reduced = Crypto::reduce_xml_to_signed_with_allowed_algorithms(
        xml,
        std::slice::from_ref(cert),
        Default::default(),
        Some(&[AllowedSignatureAlgorithm::RsaSha256]),
    )
    .map_err(|e| format!("signature: {e}"))?;
    // The root element: the first start tag after the XML declaration and any comments.
    let local = reduced
        .match_indices('<')
        .map(|(i, _)| &reduced[i + 1..])
        .find(|rest| !rest.starts_with(['?', '!']))
        .and_then(|rest| rest.split([' ', '>', '/', '\n']).next())
        .unwrap_or_default();
    if local.rsplit(':').next() == Some("Response") {
        Ok(())
    } else {
        Err(format!(
            "samael kept only <{local}> as signed: the Response signature did not verify"
        ))
    }
}

/// The Response with a character added to the NameID after signing.
/// An encrypted Assertion has no NameID in the clear: there the first CipherValue is altered.
fn tamper(xml: &str) -> Result<String, String> {
    let start = xml
        .find(":NameID ")
        .or_else(|| xml.find(":NameID>"))
        .or_else(|| xml.find("<NameID"))
        .or_else(|| xml.find(":CipherValue>"))
        .ok_or("no NameID or CipherValue to alter")?;
    let open_end = start
        + xml[start..]
            .find('>')
            .ok_or("NameID start tag not closed")?;
    let close = open_end + xml[open_end..].find('<').ok_or("NameID not closed")?;
    Ok(format!("{}-evil{}", &xml[..close], &xml[close..]))
}

fn describe(a: &Assertion) -> String {
    let name_id = a
        .subject
        .as_ref()
        .and_then(|s| s.name_id.as_ref())
        .map(|n| n.value.clone());
    format!("nameid={name_id:?} attributes={:?}", attributes(a))
}
