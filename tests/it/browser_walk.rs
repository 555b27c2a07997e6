//! The admin's afternoon in a real browser, once in Chinese and once in English: the overview with
//! its checklist and first-run guide, a console's set-up guide, an app added from a metadata file
//! (a mistake first: the error beside its field, the name and the chosen file kept), the app page
//! with its settings pre-filled and a wrong role rule refused beside its field, a member preview,
//! the saved versions with their diff, the audit log, and a refused account on the users page. On
//! every Chinese page it visits no English is left (`browser_text`); on the English ones no
//! Chinese. Screenshots in `target/tmp/browser-artifacts/walk-*.png`. Runs when Chromium and
//! chromedriver are installed (a failure, not a skip, under `WECOM_IDP_TEST_BROWSER=1`).

use crate::browser_text::{assert_language, assert_no_english};
use crate::harness::*;
use crate::webdriver::{self, Driver, Session};
use std::path::PathBuf;
use wecom_idp::clock::Clock;

fn shot(lang: &str, n: u32, what: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("browser-artifacts")
        .join(format!("walk-{lang}-{n:02}-{what}.png"))
}

/// Names on the pages that are data, not prose: the app names and userids of the test, and the
/// default attribute names (the SP's own words).
const OURS: &[&str] = &[
    "zhangsan",
    "lisi",
    "wangwu",
    "walk",
    "zh",
    "en",
    "departments",
];

/// The rendered text of `main` without the values it quotes (`code`, `kbd`, `pre`, form fields):
/// what the admin reads as the page's own words.
async fn prose(s: &Session) -> String {
    s.find("main").await;
    let script = "const m = document.querySelector('main').cloneNode(true); \
        m.querySelectorAll('code, kbd, pre, samp, textarea, input, select').forEach(e => e.remove()); \
        document.body.appendChild(m); const t = m.innerText; m.remove(); return t;";
    s.script(script, vec![])
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A page of the walk in `lang`: in Chinese, no English words in `main`; in English, no Chinese
/// in its headings and labels (member names such as 张三 may appear in values).
async fn check_page(s: &Session, lang: &str, page: &str) {
    let main = prose(s).await;
    if lang == "zh" {
        assert_no_english(&main, page, OURS);
    } else {
        let h1 = s.text("main h1").await;
        assert_language(&h1, "en", page);
    }
}

/// An OIDC client page of the walk: as [`check_page`], with the protocol's and the example apps'
/// own names allowed on the Chinese page.
async fn check_oidc_page(s: &Session, lang: &str, page: &str) {
    if lang != "zh" {
        return check_page(s, lang, page).await;
    }
    let mut ours = OURS.to_vec();
    ours.extend([
        "oidc",
        "openid",
        "connect",
        "oauth",
        "pkce",
        "issuer",
        "discovery",
        "scope",
        "sub",
        "grafana",
        "gitlab",
        "localhost",
        "profile",
        "phone",
        "groups",
    ]);
    assert_no_english(&prose(s).await, page, &ours);
}

/// Scrolls the element `css` to the middle of the viewport, so the screenshot shows it.
async fn show(s: &Session, css: &str) {
    s.find(css).await;
    s.script(
        "document.querySelector(arguments[0]).scrollIntoView({block: 'center'});",
        vec![serde_json::json!(css)],
    )
    .await;
}

fn sp_metadata(entity: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity}">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example/acs" index="0"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Rule: the afternoon's pages read in the admin's language, keep what was typed after an error,
// show each error beside its field, and show the current values in the forms.
async fn admins_afternoon_in_both_languages() {
    let Some((driver, chrome)) = webdriver::available().or_else(|| {
        assert!(
            std::env::var("WECOM_IDP_TEST_BROWSER").is_err(),
            "WECOM_IDP_TEST_BROWSER is set but chromium/chromedriver are not installed"
        );
        None
    }) else {
        return;
    };
    let env = Env::start(Db::Sqlite).await;
    env.state
        .store
        .add_admin("zhangsan", "shell", env.clock.unix())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = Driver::start(&driver).await;
    for (lang, accept) in [("zh", "zh-CN"), ("en", "en-US")] {
        let s = d.session(&chrome, accept).await;
        let app = format!("walk-{lang}");
        let base = &env.base;

        // Sign in, land on the overview: the checklist and the first-run guide.
        s.goto(&format!("{base}/admin")).await;
        s.wait_url(|u| u.contains("/admin/login")).await;
        s.click("#wecom-sign-in").await;
        s.click("a[href*='sim_userid=zhangsan']").await;
        s.wait_url(|u| u.ends_with("/admin")).await;
        assert!(!s.text("#checklist").await.is_empty(), "{lang}: checklist");
        assert!(
            !s.text("#guide").await.is_empty(),
            "{lang}: first-run guide"
        );
        check_page(&s, lang, "/admin").await;
        s.screenshot(&shot(lang, 1, "overview")).await;

        // A console's set-up guide reads as a page (rendered Markdown, not source text).
        s.goto(&format!("{base}/admin/apps/guide/huawei")).await;
        assert!(s.text("#guide h1").await.contains("华为云"));
        assert!(
            !s.text("#guide").await.contains("## "),
            "{lang}: no Markdown marks"
        );

        // Add an app from a metadata file; a wrong name first.
        let file = dir.path().join(format!("{app}.xml"));
        std::fs::write(&file, sp_metadata(&format!("https://{app}.example/saml"))).unwrap();
        s.goto(&format!("{base}/admin/apps/new")).await;
        check_page(&s, lang, "/admin/apps/new").await;
        let form = "form[action='/admin/apps/preview']";
        s.type_into(&format!("{form} input[name=name]"), "Walk App")
            .await;
        s.type_into(
            &format!("{form} input[name=metadata_file]"),
            file.to_str().unwrap(),
        )
        .await;
        s.click(&format!("{form} button[type=submit]")).await;
        let beside = s.text(&format!("{form} #error-name")).await;
        assert_language(&beside, lang, "the name's error");
        assert_eq!(
            s.attr(&format!("{form} input[name=name]"), "value")
                .await
                .as_deref(),
            Some("Walk App"),
            "{lang}: the typed name is kept"
        );
        assert!(
            s.text("#metadata-kept")
                .await
                .contains(&format!("{app}.xml")),
            "{lang}: the chosen file is kept"
        );
        check_page(&s, lang, "add-app error").await;
        show(&s, &format!("{form} #error-name")).await;
        s.screenshot(&shot(lang, 2, "app-file-error")).await;
        s.clear(&format!("{form} input[name=name]")).await;
        s.type_into(&format!("{form} input[name=name]"), &app).await;
        s.click(&format!("{form} button[type=submit]")).await;
        assert_eq!(
            s.text("#preview-entity-id").await,
            format!("https://{app}.example/saml")
        );
        check_page(&s, lang, "add-app preview").await;
        s.screenshot(&shot(lang, 3, "app-file-preview")).await;
        s.click("#preview-save").await;
        s.wait_url(|u| u.ends_with(&format!("/admin/apps/{app}")))
            .await;

        // The app page: the configuration summary and the homepage's why in the page's
        // language, the settings pre-filled; a wrong role rule is refused beside its field,
        // with what was typed kept.
        check_page(&s, lang, "app page").await;
        assert_language(&s.text("#login-mode").await, lang, "why this homepage");
        assert_eq!(
            s.prop("#setting-attributes", "value").await.as_deref(),
            Some("userid, name, department_names=departments, position"),
            "{lang}: current values pre-filled"
        );
        s.clear("#setting-role_rules").await;
        s.type_into("#setting-role_rules", "user:zhangsan").await;
        s.click("#settings-save").await;
        let beside = s.text("#error-role_rules").await;
        assert_language(&beside, lang, "the role rule's error");
        assert!(
            beside.contains('='),
            "{lang}: says what is missing: {beside}"
        );
        assert_eq!(
            s.prop("#setting-role_rules", "value").await.as_deref(),
            Some("user:zhangsan"),
            "{lang}: the typed rule is kept"
        );
        check_page(&s, lang, "settings error").await;
        show(&s, "#error-role_rules").await;
        s.screenshot(&shot(lang, 4, "app-settings-error")).await;
        s.clear("#setting-role_rules").await;
        s.clear("#setting-role").await;
        s.type_into("#setting-role", "Developer").await;
        s.click("#settings-save").await;
        s.wait_url(|u| u.contains("saved=settings")).await;
        assert_language(&s.text("#settings-saved").await, lang, "saved notice");

        // What would 张三 receive from this app.
        s.goto(&format!("{base}/admin/apps/{app}/member-preview"))
            .await;
        s.type_into("#userid", "zhangsan").await;
        s.click("main form button[type=submit]").await;
        assert_eq!(
            s.attr("#decision", "data-decision").await.as_deref(),
            Some("allowed")
        );
        assert!(s.text("#roles").await.contains("Developer"));
        check_page(&s, lang, "member preview").await;
        s.screenshot(&shot(lang, 5, "member-preview")).await;

        // The saved versions: the change of the role shows as a diff.
        s.goto(&format!("{base}/admin/apps/{app}/versions/1/diff"))
            .await;
        assert!(s.text("#version-diff").await.contains("Developer"));
        check_page(&s, lang, "version diff").await;
        s.screenshot(&shot(lang, 6, "version-diff")).await;

        // The audit log: the app's creation and its settings change, in the page's language.
        s.goto(&format!("{base}/admin/audit?app={app}")).await;
        assert!(s.text("table.audit").await.contains(&app));
        check_page(&s, lang, "/admin/audit").await;
        s.screenshot(&shot(lang, 7, "audit")).await;

        // The users page: a wrong mobile number is refused in the page's language.
        s.goto(&format!("{base}/admin/users")).await;
        let new = "form[action='/admin/users'][method=post]";
        s.type_into(&format!("{new} input[name=username]"), &format!("u-{lang}"))
            .await;
        s.type_into(&format!("{new} input[name=mobile]"), "call me")
            .await;
        s.click(&format!("{new} button[type=submit]")).await;
        assert_language(&s.text("#form-error").await, lang, "the mobile's error");
        // Also beside the mobile field, with what was typed kept.
        assert_language(&s.text("#error-mobile").await, lang, "beside the mobile");
        assert_eq!(
            s.prop(&format!("{new} input[name=mobile]"), "value")
                .await
                .as_deref(),
            Some("call me")
        );
        assert_eq!(
            s.prop(&format!("{new} input[name=username]"), "value")
                .await
                .as_deref(),
            Some(format!("u-{lang}").as_str())
        );
        check_page(&s, lang, "/admin/users error").await;
        s.screenshot(&shot(lang, 8, "users-error")).await;

        // An OpenID Connect client: the form (a wrong redirect URI first, what was typed kept),
        // its page with the secret shown once and the settings drawn from the client's keys, and
        // the apps list with both protocols.
        let client = format!("oidc-{lang}");
        s.goto(&format!("{base}/admin/oidc/new")).await;
        check_oidc_page(&s, lang, "/admin/oidc/new").await;
        s.type_into("#field-name", &client).await;
        s.type_into("#field-redirect_uris", "http://rp.example/cb")
            .await;
        s.click("#oidc-create").await;
        assert_language(
            &s.text("#error-redirect_uris").await,
            lang,
            "the redirect URI's error",
        );
        assert_eq!(
            s.prop("#field-name", "value").await.as_deref(),
            Some(client.as_str())
        );
        check_oidc_page(&s, lang, "/admin/oidc/new error").await;
        s.script(
            "document.querySelector('#field-redirect_uris').value = 'https://rp.example/cb';",
            vec![],
        )
        .await;
        s.click("#oidc-create").await;
        assert!(!s.text("#client-secret").await.trim().is_empty());
        check_oidc_page(&s, lang, "/admin/oidc/{name} (made)").await;
        s.screenshot(&shot(lang, 9, "oidc-client")).await;
        s.goto(&format!("{base}/admin/oidc/{client}")).await;
        assert_eq!(
            s.prop("#setting-redirect_uris", "value").await.as_deref(),
            Some("https://rp.example/cb")
        );
        check_oidc_page(&s, lang, "/admin/oidc/{name}").await;
        s.goto(&format!("{base}/admin/apps")).await;
        assert!(s.text("main table").await.contains(&client));
        check_oidc_page(&s, lang, "/admin/apps").await;
        s.quit().await;
    }
}
