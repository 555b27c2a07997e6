//! SCIM 2.0 provisioning against a real SCIM server: `scim2-server` (PyPI, the python-scim
//! project's server), started on a loopback port with a bearer token. Users are created, updated
//! and deactivated, departments become groups with their members, a second run sends nothing, a 429
//! is retried after its Retry-After (a forwarding proxy answers 429 once), a dry run sends nothing,
//! and the userName a member is provisioned with is the NameID the app receives at sign-in.

use crate::both_dbs;
use crate::harness::*;
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wecom_idp::admin::Actor;
use wecom_idp::apps::App;
use wecom_idp::clock::Clock;
use wecom_idp::identity::access::Access;
use wecom_idp::identity::Profile;
use wecom_idp::provision::client::{Retry, ScimToken};
use wecom_idp::provision::plan::{DirDepartment, DirMember, Directory};
use wecom_idp::provision::{self, Outcome, Report};
use wecom_idp::wecom::simulator::{demo_departments, demo_members};

pub(crate) const TOKEN: &str = "scim-test-token-4b1d";

/// A `scim2-server` on a free loopback port, stopped when dropped.
pub(crate) struct ScimServer {
    child: Child,
    pub(crate) base: String,
}

impl ScimServer {
    pub(crate) async fn start() -> Self {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new("scim2-server")
            .args(["--hostname", "127.0.0.1", "--port", &port.to_string()])
            .args(["--bearer-token", TOKEN])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "scim2-server is not installed: pip install scim2-server (scripts/test.sh does)",
            );
        let s = Self {
            child,
            base: format!("http://127.0.0.1:{port}/v2"),
        };
        for _ in 0..100 {
            if s.get("ServiceProviderConfig").await.is_some() {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("scim2-server did not start on port {port}");
    }

    pub(crate) async fn get(&self, path: &str) -> Option<Value> {
        let r = reqwest::Client::new()
            .get(format!("{}/{path}", self.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .ok()?;
        r.status().is_success().then_some(())?;
        r.json().await.ok()
    }

    /// Every resource of `Users` or `Groups`.
    pub(crate) async fn all(&self, what: &str) -> Vec<Value> {
        let v = self.get(&format!("{what}?count=1000")).await.unwrap();
        v["Resources"].as_array().cloned().unwrap_or_default()
    }

    pub(crate) async fn user(&self, user_name: &str) -> Value {
        self.all("Users")
            .await
            .into_iter()
            .find(|u| u["userName"] == user_name)
            .unwrap_or_else(|| panic!("no user {user_name} at the SCIM server"))
    }
}

impl Drop for ScimServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A proxy in front of the SCIM server that answers `429 Retry-After: 1` to the first `fail`
/// requests and forwards the rest; counts what it saw.
pub(crate) struct Proxy {
    pub(crate) base: String,
    pub(crate) seen: Arc<AtomicUsize>,
    /// Every request seen: `METHOD /path`.
    pub(crate) log: Arc<std::sync::Mutex<Vec<String>>>,
}

pub(crate) async fn proxy(to: &str, fail: usize, status: u16) -> Proxy {
    proxy_with(to, fail, status, false).await
}

/// A proxy that, with `no_group_members`, answers every `GET /Groups…` with the groups' member
/// lists empty, as AWS IAM Identity Center does.
pub(crate) async fn proxy_with(
    to: &str,
    fail: usize,
    status: u16,
    no_group_members: bool,
) -> Proxy {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, Method, Uri};
    let seen = Arc::new(AtomicUsize::new(0));
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (to, counter, logged) = (
        to.trim_end_matches("/v2").to_string(),
        seen.clone(),
        log.clone(),
    );
    let handler = move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let (to, counter, logged) = (to.clone(), counter.clone(), logged.clone());
        async move {
            logged
                .lock()
                .unwrap()
                .push(format!("{method} {}", uri.path()));
            let n = counter.fetch_add(1, Ordering::SeqCst);
            if n < fail {
                return axum::http::Response::builder()
                    .status(status)
                    .header("Retry-After", "1")
                    .body(axum::body::Body::from("{\"detail\":\"slow down\"}"))
                    .unwrap();
            }
            let mut req = reqwest::Client::new().request(
                reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap(),
                format!("{to}{uri}"),
            );
            for name in ["authorization", "content-type", "accept"] {
                if let Some(v) = headers.get(name) {
                    req = req.header(name, v.to_str().unwrap());
                }
            }
            let r = req.body(body.to_vec()).send().await.unwrap();
            let code = r.status().as_u16();
            let mut bytes = r.bytes().await.unwrap();
            if no_group_members && method == Method::GET && uri.path().contains("/Groups") {
                let mut v: Value = serde_json::from_slice(&bytes).unwrap();
                let mut empty = |g: &mut Value| {
                    if g.get("members").is_some() {
                        g["members"] = Value::Array(Vec::new());
                    }
                };
                empty(&mut v);
                if let Some(all) = v.get_mut("Resources").and_then(Value::as_array_mut) {
                    all.iter_mut().for_each(&mut empty);
                }
                bytes = serde_json::to_vec(&v).unwrap().into();
            }
            axum::http::Response::builder()
                .status(code)
                .header("content-type", "application/scim+json")
                .body(axum::body::Body::from(bytes))
                .unwrap()
        }
    };
    let app = axum::Router::new().fallback(handler);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Proxy {
        base: format!("http://{addr}/v2"),
        seen,
        log,
    }
}

/// The simulator's demo organisation as plain directory inputs.
pub(crate) fn directory() -> Directory {
    let departments = demo_departments();
    let name_of = |id: i64| {
        departments
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.name.clone())
            .unwrap_or_default()
    };
    Directory {
        members: demo_members()
            .into_iter()
            .map(|m| DirMember {
                active: m.status == 1,
                profile: Profile {
                    userid: m.userid.clone(),
                    name: m.name.clone(),
                    email: m.email.clone(),
                    alias: m.alias.clone(),
                    department_names: m.department.iter().map(|d| name_of(*d)).collect(),
                    department_ids: m.department.clone(),
                    ..Profile::default()
                },
            })
            .collect(),
        departments: departments
            .iter()
            .map(|d| DirDepartment {
                id: d.id,
                name: d.name.clone(),
                parent: d.parentid,
            })
            .collect(),
        tags: Vec::new(),
    }
}

pub(crate) fn quick() -> Retry {
    Retry {
        attempts: 3,
        first_delay: Duration::from_millis(50),
        max_delay: Duration::from_secs(2),
    }
}

pub(crate) async fn run(env: &Env, app: &App, dir: &Directory, dry_run: bool) -> Report {
    let key = test_master_key();
    let ctx = provision::Ctx {
        store: &env.state.store,
        master_key: &key,
        now: env.clock.unix(),
        retry: quick(),
        actor: &Actor::Shell,
        ip: None,
    };
    provision::run(&ctx, app, dir, &Access::Everyone, dry_run)
        .await
        .unwrap()
}

pub(crate) async fn scim_app(env: &Env, name: &str, url: &str, sets: &[&str]) -> App {
    let mut all = vec!["provision=scim".to_string(), format!("scim_url={url}")];
    all.extend(sets.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let app = env.add_app(name, &refs).await;
    let key = test_master_key();
    let ctx = provision::Ctx {
        store: &env.state.store,
        master_key: &key,
        now: env.clock.unix(),
        retry: quick(),
        actor: &Actor::Shell,
        ip: None,
    };
    let token = ScimToken::parse(TOKEN).unwrap();
    provision::set_token(&ctx, &app, &token, &wecom_idp::random::OsRng)
        .await
        .unwrap();
    app
}

pub(crate) fn described(r: &Report) -> Vec<String> {
    r.changes.iter().map(|(c, _)| c.describe()).collect()
}

pub(crate) fn all_done(r: &Report) {
    for (c, o) in &r.changes {
        assert_eq!(*o, Outcome::Done, "{}", c.describe());
    }
}

// Rules: active members who may open the app are created with userName, externalId, name parts,
// displayName and the released email; departments become groups with their members; a second run
// changes nothing; a changed member is updated; a member who leaves is deactivated (not deleted)
// and leaves their group; every change is audited.
async fn create_update_deactivate(env: Env) {
    let scim = ScimServer::start().await;
    let app = scim_app(
        &env,
        "cloud",
        &scim.base,
        &[
            "provision_groups=departments",
            "attributes=userid,name,email",
        ],
    )
    .await;
    let mut dir = directory();
    let first = run(&env, &app, &dir, false).await;
    all_done(&first);
    assert_eq!((first.status.created, first.status.group_changes), (3, 3));
    let users = scim.all("Users").await;
    let mut names: Vec<&str> = users
        .iter()
        .map(|u| u["userName"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["lisi", "wangwu", "zhangsan"],
        "disabled and left members are not pushed"
    );
    let z = scim.user("zhangsan").await;
    assert_eq!(z["externalId"], "zhangsan");
    assert_eq!(z["displayName"], "张三");
    assert_eq!(
        (
            z["name"]["familyName"].as_str(),
            z["name"]["givenName"].as_str()
        ),
        (Some("张"), Some("三"))
    );
    assert_eq!(z["emails"][0]["value"], "zhangsan@example.com");
    assert_eq!(z["active"], true);
    let groups = scim.all("Groups").await;
    let rd = groups
        .iter()
        .find(|g| g["displayName"] == "研发部")
        .unwrap();
    assert_eq!(rd["members"][0]["value"], z["id"]);

    // Idempotent: nothing changed, nothing sent.
    let second = run(&env, &app, &dir, false).await;
    assert!(second.changes.is_empty(), "{:?}", described(&second));

    // A renamed member is updated; a member who left is deactivated and leaves the group.
    dir.members[1].profile.name = "李四四".into();
    dir.members[2].active = false;
    let third = run(&env, &app, &dir, false).await;
    all_done(&third);
    assert_eq!(
        (third.status.updated, third.status.deactivated),
        (1, 1),
        "{:?}",
        described(&third)
    );
    assert_eq!(scim.user("lisi").await["displayName"], "李四四");
    let w = scim.user("wangwu").await;
    assert_eq!(w["active"], false, "deactivated, not deleted");
    let groups = scim.all("Groups").await;
    let fin = groups
        .iter()
        .find(|g| g["displayName"] == "财务部")
        .unwrap();
    assert!(
        fin["members"].as_array().is_none_or(|m| m.is_empty()),
        "{fin}"
    );
    assert!(run(&env, &app, &dir, false).await.changes.is_empty());

    // A rejoining member is active again.
    dir.members[2].active = true;
    let back = run(&env, &app, &dir, false).await;
    all_done(&back);
    assert_eq!(scim.user("wangwu").await["active"], true);

    let rows: Vec<_> = env
        .audit()
        .await
        .into_iter()
        .filter(|r| r.event == "provision")
        .collect();
    assert!(rows
        .iter()
        .any(|r| r.reason == "scim_create_user" && r.userid.as_deref() == Some("zhangsan")));
    assert!(rows
        .iter()
        .any(|r| r.reason == "scim_deactivate_user" && r.userid.as_deref() == Some("wangwu")));
    let status = env.state.store.scim_run("cloud").await.unwrap().unwrap();
    assert_eq!(status.failed, 0);
}
both_dbs!(
    creates_updates_deactivates_and_groups,
    create_update_deactivate
);

// Rule: the SCIM userName is the NameID the app receives at sign-in (one source), and a setting
// where they cannot be equal is refused.
async fn user_name_is_the_name_id(env: Env) {
    let scim = ScimServer::start().await;
    let app = scim_app(&env, "mailapp", &scim.base, &["nameid_format=email"]).await;
    let r = run(&env, &app, &directory(), false).await;
    all_done(&r);
    let b = env.browser(WXWORK_UA);
    let form = env.login_in_client(&b, "mailapp", "zhangsan").await;
    let name_id = Saml::of(&form).name_id();
    assert_eq!(name_id, "zhangsan@example.com");
    assert_eq!(scim.user(&name_id).await["externalId"], "zhangsan");

    let vars = shell(&env);
    let (ok, out) = run_shell(
        &vars,
        &["app", "set", "mailapp", "--set", "nameid_format=persistent"],
    )
    .await;
    assert!(!ok, "{out}");
    assert!(out.contains("persistent NameID is a random value"), "{out}");
    let (ok, out) = run_shell(
        &vars,
        &["app", "set", "mailapp", "--set", "nameid_source=const:x"],
    )
    .await;
    assert!(!ok && out.contains("same userName"), "{out}");
}
both_dbs!(
    user_name_is_the_name_id_at_sign_in,
    user_name_is_the_name_id
);

// Rule: a 429 is retried after its Retry-After, and the run then succeeds; a server that keeps
// failing is given up on after the bounded attempts, the failure recorded in the status.
async fn retries(env: Env) {
    let scim = ScimServer::start().await;
    let p = proxy(&scim.base, 1, 429).await;
    let app = scim_app(&env, "slow", &p.base, &[]).await;
    let started = std::time::Instant::now();
    let r = run(&env, &app, &directory(), false).await;
    all_done(&r);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After: 1 was not honoured"
    );
    assert_eq!(scim.all("Users").await.len(), 3);

    let down = proxy(&scim.base, usize::MAX, 503).await;
    let app = scim_app(&env, "down", &down.base, &[]).await;
    let r = run(&env, &app, &directory(), false).await;
    assert_eq!(r.status.failed, 3);
    // Each user: the lookup tried `attempts` times, then given up.
    assert_eq!(
        down.seen.load(Ordering::SeqCst),
        3 * quick().attempts as usize
    );
    let status = env.state.store.scim_run("down").await.unwrap().unwrap();
    assert!(status.last_error.unwrap().contains("503"));
}
both_dbs!(retries_on_429_and_gives_up_on_5xx, retries);

// Rule: a dry run lists the changes and sends nothing; the real run after it makes them.
async fn dry_run(env: Env) {
    let scim = ScimServer::start().await;
    let p = proxy(&scim.base, 0, 200).await;
    let app = scim_app(&env, "dry", &p.base, &["provision_groups=departments"]).await;
    let r = run(&env, &app, &directory(), true).await;
    assert_eq!(r.changes.len(), 6, "{:?}", described(&r));
    assert!(r.changes.iter().all(|(_, o)| *o == Outcome::Planned));
    assert_eq!(p.seen.load(Ordering::SeqCst), 0, "a dry run sends nothing");
    assert!(env
        .state
        .store
        .scim_resources("dry")
        .await
        .unwrap()
        .is_empty());
    let r = run(&env, &app, &directory(), false).await;
    assert_eq!(r.changes.len(), 6);
}
both_dbs!(dry_run_sends_nothing, dry_run);

// Rule: the shell sets the token from a file (sealed, never printed) and provisions from the
// address book WeCom shows; the access rule decides who is in scope, as at sign-in; a leaver is
// deactivated in every app by member_left.
async fn from_the_shell(env: Env) {
    let scim = ScimServer::start().await;
    env.add_app("shell-app", &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let vars = shell(&env);
    let url = format!("scim_url={}", scim.base);
    let tf = format!("scim_token_file={}", token_file.display());
    let (ok, out) = run_shell(
        &vars,
        &[
            "app",
            "set",
            "shell-app",
            "--set",
            "provision=scim",
            "--set",
            &url,
            "--set",
            &tf,
            "--set",
            "access=dept:1",
        ],
    )
    .await;
    assert!(ok, "{out}");
    assert!(!out.contains(TOKEN), "the token is never printed");
    let (sealed, _) = env
        .state
        .store
        .scim_token("shell-app")
        .await
        .unwrap()
        .unwrap();
    assert!(!sealed.contains(TOKEN), "the token is sealed");

    let (ok, out) = run_shell(&vars, &["app", "provision", "shell-app", "--dry-run"]).await;
    assert!(ok, "{out}");
    assert!(out.contains("would create user zhangsan"), "{out}");
    assert!(scim.all("Users").await.is_empty());
    let (ok, out) = run_shell(&vars, &["app", "provision", "shell-app"]).await;
    assert!(ok, "{out}");
    assert!(out.contains("3 created"), "{out}");
    let (ok, out) = run_shell(&vars, &["app", "provision", "shell-app"]).await;
    assert!(
        ok && out.contains("0 created, 0 updated, 0 deactivated"),
        "{out}"
    );

    // Narrower access: only R&D stays active.
    let (ok, out) = run_shell(
        &vars,
        &["app", "set", "shell-app", "--set", "access=dept:2"],
    )
    .await;
    assert!(ok, "{out}");
    let (ok, out) = run_shell(&vars, &["app", "provision", "shell-app"]).await;
    assert!(ok && out.contains("2 deactivated"), "{out}");
    assert_eq!(scim.user("zhangsan").await["active"], true);
    assert_eq!(scim.user("lisi").await["active"], false);

    // The lifecycle's call: a leaver deactivated everywhere at once.
    let key = test_master_key();
    let ctx = provision::Ctx {
        store: &env.state.store,
        master_key: &key,
        now: env.clock.unix(),
        retry: quick(),
        actor: &Actor::Scheduler,
        ip: None,
    };
    let done = provision::member_left(&ctx, "zhangsan").await.unwrap();
    assert_eq!(done, vec![("shell-app".to_string(), Outcome::Done)]);
    assert_eq!(scim.user("zhangsan").await["active"], false);
    assert!(provision::member_left(&ctx, "zhangsan")
        .await
        .unwrap()
        .is_empty());
}
both_dbs!(provisions_from_the_shell, from_the_shell);
