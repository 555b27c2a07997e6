//! Several cloud accounts in one app, and several apps for one SP entity ID.
//!
//! Role rules name `ACCOUNT:ROLE`; the Role attribute carries every (account, role) pair the
//! member's rules give, in rule order, once each, with each account's own provider name; a member
//! no rule gives a role is refused as before. Two apps may share an SP entity ID when their ACS
//! URLs differ: an SP-initiated request lands in the app whose metadata has the ACS it asks for,
//! and one that matches several (or names no ACS) is refused with `ambiguous_app`. Two apps that
//! could not be told apart by ACS are refused when added.

use crate::both_dbs;
use crate::harness::*;

const AWS_ROLE: &str = "https://aws.amazon.com/SAML/Attributes/Role";

fn aws(account: &str, role: &str, provider: &str) -> String {
    format!("arn:aws:iam::{account}:role/{role},arn:aws:iam::{account}:saml-provider/{provider}")
}

async fn aws_app(env: &Env, name: &str, extra: &[&str]) -> Result<(), String> {
    let mut sets = vec![
        "account_id=111122223333".to_string(),
        "provider_name=wecom".to_string(),
    ];
    sets.extend(extra.iter().map(|s| s.to_string()));
    wecom_idp::cli::add_preset_app(
        &env.state.store,
        name,
        "aws-role",
        None,
        None,
        &sets,
        &*env.clock,
    )
    .await
    .map(|_| ())
    .map_err(|e| e.to_string())
}

both_dbs!(a_member_gets_every_account_and_role, roles_in_accounts);
async fn roles_in_accounts(env: Env) {
    // zhangsan is in department 2 (demo directory) and is named by a user rule.
    aws_app(
        &env,
        "aws",
        &[
            "accounts=444455556666:wecom-prod,777788889999",
            "role_rules=user:zhangsan=Admin|444455556666:Admin;dept:2=777788889999:ReadOnly|Admin;\
             user:nobody=444455556666:Ops",
            "role_mode=union",
        ],
    )
    .await
    .unwrap();
    let b = env.browser(WXWORK_UA);
    let form = env.login_in_client(&b, "aws", "zhangsan").await;
    assert_eq!(
        Saml::of(&form).attribute(AWS_ROLE).unwrap(),
        [
            aws("111122223333", "Admin", "wecom"),
            aws("444455556666", "Admin", "wecom-prod"),
            aws("777788889999", "ReadOnly", "wecom"),
        ],
        "every pair once, in rule order, each account with its provider"
    );
    // One Attribute element with the values (AWS's role picker reads one Role attribute).
    let roles = Saml::of(&form)
        .attributes()
        .into_iter()
        .filter(|(n, _)| n == AWS_ROLE)
        .count();
    assert_eq!(roles, 1);

    // A member no rule names is refused, nothing posted.
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "wangwu").await;
    let page = b.follow(&format!("{}/apps/aws/start", env.base)).await;
    assert!(page.form().is_none(), "{}", page.body);
    assert_eq!(page.reason().as_deref(), Some("no_role"), "{}", page.body);

    // `app set` (here the API) checks the accounts too: a rule in an unlisted account is refused
    // with the fix, under its field.
    let api = env.api(&env.api_token("ops").await);
    let (status, e) = api
        .patch(
            "/apps/aws",
            serde_json::json!({"settings": {"role_rules": "user:zhangsan=222233334444:Admin"}}),
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["error"]["field"], "role_rules", "{e}");
    assert!(e.to_string().contains("accounts=…,222233334444"), "{e}");
    // Listed, it is accepted.
    let (status, e) = api
        .patch(
            "/apps/aws",
            serde_json::json!({"settings": {"accounts": "222233334444",
                                            "role_rules": "user:zhangsan=222233334444:Admin"}}),
        )
        .await;
    assert_eq!(status, 200, "{e}");
}

both_dbs!(apps_sharing_an_entity_id_by_acs, shared_entity_id);
async fn shared_entity_id(env: Env) {
    env.add_app("one", &[]).await;
    // A second app for the same SP (same entity ID) with ACS URLs of its own.
    env.add_app_with_metadata("two", &[], |m| m.entity_id = sp_entity("one"))
        .await;
    let b = env.browser(WXWORK_UA);
    env.login_in_client(&b, "one", "zhangsan").await;

    // Each request lands in the app whose metadata has the ACS it asks for.
    for (app, acs) in [("one", acs_url("one")), ("two", acs_url("two"))] {
        let mut req = Req::new(&env, "one");
        req.acs_url = Some(acs.clone());
        let form = b
            .get(&redirect_url(&env, &req.xml(), None))
            .await
            .form()
            .unwrap_or_else(|| panic!("{app}: no form"));
        assert_eq!(form.action, acs);
        let audit = env.audit().await;
        let row = audit
            .iter()
            .find(|r| r.request_id.as_deref() == Some(req.id.as_str()))
            .unwrap();
        assert_eq!(
            (row.app.as_deref(), row.result.as_str()),
            (Some(app), "success")
        );
    }

    // No ACS named (each app has a default), or an index both have: which app is not clear.
    let mut req = Req::new(&env, "one");
    req.acs_url = None;
    let page = b.get(&redirect_url(&env, &req.xml(), None)).await;
    assert_ambiguous(&env, &page).await;
    req.id = format!("{}b", req.id);
    req.acs_index = Some(1);
    let page = b.get(&redirect_url(&env, &req.xml(), None)).await;
    assert_ambiguous(&env, &page).await;
    // An ACS in neither.
    let mut req = Req::new(&env, "one");
    req.acs_url = Some("https://evil.example/acs".into());
    let page = b.get(&redirect_url(&env, &req.xml(), None)).await;
    assert_eq!(page.status, 400);
    assert!(page.form().is_none());
    assert_eq!(page.reason().as_deref(), Some("acs_not_in_metadata"));

    // An app that shares an ACS URL with one of the same entity ID cannot be added: requests
    // could not tell the two apart.
    let mut clash = env.add_app("three", &[]).await;
    env.state.store.remove_app("three").await.unwrap();
    clash.metadata.entity_id = sp_entity("one");
    clash.metadata.acs[0].location = acs_url("two");
    let e = env
        .state
        .store
        .insert_app(&clash.to_row().unwrap())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("`two`") && e.contains(&acs_url("two")), "{e}");
}

async fn assert_ambiguous(env: &Env, page: &Page) {
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.form().is_none(), "{}", page.body);
    assert_eq!(page.reason().as_deref(), Some("ambiguous_app"));
    assert!(
        page.body.contains("无法确定要登录哪个应用") || page.body.contains("Which app is meant")
    );
    let audit = env.audit().await;
    let row = audit.first().unwrap();
    assert_eq!(
        (row.event.as_str(), row.result.as_str(), row.reason.as_str()),
        ("sso_request", "refused", "ambiguous_app")
    );
}

both_dbs!(two_apps_one_console_added_only_when_told_apart, add_refusal);
async fn add_refusal(env: Env) {
    aws_app(&env, "aws-a", &["role=Admin"]).await.unwrap();
    // Same console, same ACS: refused, saying why.
    let e = aws_app(&env, "aws-b", &["role=ReadOnly"])
        .await
        .unwrap_err();
    assert!(
        e.contains("aws-a")
            && e.contains("urn:amazon:webservices")
            && e.contains("https://signin.aws.amazon.com/saml")
            && e.contains("told apart by the ACS URL"),
        "{e}"
    );
    // The China partition is another SP entity: no clash.
    aws_app(&env, "aws-cn", &["role=Admin", "partition=aws-cn"])
        .await
        .unwrap();
}

#[tokio::test]
// Migration 0009 on a SQLite database that has apps: the table is rebuilt without the UNIQUE,
// every row kept, the revision triggers made again, and the entity ID index in place.
async fn sqlite_rebuild_keeps_apps_and_triggers() {
    use sqlx::{Connection, Row};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    let mut c = sqlx::sqlite::SqliteConnection::connect(&url).await.unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let mut files: Vec<_> = std::fs::read_dir(format!("{root}/migrations/sqlite"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (before, after): (Vec<_>, Vec<_>) = files
        .into_iter()
        .partition(|p| p.file_name().unwrap().to_str().unwrap() < "0009");
    for f in &before {
        sqlx::raw_sql(&std::fs::read_to_string(f).unwrap())
            .execute(&mut c)
            .await
            .unwrap();
    }
    sqlx::query(
        "INSERT INTO apps (name, entity_id, metadata_json, settings_json, metadata_xml, \
         created_at, updated_at) VALUES ('old', 'urn:x', '{}', '{}', '<x/>', 1, 2)",
    )
    .execute(&mut c)
    .await
    .unwrap();
    let r0 = apps_revision(&mut c).await;
    let nine = after
        .iter()
        .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with("0009"))
        .unwrap();
    sqlx::raw_sql(&std::fs::read_to_string(nine).unwrap())
        .execute(&mut c)
        .await
        .unwrap();
    let row = sqlx::query("SELECT name, entity_id, metadata_xml, created_at, updated_at FROM apps")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>(0), "old");
    assert_eq!(row.get::<String, _>(1), "urn:x");
    assert_eq!(row.get::<String, _>(2), "<x/>");
    assert_eq!((row.get::<i64, _>(3), row.get::<i64, _>(4)), (1, 2));
    let r1 = apps_revision(&mut c).await;
    assert!(r1 > r0, "caches read again");
    // A second app of the same entity ID is stored; the triggers count it.
    sqlx::query(
        "INSERT INTO apps (name, entity_id, metadata_json, settings_json, created_at, updated_at) \
         VALUES ('new', 'urn:x', '{}', '{}', 3, 3)",
    )
    .execute(&mut c)
    .await
    .unwrap();
    assert_eq!(apps_revision(&mut c).await, r1 + 1);
    let index: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'apps_entity_id'",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert_eq!(index, 1);
    // The name stays the primary key.
    assert!(sqlx::query(
        "INSERT INTO apps (name, entity_id, metadata_json, settings_json, created_at, updated_at) \
         VALUES ('new', 'urn:y', '{}', '{}', 3, 3)",
    )
    .execute(&mut c)
    .await
    .is_err());
}

async fn apps_revision(c: &mut sqlx::SqliteConnection) -> i64 {
    sqlx::query_scalar("SELECT n FROM revisions WHERE name = 'apps'")
        .fetch_one(c)
        .await
        .unwrap()
}
