//! Interoperability: real IdP- and SP-initiated flows whose Responses are checked by code that is not
//! ours. Here every Response is verified with the `xmlsec1` command line; when `WECOM_IDP_INTEROP_DIR`
//! is set the test also writes what `interop/verify.py` needs (our metadata and certificate, each
//! Response as posted, the request ID, the SP settings and the expected values) so python3-saml and
//! pysaml2 can check the same Responses (`interop/run.sh` does both).
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
    name: &'static str,
    app: &'static str,
    /// The `SAMLResponse` field exactly as the form posts it.
    posted_b64: String,
    request_id: Option<String>,
    relay_state: Option<String>,
    name_id: String,
    attributes: Vec<(&'static str, Vec<String>)>,
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
    env.clock.set(time::OffsetDateTime::now_utc());
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
                },
                app: "interop-idp",
                posted_b64: b64,
                request_id: None,
                relay_state: None,
                name_id: userid.into(),
                attributes: vec![
                    ("userid", vec![userid.into()]),
                    ("name", vec![display.into()]),
                ],
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
                },
                app: "interop-sp",
                posted_b64: b64,
                request_id: Some(id),
                relay_state: Some("interop-relay".into()),
                name_id: userid.into(),
                attributes: vec![
                    ("userid", vec![userid.into()]),
                    ("name", vec![display.into()]),
                ],
            },
        ));
    }

    // Checked here on every run: xmlsec1 verifies both signatures, and our reading of the Response
    // gives back exactly the values that went in (one `name` value, equal to the original).
    for (form, case) in &cases {
        assert_eq!(form.action, acs_url(case.app), "{}", case.name);
        let (resp, assertion) = assert_independently_verified(&env, form);
        assert!(resp && assertion, "{}: both signed by default", case.name);
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(case.posted_b64.as_bytes())
            .unwrap();
        assert_eq!(decoded, form.xml.as_bytes(), "{}", case.name);
        let s = Saml::of(form);
        assert_eq!(s.name_id(), case.name_id, "{}", case.name);
        for (attr, values) in &case.attributes {
            assert_eq!(
                s.attribute(attr).as_ref(),
                Some(values),
                "{}: attribute {attr}",
                case.name
            );
        }
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
    let mut out = Vec::new();
    for (form, case) in &cases {
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
            .map(|(k, v)| ((*k).to_string(), json!(v)))
            .collect();
        out.push(json!({
            "name": case.name,
            "kind": if case.request_id.is_some() { "sp-initiated" } else { "idp-initiated" },
            "sp_entity_id": sp_entity(case.app),
            "acs_url": acs_url(case.app),
            "response_b64_file": b64_file,
            "response_xml_file": xml_file,
            "request_id": case.request_id,
            "relay_state": case.relay_state,
            "expect": { "name_id": case.name_id, "attributes": attributes },
        }));
    }
    let index = json!({
        "idp_entity_id": format!("{}/saml/metadata", env.base),
        "idp_metadata_file": "idp-metadata.xml",
        "idp_cert_file": "idp-cert.pem",
        "cases": out,
    });
    std::fs::write(
        dir.join("cases.json"),
        serde_json::to_string_pretty(&index).unwrap(),
    )
    .unwrap();
    eprintln!(
        "interop: wrote {} Responses and the IdP metadata to {}",
        cases.len(),
        dir.display()
    );
}
