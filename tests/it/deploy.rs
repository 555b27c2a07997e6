//! Deployment: `serve --check` on the packaged configuration (credentials from
//! `${CREDENTIALS_DIRECTORY}`, as systemd's `LoadCredential=` gives them) against the simulator, and
//! one test per failure kind; `health`; JSON logs with one INFO line per request.

use crate::cli::{text, BIN};
use crate::harness::{Env, AGENT_ID, CORP_ID, SECRET, TEST_MASTER_KEY};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use wecom_idp::clock::FixedClock;
use wecom_idp::random::OsRng;
use wecom_idp::wecom::simulator::{demo_departments, demo_members, Simulator};

const PACKAGED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/packaging/wecom-idp.toml");
/// Another valid master key (not the one the test database was made with).
const OTHER_MASTER_KEY: &str = "b3RoZXItbWFzdGVyLWtleS0zMi1ieXRlcy1sb25nLS0=";

/// The folder systemd would fill from `LoadCredential=`.
struct Credentials {
    dir: tempfile::TempDir,
}

impl Credentials {
    fn new(database_url: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let c = Self { dir };
        c.set("master-key", &format!("{TEST_MASTER_KEY}\n"));
        c.set("wecom-secret", SECRET);
        c.set("database-url", &format!("{database_url}\n"));
        c
    }
    fn set(&self, name: &str, value: &str) {
        std::fs::write(self.dir.path().join(name), value).unwrap();
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

async fn simulator() -> (Simulator, String) {
    let sim = Simulator::new(
        CORP_ID,
        AGENT_ID,
        SECRET,
        demo_members(),
        demo_departments(),
        std::sync::Arc::new(FixedClock::new(crate::harness::T0)),
        std::sync::Arc::new(OsRng),
    );
    let addr = sim.start().await.unwrap();
    (sim, format!("http://{addr}"))
}

/// Runs the binary with only the given `WECOM_IDP_*` variables and `CREDENTIALS_DIRECTORY`.
async fn run(args: &[&str], creds: Option<&Path>, vars: &[(&str, String)]) -> Output {
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("WECOM_IDP_") {
            c.env_remove(k);
        }
    }
    c.env_remove("CREDENTIALS_DIRECTORY");
    if let Some(p) = creds {
        c.env("CREDENTIALS_DIRECTORY", p);
    }
    c.env("WECOM_IDP_LOG", "error");
    for (k, v) in vars {
        c.env(k, v);
    }
    c.args(args);
    tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap()
}

fn wecom_env(api_base: &str) -> Vec<(&'static str, String)> {
    vec![
        ("WECOM_IDP_WECOM__CORP_ID", CORP_ID.into()),
        ("WECOM_IDP_WECOM__AGENT_ID", AGENT_ID.into()),
        ("WECOM_IDP_WECOM__API_BASE", api_base.into()),
    ]
}

async fn check(creds: &Credentials, vars: &[(&str, String)]) -> (bool, String) {
    let o = run(
        &["--config", PACKAGED, "serve", "--check"],
        Some(creds.path()),
        vars,
    )
    .await;
    (o.status.success(), text(&o))
}

/// The database every packaged-config test uses: SQLite in `dir`, or a fresh PostgreSQL schema.
async fn database(dir: &Path) -> Vec<String> {
    let mut urls = vec![format!("sqlite://{}", dir.join("idp.sqlite").display())];
    if let Some(pg) = Env::postgres_url().await {
        urls.push(pg);
    }
    urls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_check_passes_on_the_packaged_config() {
    let (_sim, sim_base) = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    for url in database(dir.path()).await {
        let creds = Credentials::new(&url);
        let (ok, t) = check(&creds, &wecom_env(&sim_base)).await;
        assert!(ok, "{t}");
        for line in [
            "✓ configuration: public_url https://idp.example.com",
            "✓ master key: ID ",
            "migrations to apply",
            "✓ signing key: none stored yet",
            "✓ WeCom: corp wwtest00000000001 app 1000002 (“企业微信登录 WeCom sign-in”): gettoken, agent/get and department/list answer",
            "all 5 checks passed",
        ] {
            assert!(t.contains(line), "missing `{line}` in:\n{t}");
        }
        assert!(!t.contains('✗'), "{t}");
        // The check changed nothing: the schema is still to be made. Once `serve` (here `migrate`
        // and `idp-metadata`, which makes the key) ran, the stored key is opened.
        let vars = wecom_env(&sim_base);
        let o = run(
            &["--config", PACKAGED, "migrate"],
            Some(creds.path()),
            &vars,
        )
        .await;
        assert!(o.status.success(), "{}", text(&o));
        let o = run(
            &["--config", PACKAGED, "idp-metadata"],
            Some(creds.path()),
            &vars,
        )
        .await;
        assert!(o.status.success(), "{}", text(&o));
        let (ok, t) = check(&creds, &vars).await;
        assert!(ok, "{t}");
        assert!(t.contains("schema up to date"), "{t}");
        assert!(
            t.contains("✓ signing key: active key `initial` opens"),
            "{t}"
        );
        // The signing key does not open with another master key.
        creds.set("master-key", OTHER_MASTER_KEY);
        let (ok, t) = check(&creds, &vars).await;
        assert!(!ok, "{t}");
        assert!(
            t.contains("✗ signing key:") && t.contains("master key ID"),
            "{t}"
        );
        assert!(t.contains("1 of 5 checks failed"), "{t}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_check_names_a_wrong_wecom_secret_with_its_errcode() {
    let (_sim, sim_base) = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let creds = Credentials::new(&format!(
        "sqlite://{}",
        dir.path().join("x.sqlite").display()
    ));
    creds.set("wecom-secret", "not-the-secret");
    let (ok, t) = check(&creds, &wecom_env(&sim_base)).await;
    assert!(!ok, "{t}");
    assert!(t.contains("✗ WeCom: errcode 40001, gettoken"), "{t}");
    assert!(
        !t.contains("not-the-secret"),
        "the secret is never printed: {t}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_check_says_when_wecom_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let creds = Credentials::new(&format!(
        "sqlite://{}",
        dir.path().join("x.sqlite").display()
    ));
    let (ok, t) = check(&creds, &wecom_env("http://127.0.0.1:1")).await;
    assert!(!ok, "{t}");
    assert!(
        t.contains("✗ WeCom: gettoken") && t.contains("Could not reach WeCom"),
        "{t}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_check_says_when_the_database_is_unreachable() {
    let (_sim, sim_base) = simulator().await;
    let creds = Credentials::new("postgres://nobody@127.0.0.1:1/nothing");
    let (ok, t) = check(&creds, &wecom_env(&sim_base)).await;
    assert!(!ok, "{t}");
    assert!(
        t.contains("✗ database: configuration `database_url`"),
        "{t}"
    );
    assert!(t.contains("- signing key: not checked"), "{t}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_check_names_bad_configuration_and_a_missing_master_key() {
    // The packaged file outside systemd: ${CREDENTIALS_DIRECTORY} is not set.
    let o = run(&["--config", PACKAGED, "serve", "--check"], None, &[]).await;
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(
        t.contains("✗ configuration: configuration `master_key_file`")
            && t.contains("CREDENTIALS_DIRECTORY"),
        "{t}"
    );
    // A wrong value: named.
    let dir = tempfile::tempdir().unwrap();
    let creds = Credentials::new(&format!(
        "sqlite://{}",
        dir.path().join("x.sqlite").display()
    ));
    let mut vars = wecom_env("http://127.0.0.1:1");
    vars.push(("WECOM_IDP_PUBLIC_URL", "http://idp.example.com".into()));
    let (ok, t) = check(&creds, &vars).await;
    assert!(
        !ok && t.contains("✗ configuration:") && t.contains("public_url"),
        "{t}"
    );
    assert!(t.contains("- database: not checked"), "{t}");
    // No master key at all (no file, no variable).
    let vars = vec![
        (
            "WECOM_IDP_PUBLIC_URL",
            "https://idp.example.com".to_string(),
        ),
        (
            "WECOM_IDP_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("y.sqlite").display()),
        ),
    ];
    let o = run(&["serve", "--check"], None, &vars).await;
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(
        t.contains("✗ master key:") && t.contains("openssl rand"),
        "{t}"
    );
    assert!(t.contains("- signing key: not checked"), "{t}");
}

#[test]
fn every_packaged_config_loads() {
    let dir = tempfile::tempdir().unwrap();
    let creds = Credentials::new("sqlite:///var/lib/wecom-idp/wecom-idp.sqlite");
    let env = vec![(
        "CREDENTIALS_DIRECTORY".to_string(),
        creds.path().display().to_string(),
    )];
    let packaging = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging");
    let configs: Vec<PathBuf> = walk(&packaging)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    assert!(!configs.is_empty());
    for p in configs {
        let c = wecom_idp::config::Config::load(Some(&p), env.clone())
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        c.validate()
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert_eq!(
            c.database_url,
            "sqlite:///var/lib/wecom-idp/wecom-idp.sqlite"
        );
        assert!(!c.limits.trusted_proxies.is_empty(), "{}", p.display());
    }
    let _ = dir;
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The container's HEALTHCHECK: `wecom-idp health --url …` succeeds on a running server and fails
/// (non-zero) when nothing answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_asks_healthz() {
    let env = Env::start(crate::harness::Db::Sqlite).await;
    let url = format!("{}/healthz", env.base);
    let o = run(&["health", "--url", &url], None, &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    // Without --url: the configured listen address (a wildcard one asked on loopback).
    let port = env.base.rsplit(':').next().unwrap().to_string();
    let o = run(
        &["health"],
        None,
        &[("WECOM_IDP_LISTEN", format!("0.0.0.0:{port}"))],
    )
    .await;
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("http://127.0.0.1:{port}/healthz")),
        "{}",
        text(&o)
    );
    let o = run(
        &["health", "--url", "http://127.0.0.1:1/healthz"],
        None,
        &[],
    )
    .await;
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("health:"), "{}", text(&o));
}

/// `log_format = "json"`: every line on stderr is a JSON object, and every answered request writes
/// exactly one INFO line (`wecom_idp::request`) with its method, path, status, duration, request ID,
/// client IP, and the app and refusal reason when known.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_write_one_info_line_per_request() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let vars = [
        ("WECOM_IDP_PUBLIC_URL", base.clone()),
        ("WECOM_IDP_LISTEN", format!("127.0.0.1:{port}")),
        (
            "WECOM_IDP_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("idp.sqlite").display()),
        ),
        ("WECOM_IDP_MASTER_KEY", TEST_MASTER_KEY.to_string()),
        ("WECOM_IDP_WECOM__CORP_ID", CORP_ID.to_string()),
        ("WECOM_IDP_WECOM__AGENT_ID", AGENT_ID.to_string()),
        ("WECOM_IDP_WECOM__SECRET", SECRET.to_string()),
        (
            "WECOM_IDP_WECOM__API_BASE",
            "http://127.0.0.1:1".to_string(),
        ),
        (
            "WECOM_IDP_WECOM__OAUTH_BASE",
            "http://127.0.0.1:1".to_string(),
        ),
        (
            "WECOM_IDP_WECOM__WEB_LOGIN_BASE",
            "http://127.0.0.1:1".to_string(),
        ),
    ];
    let huawei = crate::cli::fixture("huaweicloud-global.xml");
    let o = run(
        &["app", "add", "huawei", "--metadata", &huawei],
        None,
        &vars,
    )
    .await;
    assert!(o.status.success(), "{}", text(&o));
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("WECOM_IDP_") {
            c.env_remove(k);
        }
    }
    c.envs(vars);
    c.env("WECOM_IDP_LOG", "info");
    c.env("WECOM_IDP_LOG_FORMAT", "json");
    c.args(["serve"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let child = c.spawn().unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut up = false;
    for _ in 0..200 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let requests = [
        ("/healthz", 200),
        ("/no/such/page", 404),
        ("/apps/no-such-app/start", 404),
        // No session: off to WeCom, with the app known.
        ("/apps/huawei/start", 302),
    ];
    if up {
        for (path, status) in requests {
            let r = http
                .get(format!("{base}{path}"))
                .header("x-forwarded-for", "198.51.100.9")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), status, "{path}");
        }
    }
    // SIGTERM: the graceful shutdown writes its last lines.
    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(up, "the server did not start:\n{stderr}");
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["message"] == "wecom-idp serving" && l["audit_retention_days"] == 180),
        "{stderr}"
    );
    let request_lines: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["target"] == "wecom_idp::request")
        .collect();
    for (path, status) in requests {
        let found: Vec<_> = request_lines.iter().filter(|l| l["path"] == path).collect();
        // The readiness probe's own /healthz requests come first; the last one is ours.
        let l = found
            .last()
            .unwrap_or_else(|| panic!("no line for {path}:\n{stderr}"));
        assert_eq!(l["level"], "INFO", "{l}");
        assert_eq!(l["method"], "GET", "{l}");
        assert_eq!(l["status"], status, "{l}");
        assert!(l["duration_ms"].is_u64(), "{l}");
        assert!(l["timestamp"].is_string(), "{l}");
        // Not a trusted proxy: the peer, never the forged header.
        assert_eq!(l["client_ip"], "127.0.0.1", "{l}");
        let id = l["request_id"].as_str().unwrap();
        assert_eq!(id.len(), 16, "{l}");
        // Exactly one INFO line belongs to this request (its own, or one inside its span).
        let info_of_request = lines
            .iter()
            .filter(|x| x["level"] == "INFO")
            .filter(|x| x["request_id"] == id || x["span"]["request_id"] == id)
            .count();
        assert_eq!(info_of_request, 1, "{id}:\n{stderr}");
    }
    let not_found = request_lines
        .iter()
        .find(|l| l["path"] == "/no/such/page")
        .unwrap();
    assert_eq!(not_found["reason"], "not_found", "{not_found}");
    assert!(not_found.get("app").is_none(), "{not_found}");
    let start = request_lines
        .iter()
        .find(|l| l["path"] == "/apps/huawei/start")
        .unwrap();
    assert_eq!(start["app"], "huawei", "{start}");
}
