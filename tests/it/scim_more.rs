//! SCIM provisioning, more: the token is write-only in the API and the console (sealed like the
//! command line's, audited, never in an answer or a page); the app's API answer carries the typed
//! status of the last run; groups change by PATCH for apps without PUT on groups (AWS IAM Identity
//! Center), checked against the real `scim2-server` behind a proxy that records every request;
//! and a leaver ends deactivated at the SCIM server end to end, by a real encrypted WeCom event
//! and by a full directory sync that finds them gone.

use crate::both_dbs;
use crate::harness::*;
use crate::scim::{
    all_done, described, directory, proxy, proxy_with, run, scim_app, ScimServer, TOKEN,
};
use serde_json::{json, Value};
use wecom_idp::clock::Clock;
use wecom_idp::config::Config;
use wecom_idp::wecom::event_crypto::{AesKey, CallbackToken};

/// An app that provisions to `url`, without a token.
async fn bare_app(env: &Env, name: &str, url: &str) {
    let u = format!("scim_url={url}");
    env.add_app(name, &["provision=scim", &u]).await;
}

// Rule: the token is write-only in the API: PUT seals and stores it (the answer and every later
// read say only whether one is set and since when), a bad or oversized token is refused and
// changes nothing, DELETE clears it; each change is audited without the token; provisioning runs
// with the token set through the API, and stops once it is cleared.
async fn token_api(env: Env) {
    let scim = ScimServer::start().await;
    bare_app(&env, "api-scim", &scim.base).await;
    let api = env.api(&env.api_token("ci").await);
    let path = "/apps/api-scim/scim-token";
    assert_eq!(
        api.get(path).await,
        (200, json!({"set": false, "set_at": null}))
    );

    let (status, body) = api
        .put(path, json!({"token": format!("  {TOKEN}\n")}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["set"], true);
    assert!(body["set_at"].is_string(), "{body}");
    assert!(!body.to_string().contains(TOKEN));
    let (_, app) = api.get("/apps/api-scim").await;
    assert!(
        !app.to_string().contains(TOKEN),
        "the app's answer never has it"
    );
    assert_eq!(app["provisioning"]["token_set"], true);
    assert_eq!(app["provisioning"]["token_set_at"], body["set_at"]);
    let (sealed, _) = env
        .state
        .store
        .scim_token("api-scim")
        .await
        .unwrap()
        .unwrap();
    assert!(!sealed.contains(TOKEN), "sealed");

    // Sealed as the command line seals it: a run opens it and the SCIM server takes it.
    let app = env.state.store.app("api-scim").await.unwrap().unwrap();
    let app = wecom_idp::apps::App::from_row(app).unwrap();
    all_done(&run(&env, &app, &directory(), false).await);
    assert_eq!(scim.all("Users").await.len(), 3);

    for bad in [
        json!({"token": "has space"}),
        json!({"token": "   "}),
        json!({"token": "x".repeat(8193)}),
        json!({"token": 5}),
        json!({"token": TOKEN, "extra": 1}),
        json!({}),
    ] {
        let (status, body) = api.put(path, bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    assert_eq!(
        api.put("/apps/nope/scim-token", json!({"token": "t"}))
            .await
            .0,
        404
    );
    assert_eq!(api.get("/apps/nope/scim-token").await.0, 404);
    assert_eq!(api.delete("/apps/nope/scim-token").await.0, 404);
    assert_eq!(api.get("/apps/Not_A_Name/scim-token").await.0, 400);
    assert_eq!(
        api.get(path).await.1["set"],
        true,
        "a refused token changed nothing"
    );

    let (status, body) = api.delete(path).await;
    assert_eq!((status, body), (200, json!({"set": false, "set_at": null})));
    assert!(env
        .state
        .store
        .scim_token("api-scim")
        .await
        .unwrap()
        .is_none());
    let key = test_master_key();
    let ctx = wecom_idp::provision::Ctx {
        store: &env.state.store,
        master_key: &key,
        now: env.clock.unix(),
        retry: crate::scim::quick(),
        actor: &wecom_idp::admin::Actor::Shell,
        ip: None,
    };
    let e = wecom_idp::provision::run(&ctx, &app, &directory(), &Default::default(), false)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no SCIM token"), "{e}");

    let rows: Vec<_> = env
        .audit()
        .await
        .into_iter()
        .filter(|r| r.event == "scim_token_set")
        .collect();
    let mut reasons: Vec<&str> = rows.iter().map(|r| r.reason.as_str()).collect();
    reasons.sort_unstable();
    assert_eq!(
        reasons,
        ["scim_token_cleared", "scim_token_set"],
        "{rows:?}"
    );
    assert!(rows.iter().all(|r| r.actor.as_deref() == Some("token:ci")));
    assert!(
        rows.iter()
            .all(|r| r.client_ip.map(|ip| ip.to_string()).as_deref() == Some("127.0.0.1")),
        "each row names the client, as other admin rows do: {rows:?}"
    );
    assert!(!format!("{rows:?}").contains(TOKEN));

    // The spec has the route, its length limit, and the typed status.
    let (_, doc) = api.get("/openapi.json").await;
    let route = &doc["paths"]["/api/v1/apps/{name}/scim-token"];
    for m in ["get", "put", "delete"] {
        assert!(route[m].is_object(), "{m} missing: {route}");
    }
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["ScimTokenRequest"]["properties"]["token"]["maxLength"],
        8192
    );
    assert!(schemas["AppView"]["properties"]["provisioning"].is_object());
    assert!(schemas["ProvisioningRunView"]["properties"]["dry_run"].is_object());
}
both_dbs!(the_token_is_write_only_in_the_api, token_api);

// Rule: the console's token form is a password field; set, replace and clear work, the page says
// since when a token is set and never shows it; a bad token is refused beside the field and not
// echoed; a form without the session's CSRF token changes nothing. Each change is audited with
// the admin and the client address.
async fn token_console(env: Env) {
    bare_app(&env, "console-scim", "https://scim.example.com/v2").await;
    let (b, csrf) = env.admin_browser("zhangsan").await;
    let page_url = format!("{}/admin/apps/console-scim", env.base);
    let form_url = format!("{page_url}/scim-token");
    let page = b.get(&page_url).await;
    assert!(
        page.body.contains("id=\"scim-token-form\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("type=\"password\" name=\"token\""));
    // The admin's browser is WeCom's, so the console speaks Chinese.
    assert!(page.body.contains("id=\"scim-token-state\">尚未设置令牌"));
    assert!(
        !page.body.contains("id=\"scim-token-clear\""),
        "nothing to clear"
    );

    let bad = b
        .post_form(
            &form_url,
            &[("csrf", &csrf), ("action", "set"), ("token", "two words")],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("class=\"field-error\""), "{}", bad.body);
    assert!(
        !bad.body.contains("two words"),
        "a refused token is not echoed"
    );
    assert!(env
        .state
        .store
        .scim_token("console-scim")
        .await
        .unwrap()
        .is_none());

    b.post_form(
        &form_url,
        &[("csrf", &csrf), ("action", "set"), ("token", TOKEN)],
    )
    .await;
    let page = b.get(&page_url).await;
    assert!(page.body.contains("已设置令牌，设置于"), "{}", page.body);
    assert!(page.body.contains("令牌设置于 "));
    assert!(!page.body.contains(TOKEN), "never shown");
    assert!(page.body.contains(">替换<"));
    assert!(page.body.contains("id=\"scim-token-clear\""));
    let first = env.state.store.scim_token("console-scim").await.unwrap();

    b.post_form(
        &form_url,
        &[
            ("csrf", &csrf),
            ("action", "set"),
            ("token", "another-token"),
        ],
    )
    .await;
    let replaced = env.state.store.scim_token("console-scim").await.unwrap();
    assert!(replaced.is_some() && replaced != first, "replaced");

    let wrong = b
        .post_form(&form_url, &[("csrf", "nope"), ("action", "clear")])
        .await;
    assert_ne!(wrong.status, 200);
    assert!(env
        .state
        .store
        .scim_token("console-scim")
        .await
        .unwrap()
        .is_some());
    b.post_form(&form_url, &[("csrf", &csrf), ("action", "clear")])
        .await;
    assert!(env
        .state
        .store
        .scim_token("console-scim")
        .await
        .unwrap()
        .is_none());
    let page = b.get(&page_url).await;
    assert!(page.body.contains("尚未设置令牌"));
    let rows: Vec<_> = env
        .audit()
        .await
        .into_iter()
        .filter(|r| r.event == "scim_token_set")
        .collect();
    let mut reasons: Vec<&str> = rows.iter().map(|r| r.reason.as_str()).collect();
    reasons.sort_unstable();
    assert_eq!(
        reasons,
        ["scim_token_cleared", "scim_token_set", "scim_token_set"],
        "{rows:?}"
    );
    assert!(rows
        .iter()
        .all(|r| r.actor.as_deref() == Some("wecom:zhangsan")
            && r.client_ip.map(|ip| ip.to_string()).as_deref() == Some("127.0.0.1")));
}
both_dbs!(the_token_is_write_only_in_the_console, token_console);

// Rule: the app's API answer has the typed status: the last run's time, trigger, counts and first
// error, and whether a token is set; `summary` keeps its line. A dry run is the last dry run, shown
// apart (API, summary, console in both languages): it never takes the last real run's place.
async fn typed_status(env: Env) {
    let scim = ScimServer::start().await;
    let app = scim_app(&env, "typed", &scim.base, &["provision_groups=departments"]).await;
    let api = env.api(&env.api_token("ci").await);
    let (_, v) = api.get("/apps/typed").await;
    let p = &v["provisioning"];
    assert_eq!(p["mode"], "scim");
    assert_eq!(p["groups"], "departments");
    assert_eq!(p["group_update"], "put");
    assert_eq!(p["token_set"], true);
    assert!(p["last_run"].is_null());
    assert!(p["last_dry_run"].is_null());

    run(&env, &app, &directory(), true).await;
    let (_, v) = api.get("/apps/typed").await;
    assert!(
        v["provisioning"]["last_run"].is_null(),
        "a dry run is no run: {v}"
    );
    let dry = &v["provisioning"]["last_dry_run"];
    assert_eq!(dry["dry_run"], true, "{dry}");
    assert_eq!(dry["trigger"], "shell");
    assert_eq!(
        (dry["created"].as_i64(), dry["groups"].as_i64()),
        (Some(3), Some(3))
    );
    assert!(
        scim.all("Users").await.is_empty(),
        "a dry run sends nothing"
    );

    all_done(&run(&env, &app, &directory(), false).await);
    let (_, v) = api.get("/apps/typed").await;
    let last = &v["provisioning"]["last_run"];
    assert_eq!(last["dry_run"], false);
    assert_eq!(last["created"], 3);
    assert_eq!(last["updated"], 0);
    assert_eq!(last["deactivated"], 0);
    assert_eq!(last["failed"], 0);
    assert!(last["first_error"].is_null());
    assert!(last["finished_at"].as_str().unwrap().ends_with('Z'));
    let line = v["summary"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l[0] == "provisioning")
        .cloned()
        .unwrap();
    assert!(line[1].as_str().unwrap().contains("3 created"), "{line}");
    assert_eq!(
        v["provisioning"]["last_dry_run"]["created"], 3,
        "the dry run is kept apart"
    );

    // A dry run after the real one leaves the real one as the last run, and is said apart.
    let mut moved = directory();
    moved.members[0].profile.name = "张三丰".into();
    env.clock.advance(time::Duration::seconds(60));
    let dry = run(&env, &app, &moved, true).await;
    assert_eq!(dry.status.updated, 1);
    let (_, v) = api.get("/apps/typed").await;
    let p = &v["provisioning"];
    assert_eq!(p["last_run"]["dry_run"], false, "{p}");
    assert_eq!(p["last_run"]["created"], 3, "{p}");
    assert_eq!(p["last_dry_run"]["updated"], 1, "{p}");
    assert_ne!(
        p["last_dry_run"]["finished_at"],
        p["last_run"]["finished_at"]
    );
    let summary = v["summary"].to_string();
    assert!(summary.contains("last run"), "{summary}");
    assert!(
        summary.contains("; last dry run") && summary.contains("would create 0, update 1"),
        "{summary}"
    );
    let (b, _) = env.admin_browser("zhangsan").await;
    let page = b.get(&format!("{}/admin/apps/typed", env.base)).await;
    assert!(page.body.contains("最近运行"), "{}", page.body);
    assert!(page.body.contains("最近演练"), "{}", page.body);
    assert!(page.body.contains("将创建 0，更新 1"), "{}", page.body);
    let mut en = b.clone();
    en.accept_language = Some("en-US".into());
    let page = en.get(&format!("{}/admin/apps/typed", env.base)).await;
    assert!(
        page.body.contains("last run") && page.body.contains("last dry run"),
        "{}",
        page.body
    );
    let (_, doc) = api.get("/openapi.json").await;
    let view = &doc["components"]["schemas"]["ProvisioningView"]["properties"];
    assert!(view["last_dry_run"].is_object(), "{view}");

    // A failure is counted and the first one said.
    let mut dir = directory();
    dir.members[0].profile.name = "张三丰".into();
    drop(scim);
    let r = run(&env, &app, &dir, false).await;
    assert_eq!(r.status.failed, 1, "{:?}", described(&r));
    let (_, v) = api.get("/apps/typed").await;
    let last = &v["provisioning"]["last_run"];
    assert_eq!(last["failed"], 1);
    assert!(
        last["first_error"]
            .as_str()
            .unwrap()
            .contains("update user zhangsan"),
        "{last}"
    );
}
both_dbs!(
    the_app_answer_has_the_typed_provisioning_status,
    typed_status
);

fn group<'a>(groups: &'a [Value], name: &str) -> &'a Value {
    groups
        .iter()
        .find(|g| g["displayName"] == name)
        .unwrap_or_else(|| panic!("no group {name}"))
}

fn member_ids(g: &Value) -> Vec<String> {
    let mut ids: Vec<String> = g["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|x| x["value"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

// Rule: with scim_group_update=patch no PUT is ever sent to /Groups: a new group is created empty
// and its members added by PATCH; later runs PATCH only the members that changed (add and
// remove) and the display name; the SCIM server ends with the right members.
async fn groups_by_patch(env: Env) {
    let scim = ScimServer::start().await;
    let p = proxy(&scim.base, 0, 200).await;
    let app = scim_app(
        &env,
        "aws",
        &p.base,
        &["provision_groups=departments", "scim_group_update=patch"],
    )
    .await;
    let mut dir = directory();
    let first = run(&env, &app, &dir, false).await;
    all_done(&first);
    assert_eq!(first.status.group_changes, 3);
    let log = p.log.lock().unwrap().clone();
    assert!(
        !log.iter().any(|l| l.starts_with("PUT /v2/Groups")),
        "{log:?}"
    );
    assert_eq!(
        log.iter()
            .filter(|l| l.starts_with("POST /v2/Groups"))
            .count(),
        3,
        "{log:?}"
    );
    assert!(
        log.iter().any(|l| l.starts_with("PATCH /v2/Groups/")),
        "{log:?}"
    );
    let z = scim.user("zhangsan").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let l = scim.user("lisi").await["id"].as_str().unwrap().to_string();
    let groups = scim.all("Groups").await;
    let rd = group(&groups, "研发部");
    let rd_id = rd["id"].as_str().unwrap().to_string();
    assert!(member_ids(rd).contains(&z), "{rd}");

    // zhangsan moves to lisi's department; the department of zhangsan's is renamed.
    p.log.lock().unwrap().clear();
    let (zi, li) = (0, 1);
    let from = dir.members[zi].profile.department_ids.clone();
    let to = dir.members[li].profile.department_ids.clone();
    dir.members[zi].profile.department_ids = to.clone();
    dir.members[zi].profile.department_names = dir.members[li].profile.department_names.clone();
    let second = run(&env, &app, &dir, false).await;
    all_done(&second);
    let log = p.log.lock().unwrap().clone();
    assert!(
        !log.iter().any(|l| l.starts_with("PUT /v2/Groups")),
        "{log:?}"
    );
    assert!(
        !log.iter().any(|l| l.starts_with("POST /v2/Groups")),
        "{log:?}"
    );
    let groups = scim.all("Groups").await;
    let rd_after = groups.iter().find(|g| g["id"] == rd_id.as_str()).unwrap();
    if from != to {
        assert!(!member_ids(rd_after).contains(&z), "{rd_after}");
    }
    let lisi_group = groups.iter().find(|g| member_ids(g).contains(&l)).unwrap();
    assert!(member_ids(lisi_group).contains(&z), "{lisi_group}");
    assert!(
        run(&env, &app, &dir, false).await.changes.is_empty(),
        "nothing more to send"
    );
    let rows = env.state.store.scim_resources("aws").await.unwrap();
    assert!(
        rows.iter()
            .filter(|r| r.kind == "group")
            .all(|r| r.members.starts_with('[')),
        "{rows:?}"
    );
}
both_dbs!(aws_groups_change_by_patch_never_put, groups_by_patch);

/// The demo directory with zhangsan moved from R&D (研发部) to lisi's department.
fn zhangsan_moved() -> wecom_idp::provision::plan::Directory {
    let mut dir = directory();
    dir.members[0].profile.department_ids = dir.members[1].profile.department_ids.clone();
    dir.members[0].profile.department_names = dir.members[1].profile.department_names.clone();
    dir
}

/// Forgets the members last sent to each of the app's groups, as rows written before they were
/// kept have none.
async fn forget_members(env: &Env, app: &str) {
    let store = &env.state.store;
    for mut r in store.scim_resources(app).await.unwrap() {
        if r.kind == "group" {
            r.members = String::new();
            store.put_scim_resource(app, &r, 0).await.unwrap();
        }
    }
}

/// zhangsan is in lisi's group at the SCIM server and no longer in R&D.
async fn moved_at_server(scim: &ScimServer, what: &str) {
    let z = scim.user("zhangsan").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let l = scim.user("lisi").await["id"].as_str().unwrap().to_string();
    let groups = scim.all("Groups").await;
    let rd = group(&groups, "研发部");
    assert!(
        !member_ids(rd).contains(&z),
        "{what}: stale member stays: {rd}"
    );
    let ops = groups.iter().find(|g| member_ids(g).contains(&l)).unwrap();
    assert!(member_ids(ops).contains(&z), "{what}: {ops}");
}

// Rule: with scim_group_update=patch, a group whose last members are not known (rows sent before
// they were kept, or a group found at the app by its name) loses its stale members too: the
// members are read from the app, or, from an app that lists none (AWS IAM Identity Center), each
// user sent to it is asked about with `id eq … and members eq …`; still no PUT to /Groups.
async fn patch_unknown_members(env: Env) {
    for aws_like in [false, true] {
        let what = if aws_like {
            "lists no members"
        } else {
            "lists members"
        };
        let scim = ScimServer::start().await;
        let p = proxy_with(&scim.base, 0, 200, aws_like).await;
        let name = if aws_like { "aws-old" } else { "scim-old" };
        let app = scim_app(
            &env,
            name,
            &p.base,
            &["provision_groups=departments", "scim_group_update=patch"],
        )
        .await;
        all_done(&run(&env, &app, &directory(), false).await);
        forget_members(&env, name).await;
        p.log.lock().unwrap().clear();
        let r = run(&env, &app, &zhangsan_moved(), false).await;
        all_done(&r);
        moved_at_server(&scim, what).await;
        let log = p.log.lock().unwrap().clone();
        assert!(
            !log.iter().any(|l| l.starts_with("PUT /v2/Groups")),
            "{log:?}"
        );
        if aws_like {
            assert!(log.iter().any(|l| l == "GET /v2/Groups"), "asked: {log:?}");
        }
        // The members are kept from now on: nothing more to send.
        assert!(run(&env, &app, &zhangsan_moved(), false)
            .await
            .changes
            .is_empty());
    }

    // Found by name: another app provisioned the same SCIM server before this one.
    let scim = ScimServer::start().await;
    let opts = ["provision_groups=departments", "scim_group_update=patch"];
    let first = scim_app(&env, "first", &scim.base, &opts).await;
    all_done(&run(&env, &first, &directory(), false).await);
    let second = scim_app(&env, "second", &scim.base, &opts).await;
    // R&D keeps a member (wangwu moves in), so this app sends it; a group it never sent with
    // nobody in it is not its to change.
    let mut dir = zhangsan_moved();
    let original = directory();
    dir.members[2].profile.department_ids = original.members[0].profile.department_ids.clone();
    dir.members[2].profile.department_names = original.members[0].profile.department_names.clone();
    all_done(&run(&env, &second, &dir, false).await);
    moved_at_server(&scim, "found by name").await;
    assert_eq!(
        scim.all("Groups").await.len(),
        3,
        "taken over, not made twice"
    );
}
both_dbs!(
    patch_removes_stale_members_of_groups_sent_before,
    patch_unknown_members
);

// Rule: the default stays PUT of the whole group (scim2-server takes it).
async fn groups_by_put(env: Env) {
    let scim = ScimServer::start().await;
    let p = proxy(&scim.base, 0, 200).await;
    let app = scim_app(&env, "put", &p.base, &["provision_groups=departments"]).await;
    let mut dir = directory();
    all_done(&run(&env, &app, &dir, false).await);
    dir.members[2].active = false;
    all_done(&run(&env, &app, &dir, false).await);
    let log = p.log.lock().unwrap().clone();
    assert!(
        log.iter().any(|l| l.starts_with("PUT /v2/Groups/")),
        "{log:?}"
    );
    assert!(
        !log.iter().any(|l| l.starts_with("PATCH /v2/Groups/")),
        "{log:?}"
    );
}
both_dbs!(groups_change_by_put_by_default, groups_by_put);

const EV_TOKEN: &str = "evToken2026";
const EV_AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

/// An instance that takes WeCom's events, with the simulator sending them.
async fn with_events(env_db: Db) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let url = match env_db {
        Db::Sqlite => format!("sqlite://{}", dir.path().join("idp.sqlite").display()),
        Db::Postgres => Env::postgres_url().await.unwrap(),
    };
    let env = Env::start_with(env_db, url, dir, |c: &mut Config| {
        c.wecom.callback_token = EV_TOKEN.into();
        c.wecom.callback_aes_key = EV_AES_KEY.into();
    })
    .await;
    env.sim.set_event_target(
        format!("{}/wecom/events", env.base),
        CallbackToken::parse(EV_TOKEN).unwrap(),
        AesKey::parse(EV_AES_KEY).unwrap(),
    );
    env
}

/// Provisions `app` from the shell (the address book read from the simulated WeCom).
async fn provision_from_shell(env: &Env, app: &str) {
    let (ok, out) = run_shell(&shell(env), &["app", "provision", app]).await;
    assert!(ok && out.contains("3 created"), "{out}");
}

macro_rules! with_events {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$body(super::with_events($crate::harness::Db::Sqlite).await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if std::env::var("WECOM_IDP_TEST_POSTGRES_URL").is_ok() {
                    super::$body(super::with_events($crate::harness::Db::Postgres).await).await;
                }
            }
        }
    };
}

// Rule (end to end): WeCom's encrypted delete_user event → the lifecycle → the member deactivated
// (active=false, not deleted) at the SCIM server of the app that provisioned them, with the
// lifecycle's and the provisioning's audit rows.
async fn event_deactivates(env: Env) {
    let scim = ScimServer::start().await;
    scim_app(&env, "hr", &scim.base, &[]).await;
    provision_from_shell(&env, "hr").await;
    assert_eq!(scim.user("zhangsan").await["active"], true);
    let sent = env.sim.member_leaves("zhangsan").await.unwrap();
    assert_eq!((sent.status, sent.answer.as_str()), (200, "success"));
    assert_eq!(scim.user("zhangsan").await["active"], false, "deactivated");
    assert_eq!(scim.user("lisi").await["active"], true, "the others stay");
    let rows = env.audit().await;
    let left = rows
        .iter()
        .find(|r| r.event == "member_left" && r.userid.as_deref() == Some("zhangsan"))
        .expect("the lifecycle's row");
    assert!(
        left.detail
            .clone()
            .unwrap_or_default()
            .contains("\"scim_deactivated\":1"),
        "{left:?}"
    );
    assert!(rows.iter().any(|r| r.event == "provision"
        && r.reason == "scim_deactivate_user"
        && r.userid.as_deref() == Some("zhangsan")
        && r.app.as_deref() == Some("hr")
        && r.result == "success"));
}
with_events!(
    a_wecom_leave_event_deactivates_the_scim_user,
    event_deactivates
);

// Rule (end to end): a member removed in WeCom without an event is deactivated at the SCIM server
// by the next `directory sync` (which runs the lifecycle, then provisions from what it stored).
// The shell ran it: the run's trigger and every audit row it led to say `shell`, not `scheduler`.
async fn sync_deactivates(env: Env) {
    let scim = ScimServer::start().await;
    scim_app(&env, "hr", &scim.base, &[]).await;
    let vars = shell(&env);
    let (ok, out) = run_shell(&vars, &["directory", "sync"]).await;
    assert!(ok, "{out}");
    assert_eq!(
        scim.user("zhangsan").await["active"],
        true,
        "the sync provisioned"
    );
    env.sim.remove_member("zhangsan");
    let (ok, out) = run_shell(&vars, &["directory", "sync"]).await;
    assert!(ok, "{out}");
    assert_eq!(scim.user("zhangsan").await["active"], false, "deactivated");
    assert_eq!(scim.user("lisi").await["active"], true);
    let rows = env.audit().await;
    assert!(rows.iter().any(|r| r.event == "provision"
        && r.reason == "scim_deactivate_user"
        && r.userid.as_deref() == Some("zhangsan")));
    let provisioned: Vec<_> = rows.iter().filter(|r| r.event == "provision").collect();
    assert!(provisioned.len() > 3, "{provisioned:?}");
    assert!(
        provisioned
            .iter()
            .all(|r| r.actor.as_deref() == Some("shell")),
        "{provisioned:?}"
    );
    let left = rows
        .iter()
        .find(|r| r.event == "member_left" && r.userid.as_deref() == Some("zhangsan"))
        .expect("the lifecycle's row");
    assert_eq!(left.actor.as_deref(), Some("shell"), "{left:?}");
    let status = env.state.store.scim_run("hr").await.unwrap().unwrap();
    assert_eq!(status.run_trigger, "shell");
}
with_events!(
    a_directory_sync_deactivates_a_silent_leaver,
    sync_deactivates
);
