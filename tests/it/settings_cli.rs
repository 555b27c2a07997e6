//! `wecom-idp settings show|reset` on the shell: the way back when a console Save locked everyone
//! out, against the database a running server uses.

use crate::both_dbs;
use crate::harness::*;
use serde_json::json;

async fn settings(env: &Env, args: &[&str]) -> (bool, String) {
    let mut all = vec!["settings"];
    all.extend_from_slice(args);
    run_shell(&shell(env), &all).await
}

/// The line of `field` in `show`'s output.
fn line<'a>(out: &'a str, field: &str) -> &'a str {
    out.lines()
        .find(|l| l.split_whitespace().next() == Some(field))
        .unwrap_or_else(|| panic!("no `{field}` line in:\n{out}"))
}

async fn member_signs_in(env: &Env, userid: &str) -> Option<String> {
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, userid).await;
    let p = b.follow(&format!("{}/apps/app/start", env.base)).await;
    match p.form() {
        Some(_) => None,
        None => Some(p.reason().unwrap_or_else(|| p.body.clone())),
    }
}

both_dbs!(show_and_reset, show_and_reset_body);
// Rule: after a wrong Secret was saved anyway (every login refused), `settings show` prints each
// value in force with its source and the secret only as "set"; `settings reset --wecom` deletes the
// console's WeCom values (nothing else), the running server uses the file's at its next request, and
// the reset is audited as `shell`; `--binding` does the same for the binding settings; without a
// section it refuses and says which flags exist; a second reset says there is nothing to reset.
async fn show_and_reset_body(env: Env) {
    env.add_app("app", &[]).await;
    let api = env.api(&env.api_token("ops").await);
    let bad = "wrong-secret-locks-everyone-out";
    let (s, v) = api
        .put("/wecom", json!({"secret": bad, "force": true}))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = api
        .put("/binding", json!({"contact": "IT 服务台 ext. 8000"}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        member_signs_in(&env, "zhangsan").await.as_deref(),
        Some("wecom_config"),
        "locked out"
    );

    let (ok, out) = settings(&env, &["show"]).await;
    assert!(ok, "{out}");
    assert!(
        !out.contains(bad) && !out.contains(SECRET),
        "no secret: {out}"
    );
    let secret = line(&out, "secret");
    assert!(
        secret.contains("set") && secret.ends_with("console"),
        "{secret}"
    );
    assert!(line(&out, "corp_id").contains(CORP_ID));
    assert!(line(&out, "corp_id").ends_with("config"));
    assert!(line(&out, "contact").ends_with("console"), "{out}");
    assert!(out.contains("saved by token:ops"), "{out}");

    let (ok, out) = settings(&env, &["reset"]).await;
    assert!(!ok, "no section named: {out}");
    assert!(
        out.contains("--wecom") && out.contains("--binding"),
        "{out}"
    );

    let (ok, out) = settings(&env, &["reset", "--wecom"]).await;
    assert!(ok, "{out}");
    assert!(out.contains("deleted") && out.contains("已删除"), "{out}");
    assert_eq!(
        member_signs_in(&env, "zhangsan").await,
        None,
        "the file's Secret is in force again"
    );
    let row = env
        .audit()
        .await
        .into_iter()
        .find(|r| r.event == "settings_wecom_reset")
        .expect("the reset is audited");
    assert_eq!(row.actor.as_deref(), Some("shell"));
    assert!(!row.detail.unwrap_or_default().contains(bad));
    let (_, v) = api.get("/binding").await;
    assert_eq!(v["sources"]["contact"], "console", "--wecom only: {v}");

    let (ok, out) = settings(&env, &["reset", "--wecom", "--binding"]).await;
    assert!(ok, "{out}");
    assert!(out.contains("nothing to reset"), "{out}");
    let (_, v) = api.get("/binding").await;
    assert_eq!(v["sources"]["contact"], "config", "{v}");
    assert!(env
        .audit()
        .await
        .iter()
        .any(|r| r.event == "settings_binding_reset" && r.actor.as_deref() == Some("shell")));

    let (ok, out) = settings(&env, &["show"]).await;
    assert!(ok, "{out}");
    assert!(line(&out, "secret").ends_with("config"), "{out}");
    assert!(!out.contains("console values saved by"), "{out}");
}
