//! Demo-only routes (present only under `wecom-idp demo`): a start page that looks like a WeCom
//! workbench, where one picks a member and any registered app (the built-in ones and those added in
//! the console) and watches the real flow; the demo SPs, which start SP-initiated logins and, at their
//! ACS, verify the signatures and show the assertion; and a sample SP's metadata on loopback, to try
//! the console's import by URL. Picking another member ends the current member's IdP session first,
//! as switching accounts in the WeCom client would.

use super::flow::{self, redirect};
use super::{cookies, AppState};
use crate::http::error::{t, Lang, WebError};
use crate::saml::dom;
use crate::saml::uris::{binding, ns};
use crate::saml::verify::{verify_enveloped, SignatureStatus};
use crate::saml::xml::Writer;
use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use serde::Deserialize;
use std::io::Write as _;

/// What the demo pages need to know.
#[derive(Debug, Clone)]
pub struct Demo {
    /// The simulator's base URL.
    pub sim_base: String,
    /// Members shown on the workbench: (userid, name, status).
    pub members: Vec<(String, String, i64)>,
    /// The built-in demo SP app names.
    pub apps: Vec<String>,
    /// The simulator itself, to make a member leave ("this member leaves": it sends `delete_user`
    /// to the IdP's event callback).
    pub simulator: Option<crate::wecom::simulator::Simulator>,
}

/// The name under which the sample SP (whose metadata `/demo/sample-sp/metadata` serves) behaves as
/// a demo SP: import it in the console with this name to try SP-initiated logins too.
pub const SAMPLE_SP: &str = "sample-sp";

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { redirect("/demo") }))
        .route("/demo", get(workbench))
        .route("/demo/open", get(open))
        .route("/demo/logout", get(logout))
        .route("/demo/sp/{app}/login", get(sp_login))
        .route("/demo/sp/{app}/acs", post(sp_acs))
        .route("/demo/sample-sp/metadata", get(sample_metadata))
        .merge(super::demo_leave::router())
}

/// The demo SP entity ID for an app name.
pub fn sp_entity_id(base: &str, app: &str) -> String {
    format!("{base}/demo/sp/{app}")
}

/// The demo SP ACS for an app name.
pub fn sp_acs_url(base: &str, app: &str) -> String {
    format!("{base}/demo/sp/{app}/acs")
}

pub(super) fn demo(state: &AppState) -> Result<&Demo, WebError> {
    state.demo.as_deref().ok_or_else(|| {
        WebError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            t("Page not found", "页面不存在"),
            t("The demo is not running.", "演示模式未启用。"),
        )
    })
}

/// An app as the workbench shows it.
struct AppColumn {
    name: String,
    /// Its SP is one of the demo's own (entity ID under `/demo/sp/`): it can start SP-initiated.
    demo_sp: bool,
}

/// Every registered app, in name order, marking the demo's own SPs.
async fn app_columns(state: &AppState) -> Result<Vec<AppColumn>, WebError> {
    let base = state.config.base();
    let mut apps: Vec<AppColumn> = state
        .store
        .apps()
        .await?
        .into_iter()
        .map(|a| AppColumn {
            demo_sp: a.entity_id == sp_entity_id(&base, &a.name),
            name: a.name,
        })
        .collect();
    apps.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(apps)
}

/// The registered app `name`, if any; refuses with the demo's page otherwise.
async fn app_column(state: &AppState, name: &str, sp: bool) -> Result<AppColumn, WebError> {
    app_columns(state)
        .await?
        .into_iter()
        .find(|a| a.name == name && (a.demo_sp || !sp))
        .ok_or_else(|| {
            WebError::bad_request(
                "unknown_app",
                t("Unknown app", "应用不存在"),
                t(
                    "Pick an app from the demo page (SP-initiated works only with the demo's own SPs).",
                    "请在演示页选择应用（SP 发起的登录仅适用于演示自带的应用）。",
                ),
            )
        })
}

struct MemberRow {
    userid: String,
    name: String,
    status: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "demo.html")]
struct Workbench<'a> {
    lang: &'a str,
    members: Vec<MemberRow>,
    apps: Vec<AppColumn>,
    base: String,
    sample_sp: &'a str,
    signed_in: Option<String>,
    /// What the last "this member leaves" did.
    left: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct WorkbenchQuery {
    left: Option<String>,
}

async fn workbench(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<WorkbenchQuery>,
) -> Result<Response, WebError> {
    let d = demo(&state)?;
    let live = flow::current_session(&state, &headers).await?;
    let members = d
        .members
        .iter()
        .map(|(u, n, s)| MemberRow {
            userid: u.clone(),
            name: n.clone(),
            status: match s {
                1 => "active 已激活",
                2 => "disabled 已禁用",
                4 => "not activated 未激活",
                5 => "has left 已离职",
                _ => "?",
            }
            .into(),
            active: *s == 1,
        })
        .collect();
    let html = Workbench {
        lang: Lang::from_headers(&headers).code(),
        members,
        apps: app_columns(&state).await?,
        base: state.config.base(),
        sample_sp: SAMPLE_SP,
        signed_in: live.map(|l| format!("{} ({})", l.profile.name, l.profile.userid)),
        left: q.left,
    }
    .render()
    .map_err(|e| WebError::internal("demo page", &e))?;
    Ok(html_response(html))
}

fn html_response(html: String) -> Response {
    let mut r = html.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

#[derive(Debug, Deserialize)]
struct OpenQuery {
    /// Member to "be" in the WeCom client; absent for a QR login from a plain browser.
    userid: Option<String>,
    app: String,
    /// `idp` (mount address) or `sp` (the demo SP's own login link).
    init: String,
}

/// Sets up the browser as "inside the WeCom client as member X" (or as a plain browser) and opens
/// the chosen entry point.
async fn open(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<OpenQuery>,
) -> Result<Response, WebError> {
    let d = demo(&state)?;
    app_column(&state, &q.app, q.init == "sp").await?;
    // Another member picked while one has an IdP session: end it, or the IdP would answer with the
    // first member's session and the demo would silently show the wrong person.
    let mut end_session = None;
    if let (Some(u), Some(live)) = (&q.userid, flow::current_session(&state, &headers).await?) {
        if live.profile.userid != *u {
            end_session = end_idp_session(&state, &headers).await?;
        }
    }
    let base = state.config.base();
    let target = match q.init.as_str() {
        "sp" => format!("{base}/demo/sp/{}/login", q.app),
        _ => state.config.mount_url(&q.app),
    };
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let (url, client_cookie) = match &q.userid {
        Some(u) => (
            format!(
                "{}/sim/as?userid={}&next={}",
                d.sim_base,
                enc(u),
                enc(&target)
            ),
            cookies::set(cookies::DEMO_CLIENT, "wxwork", 3600, false),
        ),
        None => (
            format!("{}/sim/logout?next={}", d.sim_base, enc(&target)),
            cookies::clear(cookies::DEMO_CLIENT, false),
        ),
    };
    let mut r = redirect(&url)?;
    for c in [client_cookie, end_session].into_iter().flatten() {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(r)
}

/// Deletes the browser's IdP session; returns the cookie that clears it.
async fn end_idp_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<HeaderValue>, WebError> {
    let secure = state.config.secure_cookies();
    let name = cookies::name(cookies::SESSION, secure);
    if let Some(token) = cookies::get(headers, &name) {
        state
            .store
            .delete_session(&crate::crypto::sha256_hex(token.as_bytes()))
            .await?;
    }
    Ok(cookies::clear(&name, secure))
}

/// Ends the IdP session so the next click goes through WeCom again.
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    demo(&state)?;
    let clear = end_idp_session(&state, &headers).await?;
    let mut r = redirect("/demo")?;
    if let Some(c) = clear {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(r)
}

/// A sample SP's metadata (entity ID and ACS of the demo SP named [`SAMPLE_SP`]), for trying the
/// console's "import by URL": the demo allows loopback metadata URLs, as it runs on loopback only.
async fn sample_metadata(State(state): State<AppState>) -> Result<Response, WebError> {
    demo(&state)?;
    let base = state.config.base();
    let mut w = Writer::new();
    w.start("md", "EntityDescriptor", ns::MD)
        .attr("entityID", &sp_entity_id(&base, SAMPLE_SP))
        .start("md", "SPSSODescriptor", ns::MD)
        .attr("AuthnRequestsSigned", "false")
        .attr("WantAssertionsSigned", "true")
        .attr("protocolSupportEnumeration", ns::SAMLP)
        .start("md", "AssertionConsumerService", ns::MD)
        .attr("Binding", binding::HTTP_POST)
        .attr("Location", &sp_acs_url(&base, SAMPLE_SP))
        .attr("index", "0")
        .attr("isDefault", "true")
        .end()
        .end()
        .end();
    let xml = w
        .finish()
        .map_err(|e| WebError::internal("sample SP metadata", &e))?
        .into_bytes();
    let mut r = xml.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/samlmetadata+xml"),
    );
    Ok(r)
}

/// The demo SP's own login link: an AuthnRequest over the HTTP-Redirect binding.
async fn sp_login(
    State(state): State<AppState>,
    Path(app): Path<String>,
) -> Result<Response, WebError> {
    demo(&state)?;
    app_column(&state, &app, true).await?;
    let base = state.config.base();
    let xml = authn_request(
        &state.rng.saml_id(),
        state.clock.now(),
        &state.config.sso_url(),
        &sp_entity_id(&base, &app),
        &sp_acs_url(&base, &app),
    )
    .map_err(|e| WebError::internal("demo AuthnRequest", &e))?;
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&xml)
        .map_err(|e| WebError::internal("deflate", &e))?;
    let deflated = z.finish().map_err(|e| WebError::internal("deflate", &e))?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(deflated);
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    redirect(&format!(
        "{}?SAMLRequest={}&RelayState={}",
        state.config.sso_url(),
        enc(&b64),
        enc("demo-sp-initiated")
    ))
}

/// An unsigned AuthnRequest as a simple SP sends it.
pub fn authn_request(
    id: &str,
    now: time::OffsetDateTime,
    destination: &str,
    issuer: &str,
    acs: &str,
) -> Result<Vec<u8>, crate::saml::sign::SignError> {
    let instant = crate::saml::response::saml_instant(now)?;
    let mut w = Writer::new();
    w.start("samlp", "AuthnRequest", ns::SAMLP)
        .attr("AssertionConsumerServiceURL", acs)
        .attr("Destination", destination)
        .attr("ID", id)
        .attr("IssueInstant", &instant)
        .attr("ProtocolBinding", binding::HTTP_POST)
        .attr("Version", "2.0")
        .leaf("saml", "Issuer", ns::SAML, issuer)
        .end();
    Ok(w.finish()?.into_bytes())
}

#[derive(Debug, Deserialize)]
struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: String,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

#[derive(Template)]
#[template(path = "demo_sp.html")]
struct SpResult<'a> {
    lang: &'a str,
    app: &'a str,
    response_signature: String,
    assertion_signature: String,
    status: String,
    name_id: String,
    name_id_format: String,
    in_response_to: String,
    audience: String,
    recipient: String,
    not_on_or_after: String,
    attributes: Vec<(String, Vec<String>)>,
    relay_state: String,
    xml: String,
}

/// The demo SP's ACS: verifies the signatures with the IdP certificate and shows what it received.
async fn sp_acs(
    State(state): State<AppState>,
    Path(app): Path<String>,
    headers: HeaderMap,
    form: Result<Form<AcsForm>, FormRejection>,
) -> Result<Response, WebError> {
    demo(&state)?;
    let lang = Lang::from_headers(&headers);
    let Form(form) = form.map_err(|e| {
        WebError::bad_request(
            "bad_form",
            t("Bad form", "表单错误"),
            t(e.to_string(), e.to_string()),
        )
    })?;
    let xml = base64::engine::general_purpose::STANDARD
        .decode(form.saml_response.trim())
        .map_err(|e| {
            WebError::bad_request(
                "bad_base64",
                t("Bad SAMLResponse", "SAMLResponse 错误"),
                t(e.to_string(), e.to_string()),
            )
        })?;
    let view = inspect(&state, &xml).map_err(|e| {
        WebError::bad_request(
            "demo_sp_refused",
            t(
                "The demo SP refused the Response",
                "演示应用拒绝了这个 Response",
            ),
            t(e.clone(), e),
        )
    })?;
    let html = SpResult {
        lang: lang.code(),
        app: &app,
        relay_state: form.relay_state.unwrap_or_default(),
        xml: String::from_utf8_lossy(&xml).into_owned(),
        ..view
    }
    .render()
    .map_err(|e| WebError::internal("demo SP page", &e))?;
    Ok(html_response(html))
}

fn inspect(state: &AppState, xml: &[u8]) -> Result<SpResult<'static>, String> {
    let cert_der = base64::engine::general_purpose::STANDARD
        .decode(state.keys().active.cert_base64())
        .map_err(|e| e.to_string())?;
    let cert = openssl::x509::X509::from_der(&cert_der).map_err(|e| e.to_string())?;
    let certs = [cert];
    let doc =
        dom::parse(xml, &dom::Limits::default()).map_err(|e| format!("not well-formed: {e}"))?;
    let root = doc.root();
    let describe = |s: Result<SignatureStatus, crate::saml::verify::VerifyError>| match s {
        Ok(SignatureStatus::Verified { .. }) => "verified ✓".to_string(),
        Ok(SignatureStatus::Unsigned) => "not signed".to_string(),
        Err(e) => format!("INVALID: {e}"),
    };
    let response_signature = describe(verify_enveloped(&doc, root, &certs, false));
    let status = doc
        .find_child(root, ns::SAMLP, "Status")
        .and_then(|s| doc.find_child(s, ns::SAMLP, "StatusCode"))
        .and_then(|c| doc.element(c).attr("Value").map(str::to_string))
        .unwrap_or_default();
    let mut view = SpResult {
        lang: "",
        app: "",
        response_signature,
        assertion_signature: "-".into(),
        status,
        name_id: String::new(),
        name_id_format: String::new(),
        in_response_to: doc
            .element(root)
            .attr("InResponseTo")
            .unwrap_or("(none: IdP-initiated)")
            .to_string(),
        audience: String::new(),
        recipient: String::new(),
        not_on_or_after: String::new(),
        attributes: Vec::new(),
        relay_state: String::new(),
        xml: String::new(),
    };
    let Some(assertion) = doc.find_child(root, ns::SAML, "Assertion") else {
        return Ok(view);
    };
    view.assertion_signature = describe(verify_enveloped(&doc, assertion, &certs, false));
    if !view.response_signature.starts_with("verified")
        && !view.assertion_signature.starts_with("verified")
    {
        return Err("neither the Response nor the Assertion carries a valid signature".into());
    }
    read_assertion(&mut view, &doc, assertion);
    Ok(view)
}

/// What the assertion says: NameID, recipient, expiry, audience, attributes.
fn read_assertion(view: &mut SpResult<'_>, doc: &dom::Document, assertion: dom::ElementId) {
    if let Some(subject) = doc.find_child(assertion, ns::SAML, "Subject") {
        if let Some(n) = doc.find_child(subject, ns::SAML, "NameID") {
            view.name_id = doc.text(n);
            view.name_id_format = doc.element(n).attr("Format").unwrap_or("").to_string();
        }
        if let Some(scd) = doc
            .find_child(subject, ns::SAML, "SubjectConfirmation")
            .and_then(|sc| doc.find_child(sc, ns::SAML, "SubjectConfirmationData"))
        {
            view.recipient = doc.element(scd).attr("Recipient").unwrap_or("").to_string();
            view.not_on_or_after = doc
                .element(scd)
                .attr("NotOnOrAfter")
                .unwrap_or("")
                .to_string();
        }
    }
    if let Some(a) = doc
        .find_child(assertion, ns::SAML, "Conditions")
        .and_then(|c| doc.find_child(c, ns::SAML, "AudienceRestriction"))
        .and_then(|r| doc.find_child(r, ns::SAML, "Audience"))
    {
        view.audience = doc.text(a);
    }
    if let Some(st) = doc.find_child(assertion, ns::SAML, "AttributeStatement") {
        for a in doc.child_elements(st) {
            let name = doc.element(a).attr("Name").unwrap_or("").to_string();
            let values = doc.child_elements(a).map(|v| doc.text(v)).collect();
            view.attributes.push((name, values));
        }
    }
}
