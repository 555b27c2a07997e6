//! The users console and API key bindings by the corp ID in force (the console's over the
//! configuration file's), exactly as logins look them up.

use crate::harness::*;
use serde_json::json;

/// An instance whose configuration file names an old corp ID (WeCom knows only [`CORP_ID`]).
async fn env_with_old_corp(db: Db) -> Option<Env> {
    let tweak = |c: &mut wecom_idp::config::Config| c.wecom.corp_id = "wwoldcorp0000001".into();
    Some(match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("idp.sqlite").display());
            Env::start_with(db, url, dir, tweak).await
        }
        Db::Postgres => {
            let url = Env::postgres_url().await?;
            Env::start_with(db, url, tempfile::tempdir().unwrap(), tweak).await
        }
    })
}

mod bindings_follow_a_corp_id_changed_in_the_console {
    use super::*;

    // Rule: after the corp ID is changed in the console, an account made and bound in the users
    // console (and one bound over the API) is found by the member's login: no second account is
    // created, and the users pages show the binding.
    async fn body(db: Db) {
        let Some(env) = env_with_old_corp(db).await else {
            return;
        };
        env.add_app("app", &[]).await;
        let api = env.api(&env.api_token("ops").await);
        let (s, v) = api.put("/wecom", json!({"corp_id": CORP_ID})).await;
        assert_eq!(s, 200, "the right corp passes the check: {v}");
        assert_eq!(v["sources"]["corp_id"], "console");

        // The console: create an account, bind lisi to it.
        let (b, csrf) = env.admin_browser("zhangsan").await;
        let url = |p: &str| format!("{}{p}", env.base);
        let p = b
            .post_form(
                &url("/admin/users"),
                &[
                    ("csrf", csrf.as_str()),
                    ("username", "ops-lisi"),
                    ("display_name", "李四 (ops)"),
                ],
            )
            .await;
        assert_eq!(p.status, 302, "{}", p.body);
        let p = b
            .post_form(
                &url("/admin/users/ops-lisi/bind"),
                &[("csrf", csrf.as_str()), ("userid", "lisi")],
            )
            .await;
        assert_eq!(p.status, 302, "{}", p.body);
        assert!(b
            .get(&url("/admin/users/ops-lisi"))
            .await
            .body
            .contains("<code>lisi</code>"));
        // The API: another account bound to wangwu.
        let (s, _) = api.post("/users", json!({"username": "fin-wangwu"})).await;
        assert!(s < 300, "{s}");
        let (s, u) = api
            .put("/users/fin-wangwu/binding", json!({"userid": "wangwu"}))
            .await;
        assert_eq!(s, 200, "{u}");

        for (userid, account) in [("lisi", "ops-lisi"), ("wangwu", "fin-wangwu")] {
            let m = env.browser(WXWORK_UA);
            env.wecom_client_login(&m, userid).await;
            let p = m.follow(&format!("{}/apps/app/start", env.base)).await;
            assert!(p.form().is_some(), "{userid}: {} {}", p.status, p.body);
            assert!(
                env.state
                    .store
                    .account_by_username(userid)
                    .await
                    .unwrap()
                    .is_none(),
                "{userid}'s login found {account} instead of creating an account"
            );
            let (_, u) = api.get(&format!("/users/{account}")).await;
            assert_eq!(u["binding"]["userid"], userid, "{u}");
        }
        let (_, l) = api.get("/users?q=lisi").await;
        assert_eq!(l["users"][0]["username"], "ops-lisi", "{l}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        body(Db::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        body(Db::Postgres).await;
    }
}
