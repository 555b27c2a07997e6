//! SP-initiated SSO at `/saml/sso`: both bindings, signed and unsigned requests,
//! the choice of ACS, IssueInstant skew, the replay cache, RelayState, ForceAuthn, IsPassive, the
//! live session, and every refusal (an HTML page, never a POST form, and an audit row).

use crate::both_dbs;
use crate::harness::*;
use base64::Engine as _;
use openssl::hash::MessageDigest;
use std::io::Write as _;
use wecom_idp::clock::Clock;

const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
/// A RelayState with every character that tempts re-encoding: `&`, `=`, spaces, `+`, `%`, Chinese.
const RELAY: &str = "https://console.example/p?a=1&b=2 x+y%41=中文 状态";

fn sso(env: &Env) -> String {
    format!("{}/saml/sso", env.base)
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A refusal: the status, an HTML error page with `reason`, no auto-posting form, and an audit row
/// with result `refused` and the same reason.
async fn assert_refused(env: &Env, page: &Page, status: u16, reason: &str) {
    assert_eq!(page.status, status, "{reason}: {}", page.body);
    assert!(
        page.header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "{reason}: an HTML page"
    );
    assert!(page.form().is_none(), "{reason}: no form\n{}", page.body);
    assert!(
        !page.body.contains("<form") && !page.body.contains("SAMLResponse"),
        "{reason}: nothing is posted anywhere\n{}",
        page.body
    );
    assert_eq!(page.reason().as_deref(), Some(reason), "{}", page.body);
    // The newest row (rows come newest first; the refusal is written before the page is sent).
    let audit = env.audit().await;
    let row = audit
        .first()
        .unwrap_or_else(|| panic!("{reason}: no audit row"));
    assert_eq!(
        (row.event.as_str(), row.result.as_str(), row.reason.as_str()),
        ("sso_request", "refused", reason),
        "{audit:?}"
    );
    assert!(row.userid.is_none(), "nobody was logged in: {row:?}");
}

/// Sends the browser (logged in to the simulated WeCom client as `userid`) to `url`, follows the
/// WeCom flow, and returns the auto-posted Response.
async fn sp_login(env: &Env, b: &Browser, url: &str, userid: &str) -> PostedForm {
    env.wecom_client_login(b, userid).await;
    let page = b.follow(url).await;
    page.form()
        .unwrap_or_else(|| panic!("no POST form: {} {}", page.status, page.body))
}

/// The successful audit row for request `id`.
async fn assert_success_audited(env: &Env, id: &str) {
    let audit = env.audit().await;
    let row = audit
        .iter()
        .find(|r| r.request_id.as_deref() == Some(id) && r.result == "success")
        .unwrap_or_else(|| panic!("no success row for {id}: {audit:?}"));
    assert_eq!(row.event, "login");
    assert_eq!(row.reason, "sp_initiated");
}

const SCD: [&str; 4] = [
    "Assertion",
    "Subject",
    "SubjectConfirmation",
    "SubjectConfirmationData",
];

// ---- bindings and signatures ----

both_dbs!(redirect_unsigned_full_flow, redirect_unsigned);
// Defence: InResponseTo echoes the request, the ACS comes from metadata, RelayState returns unchanged.
async fn redirect_unsigned(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let req = Req::new(&env, "console");
    env.wecom_client_login(&b, "zhangsan").await;
    let first = b.get(&redirect_url(&env, &req.xml(), Some(RELAY))).await;
    assert_eq!(first.status, 302, "no session: off to WeCom");
    assert!(first
        .location
        .as_deref()
        .unwrap()
        .starts_with(&format!("{}/connect/oauth2/authorize?", env.sim_base)));
    let page = b.follow(first.location.as_deref().unwrap()).await;
    let form = page
        .form()
        .unwrap_or_else(|| panic!("{} {}", page.status, page.body));
    assert_eq!(form.action, acs_url("console"));
    assert_eq!(form.relay_state.as_deref(), Some(RELAY), "byte-for-byte");
    let (resp_signed, assertion_signed) = assert_independently_verified(&env, &form);
    assert!(resp_signed && assertion_signed);
    let s = Saml::of(&form);
    assert_eq!(s.status(), "urn:oasis:names:tc:SAML:2.0:status:Success");
    assert_eq!(
        s.root_attr("InResponseTo").as_deref(),
        Some(req.id.as_str())
    );
    assert_eq!(s.at(&SCD, "InResponseTo").as_deref(), Some(req.id.as_str()));
    assert_eq!(s.root_attr("Destination").unwrap(), acs_url("console"));
    assert_eq!(s.at(&SCD, "Recipient").unwrap(), acs_url("console"));
    assert_eq!(
        s.text_at(&["Assertion", "Conditions", "AudienceRestriction", "Audience"])
            .unwrap(),
        sp_entity("console")
    );
    assert_eq!(s.name_id(), "zhangsan");
    assert_success_audited(&env, &req.id).await;
}

both_dbs!(signed_redirect_accepted, signed_redirect);
// Defence: Redirect signatures verify over the raw query bytes (uppercase and lowercase escapes).
async fn signed_redirect(env: Env) {
    env.add_app("console", &["require_signed_requests=true"])
        .await;
    let b = env.browser(WXWORK_UA);
    let req = Req::new(&env, "console");
    let url = signed_redirect_url(&env, &req.xml(), Some(RELAY), &env.sp.key_pem);
    let form = sp_login(&env, &b, &url, "zhangsan").await;
    assert_independently_verified(&env, &form);
    assert_eq!(form.relay_state.as_deref(), Some(RELAY));
    assert_eq!(
        Saml::of(&form).root_attr("InResponseTo").as_deref(),
        Some(req.id.as_str())
    );
    // ADFS/.NET write lowercase escapes; the signature is over those bytes, not a re-encoding.
    let req2 = Req::new(&env, "console");
    let url = signed_redirect_url_with(
        &env,
        &req2.xml(),
        Some(RELAY),
        &env.sp.key_pem,
        RSA_SHA256,
        MessageDigest::sha256(),
        true,
    );
    assert!(url.contains("%2f") || url.contains("%3a"), "{url}");
    let form = b
        .follow(&url)
        .await
        .form()
        .expect("lowercase escapes verify");
    assert_eq!(form.relay_state.as_deref(), Some(RELAY));
    assert_eq!(
        Saml::of(&form).root_attr("InResponseTo").as_deref(),
        Some(req2.id.as_str())
    );
    assert_independently_verified(&env, &form);
}

both_dbs!(signed_post_accepted, signed_post);
// Defence: POST-binding requests carry an embedded XML-DSig checked with the metadata certificate.
async fn signed_post(env: Env) {
    env.add_app("console", &["require_signed_requests=true"])
        .await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let req = Req::new(&env, "console");
    let signed = xmlsec_sign_request(&req.xml(), &env.sp.key_pem, &env.sp.cert_pem);
    let first = b
        .post_form(
            &sso(&env),
            &[
                ("SAMLRequest", &b64(signed.as_bytes())),
                ("RelayState", RELAY),
            ],
        )
        .await;
    assert_eq!(first.status, 302, "{}", first.body);
    let form = b
        .follow(first.location.as_deref().unwrap())
        .await
        .form()
        .unwrap();
    assert_eq!(form.relay_state.as_deref(), Some(RELAY));
    assert_eq!(
        Saml::of(&form).root_attr("InResponseTo").as_deref(),
        Some(req.id.as_str())
    );
    assert_independently_verified(&env, &form);
    assert_success_audited(&env, &req.id).await;
}

both_dbs!(
    unsigned_refused_when_signing_required,
    unsigned_when_required
);
// Defence: signature stripping — an app that requires signing (setting or metadata) refuses unsigned.
async fn unsigned_when_required(env: Env) {
    env.add_app("byset", &["require_signed_requests=true"])
        .await;
    env.add_app_with_metadata("bymeta", &[], |m| m.authn_requests_signed = true)
        .await;
    let b = env.browser(WXWORK_UA);
    for app in ["byset", "bymeta"] {
        let req = Req::new(&env, app);
        let page = b.get(&redirect_url(&env, &req.xml(), None)).await;
        assert_refused(&env, &page, 400, "signature_required").await;
        // POST binding, unsigned
        let req = Req::new(&env, app);
        let page = b
            .post_form(&sso(&env), &[("SAMLRequest", &b64(req.xml().as_bytes()))])
            .await;
        assert_refused(&env, &page, 400, "signature_required").await;
    }
    let rows = env.audit().await;
    assert!(
        rows.iter()
            .filter(|r| r.reason == "signature_required")
            .all(|r| r.event == "sso_request" && r.app.is_some()),
        "{rows:?}"
    );
    // ...while an app that does not require it accepts the same unsigned request.
    env.add_app_with_metadata("open", &["require_signed_requests=false"], |m| {
        m.authn_requests_signed = true
    })
    .await;
    let req = Req::new(&env, "open");
    assert_eq!(
        b.get(&redirect_url(&env, &req.xml(), None)).await.status,
        302
    );
}

both_dbs!(signature_by_a_foreign_key_refused, foreign_key);
// Defence: only keys from the SP's metadata verify; a self-made key is refused on both bindings.
async fn foreign_key(env: Env) {
    env.add_app("console", &[]).await;
    let other = sp_key();
    let b = env.browser(WXWORK_UA);
    let req = Req::new(&env, "console");
    let page = b
        .get(&signed_redirect_url(&env, &req.xml(), None, &other.key_pem))
        .await;
    assert_refused(&env, &page, 400, "signature_invalid").await;
    // POST, with the foreign certificate even carried inside the message (KeyInfo must be ignored).
    let req = Req::new(&env, "console");
    let signed = xmlsec_sign_request(&req.xml(), &other.key_pem, &other.cert_pem);
    assert!(signed.contains("X509Certificate"), "{signed}");
    let page = b
        .post_form(&sso(&env), &[("SAMLRequest", &b64(signed.as_bytes()))])
        .await;
    assert_refused(&env, &page, 400, "signature_invalid").await;
}

both_dbs!(tampered_signed_request_refused, tampered);
// Defence: a signed request whose bytes changed after signing is refused (Redirect and POST).
async fn tampered(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let req = Req::new(&env, "console");
    let url = signed_redirect_url(&env, &req.xml(), Some("abc"), &env.sp.key_pem);
    let page = b
        .get(&url.replace("RelayState=abc", "RelayState=abd"))
        .await;
    assert_refused(&env, &page, 400, "signature_invalid").await;
    // The SAMLRequest swapped for another one under the same signature.
    let mut other = Req::new(&env, "console");
    other.acs_url = Some("https://sp.example/console/acs2".into());
    let q_sig = url.split("&SigAlg=").nth(1).unwrap();
    let forged = format!(
        "{}/saml/sso?SAMLRequest={}&RelayState=abc&SigAlg={q_sig}",
        env.base,
        enc(&deflate_b64(other.xml().as_bytes()))
    );
    assert_refused(&env, &b.get(&forged).await, 400, "signature_invalid").await;
    // POST: the signed XML edited (ACS URL changed).
    let req = Req::new(&env, "console");
    let signed = xmlsec_sign_request(&req.xml(), &env.sp.key_pem, &env.sp.cert_pem);
    let edited = signed.replace(&acs_url("console"), "https://sp.example/console/acs2");
    assert_ne!(edited, signed);
    let page = b
        .post_form(&sso(&env), &[("SAMLRequest", &b64(edited.as_bytes()))])
        .await;
    assert_refused(&env, &page, 400, "digest_mismatch").await;
}

both_dbs!(sha1_only_when_allowed, sha1);
// Defence: algorithm downgrade — RSA-SHA1 is refused unless the app opts in with allow_sha1=true.
async fn sha1(env: Env) {
    env.add_app("strict", &[]).await;
    env.add_app("legacy", &["allow_sha1=true"]).await;
    let b = env.browser(WXWORK_UA);
    let req = Req::new(&env, "strict");
    let url = signed_redirect_url_with(
        &env,
        &req.xml(),
        None,
        &env.sp.key_pem,
        RSA_SHA1,
        MessageDigest::sha1(),
        false,
    );
    assert_refused(&env, &b.get(&url).await, 400, "signature_sha1_refused").await;
    let req = Req::new(&env, "legacy");
    let url = signed_redirect_url_with(
        &env,
        &req.xml(),
        None,
        &env.sp.key_pem,
        RSA_SHA1,
        MessageDigest::sha1(),
        false,
    );
    let form = sp_login(&env, &b, &url, "zhangsan").await;
    assert_eq!(form.action, acs_url("legacy"));
    assert_independently_verified(&env, &form);
}

// ---- issuer, ACS, destination, time, IDs ----

both_dbs!(unknown_issuer_refused, unknown_issuer);
// Defence: only registered SPs may ask for an assertion.
async fn unknown_issuer(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let mut req = Req::new(&env, "console");
    req.issuer = "https://stranger.example/sp".into();
    let page = b.get(&redirect_url(&env, &req.xml(), None)).await;
    assert_refused(&env, &page, 403, "unknown_issuer").await;
}

both_dbs!(acs_only_from_metadata, acs_choice);
// Defence: assertion theft — the Response goes only to an ACS listed in the metadata.
async fn acs_choice(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    env.login_in_client(&b, "console", "zhangsan").await;
    // A URL that is not in the metadata.
    let mut req = Req::new(&env, "console");
    req.acs_url = Some("https://evil.example/acs".into());
    let page = b.get(&redirect_url(&env, &req.xml(), None)).await;
    assert_refused(&env, &page, 400, "acs_not_in_metadata").await;
    assert!(!page.body.contains("evil.example"), "{}", page.body);
    // A prefix/suffix of a listed URL is not listed either.
    let mut req = Req::new(&env, "console");
    req.acs_url = Some(format!("{}/../evil", acs_url("console")));
    let page = b.get(&redirect_url(&env, &req.xml(), None)).await;
    assert_refused(&env, &page, 400, "acs_not_in_metadata").await;
    // Index 1 is the second ACS.
    let mut req = Req::new(&env, "console");
    req.acs_url = None;
    req.acs_index = Some(1);
    let form = b
        .get(&redirect_url(&env, &req.xml(), None))
        .await
        .form()
        .unwrap();
    assert_eq!(form.action, "https://sp.example/console/acs2");
    assert_eq!(
        Saml::of(&form).root_attr("Destination").as_deref(),
        Some("https://sp.example/console/acs2")
    );
    assert_independently_verified(&env, &form);
    // An unknown index.
    let mut req = Req::new(&env, "console");
    req.acs_url = None;
    req.acs_index = Some(7);
    let page = b.get(&redirect_url(&env, &req.xml(), None)).await;
    assert_refused(&env, &page, 400, "acs_not_in_metadata").await;
    // Neither: the metadata default.
    let mut req = Req::new(&env, "console");
    req.acs_url = None;
    let form = b
        .get(&redirect_url(&env, &req.xml(), None))
        .await
        .form()
        .unwrap();
    assert_eq!(form.action, acs_url("console"));
}

both_dbs!(issue_instant_within_skew, skew);
// Defence: stale or post-dated requests — IssueInstant must be within ±3 minutes of now.
async fn skew(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    // Issued now, received 3 minutes later: accepted.
    let on_edge = Req::new(&env, "console");
    let stale = Req::new(&env, "console");
    env.clock.advance(time::Duration::minutes(3));
    assert_eq!(
        b.get(&redirect_url(&env, &on_edge.xml(), None))
            .await
            .status,
        302
    );
    // One second more: refused.
    env.clock.advance(time::Duration::seconds(1));
    let page = b.get(&redirect_url(&env, &stale.xml(), None)).await;
    assert_refused(&env, &page, 400, "issue_instant_skew").await;
    // From the future: 3 minutes accepted, 3 minutes and 1 second refused.
    let mut ahead = Req::new(&env, "console");
    ahead.issue_instant = env.clock.now() + time::Duration::minutes(3);
    assert_eq!(
        b.get(&redirect_url(&env, &ahead.xml(), None)).await.status,
        302
    );
    let mut ahead = Req::new(&env, "console");
    ahead.issue_instant = env.clock.now() + time::Duration::seconds(181);
    let page = b.get(&redirect_url(&env, &ahead.xml(), None)).await;
    assert_refused(&env, &page, 400, "issue_instant_skew").await;
}

both_dbs!(replayed_request_refused, replay);
// Defence: replay — a request ID is accepted once per SP, even when the first use succeeded.
async fn replay(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let req = Req::new(&env, "console");
    let url = redirect_url(&env, &req.xml(), None);
    sp_login(&env, &b, &url, "zhangsan").await;
    let page = b.get(&url).await;
    assert_refused(&env, &page, 400, "replayed_request").await;
    let row = env
        .audit()
        .await
        .into_iter()
        .find(|r| r.reason == "replayed_request")
        .unwrap();
    assert_eq!(row.request_id.as_deref(), Some(req.id.as_str()));
    assert_eq!(row.app.as_deref(), Some("console"));
    // Through the other binding, in another browser, a minute later: still a replay.
    env.clock.advance(time::Duration::minutes(1));
    let page = env
        .browser(CHROME_UA)
        .post_form(&sso(&env), &[("SAMLRequest", &b64(req.xml().as_bytes()))])
        .await;
    assert_refused(&env, &page, 400, "replayed_request").await;
}

both_dbs!(bad_request_ids_refused, bad_ids);
// Defence: the ID echoed as InResponseTo must be an xs:ID of at most 256 characters.
async fn bad_ids(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let long = format!("_{}", "a".repeat(256));
    for id in ["1abc", "a:b", "_a b", "", long.as_str()] {
        let mut req = Req::new(&env, "console");
        req.id = id.to_string();
        let page = b.get(&redirect_url(&env, &req.xml(), None)).await;
        assert_refused(&env, &page, 400, "id_invalid").await;
    }
    let mut req = Req::new(&env, "console");
    req.id = format!("_{}", "a".repeat(255));
    assert_eq!(
        b.get(&redirect_url(&env, &req.xml(), None)).await.status,
        302
    );
}

both_dbs!(destination_of_another_idp_refused, destination);
// Defence: a request meant for another IdP (or another port of ours) is refused.
async fn destination(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let mut req = Req::new(&env, "console");
    req.destination = Some("https://other-idp.example/saml/sso".into());
    let page = b.get(&redirect_url(&env, &req.xml(), None)).await;
    assert_refused(&env, &page, 400, "destination_mismatch").await;
    // Signed, so the SP meant it: still not ours.
    let mut req = Req::new(&env, "console");
    req.destination = Some(format!(
        "{}/saml/sso",
        env.base.replace("127.0.0.1", "localhost")
    ));
    let page = b
        .get(&signed_redirect_url(
            &env,
            &req.xml(),
            None,
            &env.sp.key_pem,
        ))
        .await;
    assert_refused(&env, &page, 400, "destination_mismatch").await;
    // Signed without Destination.
    let mut req = Req::new(&env, "console");
    req.destination = None;
    let page = b
        .get(&signed_redirect_url(
            &env,
            &req.xml(),
            None,
            &env.sp.key_pem,
        ))
        .await;
    assert_refused(&env, &page, 400, "destination_missing").await;
}

// ---- IsPassive, ForceAuthn, the session ----

both_dbs!(
    is_passive_without_session_answers_no_passive,
    passive_no_session
);
// Defence: IsPassive never shows a login; without a session the SP gets a signed NoPassive status.
async fn passive_no_session(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let mut req = Req::new(&env, "console");
    req.is_passive = true;
    let page = b.get(&redirect_url(&env, &req.xml(), Some(RELAY))).await;
    assert_eq!(
        page.status, 200,
        "answered at once, no WeCom: {}",
        page.body
    );
    let form = page.form().expect("a status Response");
    assert_eq!(form.action, acs_url("console"));
    assert_eq!(form.relay_state.as_deref(), Some(RELAY));
    let (resp_signed, _) = assert_independently_verified(&env, &form);
    assert!(resp_signed, "the status Response is signed");
    let s = Saml::of(&form);
    assert_eq!(
        s.status(),
        "urn:oasis:names:tc:SAML:2.0:status:Responder / urn:oasis:names:tc:SAML:2.0:status:NoPassive"
    );
    assert!(
        s.assertion().is_none(),
        "no assertion in a NoPassive Response"
    );
    assert_eq!(
        s.root_attr("InResponseTo").as_deref(),
        Some(req.id.as_str())
    );
    assert_eq!(s.root_attr("Destination").unwrap(), acs_url("console"));
    assert_eq!(env.sim.calls("auth/getuserinfo"), 0);
    assert!(env
        .audit()
        .await
        .iter()
        .any(|r| r.reason == "NoPassive" && r.request_id.as_deref() == Some(req.id.as_str())));
}

both_dbs!(is_passive_with_session_succeeds, passive_with_session);
// Defence: IsPassive with a live session is answered from the session, without WeCom.
async fn passive_with_session(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    env.login_in_client(&b, "console", "zhangsan").await;
    let calls = env.sim.calls("auth/getuserinfo");
    let mut req = Req::new(&env, "console");
    req.is_passive = true;
    let form = b
        .get(&redirect_url(&env, &req.xml(), None))
        .await
        .form()
        .unwrap();
    let s = Saml::of(&form);
    assert_eq!(s.status(), "urn:oasis:names:tc:SAML:2.0:status:Success");
    assert_eq!(s.name_id(), "zhangsan");
    assert_eq!(
        s.root_attr("InResponseTo").as_deref(),
        Some(req.id.as_str())
    );
    assert_independently_verified(&env, &form);
    assert_eq!(env.sim.calls("auth/getuserinfo"), calls);
}

both_dbs!(live_session_answers_at_once, live_session);
// Defence: single sign-on — a live IdP session answers an SP request without another WeCom login.
async fn live_session(env: Env) {
    env.add_app("console", &[]).await;
    env.add_app("other", &[]).await;
    let b = env.browser(WXWORK_UA);
    env.login_in_client(&b, "console", "zhangsan").await;
    let calls = env.sim.calls("auth/getuserinfo");
    assert_eq!(calls, 1);
    env.clock.advance(time::Duration::minutes(10));
    let req = Req::new(&env, "other");
    let page = b.get(&redirect_url(&env, &req.xml(), Some(RELAY))).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let form = page.form().unwrap();
    assert_eq!(form.action, acs_url("other"));
    assert_eq!(form.relay_state.as_deref(), Some(RELAY));
    let s = Saml::of(&form);
    assert_eq!(s.name_id(), "zhangsan");
    assert_eq!(
        s.root_attr("InResponseTo").as_deref(),
        Some(req.id.as_str())
    );
    assert_eq!(
        s.at(&["Assertion", "AuthnStatement"], "AuthnInstant")
            .unwrap(),
        crate::harness_time(T0),
        "the session's login time, not now"
    );
    assert_independently_verified(&env, &form);
    assert_eq!(env.sim.calls("auth/getuserinfo"), calls, "no WeCom login");
    assert_success_audited(&env, &req.id).await;
}

both_dbs!(force_authn_goes_back_to_wecom, force_authn);
// Defence: ForceAuthn ignores the live session: a fresh WeCom login and a new session.
async fn force_authn(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    env.login_in_client(&b, "console", "zhangsan").await;
    let old_session = b.cookie(&env.base, "wecom_idp_session").unwrap();
    let calls = env.sim.calls("auth/getuserinfo");
    env.clock.advance(time::Duration::minutes(30));
    let mut req = Req::new(&env, "console");
    req.force_authn = true;
    let first = b.get(&redirect_url(&env, &req.xml(), None)).await;
    assert_eq!(first.status, 302, "{}", first.body);
    let loc = first.location.clone().unwrap();
    assert!(loc.starts_with(&env.sim_base), "to WeCom: {loc}");
    let form = b.follow(&loc).await.form().unwrap();
    assert_eq!(env.sim.calls("auth/getuserinfo"), calls + 1);
    let new_session = b.cookie(&env.base, "wecom_idp_session").unwrap();
    assert_ne!(new_session, old_session, "a new session after the login");
    let s = Saml::of(&form);
    assert_eq!(
        s.root_attr("InResponseTo").as_deref(),
        Some(req.id.as_str())
    );
    assert_eq!(
        s.at(&["Assertion", "AuthnStatement"], "AuthnInstant")
            .unwrap(),
        crate::harness_time(env.clock.now()),
        "AuthnInstant is the fresh login"
    );
    assert_independently_verified(&env, &form);
}

// ---- decoding caps and malformed input ----

both_dbs!(relay_state_over_80_bytes_refused, relay_state_cap);
// Defence: RelayState ≤ 80 bytes (SAML Bindings §3.4.3) on both bindings.
async fn relay_state_cap(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let req = Req::new(&env, "console");
    let page = b
        .get(&redirect_url(&env, &req.xml(), Some(&"r".repeat(81))))
        .await;
    assert_refused(&env, &page, 400, "relay_state_invalid").await;
    let page = b
        .post_form(
            &sso(&env),
            &[
                ("SAMLRequest", &b64(req.xml().as_bytes())),
                ("RelayState", &"中".repeat(27)),
            ],
        )
        .await;
    assert_refused(&env, &page, 400, "relay_state_invalid").await;
    // exactly 80 bytes is fine
    let req = Req::new(&env, "console");
    let page = b
        .get(&redirect_url(&env, &req.xml(), Some(&"r".repeat(80))))
        .await;
    assert_eq!(page.status, 302);
}

both_dbs!(malformed_encodings_refused, malformed);
// Defence: undecodable requests (base64, DEFLATE, XML) end in an HTML page before any other work.
async fn malformed(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let page = b.get(&format!("{}?SAMLRequest=!!!!", sso(&env))).await;
    assert_refused(&env, &page, 400, "base64_invalid").await;
    let page = b
        .get(&format!(
            "{}?SAMLRequest={}",
            sso(&env),
            enc(&b64(b"not deflate at all"))
        ))
        .await;
    assert_refused(&env, &page, 400, "inflate_failed").await;
    let page = b.get(&sso(&env)).await;
    assert_refused(&env, &page, 400, "no_saml_request").await;
    // DOCTYPE (XXE / billion laughs)
    let xxe = "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>";
    let page = b
        .get(&format!(
            "{}?SAMLRequest={}",
            sso(&env),
            enc(&deflate_b64(xxe.as_bytes()))
        ))
        .await;
    assert_refused(&env, &page, 400, "xml_refused").await;
    // POST binding: not base64.
    let page = b.post_form(&sso(&env), &[("SAMLRequest", "%%%")]).await;
    assert_refused(&env, &page, 400, "base64_invalid").await;
}

fn deflated_zeros(n: usize) -> Vec<u8> {
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len());
        z.write_all(&chunk[..k]).unwrap();
        left -= k;
    }
    z.finish().unwrap()
}

both_dbs!(deflate_bomb_refused_quickly, deflate_bomb);
// Defence: DEFLATE bombs are stopped by the URL cap or by the streaming inflate cap, fast.
async fn deflate_bomb(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    // 20 MB of zeros: too long a URL already.
    let big = format!(
        "{}?SAMLRequest={}",
        sso(&env),
        enc(&b64(&deflated_zeros(20 << 20)))
    );
    let t = std::time::Instant::now();
    let page = b.get(&big).await;
    assert!(t.elapsed() < std::time::Duration::from_secs(2));
    assert_refused(&env, &page, 414, "uri_too_long").await;
    // 8 MB of zeros fits in the URL; the inflate cap stops it.
    let bomb = deflated_zeros(8 << 20);
    let url = format!("{}?SAMLRequest={}", sso(&env), enc(&b64(&bomb)));
    assert!(url.len() < 16 * 1024, "{}", url.len());
    let t = std::time::Instant::now();
    let page = b.get(&url).await;
    assert!(
        t.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        t.elapsed()
    );
    assert_refused(&env, &page, 400, "inflated_too_large").await;
}

both_dbs!(over_long_url_refused_with_414, long_url);
// Defence: oversized input is refused before decoding (URI cap 16 KiB).
async fn long_url(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let url = format!("{}?SAMLRequest={}", sso(&env), "A".repeat(17 * 1024));
    let page = b.get(&url).await;
    assert_eq!(page.status, 414, "{}", page.body);
    assert_refused(&env, &page, 414, "uri_too_long").await;
}

both_dbs!(post_without_saml_request_is_400, post_without_request);
// Defence: a POST that is not a SAML request gets an error page, not a crash or a form.
async fn post_without_request(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let page = b.post_form(&sso(&env), &[("RelayState", "x")]).await;
    assert_refused(&env, &page, 400, "no_saml_request").await;
}

// ---- wrapping, bindings, escaping, IdP-wide signing ----

both_dbs!(signature_wrapping_refused, wrapping);
// Defence: XSW — the signature must cover the root: a signed request moved inside a forged one fails.
async fn wrapping(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let req = Req::new(&env, "console");
    let signed = xmlsec_sign_request(&req.xml(), &env.sp.key_pem, &env.sp.cert_pem);
    let body_start = signed.find("<samlp:AuthnRequest").unwrap();
    let original = &signed[body_start..];
    // XSW: a forged root (own ID, evil ACS) whose child is the signed original.
    let mut evil = Req::new(&env, "console");
    evil.acs_url = Some("https://evil.example/acs".into());
    let evil_xml = evil.xml();
    let issuer_end = evil_xml.find("</saml:Issuer>").unwrap() + "</saml:Issuer>".len();
    let sig_start = original.find("<ds:Signature").unwrap();
    let sig_end = original.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let wrapped = format!(
        "{}{}<samlp:Extensions>{}</samlp:Extensions>{}",
        &evil_xml[..issuer_end],
        &original[sig_start..sig_end],
        original,
        &evil_xml[issuer_end..]
    );
    let page = b
        .post_form(&sso(&env), &[("SAMLRequest", &b64(wrapped.as_bytes()))])
        .await;
    assert!(page.form().is_none(), "{}", page.body);
    assert_eq!(page.status, 400, "{}", page.body);
    let reason = page.reason().unwrap();
    assert_refused(&env, &page, 400, &reason).await;
    assert!(
        reason.starts_with("signature") || reason.contains("id") || reason.contains("digest"),
        "{reason}"
    );
    // The same ID twice (the forged root claims the signed ID): refused too.
    let dup = wrapped.replacen(
        &format!("ID=\"{}\"", evil.id),
        &format!("ID=\"{}\"", req.id),
        1,
    );
    let page = b
        .post_form(&sso(&env), &[("SAMLRequest", &b64(dup.as_bytes()))])
        .await;
    let reason = page.reason().unwrap_or_default();
    assert_refused(&env, &page, 400, &reason).await;
    assert!(env.audit().await.iter().all(|r| r.result == "refused"));
}

both_dbs!(only_http_post_acs_binding, acs_binding);
// Defence: the Response is only ever POSTed to an HTTP-POST ACS; other bindings are refused.
async fn acs_binding(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    for binding in [
        REDIRECT,
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact",
    ] {
        let req = Req::new(&env, "console");
        let xml = req.xml().replace(POST, binding);
        let page = b.get(&redirect_url(&env, &xml, None)).await;
        assert_refused(&env, &page, 400, "acs_not_in_metadata").await;
    }
}

both_dbs!(relay_state_is_escaped_in_the_form, relay_state_escaped);
// Defence: RelayState injection — it is HTML-escaped in the form and comes back unchanged.
async fn relay_state_escaped(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    env.login_in_client(&b, "console", "zhangsan").await;
    let evil = "\"><script>alert(1)</script><input name=\"x";
    let req = Req::new(&env, "console");
    let page = b.get(&redirect_url(&env, &req.xml(), Some(evil))).await;
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    let form = page.form().unwrap();
    assert_eq!(form.relay_state.as_deref(), Some(evil));
}

/// `WECOM_IDP_SAML__WANT_AUTHN_REQUESTS_SIGNED=true` on SQLite and (when configured) PostgreSQL.
async fn env_wanting_signed(db: Db) -> Option<Env> {
    let dir = tempfile::tempdir().unwrap();
    let url = match db {
        Db::Sqlite => format!("sqlite://{}", dir.path().join("idp.sqlite").display()),
        Db::Postgres => Env::postgres_url().await?,
    };
    Some(Env::start_with(db, url, dir, |c| c.saml.want_authn_requests_signed = true).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idp_wide_want_authn_requests_signed_sqlite() {
    idp_wants_signed(env_wanting_signed(Db::Sqlite).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idp_wide_want_authn_requests_signed_postgres() {
    if let Some(env) = env_wanting_signed(Db::Postgres).await {
        idp_wants_signed(env).await;
    }
}

// Defence: signature stripping — WantAuthnRequestsSigned on the IdP applies to apps left at "metadata".
async fn idp_wants_signed(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let req = Req::new(&env, "console");
    let page = b.get(&redirect_url(&env, &req.xml(), None)).await;
    assert_refused(&env, &page, 400, "signature_required").await;
    let req = Req::new(&env, "console");
    let url = signed_redirect_url(&env, &req.xml(), None, &env.sp.key_pem);
    assert_eq!(b.get(&url).await.status, 302);
    // Per-app metadata: an app that never requires signatures says so, the IdP-wide one does not.
    env.add_app("unsigned", &["require_signed_requests=false"])
        .await;
    let idp = b.get(&format!("{}/saml/metadata", env.base)).await;
    assert!(idp.body.contains(r#"WantAuthnRequestsSigned="true""#));
    let app = b.get(&format!("{}/apps/console/metadata", env.base)).await;
    assert_eq!(app.body, idp.body);
    let app = b.get(&format!("{}/apps/unsigned/metadata", env.base)).await;
    assert!(app.body.contains(r#"WantAuthnRequestsSigned="false""#));
}

both_dbs!(oversized_post_body_is_413, oversized_post_body);
// Defence: the body cap (DefaultBodyLimit) answers 413 before any decoding, with an audit row.
async fn oversized_post_body(env: Env) {
    let b = env.browser(CHROME_UA);
    let big = "A".repeat(300 * 1024);
    let page = b
        .post_form(&format!("{}/saml/sso", env.base), &[("SAMLRequest", &big)])
        .await;
    assert_eq!(page.status, 413);
    assert_eq!(page.reason().as_deref(), Some("request_too_large"));
    assert!(!page.body.contains("SAMLResponse"));
    let audit = env.audit().await;
    assert_eq!(audit[0].reason, "request_too_large");
}
