//! Interoperability: real IdP- and SP-initiated flows whose Responses are checked by code that is not
//! ours. Here every Response is verified with the `xmlsec1` command line; when `WECOM_IDP_INTEROP_DIR`
//! is set the test also writes what `interop/verify.py` needs (our metadata and certificate, each
//! Response as posted, the request ID, the SP settings and the expected values) so samael
//! (`interop/samael`), python3-saml and pysaml2 can check the same Responses (`interop/run.sh` does
//! all of it). An encrypted case gives samael its SP key as `sp_key_file`.
//!
//! Every cloud preset variant (the `presets` test's cases) is also signed in once and written as a
//! case configured with that preset's SP entity ID, ACS, NameID format and signing (the Response
//! signature is demanded where the preset signs the Response), expecting the NameID and attributes
//! of the variant's reviewed golden file (`tests/golden/presets/`): every preset's Response verifies
//! with python3-saml in strict mode configured with that preset's SP entity ID and ACS.
//!
//! Encrypted Assertions (`encrypted-<cipher>`, one per block cipher) are written with the SP's
//! encryption key (`sp-enc-key.pem`) for the libraries to decrypt.
//!
//! The clock is set to the real time, because the Python libraries check NotBefore/NotOnOrAfter
//! against their own clock.

use crate::harness::*;
use base64::Engine as _;
use serde_json::json;
use wecom_idp::wecom::simulator::Member;

/// A display name made to break naive XML writing: markup, entities, quotes, CDATA end, a comment
/// opener, Chinese and a non-BMP emoji.
pub const SPECIAL_NAME: &str = "x</saml2:AttributeValue><saml2:AttributeValue>admin & Tom \"Q\" \
     'O'Brien' ]]> <!-- c --> &amp; 张三丰 😀🀄";
const SPECIAL_USERID: &str = "interop-special";

/// One Response the Python side checks.
struct Case {
    name: String,
    /// The SP the libraries are configured as.
    sp_entity_id: String,
    acs_url: String,
    /// The `SAMLResponse` field exactly as the form posts it.
    posted_b64: String,
    request_id: Option<String>,
    relay_state: Option<String>,
    name_id: String,
    name_id_format: String,
    /// The app signs the Response (the libraries then demand it: `wantMessagesSigned`).
    response_signed: bool,
    attributes: Attributes,
    /// The app sends one Attribute element per value (`attribute_per_value`).
    repeated_attributes: bool,
    /// `presets` or `special`: which checks the case is part of.
    group: &'static str,
}

/// Attribute name → values, in Response order.
type Attributes = Vec<(String, Vec<String>)>;

const UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";

/// What a preset variant's reviewed golden file says the console gets: the NameID (`None` when
/// transient) and each attribute's values (same-named Attribute elements merged, in order), and
/// whether a name repeats.
fn golden_expectations(app: &str) -> (Option<String>, Attributes, bool) {
    let path = format!(
        "{}/tests/golden/presets/{app}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut name_id = None;
    let mut attributes: Attributes = Vec::new();
    let mut repeated = false;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("NameID: ") {
            name_id = (!v.starts_with("(transient")).then(|| v.to_string());
        } else if let Some(rest) = line.strip_prefix("Attribute ") {
            let (name, rest) = rest.split_once(" [").unwrap();
            let (_, values) = rest.split_once("]: ").unwrap();
            let values = values.split(" | ").map(str::to_string);
            match attributes.iter_mut().find(|(n, _)| n == name) {
                Some((_, v)) => {
                    repeated = true;
                    v.extend(values);
                }
                None => attributes.push((name.to_string(), values.collect())),
            }
        }
    }
    (name_id, attributes, repeated)
}

/// The `SAMLResponse` value of an auto-post page, as the browser would send it.
fn posted_value(page: &Page) -> String {
    let marker = "name=\"SAMLResponse\" value=\"";
    let i = page.body.find(marker).expect("SAMLResponse field") + marker.len();
    let e = page.body[i..].find('"').unwrap();
    html_unescape(&page.body[i..i + e])
}

/// IdP-initiated: the member opens the app's mount address inside the WeCom client.
async fn idp_initiated(env: &Env, app: &str, userid: &str) -> (PostedForm, String) {
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, userid).await;
    let page = b.follow(&format!("{}/apps/{app}/start", env.base)).await;
    let form = page
        .form()
        .unwrap_or_else(|| panic!("no POST form: {} {}", page.status, page.body));
    let s = Saml::of(&form);
    assert_eq!(s.root_attr("InResponseTo"), None, "unsolicited");
    (form, posted_value(&page))
}

/// SP-initiated: the console redirects the member to `/saml/sso` with an AuthnRequest.
async fn sp_initiated(env: &Env, app: &str, userid: &str) -> (PostedForm, String, String) {
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, userid).await;
    let req = Req::new(env, app);
    let page = b
        .follow(&redirect_url(env, &req.xml(), Some("interop-relay")))
        .await;
    let form = page
        .form()
        .unwrap_or_else(|| panic!("no POST form: {} {}", page.status, page.body));
    let s = Saml::of(&form);
    assert_eq!(
        s.root_attr("InResponseTo").as_deref(),
        Some(req.id.as_str())
    );
    assert_eq!(form.relay_state.as_deref(), Some("interop-relay"));
    (form, posted_value(&page), req.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_verify_with_other_libraries() {
    let env = Env::start(Db::Sqlite).await;
    // Real time: the Python libraries judge the validity window by their own clock.
    env.clock
        .set(wecom_idp::clock::Clock::now(&wecom_idp::clock::SystemClock));
    env.sim.upsert_member(Member {
        department: vec![2],
        ..Member::new(SPECIAL_USERID, SPECIAL_NAME)
    });
    for app in ["interop-idp", "interop-sp"] {
        env.add_app(app, &[]).await;
    }

    let mut cases = Vec::new();
    for (name, userid, display) in [
        ("plain", "zhangsan", "张三"),
        ("special", SPECIAL_USERID, SPECIAL_NAME),
    ] {
        let (form, b64) = idp_initiated(&env, "interop-idp", userid).await;
        cases.push((
            form,
            Case {
                name: if name == "plain" {
                    "idp-initiated"
                } else {
                    "idp-initiated-special"
                }
                .into(),
                sp_entity_id: sp_entity("interop-idp"),
                acs_url: acs_url("interop-idp"),
                posted_b64: b64,
                request_id: None,
                relay_state: None,
                name_id: userid.into(),
                name_id_format: UNSPECIFIED.into(),
                response_signed: true,
                attributes: vec![
                    ("userid".into(), vec![userid.into()]),
                    ("name".into(), vec![display.into()]),
                ],
                repeated_attributes: false,
                group: "special",
            },
        ));
        let (form, b64, id) = sp_initiated(&env, "interop-sp", userid).await;
        cases.push((
            form,
            Case {
                name: if name == "plain" {
                    "sp-initiated"
                } else {
                    "sp-initiated-special"
                }
                .into(),
                sp_entity_id: sp_entity("interop-sp"),
                acs_url: acs_url("interop-sp"),
                posted_b64: b64,
                request_id: Some(id),
                relay_state: Some("interop-relay".into()),
                name_id: userid.into(),
                name_id_format: UNSPECIFIED.into(),
                response_signed: true,
                attributes: vec![
                    ("userid".into(), vec![userid.into()]),
                    ("name".into(), vec![display.into()]),
                ],
                repeated_attributes: false,
                group: "special",
            },
        ));
    }

    // Every preset variant, made as `app add --preset` makes it, signed in once at real time.
    for c in crate::presets::CASES {
        let xml = c
            .metadata
            .map(|(e, a)| crate::presets::sp_metadata(e, a, None));
        crate::presets::add(&env, c.app, c.preset, c.sets, xml.as_deref()).await;
        let app =
            wecom_idp::apps::App::from_row(env.state.store.app(c.app).await.unwrap().unwrap())
                .unwrap();
        let (form, b64) = idp_initiated(&env, c.app, "zhangsan").await;
        let (name_id, attributes, repeated) = golden_expectations(c.app);
        let s = Saml::of(&form);
        cases.push((
            form.clone(),
            Case {
                name: format!("preset-{}", c.app),
                sp_entity_id: c.entity.into(),
                acs_url: c.acs.into(),
                posted_b64: b64,
                request_id: None,
                relay_state: form.relay_state.clone(),
                // A transient NameID is random: the value in the Response is what must come back.
                name_id: name_id.unwrap_or_else(|| s.name_id()),
                name_id_format: app.settings.name_id_format.uri().into(),
                response_signed: app.settings.sign_response,
                attributes,
                repeated_attributes: repeated,
                group: "presets",
            },
        ));
        // Entity IDs are unique per instance: make room for the next variant of the same console.
        assert!(env.state.store.remove_app(c.app).await.unwrap());
    }

    // Checked here on every run: xmlsec1 verifies both signatures, and our reading of the Response
    // gives back exactly the values that went in (one `name` value, equal to the original).
    for (form, case) in &cases {
        assert_eq!(form.action, case.acs_url, "{}", case.name);
        let (resp, assertion) = assert_independently_verified(&env, form);
        assert_eq!(resp, case.response_signed, "{}", case.name);
        assert!(assertion, "{}: the Assertion is always signed", case.name);
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(case.posted_b64.as_bytes())
            .unwrap();
        assert_eq!(decoded, form.xml.as_bytes(), "{}", case.name);
        let s = Saml::of(form);
        assert_eq!(s.name_id(), case.name_id, "{}", case.name);
        let read: Vec<(String, Vec<String>)> = s.attributes();
        for (attr, values) in &case.attributes {
            let got: Vec<String> = read
                .iter()
                .filter(|(n, _)| n == attr)
                .flat_map(|(_, v)| v.clone())
                .collect();
            assert_eq!(&got, values, "{}: attribute {attr}", case.name);
        }
    }

    // Encrypted Assertions, one per cipher, for the Python libraries to decrypt with the SP's key
    // (xmlsec1 decrypts the same in tests/it/encryption.rs). Not in the loop above: their
    // Assertion is not readable without the key.
    let enc_key = sp_key();
    let mut encrypted = Vec::new();
    for cipher in ["aes256-gcm", "aes128-gcm", "aes256-cbc", "aes128-cbc"] {
        let app = format!("interop-enc-{cipher}");
        let method = format!("encryption_method={cipher}");
        env.add_app_with_metadata(&app, &["encrypt_assertion=true", &method], |m| {
            m.encryption_certs = vec![enc_key.cert_b64.clone()];
        })
        .await;
        let (form, b64) = idp_initiated(&env, &app, "zhangsan").await;
        assert!(Saml::of(&form).assertion().is_none(), "{cipher}: encrypted");
        encrypted.push((
            form,
            Case {
                name: format!("encrypted-{cipher}"),
                sp_entity_id: sp_entity(&app),
                acs_url: acs_url(&app),
                posted_b64: b64,
                request_id: None,
                relay_state: None,
                name_id: "zhangsan".into(),
                name_id_format: UNSPECIFIED.into(),
                response_signed: true,
                attributes: vec![
                    ("userid".into(), vec!["zhangsan".into()]),
                    ("name".into(), vec!["张三".into()]),
                ],
                repeated_attributes: false,
                group: "encrypted",
            },
        ));
    }

    let Some(dir) = std::env::var_os("WECOM_IDP_INTEROP_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let metadata = env
        .browser(CHROME_UA)
        .get(&format!("{}/saml/metadata", env.base))
        .await;
    assert_eq!(metadata.status, 200);
    std::fs::write(dir.join("idp-metadata.xml"), &metadata.body).unwrap();
    std::fs::write(dir.join("idp-cert.pem"), env.idp_cert_pem()).unwrap();
    std::fs::write(dir.join("sp-enc-key.pem"), &enc_key.key_pem).unwrap();
    std::fs::write(dir.join("sp-enc-cert.pem"), &enc_key.cert_pem).unwrap();
    let mut out = Vec::new();
    for (form, case) in cases.iter().chain(&encrypted) {
        let b64_file = format!("{}.b64", case.name);
        let xml_file = format!("{}.xml", case.name);
        std::fs::write(dir.join(&b64_file), &case.posted_b64).unwrap();
        std::fs::write(dir.join(&xml_file), &form.xml).unwrap();
        if let Some(id) = &case.request_id {
            std::fs::write(dir.join(format!("{}.request-id", case.name)), id).unwrap();
        }
        let attributes: serde_json::Map<String, serde_json::Value> = case
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        out.push(json!({
            "name": case.name,
            "kind": if case.request_id.is_some() { "sp-initiated" } else { "idp-initiated" },
            "group": case.group,
            "sp_entity_id": case.sp_entity_id,
            "acs_url": case.acs_url,
            "name_id_format": case.name_id_format,
            "response_signed": case.response_signed,
            "repeated_attributes": case.repeated_attributes,
            "response_b64_file": b64_file,
            "response_xml_file": xml_file,
            "request_id": case.request_id,
            "relay_state": case.relay_state,
            "expect": { "name_id": case.name_id, "attributes": attributes },
            "encrypted": case.group == "encrypted",
            // samael decrypts with the key its case names.
            "sp_key_file": (case.group == "encrypted").then_some("sp-enc-key.pem"),
        }));
    }
    let index = json!({
        "idp_entity_id": format!("{}/saml/metadata", env.base),
        "idp_metadata_file": "idp-metadata.xml",
        "idp_cert_file": "idp-cert.pem",
        "sp_encryption_key_file": "sp-enc-key.pem",
        "sp_encryption_cert_file": "sp-enc-cert.pem",
        "cases": out,
    });
    std::fs::write(
        dir.join("cases.json"),
        serde_json::to_string_pretty(&index).unwrap(),
    )
    .unwrap();
    eprintln!(
        "interop: wrote {} Responses and the IdP metadata to {}",
        cases.len() + encrypted.len(),
        dir.display()
    );
}
