//! The command line checks the names it saves against WeCom, as the console does: the userid of
//! `admin add` and `user bind`, and the members, tags and departments the access and role rules of
//! `app set` name. A name WeCom does not know saves nothing unless `--force` (audited); when WeCom
//! cannot be asked the command says why and goes on unchecked (audited the same way).

use crate::both_dbs;
use crate::cli::{base_env, fixture};
use crate::harness::*;
use serde_json::Value;
use wecom_idp::wecom::simulator::demo_tags;

async fn is_admin(env: &Env, userid: &str) -> bool {
    let admins = env.state.store.admins().await.unwrap();
    admins.iter().any(|a| a.userid == userid)
}

fn detail(row: &wecom_idp::store::AuditRow) -> Value {
    serde_json::from_str(row.detail.as_deref().unwrap()).unwrap()
}

both_dbs!(admin_add_asks_wecom, admin_add_body);
// Rule: `admin add` of a userid WeCom does not know adds nothing, names it and says how to add
// anyway; a userid WeCom knows is added without a warning; `--force` adds with a warning and the
// audit log records what the check found, with the actor `shell`.
async fn admin_add_body(env: Env) {
    let vars = shell(&env);
    let (ok, out) = run_shell(&vars, &["admin", "add", "zhangsn"]).await;
    assert!(!ok, "{out}");
    assert!(
        out.contains("user:zhangsn") && out.contains("--force") && out.contains("企业微信"),
        "{out}"
    );
    assert!(!is_admin(&env, "zhangsn").await, "nothing added");

    let (ok, out) = run_shell(&vars, &["admin", "add", "wangwu"]).await;
    assert!(ok && !out.contains("warning"), "{out}");
    assert!(is_admin(&env, "wangwu").await);
    assert!(forced_rows(&env).await.is_empty());

    let (ok, out) = run_shell(&vars, &["admin", "add", "zhangsn", "--force"]).await;
    assert!(ok, "{out}");
    assert!(
        out.contains("warning") && out.contains("user:zhangsn"),
        "{out}"
    );
    assert!(is_admin(&env, "zhangsn").await);
    let rows = forced_rows(&env).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].actor.as_deref(), Some("shell"));
    assert_eq!(rows[0].userid.as_deref(), Some("zhangsn"));
    assert_eq!(detail(&rows[0])["what"], "admin");
    assert_eq!(detail(&rows[0])["unknown_in_wecom"][0], "user:zhangsn");
}

both_dbs!(app_set_asks_wecom, app_set_body);
// Rule: `app set` of role or access rules naming a member, tag or department WeCom does not know
// stores nothing and names the unknown ones (only those); a syntax error is answered first without
// asking WeCom; known names save; `--force` saves and is audited with the app and the field.
async fn app_set_body(env: Env) {
    env.sim.set_tags(demo_tags());
    env.add_app("crm", &[]).await;
    let vars = shell(&env);
    let rules = "role_rules=user:zhangsn=Admin;tag:运维组=Ops;dept:2=Dev";
    let (ok, out) = run_shell(&vars, &["app", "set", "crm", "--set", rules]).await;
    assert!(!ok, "{out}");
    assert!(
        out.contains("user:zhangsn, tag:运维组 ")
            && !out.contains("dept:2")
            && out.contains("--force"),
        "{out}"
    );
    let app = env.state.store.app("crm").await.unwrap().unwrap();
    assert!(!app.settings_json.contains("zhangsn"), "nothing stored");

    let (ok, out) = run_shell(
        &vars,
        &["app", "set", "crm", "--set", "access=user:lsi;dept:3"],
    )
    .await;
    assert!(
        !ok && out.contains("user:lsi") && !out.contains("dept:3"),
        "{out}"
    );

    let (ok, out) = run_shell(
        &vars,
        &["app", "set", "crm", "--set", "role_rules=user:zhangsn"],
    )
    .await;
    assert!(
        !ok && out.contains("role_rules") && !out.contains("--force"),
        "{out}"
    );

    let known = "role_rules=user:zhangsan=Admin;tag:2=Auditor;dept:3=Ops";
    let (ok, out) = run_shell(&vars, &["app", "set", "crm", "--set", known]).await;
    assert!(ok && !out.contains("warning"), "{out}");
    assert!(forced_rows(&env).await.is_empty());

    let (ok, out) = run_shell(&vars, &["app", "set", "crm", "--set", rules, "--force"]).await;
    assert!(ok && out.contains("warning"), "{out}");
    let app = env.state.store.app("crm").await.unwrap().unwrap();
    assert!(app.settings_json.contains("zhangsn"));
    let rows = forced_rows(&env).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].app.as_deref(), Some("crm"));
    assert_eq!(rows[0].actor.as_deref(), Some("shell"));
    assert_eq!(detail(&rows[0])["what"], "role_rules");
    assert_eq!(
        detail(&rows[0])["unknown_in_wecom"],
        serde_json::json!(["user:zhangsn", "tag:运维组"])
    );
}

both_dbs!(app_add_asks_wecom, app_add_body);
// Rule: `app add` with access or role rules naming a member or tag WeCom does not know creates
// nothing and names the unknown ones; a syntax error is answered first without asking WeCom; known
// names create the app; `--force` creates it and is audited with the app and the field.
async fn app_add_body(env: Env) {
    env.sim.set_tags(demo_tags());
    let vars = shell(&env);
    let add = |name: &'static str, rules: &'static str, force: bool| {
        // Each app its own SP (an entity ID belongs to one app).
        let sp = fixture(if name == "crm" {
            "huaweicloud-global.xml"
        } else {
            "volcengine-role-sso.xml"
        });
        let mut args = vec![
            "app",
            "add",
            name,
            "--metadata",
            sp.as_str(),
            "--set",
            rules,
        ];
        if force {
            args.push("--force");
        }
        let vars = vars.clone();
        let args: Vec<String> = args.into_iter().map(str::to_string).collect();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run_shell(&vars, &args).await
        }
    };
    let rules = "role_rules=user:zhangsn=Admin;tag:运维组=Ops;dept:2=Dev";
    let (ok, out) = add("crm", rules, false).await;
    assert!(!ok, "{out}");
    assert!(
        out.contains("user:zhangsn, tag:运维组 ")
            && !out.contains("dept:2")
            && out.contains("--force"),
        "{out}"
    );
    assert!(
        env.state.store.app("crm").await.unwrap().is_none(),
        "nothing created"
    );

    let (ok, out) = add("crm", "role_rules=user:zhangsn", false).await;
    assert!(
        !ok && out.contains("role_rules") && !out.contains("--force"),
        "{out}"
    );

    let (ok, out) = add("crm", "access=user:zhangsan;dept:3", false).await;
    assert!(ok && !out.contains("warning"), "{out}");
    assert!(forced_rows(&env).await.is_empty());

    let (ok, out) = add("crm2", rules, true).await;
    assert!(ok && out.contains("warning"), "{out}");
    let app = env.state.store.app("crm2").await.unwrap().unwrap();
    assert!(app.settings_json.contains("zhangsn"));
    let rows = forced_rows(&env).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].app.as_deref(), Some("crm2"));
    assert_eq!(rows[0].actor.as_deref(), Some("shell"));
    assert_eq!(detail(&rows[0])["what"], "role_rules");
}

both_dbs!(user_bind_asks_wecom, user_bind_body);
// Rule: `user bind` to a userid WeCom does not know binds nothing; an unknown account is said
// before WeCom is asked; a known userid binds; `--force` binds and is audited.
async fn user_bind_body(env: Env) {
    let vars = shell(&env);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("u.csv");
    let header = wecom_idp::admin::users::CSV_HEADER;
    std::fs::write(
        &csv,
        format!("{header}\nww,王五,,,,active\nxx,某人,,,,active\n"),
    )
    .unwrap();
    let (ok, out) = run_shell(&vars, &["user", "import", csv.to_str().unwrap()]).await;
    assert!(ok, "{out}");

    let (ok, out) = run_shell(&vars, &["user", "bind", "ww", "wangwuu"]).await;
    assert!(
        !ok && out.contains("user:wangwuu") && out.contains("--force"),
        "{out}"
    );
    let (ok, out) = run_shell(&vars, &["user", "bind", "nobody", "wangwuu"]).await;
    assert!(
        !ok && out.contains("nobody") && !out.contains("--force"),
        "{out}"
    );

    let (ok, out) = run_shell(&vars, &["user", "bind", "ww", "wangwu"]).await;
    assert!(ok && !out.contains("warning"), "{out}");
    let (ok, out) = run_shell(&vars, &["user", "bind", "xx", "wangwuu", "--force"]).await;
    assert!(ok && out.contains("warning"), "{out}");
    let (_, out) = run_shell(&vars, &["user", "list"]).await;
    assert!(
        out.contains("wecom:wangwu (admin)") && out.contains("wecom:wangwuu (admin)"),
        "{out}"
    );
    let rows = forced_rows(&env).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].userid.as_deref(), Some("wangwuu"));
    assert_eq!(detail(&rows[0])["what"], "binding");
}

both_dbs!(wecom_out_of_reach_is_said, out_of_reach_body);
// Rule: when WeCom cannot be asked — it does not answer, or its settings are not complete (the first
// admin is added before WeCom is set up) — the command says the check was skipped and why, saves,
// and the audit log records the unchecked save.
async fn out_of_reach_body(env: Env) {
    let mut vars = shell(&env);
    for (k, v) in vars.iter_mut() {
        if *k == "WECOM_IDP_WECOM__API_BASE" {
            *v = "http://127.0.0.1:1".into();
        }
    }
    let (ok, out) = run_shell(&vars, &["admin", "add", "wangwu"]).await;
    assert!(ok, "{out}");
    assert!(
        out.contains("not checked against WeCom") && out.contains("127.0.0.1:1"),
        "{out}"
    );
    assert!(is_admin(&env, "wangwu").await);
    let rows = forced_rows(&env).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(detail(&rows[0])["wecom_unreadable"], "unreachable");

    let mut vars = base_env(tempfile::tempdir().unwrap().path());
    vars[1].1 = env.database_url.clone();
    let (ok, out) = run_shell(&vars, &["admin", "add", "lisi"]).await;
    assert!(ok, "{out}");
    assert!(
        out.contains("not checked against WeCom") && out.contains("corp_id"),
        "{out}"
    );
    assert!(is_admin(&env, "lisi").await);
}
