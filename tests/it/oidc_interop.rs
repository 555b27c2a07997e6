//! The OpenID Connect provider against relying-party libraries that are not ours, run by
//! `interop/run.sh`: npm's `openid-client` (panva's, OpenID certified; `interop/oidc/rp.mjs`) and
//! Python's authlib (`interop/oidc/rp_authlib.py`) complete the code flow with PKCE against the
//! running server and the WeCom simulator — discovery, the ID token validated by the library,
//! userinfo, refresh with rotation, `prompt=none`, end session (openid-client) — for a
//! confidential client (`client_secret_basic` and `client_secret_post`) and a public one.
//!
//! Each checker prints `<peer>: N passed, M failed` and exits non-zero on a failure, which fails the
//! test. The libraries judge tokens by the wall clock, so the server's fixed clock is set to it.
//! Skipped unless `interop/run.sh` names the runtimes: `WECOM_IDP_OIDC_RP_NODE` (node, with
//! `interop/oidc/node_modules` installed) and `WECOM_IDP_OIDC_RP_PYTHON` (the interop venv's python).

use crate::harness::{Db, Env, WXWORK_UA};
use crate::oidc::{add_client, RP};
use serde_json::json;
use std::process::Command;
use wecom_idp::clock::{Clock, SystemClock};

/// Where the checkers are told to send the browser after an end session.
const POST_LOGOUT: &str = "https://rp.example/logged-out";

/// A server with a confidential and a public client, its clock on the wall clock; the checker's
/// configuration (the clients as `client_secret_basic`, `client_secret_post` and `none`).
async fn setup() -> (Env, serde_json::Value) {
    let env = Env::start(Db::Sqlite).await;
    env.clock.set(SystemClock.now());
    let logout = ("post_logout_redirect_uris", POST_LOGOUT);
    let (conf, secret) = add_client(&env, "grafana", &[logout]).await;
    let (public, _) = add_client(&env, "spa", &[("client_type", "public"), logout]).await;
    let es256 = ("id_token_signed_response_alg", "ES256");
    let (es, es_secret) = add_client(&env, "es-app", &[es256, logout]).await;
    let secret = secret.unwrap();
    let config = json!({
        "issuer": env.base,
        "sim_base": env.sim_base,
        "user_agent": WXWORK_UA,
        "userid": "zhangsan",
        "sub": "zhangsan",
        "name": "张三",
        "redirect_uri": RP,
        "post_logout_redirect_uri": POST_LOGOUT,
        // The server has RP-initiated logout: a discovery document without it fails the checker.
        "end_session": true,
        "clients": [
            {"label": "secret_basic", "client_id": conf.client_id.as_str(),
             "client_secret": secret, "auth": "client_secret_basic"},
            {"label": "secret_post", "client_id": conf.client_id.as_str(),
             "client_secret": secret, "auth": "client_secret_post"},
            {"label": "public", "client_id": public.client_id.as_str(), "auth": "none"},
            {"label": "es256", "client_id": es.client_id.as_str(), "client_secret": es_secret,
             "auth": "client_secret_basic", "id_token_signed_response_alg": "ES256"},
        ],
    });
    (env, config)
}

/// Runs `program script CONFIG` and fails the test on a non-zero exit; its output is shown.
fn run_checker(program: &str, script: &str, config: &serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rp.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let out = Command::new(program)
        .arg(script)
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("{program} {script}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{script} failed: {stdout}");
    assert!(
        stdout.contains(" passed, 0 failed"),
        "{script} printed no count: {stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_completes_the_flows() {
    let Ok(node) = std::env::var("WECOM_IDP_OIDC_RP_NODE") else {
        return;
    };
    let (_env, config) = setup().await;
    let config = config.clone();
    tokio::task::spawn_blocking(move || run_checker(&node, "interop/oidc/rp.mjs", &config))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authlib_completes_the_flows() {
    let Ok(python) = std::env::var("WECOM_IDP_OIDC_RP_PYTHON") else {
        return;
    };
    let (_env, config) = setup().await;
    tokio::task::spawn_blocking(move || {
        run_checker(&python, "interop/oidc/rp_authlib.py", &config)
    })
    .await
    .unwrap();
}
