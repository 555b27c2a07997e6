//! Back-channel Single Logout of a leaver: a test SP endpoint (a real HTTP server here) checks our
//! SOAP LogoutRequest with our own verifier and answers as each app is set to — a LogoutResponse
//! signed with the SP's key, PartialLogout, unsigned, the wrong InResponseTo, a foreign signature,
//! a SOAP fault, no answer in time — and the `member_left` audit row keeps each app's word, while
//! the cut-off (sessions ended before any call, the account disabled) is never undone.

use crate::harness::*;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wecom_idp::clock::Clock;
use wecom_idp::config::{Config, LeaverAccount};
use wecom_idp::saml::logout::{
    logout_response_element, LogoutResponseInput, LogoutStatus, REASON_ADMIN,
};
use wecom_idp::saml::sign::{generate_key_and_cert, SigningKey};
use wecom_idp::saml::soap;
use wecom_idp::saml::sp_metadata::SloEndpoint;
use wecom_idp::saml::uris::ns;
use wecom_idp::saml::verify::{verify_enveloped, SignatureStatus};
use wecom_idp::store::Store;
use wecom_idp::wecom::event_crypto::{AesKey, CallbackToken};

const TOKEN: &str = "evToken2026";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const SOAP_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP";

macro_rules! both {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$body($crate::harness::Db::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if std::env::var("WECOM_IDP_TEST_POSTGRES_URL").is_ok() {
                    super::$body($crate::harness::Db::Postgres).await;
                }
            }
        }
    };
}

/// What the test SP saw of one LogoutRequest.
#[derive(Debug, Clone)]
struct Seen {
    app: String,
    name_id: String,
    name_id_format: Option<String>,
    sp_name_qualifier: Option<String>,
    session_indexes: Vec<String>,
    sessions_left: usize,
    /// Every member's sessions left when the call came (`lisi` and `zhangsan`).
    all_sessions_left: usize,
}

#[derive(Clone)]
struct Sp {
    idp_cert: openssl::x509::X509,
    sp_key: SigningKey,
    foreign_key: SigningKey,
    store: Store,
    now: time::OffsetDateTime,
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    problems: Arc<Mutex<Vec<String>>>,
    /// Requests to the `serial` app being answered now.
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
}

/// Checks our request the way an SP must, then answers as `app` is set to.
async fn endpoint(
    State(sp): State<Sp>,
    Path(app): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    let problem = |p: String| sp.problems.lock().unwrap().push(format!("{app}: {p}"));
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("text/xml; charset=utf-8")
    {
        problem(format!("content-type {:?}", headers.get("content-type")));
    }
    if headers.get("soapaction").and_then(|v| v.to_str().ok())
        != Some("\"http://www.oasis-open.org/committees/security\"")
    {
        problem("SOAPAction".into());
    }
    let opened = match soap::open(&body) {
        Ok(o) => o,
        Err(e) => {
            problem(format!("not SOAP: {e}"));
            return StatusCode::BAD_REQUEST.into_response();
        }
    };
    let (doc, m) = (&opened.doc, opened.message);
    let el = doc.element(m);
    if !el.is(ns::SAMLP, "LogoutRequest") {
        problem("not a LogoutRequest".into());
    }
    let verified = verify_enveloped(doc, m, std::slice::from_ref(&sp.idp_cert), false);
    if !matches!(verified, Ok(SignatureStatus::Verified { .. })) {
        problem(format!("signature {verified:?}"));
    }
    if el.attr("Reason") != Some(REASON_ADMIN) {
        problem("Reason".into());
    }
    if el.attr("Destination") != Some(format!("{}/{app}", sp.base).as_str()) {
        problem("Destination".into());
    }
    if el.attr("NotOnOrAfter").is_none() {
        problem("NotOnOrAfter".into());
    }
    let id = el.attr("ID").unwrap_or_default().to_string();
    let n = doc.find_child(m, ns::SAML, "NameID").unwrap();
    let session_indexes = doc
        .find_children(m, ns::SAMLP, "SessionIndex")
        .map(|i| doc.text(i))
        .collect();
    let sessions_left = sp.store.services_of_member("zhangsan").await.unwrap().len();
    let all_sessions_left =
        sessions_left + sp.store.services_of_member("lisi").await.unwrap().len();
    sp.seen.lock().unwrap().push(Seen {
        app: app.clone(),
        name_id: doc.text(n),
        name_id_format: doc.element(n).attr("Format").map(str::to_string),
        sp_name_qualifier: doc.element(n).attr("SPNameQualifier").map(str::to_string),
        session_indexes,
        sessions_left,
        all_sessions_left,
    });
    let answer = |in_response_to: &str, status, key: Option<&SigningKey>| {
        let input = LogoutResponseInput {
            id: "_spanswer1",
            issue_instant: sp.now,
            issuer: &sp_entity(&app),
            destination: "",
            in_response_to,
            status,
        };
        let xml = soap::envelope(&logout_response_element(&input, key).unwrap()).unwrap();
        (StatusCode::OK, [("content-type", "text/xml")], xml).into_response()
    };
    match app.as_str() {
        "good" => answer(&id, LogoutStatus::Success, Some(&sp.sp_key)),
        "partly" => answer(&id, LogoutStatus::PartialLogout, Some(&sp.sp_key)),
        "unsigned" => answer(&id, LogoutStatus::Success, None),
        "wrongid" => answer("_not_ours", LogoutStatus::Success, Some(&sp.sp_key)),
        "foreign" => answer(&id, LogoutStatus::Success, Some(&sp.foreign_key)),
        // Like Shibboleth's storage-backed session index: a second request for the same
        // principal while the first updates it fails (Shibboleth says Responder).
        "serial" => {
            use std::sync::atomic::Ordering;
            let before = sp.in_flight.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(150)).await;
            sp.in_flight.fetch_sub(1, Ordering::SeqCst);
            if before == 0 {
                answer(&id, LogoutStatus::Success, Some(&sp.sp_key))
            } else {
                fault()
            }
        }
        // Slow enough that a second leaver's cut-off would wait behind it, were it not first.
        "slow" => {
            tokio::time::sleep(Duration::from_millis(500)).await;
            answer(&id, LogoutStatus::Success, Some(&sp.sp_key))
        }
        "fault" => fault(),
        _ => {
            tokio::time::sleep(Duration::from_secs(4)).await;
            answer(&id, LogoutStatus::Success, Some(&sp.sp_key))
        }
    }
}

/// A SOAP fault, as an SP that could not log the session out answers.
fn fault() -> axum::response::Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [("content-type", "text/xml")],
        "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\">\
         <SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Server</faultcode>\
         <faultstring>no session</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>",
    )
        .into_response()
}

async fn start_sp(env: &Env) -> Sp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/slo", listener.local_addr().unwrap());
    let now = env.clock.now();
    let (fk, fc) = generate_key_and_cert("foreign", now, &[9]).unwrap();
    let sp = Sp {
        idp_cert: openssl::x509::X509::from_pem(env.idp_cert_pem().as_bytes()).unwrap(),
        sp_key: SigningKey::from_pem(env.sp.key_pem.as_bytes(), env.sp.cert_pem.as_bytes())
            .unwrap(),
        foreign_key: SigningKey::from_pem(fk.as_bytes(), fc.as_bytes()).unwrap(),
        store: env.state.store.clone(),
        now,
        base,
        seen: Arc::default(),
        problems: Arc::default(),
        in_flight: Arc::default(),
    };
    let router = axum::Router::new()
        .route("/slo/{app}", axum::routing::post(endpoint))
        .with_state(sp.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    sp
}

async fn start(db: Db) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let url = match db {
        Db::Sqlite => format!("sqlite://{}", dir.path().join("idp.sqlite").display()),
        Db::Postgres => Env::postgres_url().await.unwrap(),
    };
    let env = Env::start_with(db, url, dir, |c: &mut Config| {
        c.wecom.callback_token = TOKEN.into();
        c.wecom.callback_aes_key = AES_KEY.into();
        c.lifecycle.leaver_account = LeaverAccount::Disable;
        c.saml.soap_logout_timeout_secs = 1;
    })
    .await;
    env.sim.set_event_target(
        format!("{}/wecom/events", env.base),
        CallbackToken::parse(TOKEN).unwrap(),
        AesKey::parse(AES_KEY).unwrap(),
    );
    env
}

/// Whether the browser's IdP session still serves `app` without going back to WeCom.
async fn has_session(env: &Env, b: &Browser, app: &str) -> bool {
    let page = b.get(&format!("{}/apps/{app}/start", env.base)).await;
    match page.status {
        200 => true,
        302 => {
            assert!(page.location.unwrap().starts_with(&env.sim_base));
            false
        }
        s => panic!("unexpected {s}: {}", page.body),
    }
}

const APPS: [&str; 8] = [
    "good", "partly", "unsigned", "wrongid", "foreign", "fault", "silent", "nosoap",
];

both!(a_leavers_apps_are_told_on_the_back_channel, leaver);
// Rule: a leaver's sessions end before any SP is called; each SAML app of those sessions with a
// SOAP SingleLogoutService gets a signed LogoutRequest (NameID and SessionIndex as it received
// them, Reason admin) and its answer is checked (signature with its metadata key only,
// InResponseTo, Status); every outcome, refusals included, is the app's word in the member_left
// row, and none undoes the cut-off.
async fn leaver(db: Db) {
    let env = start(db).await;
    let sp = start_sp(&env).await;
    for app in APPS {
        if app == "nosoap" {
            env.add_app(app, &[]).await;
        } else {
            add_soap_app(&env, &sp, app).await;
        }
    }
    let b = env.browser(WXWORK_UA);
    let mut sent = Vec::new();
    for app in APPS {
        let form = env.login_in_client(&b, app, "zhangsan").await;
        let s = Saml::of(&form);
        let index = s
            .at(&["Assertion", "AuthnStatement"], "SessionIndex")
            .unwrap();
        let format = s.at(&["Assertion", "Subject", "NameID"], "Format");
        let spnq = s.at(&["Assertion", "Subject", "NameID"], "SPNameQualifier");
        sent.push((app, s.name_id(), index, format, spnq));
    }
    assert!(has_session(&env, &b, "good").await);

    let answer = env.sim.member_leaves("zhangsan").await.unwrap();
    assert_eq!((answer.status, answer.answer.as_str()), (200, "success"));

    // The row is written once every call ended (the slow SP's after the timeout).
    let mut row = None;
    for _ in 0..100 {
        row = env
            .audit()
            .await
            .into_iter()
            .find(|r| r.event == "member_left");
        if row.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let row = row.expect("a member_left row");
    let detail: serde_json::Value = serde_json::from_str(row.detail.as_deref().unwrap()).unwrap();
    let slo = &detail["slo"];
    let word = |app: &str| slo[app].as_str().unwrap_or("").to_string();
    assert_eq!(word("good"), "confirmed", "{detail}");
    assert_eq!(word("partly"), "partial", "{detail}");
    assert_eq!(word("unsigned"), "sent", "{detail}");
    assert_eq!(word("wrongid"), "failed (wrong_in_response_to)", "{detail}");
    assert_eq!(word("foreign"), "failed (bad_signature)", "{detail}");
    assert_eq!(word("fault"), "failed (soap_fault)", "{detail}");
    assert_eq!(word("silent"), "failed (timeout)", "{detail}");
    assert_eq!(word("nosoap"), "no_soap_endpoint", "{detail}");

    let problems = sp.problems.lock().unwrap().clone();
    assert!(problems.is_empty(), "{problems:?}");
    let seen = sp.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), APPS.len() - 1, "{seen:?}");
    for (app, name_id, index, format, spnq) in &sent {
        if *app == "nosoap" {
            continue;
        }
        let s = seen.iter().find(|s| s.app == *app).unwrap();
        assert_eq!(
            (&s.name_id, &s.session_indexes),
            (name_id, &vec![index.clone()]),
            "{app}"
        );
        assert_eq!(
            (&s.name_id_format, &s.sp_name_qualifier),
            (format, spnq),
            "{app}"
        );
        assert_eq!(
            s.sessions_left, 0,
            "{app}: the sessions ended before the call"
        );
    }

    // The cut-off stands whatever the SPs answered.
    for app in APPS {
        assert!(!has_session(&env, &b, app).await, "{app}");
    }
    assert!(env
        .state
        .store
        .services_of_member("zhangsan")
        .await
        .unwrap()
        .is_empty());
}

/// Adds `app` with its SOAP SingleLogoutService at the test SP.
async fn add_soap_app(env: &Env, sp: &Sp, app: &str) {
    env.add_app_with_metadata(app, &[], |m| {
        m.slo = vec![SloEndpoint {
            binding: SOAP_BINDING.into(),
            location: format!("{}/{app}", sp.base),
            response_location: None,
        }];
    })
    .await;
}

both!(
    a_leaver_found_by_the_sync_is_logged_out_on_the_back_channel,
    reconciliation
);
// Rule: a leaver whose event never came, cut off by `wecom-idp directory sync`, has their apps told
// on the back channel too (the CLI signs with the stored key), recorded in the same row.
async fn reconciliation(db: Db) {
    let env = start(db).await;
    let sp = start_sp(&env).await;
    add_soap_app(&env, &sp, "good").await;
    let b = env.browser(WXWORK_UA);
    let form = env.login_in_client(&b, "good", "zhangsan").await;
    let name_id = Saml::of(&form).name_id();
    let vars = shell(&env);
    let (ok, out) = run_shell(&vars, &["directory", "sync"]).await;
    assert!(ok, "{out}");
    assert!(
        sp.seen.lock().unwrap().is_empty(),
        "zhangsan is still active"
    );
    env.sim.remove_member("zhangsan");
    let (ok, out) = run_shell(&vars, &["directory", "sync"]).await;
    assert!(
        ok && out.contains("lifecycle: 1 member(s) cut off"),
        "{out}"
    );
    assert!(!has_session(&env, &b, "good").await);
    let row = env
        .audit()
        .await
        .into_iter()
        .find(|r| r.event == "member_left" && r.userid.as_deref() == Some("zhangsan"))
        .expect("a member_left row");
    let detail: serde_json::Value = serde_json::from_str(row.detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail["trigger"], "reconciliation", "{detail}");
    assert_eq!(detail["slo"]["good"], "confirmed", "{detail}");
    let problems = sp.problems.lock().unwrap().clone();
    assert!(problems.is_empty(), "{problems:?}");
    let seen = sp.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].name_id, name_id);
}

both!(
    one_request_per_name_id_names_every_session,
    one_request_per_name_id
);
// Rule: an SP finds a LogoutRequest's sessions by NameID; a member signed in three times gets one
// LogoutRequest per NameID carrying every SessionIndex (SAML Core §3.7.1), so one answer covers
// them all (Shibboleth answers Responder to a request whose only index it no longer has), and
// requests to one app never overlap.
async fn one_request_per_name_id(db: Db) {
    let env = start(db).await;
    let sp = start_sp(&env).await;
    add_soap_app(&env, &sp, "serial").await;
    let mut indexes = Vec::new();
    for _ in 0..3 {
        let b = env.browser(WXWORK_UA);
        let form = env.login_in_client(&b, "serial", "zhangsan").await;
        indexes.push(
            Saml::of(&form)
                .at(&["Assertion", "AuthnStatement"], "SessionIndex")
                .unwrap(),
        );
    }
    assert_eq!(
        env.state
            .store
            .services_of_member("zhangsan")
            .await
            .unwrap()
            .len(),
        3
    );
    let answer = env.sim.member_leaves("zhangsan").await.unwrap();
    assert_eq!(answer.status, 200);
    let row = member_left_row(&env, "zhangsan").await;
    let detail: serde_json::Value = serde_json::from_str(row.detail.as_deref().unwrap()).unwrap();
    assert_eq!(detail["slo"]["serial"], "confirmed", "{detail}");
    let seen = sp.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let mut got = seen[0].session_indexes.clone();
    got.sort();
    indexes.sort();
    assert_eq!(got, indexes);
}

both!(
    every_leaver_is_cut_off_before_any_app_is_called,
    leavers_first
);
// Rule: a reconciliation that finds several leavers ends every leaver's sessions before it calls
// any app, so one slow SP does not keep the next leaver signed in.
async fn leavers_first(db: Db) {
    let env = start(db).await;
    let sp = start_sp(&env).await;
    add_soap_app(&env, &sp, "slow").await;
    for who in ["lisi", "zhangsan"] {
        let b = env.browser(WXWORK_UA);
        env.login_in_client(&b, "slow", who).await;
    }
    let vars = shell(&env);
    let (ok, out) = run_shell(&vars, &["directory", "sync"]).await;
    assert!(ok, "{out}");
    env.sim.remove_member("lisi");
    env.sim.remove_member("zhangsan");
    let (ok, out) = run_shell(&vars, &["directory", "sync"]).await;
    assert!(
        ok && out.contains("lifecycle: 2 member(s) cut off"),
        "{out}"
    );
    let seen = sp.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for s in &seen {
        assert_eq!(s.all_sessions_left, 0, "a leaver still had sessions: {s:?}");
    }
    for who in ["lisi", "zhangsan"] {
        let row = member_left_row(&env, who).await;
        let detail: serde_json::Value =
            serde_json::from_str(row.detail.as_deref().unwrap()).unwrap();
        assert_eq!(detail["slo"]["slow"], "confirmed", "{detail}");
    }
}

/// The `member_left` row of `who`, once written (after every back-channel call ended).
async fn member_left_row(env: &Env, who: &str) -> wecom_idp::store::AuditRow {
    for _ in 0..100 {
        let row = env
            .audit()
            .await
            .into_iter()
            .find(|r| r.event == "member_left" && r.userid.as_deref() == Some(who));
        if let Some(row) = row {
            return row;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no member_left row for {who}");
}
