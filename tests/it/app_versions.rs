//! A saved version's diff: what the change after a version did, key by key, over the API
//! (`GET /api/v1/apps/{name}/versions/{n}/diff`) and in the console. Each test names its rule.

use crate::admin_apps::{sp, valid_cert};
use crate::both_dbs;
use crate::browser_text::{assert_no_english, text_of_id};
use crate::harness::*;
use serde_json::{json, Value};

fn change<'a>(d: &'a Value, key: &str) -> Option<&'a Value> {
    d["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == key)
}

both_dbs!(version_diff_key_by_key, diff_body);
// Rule: version N is compared with the state that replaced it (version N+1, or the app as it is
// now for the newest), and only the keys that differ are listed, each with both values; an unknown
// version or app is a 404; the OpenAPI document lists the route; the console shows the same
// changes with the form's labels in the admin's language.
async fn diff_body(env: Env) {
    let api = env.api(&env.api_token("ci").await);
    let cert = valid_cert();
    let xml = sp(
        "https://sp.example/crm",
        "https://sp.example/crm/acs",
        &cert,
    );
    let (s, v) = api
        .post("/apps", json!({"name": "crm", "metadata_xml": xml}))
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, _) = api
        .patch(
            "/apps/crm",
            json!({"settings": {"role": "Developer", "sign_response": "false"}}),
        )
        .await;
    assert_eq!(s, 200);
    let xml2 = sp(
        "https://sp.example/crm",
        "https://sp.example/crm/acs-new",
        &cert,
    );
    let (s, _) = api
        .put("/apps/crm/metadata", json!({"metadata_xml": xml2}))
        .await;
    assert_eq!(s, 200);

    // Version 1 (as created) against version 2 (after the settings change).
    let (s, d) = api.get("/apps/crm/versions/1/diff").await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["version"], 1);
    assert_eq!(d["against_version"], 2);
    let role = change(&d, "roles.default_role").expect("the role changed");
    assert_eq!(
        (&role["before"], &role["after"]),
        (&Value::Null, &json!("Developer"))
    );
    let signed = change(&d, "sign_response").expect("signing changed");
    assert_eq!(
        (&signed["before"], &signed["after"]),
        (&json!(true), &json!(false))
    );
    assert_eq!(
        d["changes"].as_array().unwrap().len(),
        2,
        "only what changed: {d}"
    );

    // Version 2 (before the metadata replace) against the app as it is now.
    let (s, d) = api.get("/apps/crm/versions/2/diff").await;
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["against_version"], Value::Null);
    let acs = change(&d, "metadata.acs").expect("the ACS changed");
    assert!(acs["after"].to_string().contains("acs-new"), "{acs}");
    assert!(change(&d, "roles.default_role").is_none(), "{d}");

    assert_eq!(api.get("/apps/crm/versions/9/diff").await.0, 404);
    assert_eq!(api.get("/apps/nope/versions/1/diff").await.0, 404);
    let (_, doc) = api.get("/openapi.json").await;
    assert!(doc["paths"]["/api/v1/apps/{name}/versions/{version}/diff"]["get"].is_object());

    // The console: Chinese labels, the keys and values as stored; a link from the app page.
    let (b, _) = env.admin_browser("wangwu").await;
    let app_page = b.get(&format!("{}/admin/apps/crm", env.base)).await;
    assert!(app_page
        .body
        .contains("href=\"/admin/apps/crm/versions/1/diff\""));
    let p = b
        .get(&format!("{}/admin/apps/crm/versions/1/diff", env.base))
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let table = text_of_id(&p.body, "version-diff");
    assert!(
        table.contains("默认角色") && table.contains("Developer"),
        "{table}"
    );
    assert!(table.contains("roles.default_role"), "{table}");
    assert_no_english(&text_of_id(&p.body, "diff-title"), "diff heading", &["crm"]);
    let p = b
        .get(&format!("{}/admin/apps/crm/versions/9/diff", env.base))
        .await;
    assert_eq!(p.status, 404);
}
