//! Single Logout: metadata, SessionIndex, SP-initiated on both bindings (signed by the test SP's
//! key), every refusal (unsigned from an SP that signs, a foreign key, another NameID, replay,
//! expired), the chain over other SPs with one that never answers, the member's `/logout`, and a
//! logout on a second instance ending the session for the first.

use crate::both_dbs;
use crate::harness::*;
use base64::Engine as _;
use std::io::Read as _;
use wecom_idp::clock::Clock;
use wecom_idp::saml::dom;
use wecom_idp::saml::sp_metadata::SloEndpoint;

const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const PARTIAL: &str = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const PERSISTENT_OR_ANY: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";

fn slo(env: &Env) -> String {
    format!("{}/saml/slo", env.base)
}

fn instant(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// What an SP knows after signing in: the NameID and the SessionIndex of its Assertion.
struct Known {
    name_id: String,
    session_index: String,
}

async fn sign_in(env: &Env, b: &Browser, app: &str) -> Known {
    let form = env.login_in_client(b, app, "zhangsan").await;
    let s = Saml::of(&form);
    let session_index = s
        .at(&["Assertion", "AuthnStatement"], "SessionIndex")
        .expect("the AuthnStatement carries a SessionIndex");
    Known {
        name_id: s.name_id(),
        session_index,
    }
}

/// A LogoutRequest from `app` (test-controlled values only).
fn logout_request(env: &Env, app: &str, id: &str, name_id: &str, index: Option<&str>) -> String {
    let now = env.clock.now();
    let index = index
        .map(|i| format!("<samlp:SessionIndex>{i}</samlp:SessionIndex>"))
        .unwrap_or_default();
    format!(
        "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{id}\" Version=\"2.0\" \
         IssueInstant=\"{}\" NotOnOrAfter=\"{}\" Destination=\"{}\">\
         <saml:Issuer>{}</saml:Issuer><saml:NameID Format=\"{PERSISTENT_OR_ANY}\">{name_id}</saml:NameID>{index}\
         </samlp:LogoutRequest>",
        instant(now),
        instant(now + time::Duration::minutes(5)),
        slo(env),
        sp_entity(app)
    )
}

/// An SP's LogoutResponse to our request `in_response_to`.
fn logout_response(env: &Env, app: &str, in_response_to: &str) -> String {
    format!(
        "<samlp:LogoutResponse xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_resp{in_response_to}\" Version=\"2.0\" \
         IssueInstant=\"{}\" Destination=\"{}\" InResponseTo=\"{in_response_to}\">\
         <saml:Issuer>{}</saml:Issuer><samlp:Status><samlp:StatusCode Value=\"{SUCCESS}\"/></samlp:Status>\
         </samlp:LogoutResponse>",
        instant(env.clock.now()),
        slo(env),
        sp_entity(app)
    )
}

/// `field` carrying `xml` to our `/saml/slo` on HTTP-Redirect, signed by `key_pem` (unsigned
/// without one).
fn to_slo(env: &Env, field: &str, xml: &str, rs: Option<&str>, key_pem: Option<&str>) -> String {
    let mut q = format!("{field}={}", enc(&deflate_b64(xml.as_bytes())));
    if let Some(r) = rs {
        q.push_str(&format!("&RelayState={}", enc(r)));
    }
    if let Some(k) = key_pem {
        q.push_str(&format!("&SigAlg={}", enc(RSA_SHA256)));
        let key = openssl::pkey::PKey::private_key_from_pem(k.as_bytes()).unwrap();
        let mut signer =
            openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
        signer.update(q.as_bytes()).unwrap();
        let sig = base64::engine::general_purpose::STANDARD.encode(signer.sign_to_vec().unwrap());
        q.push_str(&format!("&Signature={}", enc(&sig)));
    }
    format!("{}?{q}", slo(env))
}

/// A Redirect-binding message we sent: its XML and RelayState, after checking our signature over
/// the query with the IdP certificate.
fn read_redirect(env: &Env, url: &str, field: &str) -> (dom::Document, String, Option<String>) {
    let (location, query) = url.split_once('?').unwrap();
    let pairs: Vec<(&str, &str)> = query
        .split('&')
        .map(|p| p.split_once('=').unwrap())
        .collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
    let signed_part = &query[..query.find("&Signature=").unwrap()];
    let sig = base64::engine::general_purpose::STANDARD
        .decode(pct(get("Signature").unwrap()))
        .unwrap();
    let cert = openssl::x509::X509::from_pem(env.idp_cert_pem().as_bytes()).unwrap();
    let public = cert.public_key().unwrap();
    let mut v =
        openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), &public).unwrap();
    v.update(signed_part.as_bytes()).unwrap();
    assert!(v.verify(&sig).unwrap(), "our Redirect signature verifies");
    let deflated = base64::engine::general_purpose::STANDARD
        .decode(pct(get(field).unwrap()))
        .unwrap();
    let mut xml = Vec::new();
    flate2::read::DeflateDecoder::new(&deflated[..])
        .read_to_end(&mut xml)
        .unwrap();
    let doc = dom::parse(&xml, &dom::Limits::default()).unwrap();
    let rs = get("RelayState").map(|r| String::from_utf8(pct(r)).unwrap());
    (doc, location.to_string(), rs)
}

fn pct(s: &str) -> Vec<u8> {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .unwrap()
        .1
        .into_owned()
        .into_bytes()
}

fn root_attr(doc: &dom::Document, name: &str) -> Option<String> {
    doc.element(doc.root()).attr(name).map(str::to_string)
}

/// The status codes of a LogoutResponse, top level first.
fn statuses(doc: &dom::Document) -> Vec<String> {
    let root = doc.root();
    doc.descendants(root)
        .filter(|e| doc.element(*e).local == "StatusCode")
        .filter_map(|e| doc.element(e).attr("Value").map(str::to_string))
        .collect()
}

fn child_text(doc: &dom::Document, local: &str) -> Option<String> {
    let root = doc.root();
    doc.descendants(root)
        .find(|e| doc.element(*e).local == local)
        .map(|e| doc.text(e))
}

/// After a logout, the mount address goes back to WeCom: no session.
async fn assert_signed_out(env: &Env, b: &Browser, app: &str) {
    let page = b.get(&format!("{}/apps/{app}/start", env.base)).await;
    assert_eq!(page.status, 302, "{}", page.body);
    assert!(
        page.location.as_deref().unwrap().starts_with(&env.sim_base),
        "to WeCom: {:?}",
        page.location
    );
}

fn attr_of(body: &str, marker: &str) -> String {
    let i = body
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {body}"))
        + marker.len();
    html_unescape(&body[i..i + body[i..].find('"').unwrap()])
}

both_dbs!(metadata_has_both_slo_services, metadata);
// Rule: IdP and per-app metadata advertise SingleLogoutService on both bindings at /saml/slo.
async fn metadata(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    for path in ["/saml/metadata", "/apps/console/metadata"] {
        let page = b.get(&format!("{}{path}", env.base)).await;
        let doc = dom::parse(page.body.as_bytes(), &dom::Limits::default()).unwrap();
        let root = doc.root();
        let slo: Vec<(String, String)> = doc
            .descendants(root)
            .filter(|e| doc.element(*e).local == "SingleLogoutService")
            .map(|e| {
                let el = doc.element(e);
                (
                    el.attr("Binding").unwrap().to_string(),
                    el.attr("Location").unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            slo,
            [
                (REDIRECT.to_string(), slo_url(&env)),
                (POST.to_string(), slo_url(&env))
            ],
            "{path}"
        );
    }
}

fn slo_url(env: &Env) -> String {
    slo(env)
}

both_dbs!(sp_initiated_redirect_ends_the_session, redirect);
// Rule: a signed Redirect LogoutRequest naming this session ends it and is answered with a signed
// LogoutResponse (Success, InResponseTo, Destination) at the SP's SLO endpoint; SessionIndex is
// random per SP, not the session token.
async fn redirect(env: Env) {
    env.add_app("console", &["require_signed_requests=true"])
        .await;
    env.add_app_with_metadata("wiki", &[], |m| m.slo.clear())
        .await;
    let b = env.browser(WXWORK_UA);
    let known = sign_in(&env, &b, "console").await;
    let wiki = sign_in(&env, &b, "wiki").await;
    assert_ne!(known.session_index, wiki.session_index, "one per SP");
    let token = b.cookie(&env.base, "wecom_idp_session").unwrap();
    assert!(!known.session_index.contains(&token[..16]));
    let again = sign_in(&env, &b, "console").await;
    assert_eq!(
        again.session_index, known.session_index,
        "stable in a session"
    );

    let xml = logout_request(
        &env,
        "console",
        "_lo1",
        &known.name_id,
        Some(&known.session_index),
    );
    let page = b
        .get(&to_slo(
            &env,
            "SAMLRequest",
            &xml,
            Some("rs 1"),
            Some(&env.sp.key_pem),
        ))
        .await;
    assert_eq!(page.status, 302, "{}", page.body);
    let (doc, location, rs) =
        read_redirect(&env, page.location.as_deref().unwrap(), "SAMLResponse");
    assert_eq!(location, "https://sp.example/console/slo");
    assert_eq!(rs.as_deref(), Some("rs 1"));
    assert_eq!(doc.element(doc.root()).local, "LogoutResponse");
    assert_eq!(root_attr(&doc, "InResponseTo").as_deref(), Some("_lo1"));
    assert_eq!(
        root_attr(&doc, "Destination").as_deref(),
        Some("https://sp.example/console/slo")
    );
    assert_eq!(statuses(&doc), [SUCCESS]);
    assert_signed_out(&env, &b, "console").await;
    let audit = env.audit().await;
    for (event, reason) in [
        ("slo_request", "sp_initiated"),
        ("logout", "sp_initiated"),
        ("slo_response", "sp_initiated"),
    ] {
        assert!(
            audit
                .iter()
                .any(|r| r.event == event && r.reason == reason && r.result == "success"),
            "{event} {reason}: {audit:?}"
        );
    }
}

both_dbs!(sp_initiated_post_ends_the_session, post);
// Rule: a POST LogoutRequest with an enveloped signature by the SP's metadata key is accepted and
// answered on the SP's POST endpoint with an enveloped-signed LogoutResponse.
async fn post(env: Env) {
    env.add_app_with_metadata("console", &["require_signed_requests=true"], |m| {
        m.slo = vec![SloEndpoint {
            binding: POST.into(),
            location: "https://sp.example/console/slo".into(),
            response_location: Some("https://sp.example/console/slo-done".into()),
        }]
    })
    .await;
    let b = env.browser(WXWORK_UA);
    let known = sign_in(&env, &b, "console").await;
    let xml = logout_request(&env, "console", "_lp1", &known.name_id, None);
    let signed = xmlsec_sign_request(&xml, &env.sp.key_pem, &env.sp.cert_pem);
    let page = b
        .post_form(
            &slo(&env),
            &[
                (
                    "SAMLRequest",
                    &base64::engine::general_purpose::STANDARD.encode(signed.as_bytes()),
                ),
                ("RelayState", "back"),
            ],
        )
        .await;
    let form = page.form().unwrap_or_else(|| panic!("{}", page.body));
    assert_eq!(form.action, "https://sp.example/console/slo-done");
    assert_eq!(form.relay_state.as_deref(), Some("back"));
    assert!(xmlsec_verify(
        &form.xml,
        &env.idp_cert_pem(),
        "/*[local-name()='LogoutResponse']/*[local-name()='Signature']"
    ));
    let doc = form.doc();
    assert_eq!(root_attr(&doc, "InResponseTo").as_deref(), Some("_lp1"));
    assert_eq!(statuses(&doc), [SUCCESS]);
    assert_signed_out(&env, &b, "console").await;
}

both_dbs!(refused_logout_requests_keep_the_session, refusals);
// Rule: unsigned from an SP that signs, a foreign key, another NameID, a replay and an expired
// request are refused with a page and an audit row, and the session stays.
async fn refusals(env: Env) {
    env.add_app("console", &["require_signed_requests=true"])
        .await;
    let b = env.browser(WXWORK_UA);
    let known = sign_in(&env, &b, "console").await;
    let (other_key, _) =
        wecom_idp::saml::sign::generate_key_and_cert("stranger", env.clock.now(), &[9]).unwrap();
    let good = |id: &str| logout_request(&env, "console", id, &known.name_id, None);
    let cases: Vec<(String, u16, &str)> = vec![
        (
            to_slo(&env, "SAMLRequest", &good("_u1"), None, None),
            400,
            "signature_required",
        ),
        (
            to_slo(&env, "SAMLRequest", &good("_f1"), None, Some(&other_key)),
            400,
            "",
        ),
        (
            to_slo(
                &env,
                "SAMLRequest",
                &logout_request(&env, "console", "_n1", "lisi", None),
                None,
                Some(&env.sp.key_pem),
            ),
            403,
            "logout_not_this_session",
        ),
        (
            to_slo(
                &env,
                "SAMLRequest",
                &logout_request(&env, "console", "_i1", &known.name_id, Some("_notours")),
                None,
                Some(&env.sp.key_pem),
            ),
            403,
            "logout_not_this_session",
        ),
    ];
    for (url, status, reason) in cases {
        let page = b.get(&url).await;
        assert_eq!(page.status, status, "{reason}: {}", page.body);
        assert!(page.form().is_none());
        let got = page.reason().unwrap();
        if !reason.is_empty() {
            assert_eq!(got, reason);
        }
        let row = env.audit().await.into_iter().next().unwrap();
        assert_eq!(
            (row.event.as_str(), row.result.as_str()),
            ("slo_request", "refused")
        );
        assert_eq!(row.reason, got);
    }
    // Replay: the second use of an ID is refused (the first one names another session).
    let replayed = to_slo(
        &env,
        "SAMLRequest",
        &logout_request(&env, "console", "_n1", "lisi", None),
        None,
        Some(&env.sp.key_pem),
    );
    let page = b.get(&replayed).await;
    assert_eq!(page.reason().as_deref(), Some("replayed_request"));
    // Expired: NotOnOrAfter passed (the IssueInstant is still within the skew).
    let expired = good("_e1").replace(
        &instant(env.clock.now() + time::Duration::minutes(5)),
        &instant(env.clock.now() - time::Duration::minutes(4)),
    );
    let page = b
        .get(&to_slo(
            &env,
            "SAMLRequest",
            &expired,
            None,
            Some(&env.sp.key_pem),
        ))
        .await;
    assert_eq!(
        page.reason().as_deref(),
        Some("request_expired"),
        "{}",
        page.body
    );
    // The session is still there: the mount address answers at once.
    let form = env.login_in_client(&b, "console", "zhangsan").await;
    assert_eq!(Saml::of(&form).name_id(), known.name_id);
}

both_dbs!(chain_tells_other_sps_and_survives_a_silent_one, chain);
// Rule: the other SPs of the session each get a LogoutRequest with their own NameID and
// SessionIndex; one that never answers does not stop the chain; the initiator gets PartialLogout.
async fn chain(env: Env) {
    env.add_app("console", &[]).await;
    env.add_app("wiki", &[]).await;
    env.add_app_with_metadata("mail", &[], |m| {
        m.slo = vec![SloEndpoint {
            binding: POST.into(),
            location: "https://sp.example/mail/slo".into(),
            response_location: None,
        }]
    })
    .await;
    let b = env.browser(WXWORK_UA);
    let console = sign_in(&env, &b, "console").await;
    let wiki = sign_in(&env, &b, "wiki").await;
    let mail = sign_in(&env, &b, "mail").await;
    let xml = logout_request(&env, "console", "_c1", &console.name_id, None);
    let page = b
        .get(&to_slo(
            &env,
            "SAMLRequest",
            &xml,
            Some("rs"),
            Some(&env.sp.key_pem),
        ))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    // The session's SPs in the order they were served (the fixed clock: by name): mail (POST into
    // the page's frame), then wiki (Redirect in the frame).
    let form = page.form().unwrap_or_else(|| panic!("{}", page.body));
    assert_eq!(form.action, "https://sp.example/mail/slo");
    assert!(xmlsec_verify(
        &form.xml,
        &env.idp_cert_pem(),
        "/*[local-name()='LogoutRequest']/*[local-name()='Signature']"
    ));
    let doc = form.doc();
    assert_eq!(child_text(&doc, "NameID").unwrap(), mail.name_id);
    assert_eq!(
        child_text(&doc, "SessionIndex").unwrap(),
        mail.session_index
    );
    // mail never answers: the page's timer moves on.
    let refresh = attr_of(&page.body, "http-equiv=\"refresh\" content=\"");
    let (wait, timer_next) = refresh.split_once(";url=").unwrap();
    assert_eq!(wait, "5", "the default wait");
    let page = b.get(timer_next).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let frame = attr_of(&page.body, "id=\"slo-frame\" src=\"");
    let (doc, location, chain) = read_redirect(&env, &frame, "SAMLRequest");
    assert_eq!(location, "https://sp.example/wiki/slo");
    assert_eq!(child_text(&doc, "NameID").unwrap(), wiki.name_id);
    assert_eq!(
        child_text(&doc, "SessionIndex").unwrap(),
        wiki.session_index
    );
    let wiki_req = root_attr(&doc, "ID").unwrap();
    // wiki answers inside the frame; the frame moves the page on.
    let answer = logout_response(&env, "wiki", &wiki_req);
    let framed = b
        .get(&to_slo(
            &env,
            "SAMLResponse",
            &answer,
            chain.as_deref(),
            Some(&env.sp.key_pem),
        ))
        .await;
    assert_eq!(framed.status, 200, "{}", framed.body);
    assert_eq!(framed.header("x-frame-options"), Some("SAMEORIGIN"));
    let next = attr_of(&framed.body, "<a href=\"");
    let done = b.get(&next).await;
    assert_eq!(done.status, 302, "{}", done.body);
    let (doc, location, rs) =
        read_redirect(&env, done.location.as_deref().unwrap(), "SAMLResponse");
    assert_eq!(location, "https://sp.example/console/slo");
    assert_eq!(rs.as_deref(), Some("rs"));
    assert_eq!(root_attr(&doc, "InResponseTo").as_deref(), Some("_c1"));
    assert_eq!(statuses(&doc), [SUCCESS, PARTIAL]);
    // The chain is over: its steps answer "finished".
    let again = b.get(&next).await;
    assert_eq!(again.reason().as_deref(), Some("logout_unknown"));
    let audit = env.audit().await;
    assert!(audit.iter().any(|r| r.event == "slo_response"
        && r.result == "error"
        && r.reason == "no_answer"
        && r.app.as_deref() == Some("mail")));
    assert!(audit.iter().any(|r| r.event == "slo_response"
        && r.reason == "confirmed"
        && r.app.as_deref() == Some("wiki")));
    assert_signed_out(&env, &b, "wiki").await;
}

both_dbs!(member_logout_tells_every_sp, member_logout);
// Rule: GET /logout ends the session, tells each SP of it and shows the signed-out page in the
// member's language.
async fn member_logout(env: Env) {
    env.add_app("wiki", &[]).await;
    let b = env.browser(WXWORK_UA);
    let wiki = sign_in(&env, &b, "wiki").await;
    let page = b.get(&format!("{}/logout", env.base)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let frame = attr_of(&page.body, "id=\"slo-frame\" src=\"");
    let (doc, _, _) = read_redirect(&env, &frame, "SAMLRequest");
    assert_eq!(
        child_text(&doc, "SessionIndex").unwrap(),
        wiki.session_index
    );
    assert_signed_out(&env, &b, "wiki").await;
    let refresh = attr_of(&page.body, "http-equiv=\"refresh\" content=\"");
    let done = b.get(refresh.split_once(";url=").unwrap().1).await;
    assert_eq!(done.status, 200);
    assert!(done.body.contains("id=\"signed-out\""), "{}", done.body);
    assert!(
        done.body.contains("你已退出登录"),
        "Chinese by default: {}",
        done.body
    );
}

both_dbs!(
    logout_on_one_instance_ends_the_session_on_another,
    two_instances
);
// Rule: sessions are in the store, so a logout on instance B ends the session instance A holds.
async fn two_instances(env: Env) {
    env.add_app_with_metadata("wiki", &[], |m| m.slo.clear())
        .await;
    let b = env.browser(WXWORK_UA);
    sign_in(&env, &b, "wiki").await;
    let other = env.second_instance().await;
    let token = b.cookie(&env.base, "wecom_idp_session").unwrap();
    b.set_cookie(&other, "wecom_idp_session", &token);
    let page = b.get(&format!("{other}/logout")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"signed-out\""), "{}", page.body);
    assert_signed_out(&env, &b, "wiki").await;
}
