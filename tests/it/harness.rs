//! The test environment: the real server on `127.0.0.1:0`, the WeCom simulator on its own port, a
//! fixed clock, SQLite (always) or PostgreSQL (when `WECOM_IDP_TEST_POSTGRES_URL` is set, a fresh
//! schema per test); a browser with its own cookie jar; an SP key for signed AuthnRequests; and the
//! independent `xmlsec1` check of every Response.

#![allow(dead_code)]

use base64::Engine as _;
use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use time::macros::datetime;
use time::OffsetDateTime;
use wecom_idp::apps::{App, AppName, AppSettings};
use wecom_idp::clock::{Clock, FixedClock};
use wecom_idp::config::Config;
use wecom_idp::random::{OsRng, Rng};
use wecom_idp::saml::dom;
use wecom_idp::saml::sp_metadata::{AcsEndpoint, SloEndpoint, SpMetadata};
use wecom_idp::wecom::simulator::{demo_departments, demo_members, Simulator};
use wecom_idp::AppState;

pub const CORP_ID: &str = "wwtest00000000001";
pub const AGENT_ID: &str = "1000002";
pub const SECRET: &str = "test-secret-never-logged-5f3a";
pub const T0: OffsetDateTime = datetime!(2026-11-20 08:00:00 UTC);
pub const WXWORK_UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
     (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.30 MicroMessenger/7.0.1 Language/zh ColorScheme/Light";
pub const CHROME_UA: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs a test body on SQLite, and on PostgreSQL when `WECOM_IDP_TEST_POSTGRES_URL` is set: the
/// module `$name` holds the two tests `sqlite` and `postgres`, so a filter such as
/// `binding::match_userid::sqlite` picks one. The body is
/// - `both_dbs!(name, body)`: `body(Env)` on an instance as [`Env::start`] makes it;
/// - `both_dbs!(name, body, tweak = EXPR)`: `body(Env)` on an instance whose `Config` the closure
///   `EXPR` changed first;
/// - `both_dbs!(name, body(db))`: `body(Db)`, which starts its own instances.
#[macro_export]
macro_rules! both_dbs {
    ($name:ident, $body:ident) => {
        $crate::both_dbs!($name, $body, tweak = |_| {});
    };
    ($name:ident, $body:ident, tweak = $tweak:expr) => {
        $crate::both_dbs!(@tests $name, |db| async move {
            if let Some(env) = $crate::harness::Env::start_on(db, $tweak).await {
                super::$body(env).await;
            }
        });
    };
    ($name:ident, $body:ident(db)) => {
        $crate::both_dbs!(@tests $name, |db| super::$body(db));
    };
    (@tests $name:ident, $run:expr) => {
        mod $name {
            // A tweak names what its file has in scope.
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($run)($crate::harness::Db::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::harness::postgres_configured() {
                    ($run)($crate::harness::Db::Postgres).await;
                }
            }
        }
    };
}

/// Whether the PostgreSQL half of the tests runs (`WECOM_IDP_TEST_POSTGRES_URL` is set).
pub fn postgres_configured() -> bool {
    std::env::var("WECOM_IDP_TEST_POSTGRES_URL").is_ok()
}

/// One running IdP with its simulator.
pub struct Env {
    pub base: String,
    pub sim_base: String,
    pub sim: Simulator,
    pub clock: Arc<FixedClock>,
    pub state: AppState,
    pub db: Db,
    pub database_url: String,
    _dir: tempfile::TempDir,
    pub sp: SpKey,
}

/// The test SP's signing key and certificate.
pub struct SpKey {
    pub key_pem: String,
    pub cert_pem: String,
    pub cert_b64: String,
}

pub fn sp_key() -> SpKey {
    use openssl::asn1::Asn1Time;
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use openssl::x509::{X509NameBuilder, X509};
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "test-sp").unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(3650).unwrap())
        .unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    let cert = b.build();
    SpKey {
        key_pem: String::from_utf8(key.private_key_to_pem_pkcs8().unwrap()).unwrap(),
        cert_pem: String::from_utf8(cert.to_pem().unwrap()).unwrap(),
        cert_b64: base64::engine::general_purpose::STANDARD.encode(cert.to_der().unwrap()),
    }
}

/// The master key of every test instance (base64, as `openssl rand -base64 32` prints it).
pub const TEST_MASTER_KEY: &str = "dGVzdC1tYXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmctLS0=";

pub fn test_master_key() -> wecom_idp::secrets::MasterKey {
    wecom_idp::secrets::MasterKey::parse(TEST_MASTER_KEY).unwrap()
}

fn unique() -> String {
    OsRng.hex(6)
}

impl Env {
    pub async fn start(db: Db) -> Env {
        Self::start_on(db, |_| {})
            .await
            .expect("WECOM_IDP_TEST_POSTGRES_URL is not set")
    }

    /// A fresh schema on the configured PostgreSQL, or None when none is configured.
    pub async fn postgres_url() -> Option<String> {
        let base = std::env::var("WECOM_IDP_TEST_POSTGRES_URL").ok()?;
        let schema = format!("t_{}", unique());
        use sqlx::Connection;
        let mut conn = sqlx::postgres::PgConnection::connect(&base)
            .await
            .unwrap_or_else(|e| panic!("WECOM_IDP_TEST_POSTGRES_URL is set but unreachable: {e}"));
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        Some(format!("{base}{sep}options=-c%20search_path%3D{schema}"))
    }

    pub async fn start_postgres() -> Option<Env> {
        Self::start_on(Db::Postgres, |_| {}).await
    }

    /// An instance on `db` (a fresh SQLite file, or a fresh schema) with `tweak` applied to its
    /// configuration; None when `db` is PostgreSQL and none is configured.
    pub async fn start_on(db: Db, tweak: impl FnOnce(&mut Config)) -> Option<Env> {
        let dir = tempfile::tempdir().unwrap();
        let url = match db {
            Db::Sqlite => format!("sqlite://{}", dir.path().join("idp.sqlite").display()),
            Db::Postgres => Self::postgres_url().await?,
        };
        Some(Self::start_with(db, url, dir, tweak).await)
    }

    pub async fn start_with(
        db: Db,
        database_url: String,
        dir: tempfile::TempDir,
        tweak: impl FnOnce(&mut Config),
    ) -> Env {
        let clock = Arc::new(FixedClock::new(T0));
        let rng: Arc<dyn Rng> = Arc::new(OsRng);
        let sim = Simulator::new(
            CORP_ID,
            AGENT_ID,
            SECRET,
            demo_members(),
            demo_departments(),
            clock.clone(),
            rng.clone(),
        );
        let sim_addr = sim.start().await.unwrap();
        let sim_base = format!("http://{sim_addr}");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let mut config = Config {
            public_url: base.clone(),
            listen: addr.to_string(),
            database_url: database_url.clone(),
            ..Config::default()
        };
        config.wecom.corp_id = CORP_ID.into();
        config.wecom.agent_id = AGENT_ID.into();
        config.wecom.secret = SECRET.into();
        config.wecom.api_base = sim_base.clone();
        config.wecom.oauth_base = sim_base.clone();
        config.wecom.web_login_base = sim_base.clone();
        config.wecom.timeout_secs = 2;
        // Every instance needs the master key (the same one for instances sharing a database);
        // rate limits stay on, with bursts no ordinary test reaches (the hostile-input tests send
        // hundreds of failing requests from one address).
        config.master_key = Some(test_master_key());
        config.limits.burst = 1_000_000;
        config.limits.failure_burst = 1_000_000;
        config.admin.burst = 1_000_000;
        // The periodic directory sync would call WeCom behind every test's back; the tests of the
        // directory turn it on.
        config.directory.sync_interval = "0".into();
        tweak(&mut config);
        config.validate().unwrap();
        let state = wecom_idp::build_state(config, clock.clone(), rng, None)
            .await
            .unwrap();
        let s2 = state.clone();
        tokio::spawn(async move {
            wecom_idp::run(s2, listener, std::future::pending())
                .await
                .unwrap();
        });
        Env {
            base,
            sim_base,
            sim,
            clock,
            state,
            db,
            database_url,
            _dir: dir,
            sp: sp_key(),
        }
    }

    /// Registers an SP app with an ACS at `https://sp.example/{name}/acs` and the test SP key.
    pub async fn add_app(&self, name: &str, sets: &[&str]) -> App {
        let mut settings = AppSettings::default();
        settings.apply_all(sets.iter().copied()).unwrap();
        let app = App {
            name: AppName::parse(name).unwrap(),
            metadata: SpMetadata {
                entity_id: sp_entity(name),
                acs: vec![
                    AcsEndpoint {
                        binding: POST.into(),
                        location: acs_url(name),
                        index: Some(0),
                        is_default: Some(true),
                    },
                    AcsEndpoint {
                        binding: POST.into(),
                        location: format!("https://sp.example/{name}/acs2"),
                        index: Some(1),
                        is_default: None,
                    },
                ],
                signing_certs: vec![self.sp.cert_b64.clone()],
                encryption_certs: vec![],
                authn_requests_signed: false,
                want_assertions_signed: true,
                name_id_formats: vec![],
                valid_until: None,
                slo: vec![SloEndpoint {
                    binding: REDIRECT.into(),
                    location: format!("https://sp.example/{name}/slo"),
                    response_location: None,
                }],
            },
            settings,
            metadata_xml: None,
            created_at: self.clock.unix(),
            updated_at: self.clock.unix(),
        };
        self.state
            .store
            .insert_app(&app.to_row().unwrap())
            .await
            .unwrap();
        app
    }

    pub fn browser(&self, ua: &str) -> Browser {
        Browser::new(ua)
    }

    pub fn idp_cert_pem(&self) -> String {
        let der = base64::engine::general_purpose::STANDARD
            .decode(self.state.keys().active.cert_base64())
            .unwrap();
        String::from_utf8(
            openssl::x509::X509::from_der(&der)
                .unwrap()
                .to_pem()
                .unwrap(),
        )
        .unwrap()
    }

    pub async fn audit(&self) -> Vec<wecom_idp::store::AuditRow> {
        self.state.store.audit_rows(1000).await.unwrap()
    }

    /// Makes `userid` an admin (in the store) and signs a fresh browser in to the console through
    /// WeCom; returns the browser and the CSRF token of its session.
    pub async fn admin_browser(&self, userid: &str) -> (Browser, String) {
        self.state
            .store
            .add_admin(
                userid,
                "shell",
                wecom_idp::clock::Clock::unix(self.clock.as_ref()),
            )
            .await
            .unwrap();
        let b = self.browser(WXWORK_UA);
        self.wecom_client_login(&b, userid).await;
        let page = b
            .follow(&format!("{}/admin/login/wecom?next=%2Fadmin", self.base))
            .await;
        assert_eq!(page.status, 200, "admin sign-in failed: {}", page.body);
        let csrf = csrf_of(&page.body);
        (b, csrf)
    }

    /// An API token (made as the shell would).
    pub async fn api_token(&self, name: &str) -> String {
        wecom_idp::admin::auth::create_token(
            &self.state.store,
            name,
            &wecom_idp::admin::Actor::Shell,
            self.clock.unix(),
            &OsRng,
        )
        .await
        .unwrap()
        .1
    }

    /// A client of the JSON API with `token`.
    pub fn api(&self, token: &str) -> Api {
        Api {
            base: format!("{}/api/v1", self.base),
            token: token.into(),
            client: reqwest::Client::new(),
        }
    }

    /// Logs a member in to the simulated WeCom client (sets the simulator cookie in the browser).
    pub async fn wecom_client_login(&self, b: &Browser, userid: &str) {
        let r = b
            .get(&format!(
                "{}/sim/as?userid={userid}&next=%2Fsim",
                self.sim_base
            ))
            .await;
        assert!(r.status < 400, "sim login failed: {}", r.status);
    }

    /// The full IdP-initiated flow inside the WeCom client for `userid`; returns the POST form.
    pub async fn login_in_client(&self, b: &Browser, app: &str, userid: &str) -> PostedForm {
        self.wecom_client_login(b, userid).await;
        let page = b.follow(&format!("{}/apps/{app}/start", self.base)).await;
        page.form()
            .unwrap_or_else(|| panic!("no POST form: {} {}", page.status, page.body))
    }
}

pub const POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
pub const REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

pub fn sp_entity(name: &str) -> String {
    format!("https://sp.example/{name}")
}

pub fn acs_url(name: &str) -> String {
    format!("https://sp.example/{name}/acs")
}

/// A response as the test saw it.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    pub url: String,
    pub location: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The auto-posting SAML form, if this page is one.
    pub fn form(&self) -> Option<PostedForm> {
        let action = html_unescape(&attr_after(&self.body, "<form method=\"post\" action=\"")?);
        let field = if self.body.contains("name=\"SAMLResponse\"") {
            "SAMLResponse"
        } else {
            "SAMLRequest"
        };
        let value = html_unescape(&attr_after(
            &self.body,
            &format!("name=\"{field}\" value=\""),
        )?);
        let relay_state =
            attr_after(&self.body, "name=\"RelayState\" value=\"").map(|v| html_unescape(&v));
        let xml = base64::engine::general_purpose::STANDARD
            .decode(value.as_bytes())
            .ok()?;
        Some(PostedForm {
            action,
            xml: String::from_utf8(xml).ok()?,
            relay_state,
        })
    }

    /// The `reason` code shown in an error page's footer.
    pub fn reason(&self) -> Option<String> {
        let i = self.body.find("class=\"ref\"")?;
        let rest = &self.body[i..];
        let s = rest.find("<code>")? + 6;
        let e = rest[s..].find("</code>")?;
        Some(rest[s..s + e].to_string())
    }
}

fn attr_after(body: &str, marker: &str) -> Option<String> {
    let i = body.find(marker)? + marker.len();
    let e = body[i..].find('"')?;
    Some(body[i..i + e].to_string())
}

pub fn html_unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let r = &rest[i..];
        let Some(e) = r.find(';') else {
            out.push_str(r);
            return out;
        };
        let ent = &r[1..e];
        let ch = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ if ent.starts_with("#x") => u32::from_str_radix(&ent[2..], 16)
                .ok()
                .and_then(char::from_u32),
            _ if ent.starts_with('#') => ent[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => out.push(c),
            None => out.push_str(&r[..=e]),
        }
        rest = &r[e + 1..];
    }
    out.push_str(rest);
    out
}

/// The SAML message a page would auto-post.
#[derive(Debug, Clone)]
pub struct PostedForm {
    pub action: String,
    pub xml: String,
    pub relay_state: Option<String>,
}

impl PostedForm {
    pub fn doc(&self) -> dom::Document {
        dom::parse(self.xml.as_bytes(), &dom::Limits::default()).unwrap()
    }
}

/// A browser: its own cookie jar (per host:port), a User-Agent, no automatic redirects.
#[derive(Clone)]
pub struct Browser {
    client: reqwest::Client,
    pub ua: String,
    jar: Arc<Mutex<HashMap<String, HashMap<String, String>>>>,
    pub accept_language: Option<String>,
}

impl Browser {
    pub fn new(ua: &str) -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            ua: ua.into(),
            jar: Arc::default(),
            accept_language: None,
        }
    }

    fn host_of(url: &str) -> String {
        let u = url::Url::parse(url).unwrap();
        format!(
            "{}:{}",
            u.host_str().unwrap_or(""),
            u.port_or_known_default().unwrap_or(0)
        )
    }

    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        self.jar
            .lock()
            .unwrap()
            .get(&Self::host_of(url))
            .and_then(|m| m.get(name).cloned())
    }

    pub fn set_cookie(&self, url: &str, name: &str, value: &str) {
        self.jar
            .lock()
            .unwrap()
            .entry(Self::host_of(url))
            .or_default()
            .insert(name.into(), value.into());
    }

    pub fn clear_cookies(&self, url: &str) {
        self.jar.lock().unwrap().remove(&Self::host_of(url));
    }

    /// A copy of this browser with the same cookies (a second tab, or an attacker who stole them).
    pub fn clone_with_cookies(&self) -> Self {
        let b = Self::new(&self.ua);
        *b.jar.lock().unwrap() = self.jar.lock().unwrap().clone();
        b
    }

    async fn send(&self, req: reqwest::RequestBuilder, url: &str) -> Page {
        let host = Self::host_of(url);
        let cookie = {
            let jar = self.jar.lock().unwrap();
            jar.get(&host).map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
        };
        let mut req = req.header("User-Agent", &self.ua);
        if let Some(c) = cookie.filter(|c| !c.is_empty()) {
            req = req.header("Cookie", c);
        }
        if let Some(l) = &self.accept_language {
            req = req.header("Accept-Language", l);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        {
            let mut jar = self.jar.lock().unwrap();
            let m = jar.entry(host).or_default();
            for (k, v) in &headers {
                if !k.eq_ignore_ascii_case("set-cookie") {
                    continue;
                }
                let first = v.split(';').next().unwrap_or("");
                let Some((name, value)) = first.split_once('=') else {
                    continue;
                };
                if value.is_empty() || v.contains("Max-Age=0") {
                    m.remove(name.trim());
                } else {
                    m.insert(name.trim().into(), value.into());
                }
            }
        }
        let location = headers
            .iter()
            .find(|(k, _)| k == "location")
            .map(|(_, v)| v.clone());
        let body = resp.text().await.unwrap_or_default();
        Page {
            status,
            url: url.into(),
            location,
            headers,
            body,
        }
    }

    pub async fn get(&self, url: &str) -> Page {
        let url = url.split('#').next().unwrap_or(url).to_string();
        self.send(self.client.get(&url), &url).await
    }

    pub async fn post_form(&self, url: &str, fields: &[(&str, &str)]) -> Page {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.send(
            self.client
                .post(url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body),
            url,
        )
        .await
    }

    /// POSTs `body` exactly as given (already form-encoded, or deliberately not).
    pub async fn post_raw(&self, url: &str, body: &str) -> Page {
        self.send(
            self.client
                .post(url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body.to_string()),
            url,
        )
        .await
    }

    /// GETs `url` and follows redirects (fragments dropped, relative URLs resolved) up to 10 hops.
    pub async fn follow(&self, url: &str) -> Page {
        let mut url = url.to_string();
        for _ in 0..10 {
            let page = self.get(&url).await;
            match (&page.location, page.status) {
                (Some(loc), 301..=303 | 307 | 308) => {
                    url = url::Url::parse(&url)
                        .unwrap()
                        .join(loc)
                        .unwrap()
                        .to_string();
                }
                _ => return page,
            }
        }
        panic!("too many redirects from {url}");
    }

    /// Follows `url` but stops at the first redirect to a host other than `stop_before_host`.
    pub async fn follow_until(&self, url: &str, pred: impl Fn(&str) -> bool) -> (String, Page) {
        let mut url = url.to_string();
        for _ in 0..10 {
            if pred(&url) {
                let page = self.get(&url).await;
                return (url, page);
            }
            let page = self.get(&url).await;
            match (&page.location, page.status) {
                (Some(loc), 301..=303 | 307 | 308) => {
                    url = url::Url::parse(&url)
                        .unwrap()
                        .join(loc)
                        .unwrap()
                        .to_string();
                }
                _ => return (url, page),
            }
        }
        panic!("too many redirects");
    }
}

// ---- AuthnRequests ----

/// Options of a test AuthnRequest.
#[derive(Debug, Clone)]
pub struct Req {
    pub id: String,
    pub issuer: String,
    pub issue_instant: OffsetDateTime,
    pub destination: Option<String>,
    pub acs_url: Option<String>,
    pub acs_index: Option<u32>,
    pub force_authn: bool,
    pub is_passive: bool,
}

impl Req {
    pub fn new(env: &Env, app: &str) -> Self {
        Self {
            id: format!("_req{}", unique()),
            issuer: sp_entity(app),
            issue_instant: env.clock.now(),
            destination: Some(format!("{}/saml/sso", env.base)),
            acs_url: Some(acs_url(app)),
            acs_index: None,
            force_authn: false,
            is_passive: false,
        }
    }

    /// The AuthnRequest XML (built with plain string formatting of test-controlled values).
    pub fn xml(&self) -> String {
        let t = self
            .issue_instant
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let mut attrs = format!(" ID=\"{}\" Version=\"2.0\" IssueInstant=\"{t}\"", self.id);
        if let Some(d) = &self.destination {
            attrs.push_str(&format!(" Destination=\"{d}\""));
        }
        if let Some(a) = &self.acs_url {
            attrs.push_str(&format!(
                " AssertionConsumerServiceURL=\"{a}\" ProtocolBinding=\"{POST}\""
            ));
        }
        if let Some(i) = self.acs_index {
            attrs.push_str(&format!(" AssertionConsumerServiceIndex=\"{i}\""));
        }
        if self.force_authn {
            attrs.push_str(" ForceAuthn=\"true\"");
        }
        if self.is_passive {
            attrs.push_str(" IsPassive=\"true\"");
        }
        format!(
            "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
             xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\"{attrs}>\
             <saml:Issuer>{}</saml:Issuer></samlp:AuthnRequest>",
            self.issuer
        )
    }
}

pub fn deflate_b64(xml: &[u8]) -> String {
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(xml).unwrap();
    base64::engine::general_purpose::STANDARD.encode(z.finish().unwrap())
}

pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// An HTTP-Redirect binding URL (unsigned).
pub fn redirect_url(env: &Env, xml: &str, relay_state: Option<&str>) -> String {
    let mut q = format!("SAMLRequest={}", enc(&deflate_b64(xml.as_bytes())));
    if let Some(r) = relay_state {
        q.push_str(&format!("&RelayState={}", enc(r)));
    }
    format!("{}/saml/sso?{q}", env.base)
}

/// An HTTP-Redirect binding URL signed with RSA-SHA256 by `key_pem` over the query as sent.
pub fn signed_redirect_url(
    env: &Env,
    xml: &str,
    relay_state: Option<&str>,
    key_pem: &str,
) -> String {
    let mut q = format!("SAMLRequest={}", enc(&deflate_b64(xml.as_bytes())));
    if let Some(r) = relay_state {
        q.push_str(&format!("&RelayState={}", enc(r)));
    }
    q.push_str(&format!(
        "&SigAlg={}",
        enc("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
    ));
    let key = openssl::pkey::PKey::private_key_from_pem(key_pem.as_bytes()).unwrap();
    let mut signer =
        openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
    signer.update(q.as_bytes()).unwrap();
    let sig = base64::engine::general_purpose::STANDARD.encode(signer.sign_to_vec().unwrap());
    format!("{}/saml/sso?{q}&Signature={}", env.base, enc(&sig))
}

/// Signs an AuthnRequest (enveloped, exc-c14n, RSA-SHA256) with `xmlsec1`, not our code.
pub fn xmlsec_sign_request(xml: &str, key_pem: &str, cert_pem: &str) -> String {
    let id_start = xml.find(" ID=\"").unwrap() + 5;
    let id_end = id_start + xml[id_start..].find('"').unwrap();
    let id = &xml[id_start..id_end];
    let issuer_end = xml.find("</saml:Issuer>").unwrap() + "</saml:Issuer>".len();
    let template = format!(
        "{}<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>\
         <ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\
         <ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>\
         <ds:Reference URI=\"#{id}\"><ds:Transforms>\
         <ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\
         <ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms>\
         <ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue/>\
         </ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo>\
         </ds:Signature>{}",
        &xml[..issuer_end],
        &xml[issuer_end..]
    );
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.xml");
    let k = dir.path().join("k.pem");
    let c = dir.path().join("c.pem");
    std::fs::write(&t, template).unwrap();
    std::fs::write(&k, key_pem).unwrap();
    std::fs::write(&c, cert_pem).unwrap();
    let out = Command::new(xmlsec1())
        .args(["--sign", "--privkey-pem"])
        .arg(format!("{},{}", k.display(), c.display()))
        .args([
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest",
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest",
        ])
        .arg(&t)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "xmlsec1 --sign failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

// ---- independent verification ----

pub fn xmlsec1() -> PathBuf {
    let found = Command::new("xmlsec1").arg("--version").output();
    assert!(
        found.map(|o| o.status.success()).unwrap_or(false),
        "xmlsec1 is not on PATH: the independent signature check needs it (apt-get install xmlsec1, \
         or run scripts/test.sh which installs it)"
    );
    PathBuf::from("xmlsec1")
}

/// Verifies the signature at `xpath` with `xmlsec1` and the IdP certificate.
pub fn xmlsec_verify(xml: &str, cert_pem: &str, xpath: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("d.xml");
    let c = dir.path().join("c.pem");
    std::fs::write(&d, xml).unwrap();
    std::fs::write(&c, cert_pem).unwrap();
    let out = Command::new(xmlsec1())
        .args(["--verify", "--pubkey-cert-pem"])
        .arg(&c)
        .args([
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
        ])
        .args([
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:protocol:Response",
        ])
        .args([
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest",
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse",
        ])
        .args(["--node-xpath", xpath])
        .arg(&d)
        .output()
        .unwrap();
    out.status.success()
}

pub const RESPONSE_SIG: &str = "/*[local-name()='Response']/*[local-name()='Signature']";
pub const ASSERTION_SIG: &str =
    "/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']";

/// Checks every signature a Response carries with `xmlsec1`; returns (response signed, assertion signed).
pub fn assert_independently_verified(env: &Env, form: &PostedForm) -> (bool, bool) {
    let cert = env.idp_cert_pem();
    let has_resp_sig = {
        let d = form.doc();
        d.find_child(d.root(), dom::ns::DS, "Signature").is_some()
    };
    let has_assertion_sig = {
        let d = form.doc();
        d.find_child(d.root(), dom::ns::SAML, "Assertion")
            .and_then(|a| d.find_child(a, dom::ns::DS, "Signature"))
            .is_some()
    };
    assert!(
        has_resp_sig || has_assertion_sig,
        "nothing is signed:\n{}",
        form.xml
    );
    if has_resp_sig {
        assert!(
            xmlsec_verify(&form.xml, &cert, RESPONSE_SIG),
            "xmlsec1 rejects the Response signature:\n{}",
            form.xml
        );
    }
    if has_assertion_sig {
        assert!(
            xmlsec_verify(&form.xml, &cert, ASSERTION_SIG),
            "xmlsec1 rejects the Assertion signature:\n{}",
            form.xml
        );
    }
    (has_resp_sig, has_assertion_sig)
}

/// Reads fields of a Response for assertions in tests.
pub struct Saml {
    pub doc: dom::Document,
}

impl Saml {
    pub fn of(form: &PostedForm) -> Self {
        Self { doc: form.doc() }
    }

    fn path(&self, path: &[(&str, &str)]) -> Option<dom::ElementId> {
        let mut cur = self.doc.root();
        for (ns, local) in path {
            cur = self.doc.find_child(cur, ns, local)?;
        }
        Some(cur)
    }

    pub fn root_attr(&self, name: &str) -> Option<String> {
        self.doc
            .element(self.doc.root())
            .attr(name)
            .map(str::to_string)
    }

    pub fn assertion(&self) -> Option<dom::ElementId> {
        self.path(&[(dom::ns::SAML, "Assertion")])
    }

    pub fn status(&self) -> String {
        let s = self
            .path(&[(dom::ns::SAMLP, "Status"), (dom::ns::SAMLP, "StatusCode")])
            .unwrap();
        let top = self.doc.element(s).attr("Value").unwrap().to_string();
        match self.doc.find_child(s, dom::ns::SAMLP, "StatusCode") {
            Some(sub) => format!("{top} / {}", self.doc.element(sub).attr("Value").unwrap()),
            None => top,
        }
    }

    pub fn name_id(&self) -> String {
        let n = self
            .path(&[
                (dom::ns::SAML, "Assertion"),
                (dom::ns::SAML, "Subject"),
                (dom::ns::SAML, "NameID"),
            ])
            .unwrap();
        self.doc.text(n)
    }

    pub fn at(&self, path: &[&str], attr: &str) -> Option<String> {
        let p: Vec<(&str, &str)> = path
            .iter()
            .map(|l| {
                (
                    if *l == "Status" || *l == "StatusCode" {
                        dom::ns::SAMLP
                    } else {
                        dom::ns::SAML
                    },
                    *l,
                )
            })
            .collect();
        let e = self.path(&p)?;
        self.doc.element(e).attr(attr).map(str::to_string)
    }

    pub fn text_at(&self, path: &[&str]) -> Option<String> {
        let p: Vec<(&str, &str)> = path.iter().map(|l| (dom::ns::SAML, *l)).collect();
        self.path(&p).map(|e| self.doc.text(e))
    }

    /// Attribute name → values.
    pub fn attributes(&self) -> Vec<(String, Vec<String>)> {
        let Some(st) = self.path(&[
            (dom::ns::SAML, "Assertion"),
            (dom::ns::SAML, "AttributeStatement"),
        ]) else {
            return vec![];
        };
        self.doc
            .child_elements(st)
            .map(|a| {
                let name = self.doc.element(a).attr("Name").unwrap().to_string();
                let values = self
                    .doc
                    .child_elements(a)
                    .map(|v| self.doc.text(v))
                    .collect();
                (name, values)
            })
            .collect()
    }

    pub fn attribute(&self, name: &str) -> Option<Vec<String>> {
        self.attributes()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
}

// ---- SP-initiated helpers (tests/it/sp_initiated.rs) ----

impl Env {
    /// `add_app`, then changes the stored SP metadata with `tweak` (e.g. `AuthnRequestsSigned`).
    pub async fn add_app_with_metadata(
        &self,
        name: &str,
        sets: &[&str],
        tweak: impl FnOnce(&mut SpMetadata),
    ) -> App {
        let mut app = self.add_app(name, sets).await;
        tweak(&mut app.metadata);
        assert!(self
            .state
            .store
            .update_app(&app.to_row().unwrap())
            .await
            .unwrap());
        app
    }
}

/// An HTTP-Redirect binding URL signed by `key_pem` with `sig_alg` (a `xmldsig-more#rsa-sha256`-style
/// URI) over the query as sent; with `lowercase`, every percent-escape is written in lowercase hex
/// (as ADFS/.NET do) before signing.
pub fn signed_redirect_url_with(
    env: &Env,
    xml: &str,
    relay_state: Option<&str>,
    key_pem: &str,
    sig_alg: &str,
    digest: openssl::hash::MessageDigest,
    lowercase: bool,
) -> String {
    let lower = |s: String| -> String {
        if !lowercase {
            return s;
        }
        let b = s.as_bytes();
        let mut out = String::with_capacity(s.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' && i + 2 < b.len() {
                out.push('%');
                out.push_str(&s[i + 1..i + 3].to_ascii_lowercase());
                i += 3;
            } else {
                out.push(b[i] as char);
                i += 1;
            }
        }
        out
    };
    let mut q = format!("SAMLRequest={}", lower(enc(&deflate_b64(xml.as_bytes()))));
    if let Some(r) = relay_state {
        q.push_str(&format!("&RelayState={}", lower(enc(r))));
    }
    q.push_str(&format!("&SigAlg={}", lower(enc(sig_alg))));
    let key = openssl::pkey::PKey::private_key_from_pem(key_pem.as_bytes()).unwrap();
    let mut signer = openssl::sign::Signer::new(digest, &key).unwrap();
    signer.update(q.as_bytes()).unwrap();
    let sig = base64::engine::general_purpose::STANDARD.encode(signer.sign_to_vec().unwrap());
    format!("{}/saml/sso?{q}&Signature={}", env.base, lower(enc(&sig)))
}

/// The CSRF token in a console page's forms.
pub fn csrf_of(body: &str) -> String {
    let i = body
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no csrf field in {body}"));
    let rest = &body[i + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// A JSON API client with a bearer token.
pub struct Api {
    pub base: String,
    pub token: String,
    pub client: reqwest::Client,
}

impl Api {
    async fn send(&self, req: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
        let r = req.bearer_auth(&self.token).send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        let v = if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        (status, v)
    }

    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        self.send(self.client.get(format!("{}{path}", self.base)))
            .await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.send(self.client.post(format!("{}{path}", self.base)).json(&body))
            .await
    }

    pub async fn put(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.send(self.client.put(format!("{}{path}", self.base)).json(&body))
            .await
    }

    pub async fn patch(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.send(
            self.client
                .patch(format!("{}{path}", self.base))
                .json(&body),
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> (u16, serde_json::Value) {
        self.send(self.client.delete(format!("{}{path}", self.base)))
            .await
    }
}

// ---- a second instance (tests/it/admin_wecom.rs) ----

impl Env {
    /// Another server on this environment's database, simulator, clock and configuration, as a
    /// second instance behind a load balancer would be; returns its base URL.
    pub async fn second_instance(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let mut config = (*self.state.config).clone();
        config.public_url = base.clone();
        config.listen = addr.to_string();
        let state = wecom_idp::build_state(config, self.clock.clone(), Arc::new(OsRng), None)
            .await
            .unwrap();
        tokio::spawn(async move {
            wecom_idp::run(state, listener, std::future::pending())
                .await
                .unwrap();
        });
        base
    }
}

// ---- multipart forms (console uploads, tests/it/admin_apps.rs) ----

impl Browser {
    /// POSTs `multipart/form-data`; each part is (name, filename for a file, content).
    pub async fn post_multipart(&self, url: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Page {
        let boundary = "----wecom-idp-test-boundary-7d93a1";
        let mut body = Vec::new();
        for (name, filename, content) in parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            match filename {
                Some(f) => body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\
                         Content-Type: application/xml\r\n\r\n"
                    )
                    .as_bytes(),
                ),
                None => body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                ),
            }
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.send(
            self.client
                .post(url)
                .header(
                    "Content-Type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(body),
            url,
        )
        .await
    }
}

impl Browser {
    /// Posts `multipart/form-data` (text fields; `(name, filename, content)` files), as a browser's
    /// file upload form does.
    pub async fn post_multipart_fields(
        &self,
        url: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str)],
    ) -> Page {
        let boundary = "----wecomidptestboundary7MA4YWxk";
        let mut body = String::new();
        for (k, v) in fields {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
            ));
        }
        for (k, filename, content) in files {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; \
                 filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n"
            ));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        self.send(
            self.client
                .post(url)
                .header(
                    "Content-Type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(body),
            url,
        )
        .await
    }
}

// ---- shared checks and the shell ----

/// The audit rows of saves made in spite of the names check against WeCom (`wecom_names_forced`).
pub async fn forced_rows(env: &Env) -> Vec<wecom_idp::store::AuditRow> {
    env.audit()
        .await
        .into_iter()
        .filter(|r| r.event == "wecom_names_forced")
        .collect()
}

/// The environment of a shell on the server: the same configuration and database as `env`'s.
pub fn shell(env: &Env) -> Vec<(&'static str, String)> {
    vec![
        ("WECOM_IDP_PUBLIC_URL", "https://idp.example.com".into()),
        ("WECOM_IDP_DATABASE_URL", env.database_url.clone()),
        ("WECOM_IDP_MASTER_KEY", TEST_MASTER_KEY.to_string()),
        ("WECOM_IDP_WECOM__CORP_ID", CORP_ID.into()),
        ("WECOM_IDP_WECOM__AGENT_ID", AGENT_ID.into()),
        ("WECOM_IDP_WECOM__SECRET", SECRET.into()),
        ("WECOM_IDP_WECOM__API_BASE", env.sim_base.clone()),
        ("WECOM_IDP_WECOM__OAUTH_BASE", env.sim_base.clone()),
        ("WECOM_IDP_WECOM__WEB_LOGIN_BASE", env.sim_base.clone()),
    ]
}

/// Runs the binary with `vars` off the runtime's threads (the server under test answers the
/// simulator): whether it succeeded, and what it printed.
pub async fn run_shell(vars: &[(&'static str, String)], args: &[&str]) -> (bool, String) {
    let vars = vars.to_vec();
    let all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = all.iter().map(String::as_str).collect();
        let o = crate::cli::run(&a, &vars);
        (o.status.success(), crate::cli::text(&o))
    })
    .await
    .unwrap()
}
