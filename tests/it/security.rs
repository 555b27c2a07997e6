//! Against the live server and the real binary: secrets at rest (the signing key
//! sealed under the master key, refusal without or with the wrong key, rotation), limits and abuse
//! (per-IP rate limits, per-IP login-state cap, header cap, handler timeout, trusted proxies, the
//! simulator outside production) and HTTP hygiene (security headers on every route). Each test names
//! the defence it checks; each was checked to fail with that defence removed.

use crate::both_dbs;
use crate::cli::{base_env, run, text, BIN};
use crate::harness::*;
use std::time::{Duration, Instant};
use wecom_idp::config::Config;
use wecom_idp::secrets::MasterKey;
use wecom_idp::store::{KeyRow, KeyState, Store};

/// Every stored private-key column as the database holds it (raw SQL, not the store's decoding).
async fn raw_key_columns(env: &Env) -> Vec<(String, Option<String>, Option<String>)> {
    use sqlx::Row;
    let rows: Vec<(String, Option<String>, Option<String>)> = match env.db {
        Db::Sqlite => {
            use sqlx::Connection;
            let mut c = sqlx::sqlite::SqliteConnection::connect(&env.database_url)
                .await
                .unwrap();
            sqlx::query("SELECT key_pem, key_enc, master_key_id FROM signing_keys")
                .fetch_all(&mut c)
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect()
        }
        Db::Postgres => {
            use sqlx::Connection;
            let mut c = sqlx::postgres::PgConnection::connect(&env.database_url)
                .await
                .unwrap();
            sqlx::query("SELECT key_pem, key_enc, master_key_id FROM signing_keys")
                .fetch_all(&mut c)
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect()
        }
    };
    assert!(!rows.is_empty());
    rows
}

// ---------------------------------------------------------------------------------------------
// Secrets at rest
// ---------------------------------------------------------------------------------------------

both_dbs!(signing_key_is_stored_sealed_never_in_clear, sealed_key);
// Defence: the generated signing key is stored only sealed (AES-256-GCM under the master key, with
// the master key ID); the plain PEM column stays empty and no "PRIVATE KEY" is anywhere in the file.
async fn sealed_key(env: Env) {
    let master = test_master_key();
    for (pem, enc, mid) in raw_key_columns(&env).await {
        assert_eq!(pem, "", "the plain PEM column is empty");
        let enc = enc.expect("a sealed key");
        assert!(!enc.contains("PRIVATE"));
        assert_eq!(mid.as_deref(), Some(master.id()));
        let opened = master.open("signing_key:initial", &enc).expect("opens");
        assert!(String::from_utf8(opened)
            .unwrap()
            .contains("BEGIN PRIVATE KEY"));
    }
    if env.db == Db::Sqlite {
        let path = env.database_url.trim_start_matches("sqlite://").to_string();
        for p in [path.clone(), format!("{path}-wal")] {
            if let Ok(bytes) = std::fs::read(&p) {
                assert!(
                    !bytes.windows(11).any(|w| w == b"PRIVATE KEY"),
                    "{p} holds a private key in clear"
                );
            }
        }
    }
}

both_dbs!(
    plain_keys_from_before_are_sealed_at_first_start,
    upgrade(db)
);
// Defence: a key stored in plain PEM by an older version is sealed at the first start with a master key
// and its plain copy erased — and it is still the same key (the published certificate is unchanged).
async fn upgrade(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let url = match db {
        Db::Sqlite => format!("sqlite://{}", dir.path().join("old.sqlite").display()),
        Db::Postgres => Env::postgres_url().await.unwrap(),
    };
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let (key_pem, cert_pem) =
        wecom_idp::saml::sign::generate_key_and_cert("old.example", T0, &[1, 2, 3]).unwrap();
    store
        .insert_key_if_absent(&KeyRow {
            id: "initial".into(),
            key_pem,
            cert_pem: cert_pem.clone(),
            state: KeyState::Active,
            created_at: T0.unix_timestamp(),
            key_enc: None,
            master_key_id: None,
            activated_at: None,
            retired_at: None,
            ec_key_enc: None,
        })
        .await
        .unwrap();
    let env = Env::start_with(db, url, dir, |_| {}).await;
    assert_eq!(env.idp_cert_pem().trim(), cert_pem.trim(), "the same key");
    for (pem, enc, mid) in raw_key_columns(&env).await {
        assert_eq!(pem, "", "the plain copy is erased");
        assert!(enc.is_some());
        assert_eq!(mid.as_deref(), Some(test_master_key().id()));
    }
}

fn serve_env(dir: &std::path::Path) -> Vec<(&'static str, String)> {
    let mut v = base_env(dir);
    v.push(("WECOM_IDP_WECOM__CORP_ID", "ww1".into()));
    v.push(("WECOM_IDP_WECOM__AGENT_ID", "1000002".into()));
    v.push(("WECOM_IDP_WECOM__SECRET", "s".into()));
    v.push(("WECOM_IDP_LISTEN", "127.0.0.1:1".into()));
    v
}

#[test]
// Defence: production refuses to start without a master key, naming both settings and how to make
// one; so does `idp-metadata`, which may generate and store the signing key.
fn no_master_key_no_start() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in ["serve", "idp-metadata"] {
        let env: Vec<_> = serve_env(dir.path())
            .into_iter()
            .filter(|(k, _)| *k != "WECOM_IDP_MASTER_KEY")
            .collect();
        let o = run(&[cmd], &env);
        assert!(!o.status.success(), "{cmd} started without a master key");
        let t = text(&o);
        for needle in [
            "master_key_file",
            "WECOM_IDP_MASTER_KEY",
            "openssl rand -base64 32",
        ] {
            assert!(t.contains(needle), "{cmd}: `{needle}` missing from: {t}");
        }
        assert!(!t.contains("panicked"), "{t}");
    }
}

#[test]
// Defence: a master key that is not the one the database was sealed with (or not a key at all)
// stops the start with a message naming the key IDs, not a crash and not a new key.
fn wrong_master_key_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let env = base_env(dir.path());
    let first = run(&["idp-metadata"], &env);
    assert!(first.status.success(), "{}", text(&first));
    let other = MasterKey::generate(&wecom_idp::random::OsRng);
    let mut wrong = env.clone();
    wrong.retain(|(k, _)| *k != "WECOM_IDP_MASTER_KEY");
    wrong.push(("WECOM_IDP_MASTER_KEY", other.to_base64()));
    let o = run(&["idp-metadata"], &wrong);
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("master key ID") && t.contains(other.id()) && t.contains(test_master_key().id()),
        "{t}"
    );
    assert!(!t.contains("panicked"), "{t}");
    assert!(!t.contains(&other.to_base64()), "the key is never printed");
    let mut bad = env.clone();
    bad.retain(|(k, _)| *k != "WECOM_IDP_MASTER_KEY");
    bad.push(("WECOM_IDP_MASTER_KEY", "c2hvcnQ=".into()));
    let t = text(&run(&["idp-metadata"], &bad));
    assert!(
        t.contains("WECOM_IDP_MASTER_KEY") && t.contains("32 bytes"),
        "{t}"
    );
    // The first key still works: nothing was overwritten.
    let again = run(&["idp-metadata"], &env);
    assert_eq!(again.stdout, first.stdout);
}

#[test]
// Defence: `master-key rotate` re-seals every stored key under the new master key; afterwards the new
// key serves the same signing key and the old key no longer opens the database.
fn master_key_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let env = base_env(dir.path());
    let before = run(&["idp-metadata"], &env);
    assert!(before.status.success(), "{}", text(&before));
    let new = MasterKey::generate(&wecom_idp::random::OsRng);
    let new_file = dir.path().join("new.key");
    wecom_idp::secrets::write_key_file(&new_file, &new).unwrap();
    let o = run(
        &[
            "master-key",
            "rotate",
            "--new-key-file",
            new_file.to_str().unwrap(),
        ],
        &env,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains(new.id()), "{}", text(&o));
    let mut with_new = env.clone();
    with_new.retain(|(k, _)| *k != "WECOM_IDP_MASTER_KEY");
    with_new.push(("WECOM_IDP_MASTER_KEY_FILE", new_file.display().to_string()));
    let after = run(&["idp-metadata"], &with_new);
    assert!(after.status.success(), "{}", text(&after));
    assert_eq!(after.stdout, before.stdout, "the same signing key");
    let old = run(&["idp-metadata"], &env);
    assert!(!old.status.success(), "the old master key still opens it");
    // Rotating to the key in use is refused.
    let o = run(
        &[
            "master-key",
            "rotate",
            "--new-key-file",
            new_file.to_str().unwrap(),
        ],
        &with_new,
    );
    assert!(!o.status.success() && text(&o).contains("current master key"));
}

#[test]
// Defence: the demo makes its own master key, kept in its data folder readable by the owner only.
fn demo_master_key_is_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(BIN)
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--data",
            dir.path().to_str().unwrap(),
        ])
        .env_remove("WECOM_IDP_MASTER_KEY")
        .env("WECOM_IDP_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let key = dir.path().join("master.key");
    let db = dir.path().join("wecom-idp.sqlite");
    let started = Instant::now();
    while !(key.exists() && db.exists()) && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&key).expect("the demo wrote master.key");
    MasterKey::parse(&text).expect("a usable key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "master.key mode {mode:o}");
    }
}

// ---------------------------------------------------------------------------------------------
// Limits and abuse
// ---------------------------------------------------------------------------------------------

fn plain() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Defence: per-IP token bucket on /saml/sso, /apps/*/start and /wecom/callback (one bucket for the
// three): past the burst a 429 page with Retry-After and one audit row; other routes are not limited;
// the rate refills the bucket.
async fn login_routes_are_rate_limited_per_ip() {
    let env = Env::start_on(Db::Sqlite, |c| {
        c.limits.requests_per_minute = 60;
        c.limits.burst = 3;
    })
    .await
    .unwrap();
    env.add_app("rl", &[]).await;
    let b = env.browser("test");
    let sso = format!("{}/saml/sso", env.base);
    for _ in 0..3 {
        assert_eq!(b.get(&sso).await.status, 400);
    }
    let limited = b.get(&sso).await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert_eq!(limited.reason().as_deref(), Some("rate_limited"));
    assert_eq!(limited.header("retry-after"), Some("1"));
    assert!(limited.header("content-security-policy").is_some());
    for path in ["/apps/rl/start", "/wecom/callback?code=c&state=s"] {
        let p = b.get(&format!("{}{path}", env.base)).await;
        assert_eq!(p.status, 429, "{path} shares the bucket");
    }
    for path in ["/saml/metadata", "/healthz"] {
        assert_eq!(b.get(&format!("{}{path}", env.base)).await.status, 200);
    }
    let rows: Vec<_> = env
        .audit()
        .await
        .into_iter()
        .filter(|r| r.reason == "rate_limited")
        .collect();
    assert_eq!(rows.len(), 1, "one audit row per episode: {rows:?}");
    assert_eq!(
        rows[0].client_ip.map(|ip| ip.to_string()).as_deref(),
        Some("127.0.0.1")
    );
    env.clock.advance(time::Duration::seconds(2));
    assert_eq!(b.get(&sso).await.status, 400, "refilled at the rate");
}

both_dbs!(
    unfinished_logins_are_capped_per_ip,
    per_ip_states,
    tweak = |c| c.limits.login_states_per_ip = 3
);
// Defence: the number of unfinished WeCom logins from one IP is capped across browsers (a client that
// drops its cookies gets no more than `limits.login_states_per_ip`).
async fn per_ip_states(env: Env) {
    env.add_app("cap", &[]).await;
    let url = format!("{}/apps/cap/start", env.base);
    for _ in 0..3 {
        let p = env.browser(WXWORK_UA).get(&url).await;
        assert_eq!(p.status, 302, "{}", p.body);
    }
    let p = env.browser(WXWORK_UA).get(&url).await;
    assert_eq!(p.status, 429, "{}", p.body);
    assert_eq!(p.reason().as_deref(), Some("too_many_logins_from_ip"));
    assert!(env
        .audit()
        .await
        .iter()
        .any(|r| r.reason == "too_many_logins_from_ip" && r.result == "refused"));
    env.clock.advance(time::Duration::minutes(11));
    assert_eq!(env.browser(WXWORK_UA).get(&url).await.status, 302);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Defence: request headers are capped: more than 32 KiB of headers is a 431 page (ours), more than
// 100 headers a 431 from hyper.
async fn oversized_headers_are_refused() {
    let env = Env::start(Db::Sqlite).await;
    let big = "a".repeat(40 * 1024);
    let r = plain()
        .get(format!("{}/saml/metadata", env.base))
        .header("x-big", &big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 431);
    assert!(r.headers().get("content-security-policy").is_some());
    assert!(r.text().await.unwrap().contains("headers_too_large"));
    let mut req = plain().get(format!("{}/saml/metadata", env.base));
    for i in 0..150 {
        req = req.header(format!("x-h{i}"), "v");
    }
    assert_eq!(req.send().await.unwrap().status(), 431);
    let ok = plain()
        .get(format!("{}/saml/metadata", env.base))
        .header("x-small", "a".repeat(4096))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Defence: every request is bounded by `limits.request_timeout_secs` (here 1 s) even when WeCom is
// slow (1.5 s per call, under the client's own 2 s timeout): a 503 page, not a hung connection.
async fn slow_requests_time_out() {
    let env = Env::start_on(Db::Sqlite, |c| c.limits.request_timeout_secs = 1)
        .await
        .unwrap();
    env.add_app("slow", &[]).await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let start = b.get(&format!("{}/apps/slow/start", env.base)).await;
    let wecom = b.get(&start.location.unwrap()).await;
    let callback = wecom.location.unwrap();
    env.sim.set_delay(Duration::from_millis(1500));
    let t0 = Instant::now();
    let p = b.get(&callback).await;
    let took = t0.elapsed();
    assert_eq!(p.status, 503, "{}", p.body);
    assert_eq!(p.reason().as_deref(), Some("timeout"));
    assert!(took < Duration::from_millis(1400), "took {took:?}");
    assert!(p.form().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Defence: the WeCom simulator cannot be switched on in production — no setting enables it, the
// production router has neither its routes nor the demo's — and it only ever listens on loopback.
async fn simulator_is_demo_and_test_only_and_loopback_only() {
    for var in [
        "WECOM_IDP_SIMULATOR",
        "WECOM_IDP_WECOM__SIMULATOR",
        "WECOM_IDP_DEMO",
    ] {
        let e = Config::load(None, [(var.to_string(), "true".to_string())]).unwrap_err();
        assert!(e.problem.contains("not a known setting"), "{var}: {e}");
    }
    let env = Env::start(Db::Sqlite).await;
    for path in ["/sim", "/sim/authorize", "/demo", "/cgi-bin/gettoken"] {
        let p = env
            .browser("test")
            .get(&format!("{}{path}", env.base))
            .await;
        assert_eq!(p.status, 404, "{path} is served in production");
    }
    let sim = wecom_idp::wecom::simulator::Simulator::demo(
        "s",
        env.clock.clone(),
        std::sync::Arc::new(wecom_idp::random::OsRng),
    );
    let open = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let e = sim.serve(open).await.unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
    assert!(e.to_string().contains("loopback"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Defence: X-Forwarded-For is believed only from a configured trusted proxy (then each forwarded
// client has its own bucket and audit IP); from anyone else it is ignored, so a client cannot pick a
// fresh IP per request to dodge the limit.
async fn forwarded_for_only_from_trusted_proxies() {
    let sso = |env: &Env| format!("{}/saml/sso", env.base);
    let get = |url: String, xff: &'static str| async move {
        plain()
            .get(url)
            .header("x-forwarded-for", xff)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    let env = Env::start_on(Db::Sqlite, |c| {
        c.limits.burst = 1;
        c.limits.trusted_proxies = vec!["127.0.0.0/8".into()];
    })
    .await
    .unwrap();
    assert_eq!(get(sso(&env), "203.0.113.1").await, 400);
    assert_eq!(get(sso(&env), "198.51.100.7, 203.0.113.2").await, 400);
    assert_eq!(get(sso(&env), "203.0.113.1").await, 429);
    assert!(env.audit().await.iter().any(|r| r.reason == "rate_limited"
        && r.client_ip.map(|ip| ip.to_string()).as_deref() == Some("203.0.113.1")));
    let untrusted = Env::start_on(Db::Sqlite, |c| c.limits.burst = 1)
        .await
        .unwrap();
    assert_eq!(get(sso(&untrusted), "203.0.113.1").await, 400);
    assert_eq!(get(sso(&untrusted), "203.0.113.2").await, 429);
    assert!(untrusted.audit().await.iter().all(|r| r
        .client_ip
        .map(|ip| ip.to_string())
        .as_deref()
        == Some("127.0.0.1")));
}

// ---------------------------------------------------------------------------------------------
// HTTP hygiene
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Defence: the security headers (CSP with frame-ancestors 'none', X-Frame-Options, nosniff,
// Referrer-Policy, Cache-Control) are on every reply: pages, redirects, errors, 404, metadata,
// metrics, static files and the 413/414/429/431 refusals.
async fn security_headers_on_every_route() {
    let env = Env::start_on(Db::Sqlite, |c| c.limits.burst = 12)
        .await
        .unwrap();
    env.add_app("hdr", &[]).await;
    let c = plain();
    let b = &env.base;
    let long = format!("{b}/saml/sso?SAMLRequest={}", "A".repeat(20 * 1024));
    let mut replies = Vec::new();
    for (what, req) in [
        ("sso error", c.get(format!("{b}/saml/sso"))),
        ("sso POST error", c.post(format!("{b}/saml/sso"))),
        ("start redirect", c.get(format!("{b}/apps/hdr/start"))),
        ("unknown app", c.get(format!("{b}/apps/nope/start"))),
        ("callback error", c.get(format!("{b}/wecom/callback"))),
        ("metadata", c.get(format!("{b}/saml/metadata"))),
        ("healthz", c.get(format!("{b}/healthz"))),
        ("readyz", c.get(format!("{b}/readyz"))),
        ("metrics", c.get(format!("{b}/metrics"))),
        ("css", c.get(format!("{b}/static/style.css"))),
        ("js", c.get(format!("{b}/static/autosubmit.js"))),
        ("404", c.get(format!("{b}/no/such/page"))),
        ("414", c.get(long)),
        (
            "413",
            c.post(format!("{b}/saml/sso"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("SAMLRequest={}", "A".repeat(300 * 1024))),
        ),
        (
            "431",
            c.get(format!("{b}/healthz"))
                .header("x-big", "a".repeat(40 * 1024)),
        ),
    ] {
        replies.push((what, req.send().await.unwrap()));
    }
    loop {
        let r = c.get(format!("{b}/saml/sso")).send().await.unwrap();
        if r.status() == 429 {
            replies.push(("429", r));
            break;
        }
    }
    for (what, r) in &replies {
        let h = r.headers();
        let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(
            get("content-security-policy").contains("frame-ancestors 'none'"),
            "{what} ({}) lacks CSP",
            r.status()
        );
        assert_eq!(get("x-frame-options"), "DENY", "{what}");
        assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
        assert_eq!(get("referrer-policy"), "no-referrer", "{what}");
        assert!(!get("cache-control").is_empty(), "{what}");
    }
    let status = |w: &str| replies.iter().find(|(x, _)| *x == w).unwrap().1.status();
    assert_eq!(status("404"), 404);
    assert_eq!(status("414"), 414);
    assert_eq!(status("413"), 413);
    assert_eq!(status("431"), 431);
    assert_eq!(status("start redirect"), 302);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Rule: every answer names its request in `X-Request-Id`, the reference an error page shows is that
// ID, and an ID a client sends is replaced by ours (it would otherwise choose what the logs and the
// page's reference say).
async fn request_ids_are_ours_and_named_in_every_answer() {
    let env = Env::start_on(Db::Sqlite, |_| {}).await.unwrap();
    let c = plain();
    let r = c
        .get(format!("{}/saml/sso", env.base))
        .header("x-request-id", "forged-by-the-client")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 16, "{id}");
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
    let page = r.text().await.unwrap();
    assert!(page.contains(&id), "the page's reference is the ID: {page}");
    let other = c.get(format!("{}/healthz", env.base)).send().await.unwrap();
    let second = other.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(second, id, "one ID per request");
}

#[test]
// Defence (configuration): the master key comes from WECOM_IDP_MASTER_KEY, which wins over
// `master_key_file`; a bad file is named; limits are typed from the environment and a trusted proxy
// that is not an IP or CIDR is refused, naming the setting.
fn master_key_and_limits_settings_load() {
    let dir = tempfile::tempdir().unwrap();
    let file_key = MasterKey::generate(&wecom_idp::random::OsRng);
    let f = dir.path().join("mk");
    wecom_idp::secrets::write_key_file(&f, &file_key).unwrap();
    let base = |extra: &[(&str, String)]| {
        let mut v = vec![
            (
                "WECOM_IDP_PUBLIC_URL".to_string(),
                "https://idp.example.com".to_string(),
            ),
            ("WECOM_IDP_WECOM__CORP_ID".into(), "ww1".into()),
            ("WECOM_IDP_WECOM__AGENT_ID".into(), "1000002".into()),
            ("WECOM_IDP_WECOM__SECRET".into(), "s".into()),
            ("WECOM_IDP_MASTER_KEY_FILE".into(), f.display().to_string()),
        ];
        v.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        v
    };
    let c = Config::load(None, base(&[])).unwrap();
    assert_eq!(c.master_key.as_ref().unwrap().id(), file_key.id());
    assert!(
        !format!("{c:?}").contains(&file_key.to_base64()),
        "Debug hides the key"
    );
    c.validate().unwrap();
    let c = Config::load(
        None,
        base(&[("WECOM_IDP_MASTER_KEY", TEST_MASTER_KEY.to_string())]),
    )
    .unwrap();
    assert_eq!(
        c.master_key.unwrap().id(),
        test_master_key().id(),
        "the environment wins"
    );
    std::fs::write(dir.path().join("bad"), "nope").unwrap();
    let e = Config::load(
        None,
        base(&[(
            "WECOM_IDP_MASTER_KEY_FILE",
            dir.path().join("bad").display().to_string(),
        )]),
    )
    .unwrap_err();
    assert_eq!(e.setting, "master_key_file");
    let c = Config::load(
        None,
        base(&[
            ("WECOM_IDP_LIMITS__REQUESTS_PER_MINUTE", "120".into()),
            (
                "WECOM_IDP_LIMITS__TRUSTED_PROXIES",
                "10.0.0.0/8, 192.0.2.1".into(),
            ),
        ]),
    )
    .unwrap();
    assert_eq!(c.limits.requests_per_minute, 120);
    assert_eq!(c.limits.trusted_proxies, ["10.0.0.0/8", "192.0.2.1"]);
    c.validate().unwrap();
    let c = Config::load(
        None,
        base(&[("WECOM_IDP_LIMITS__TRUSTED_PROXIES", "proxy.internal".into())]),
    )
    .unwrap();
    assert_eq!(c.validate().unwrap_err().setting, "limits.trusted_proxies");
}
