//! Per-app IdP metadata (`/apps/{app}/metadata`): the IdP's entity and keys, with the app's own
//! `WantAuthnRequestsSigned`; linked from the app's console page and API view.

use crate::both_dbs;
use crate::harness::*;

both_dbs!(per_app_metadata_follows_the_apps_request_policy, per_app);
async fn per_app(env: Env) {
    env.add_app("plain", &[]).await;
    env.add_app("signed", &["require_signed_requests=true"])
        .await;
    let b = env.browser(CHROME_UA);
    let idp = b.get(&format!("{}/saml/metadata", env.base)).await;
    assert!(idp.body.contains(r#"WantAuthnRequestsSigned="false""#));

    let plain = b.get(&format!("{}/apps/plain/metadata", env.base)).await;
    assert_eq!(plain.status, 200);
    assert_eq!(
        plain.header("content-type"),
        Some("application/samlmetadata+xml")
    );
    assert_eq!(
        plain.header("content-disposition"),
        Some("inline; filename=\"wecom-idp-metadata-plain.xml\"")
    );
    assert_eq!(plain.body, idp.body, "same entity, keys and policy");

    let signed = b.get(&format!("{}/apps/signed/metadata", env.base)).await;
    assert_eq!(signed.status, 200);
    assert_eq!(
        signed.body,
        idp.body.replace(
            r#"WantAuthnRequestsSigned="false""#,
            r#"WantAuthnRequestsSigned="true""#
        ),
        "only WantAuthnRequestsSigned differs"
    );

    let mut b = b;
    let page = b.get(&format!("{}/apps/nope/metadata", env.base)).await;
    assert_eq!(page.status, 404);
    assert_eq!(page.reason().as_deref(), Some("unknown_app"));
    assert!(page.body.contains("应用不存在"), "Chinese by default");
    b.accept_language = Some("en-US,en;q=0.9".into());
    let page = b.get(&format!("{}/apps/Bad_Name/metadata", env.base)).await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains("Unknown app"));
}

both_dbs!(app_page_links_its_own_metadata, app_page_link);
async fn app_page_link(env: Env) {
    env.add_app("signed", &["require_signed_requests=true"])
        .await;
    let url = format!("{}/apps/signed/metadata", env.base);
    let (b, _csrf) = env.admin_browser("zhangsan").await;
    let page = b.get(&format!("{}/admin/apps/signed", env.base)).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains(&format!(r#"<a href="{url}" id="app-metadata-url">"#)),
        "{}",
        page.body
    );
    assert!(page.body.contains("本应用的 IdP 元数据"), "{}", page.body);
}
