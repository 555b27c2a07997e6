//! The real-browser test of the admin console: headless Debian Chromium driven over
//! WebDriver signs an admin in through the WeCom simulator's QR page, uploads an SP's metadata file,
//! sees the preview, saves, copies the WeCom homepage URL, and then a member signs in to that app
//! through the same QR page and lands at the SP with a signed Response. Screenshots of the main pages
//! are kept in `target/tmp/browser-artifacts/`.
//!
//! Runs when Chromium and chromedriver are installed (`scripts/test.sh` and `.ci/run` install them and
//! set `WECOM_IDP_TEST_BROWSER=1`, which makes their absence a failure, not a skip).

use crate::harness::*;
use crate::webdriver::{self, Driver, Session};
use std::path::PathBuf;
use wecom_idp::clock::Clock;

fn artifacts() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-artifacts")
}

fn browser_or_skip() -> Option<(String, String)> {
    match webdriver::available() {
        Some(found) => Some(found),
        None if std::env::var("WECOM_IDP_TEST_BROWSER").is_ok() => {
            panic!("WECOM_IDP_TEST_BROWSER is set but chromium/chromedriver are not installed")
        }
        None => {
            eprintln!(
                "browser test skipped: install chromium and chromium-driver (scripts/test.sh does)"
            );
            None
        }
    }
}

/// Signs `userid` in to the console by the QR page of the simulator (a plain browser).
async fn admin_sign_in(env: &Env, s: &Session, userid: &str, shot: &str) {
    s.goto(&format!("{}/admin", env.base)).await;
    s.wait_url(|u| u.contains("/admin/login")).await;
    s.screenshot(&artifacts().join(shot)).await;
    s.click("#wecom-sign-in").await;
    // The simulator's QR page: "the member whose phone scans".
    s.click(&format!("a[href*='sim_userid={userid}']")).await;
    s.wait_url(|u| u.ends_with("/admin")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_console_in_a_real_browser() {
    let Some((driver, chrome)) = browser_or_skip() else {
        return;
    };
    let env = Env::start(Db::Sqlite).await;
    env.state
        .store
        .add_admin("zhangsan", "shell", env.clock.unix())
        .await
        .unwrap();
    let d = Driver::start(&driver).await;
    let s = d.session(&chrome, "en-US").await;

    admin_sign_in(&env, &s, "zhangsan", "01-admin-login.png").await;
    assert!(s.source().await.contains("zhangsan"));
    s.screenshot(&artifacts().join("02-admin-home.png")).await;

    // Admins & tokens: a token is made in the console and shown once, with a copy button.
    s.goto(&format!("{}/admin/access", env.base)).await;
    s.type_into(
        "form[action='/admin/access/tokens'] input[name=name]",
        "browser-ci",
    )
    .await;
    s.click("form[action='/admin/access/tokens'] button").await;
    let token = s.text("#new-token").await;
    assert!(token.starts_with("wip_"), "{token}");
    s.click("button[data-copy='new-token']").await;
    assert_eq!(
        s.wait_attr("button[data-copy='new-token']", "data-copied")
            .await
            .as_deref(),
        Some(token.as_str())
    );
    s.screenshot(&artifacts().join("03-admin-access.png")).await;
    let (status, me) = env.api(&token).get("/me").await;
    assert_eq!(status, 200);
    assert_eq!(me["actor"], "token:browser-ci");

    // An SP the test runs itself: its ACS shows what it received.
    let (sp_base, mut received) = start_test_sp().await;
    let dir = tempfile::tempdir().unwrap();
    let metadata = dir.path().join("browser-sp-metadata.xml");
    std::fs::write(&metadata, sp_metadata(&sp_base)).unwrap();

    // Upload the SP's metadata file, see the preview, save.
    s.goto(&format!("{}/admin/apps/new", env.base)).await;
    s.screenshot(&artifacts().join("04-app-new.png")).await;
    let form = "form[action='/admin/apps/preview']";
    s.type_into(&format!("{form} input[name=name]"), "browser-sp")
        .await;
    s.type_into(
        &format!("{form} input[name=metadata_file]"),
        metadata.to_str().unwrap(),
    )
    .await;
    s.click(&format!("{form} button[type=submit]")).await;
    assert_eq!(s.text("#preview-entity-id").await, BROWSER_SP_ENTITY);
    assert!(s.source().await.contains(&format!("{sp_base}/acs")));
    s.screenshot(&artifacts().join("05-app-preview.png")).await;
    // Nothing is stored before Save.
    assert!(env.state.store.app("browser-sp").await.unwrap().is_none());
    s.click("main form button[type=submit]").await;
    s.wait_url(|u| u.ends_with("/admin/apps/browser-sp")).await;
    s.screenshot(&artifacts().join("06-app-page.png")).await;

    // Copy the WeCom homepage URL (an IdP-initiated app: the mount address).
    let homepage = s.text("#homepage-url").await;
    assert_eq!(homepage, format!("{}/apps/browser-sp/start", env.base));
    s.click("button[data-copy='homepage-url']").await;
    assert_eq!(
        s.wait_attr("button[data-copy='homepage-url']", "data-copied")
            .await
            .as_deref(),
        Some(homepage.as_str())
    );

    // A member opens that homepage: WeCom QR login (李四 scans), then the signed Response is
    // posted to the SP.
    s.goto(&homepage).await;
    s.click("a[href*='sim_userid=lisi']").await;
    s.wait_url(|u| u.starts_with(&sp_base)).await;
    assert!(s.text("#name-id").await.contains("lisi"));
    s.screenshot(&artifacts().join("07-member-at-sp.png")).await;
    let xml = received.recv().await.unwrap();
    assert!(
        !xml.contains("InResponseTo"),
        "IdP-initiated: no InResponseTo"
    );
    assert!(
        xmlsec_verify(&xml, &env.idp_cert_pem(), ASSERTION_SIG),
        "the assertion verifies with the IdP certificate"
    );

    // A Huawei preset with two mistakes: both reported at once, beside their fields.
    s.goto(&format!("{}/admin/apps/new?preset=huawei", env.base))
        .await;
    let preset_form = "form[action='/admin/apps/new/preview']";
    s.type_into(&format!("{preset_form} input[name=name]"), "hw")
        .await;
    s.type_into("#param-account_id", "12345").await;
    s.type_into("#param-provider_name", "bad name!").await;
    s.click("#preset-preview").await;
    assert!(!s.text("#error-param-account_id").await.is_empty());
    assert!(!s.text("#error-param-provider_name").await.is_empty());
    assert_eq!(
        s.attr("#param-provider_name", "value").await.as_deref(),
        Some("bad name!"),
        "typed input kept"
    );
    s.screenshot(&artifacts().join("08a-preset-errors.png"))
        .await;
    // Fixed: the preview, then Save creates it.
    s.clear("#param-account_id").await;
    s.type_into("#param-account_id", "0123456789abcdef0123456789abcdef")
        .await;
    s.clear("#param-provider_name").await;
    s.type_into("#param-provider_name", "wecom").await;
    s.click("#preset-preview").await;
    assert_eq!(
        s.text("#preview-entity-id").await,
        "https://auth.huaweicloud.com/"
    );
    assert!(env.state.store.app("hw").await.unwrap().is_none());
    s.screenshot(&artifacts().join("08b-preset-preview.png"))
        .await;
    s.click("#preview-save").await;
    s.wait_url(|u| u.ends_with("/admin/apps/hw")).await;
    assert!(env.state.store.app("hw").await.unwrap().is_some());

    // Edit a setting: the current value is pre-filled, Save says so.
    s.goto(&format!("{}/admin/apps/browser-sp", env.base)).await;
    assert_eq!(
        s.prop("#setting-attributes", "value").await.as_deref(),
        Some("userid, name, department_names=departments, position")
    );
    s.clear("#setting-role").await;
    s.type_into("#setting-role", "Developer").await;
    s.click("#settings-save").await;
    s.wait_url(|u| u.contains("saved=settings")).await;
    assert!(!s.text("#settings-saved").await.is_empty());
    assert_eq!(
        s.attr("#setting-role", "value").await.as_deref(),
        Some("Developer")
    );
    s.screenshot(&artifacts().join("08c-app-settings-saved.png"))
        .await;

    // A refused sign-in with a long detail: at 1280 px the audit table keeps Time, Event and User
    // on one line each (no column squeezed to a character a line); the detail wraps in its cell.
    let long = serde_json::json!({
        "errcode": 60020,
        "endpoint": "user/get",
        "fix": "Add this server's egress IP to the app's trusted IPs: ".repeat(6),
        "hint": "[1764993600_27_0123456789abcdef0123456789abcdef]",
    });
    env.state
        .store
        .audit(&wecom_idp::store::AuditRow {
            at: env.clock.unix(),
            event: "login".parse().unwrap(),
            app: Some("browser-sp".into()),
            userid: Some("zhang.san.long-userid".into()),
            result: "refused".parse().unwrap(),
            reason: "wecom_config".into(),
            client_ip: "192.0.2.10".parse().ok(),
            request_id: None,
            actor: None,
            detail: Some(long.to_string()),
        })
        .await
        .unwrap();
    s.goto(&format!("{}/admin/audit?result=refused", env.base))
        .await;
    let row = "table.audit tr.audit-row";
    for (col, what) in [
        (1, "time"),
        (2, "event"),
        (3, "app"),
        (4, "user"),
        (7, "actor"),
    ] {
        let cell = format!("{row} td:nth-child({col})");
        let lines = s.lines(&cell).await;
        assert!(lines <= 1, "the {what} column is on {lines} lines");
    }
    let reason_code = format!("{row} td:nth-child(6) code");
    assert_eq!(
        s.lines(&reason_code).await,
        1,
        "the reason code is not split"
    );
    assert!(
        s.lines("table.audit tr.audit-detail td code").await > 1,
        "the long detail wraps in its cell"
    );
    assert!(
        s.size("table.audit").await.0 <= 1280.0,
        "no horizontal scroll"
    );
    assert!(s.source().await.contains("WeCom set-up error"));
    s.screenshot(&artifacts().join("08d-admin-audit-detail.png"))
        .await;

    // The other main pages, for the record.
    for (i, page) in ["wecom", "users", "keys", "audit"].iter().enumerate() {
        s.goto(&format!("{}/admin/{page}", env.base)).await;
        assert!(
            s.source().await.contains("wecom-idp"),
            "/admin/{page} renders"
        );
        s.screenshot(&artifacts().join(format!("{:02}-admin-{page}.png", 8 + i)))
            .await;
    }
    s.quit().await;

    // The same console in Chinese (the browser asks for zh-CN).
    let zh = d.session(&chrome, "zh-CN").await;
    admin_sign_in(&env, &zh, "zhangsan", "12-admin-login-zh.png").await;
    zh.goto(&format!("{}/admin/apps/browser-sp", env.base))
        .await;
    assert!(zh.source().await.contains("挂载地址"));
    zh.screenshot(&artifacts().join("13-app-page-zh.png")).await;
    // No English sentence on the app pages, a preset form's errors included.
    for path in [
        "/admin/apps",
        "/admin/apps/browser-sp",
        "/admin/apps/hw",
        "/admin/apps/new",
        "/admin/apps/new?preset=huawei",
        "/admin/apps/new?preset=tencent-role",
    ] {
        zh.goto(&format!("{}{path}", env.base)).await;
        no_english_sentence(&zh.text("main").await, path);
    }
    zh.type_into(
        "form[action='/admin/apps/new/preview'] input[name=name]",
        "hw2",
    )
    .await;
    zh.type_into("#param-account_id", "12345").await;
    zh.click("#preset-preview").await;
    assert!(!zh.text("#error-param-provider_name").await.is_empty());
    no_english_sentence(&zh.text("main").await, "preset errors");
    zh.screenshot(&artifacts().join("14-preset-errors-zh.png"))
        .await;
    // The audit log in Chinese: labels, not codes or English words.
    zh.goto(&format!("{}/admin/audit?result=refused", env.base))
        .await;
    let row = zh.text("table.audit tr.audit-row").await;
    for label in ["登录", "拒绝", "企业微信配置错误"] {
        assert!(row.contains(label), "{label}: {row}");
    }
    assert!(
        !row.contains("refused") && !row.contains("WeCom set-up"),
        "{row}"
    );
    zh.screenshot(&artifacts().join("15-admin-audit-zh.png"))
        .await;
    zh.quit().await;
}

/// Fails when `text` has an English sentence: four ASCII words in a row, one of them a word only
/// prose has (identifiers, URLs and values such as `urn:oasis:…` or `department_names` are not).
fn no_english_sentence(text: &str, page: &str) {
    const PROSE: &[&str] = &[
        "the", "a", "an", "to", "of", "and", "is", "for", "in", "on", "with", "this", "that", "be",
        "not", "your", "you", "it", "or", "are", "at", "by", "from", "will", "can",
    ];
    for line in text.lines() {
        let words: Vec<&str> = line
            .split(|c: char| !c.is_ascii_alphabetic() && c != '\'')
            .filter(|w| !w.is_empty())
            .collect();
        // Words separated only by spaces: runs inside one line of text.
        for w in words.windows(4) {
            let joined = w.join(" ");
            if !line.contains(&joined) {
                continue;
            }
            assert!(
                !w.iter()
                    .any(|x| PROSE.contains(&x.to_ascii_lowercase().as_str())),
                "English on the Chinese page {page}: {line}"
            );
        }
    }
}

const BROWSER_SP_ENTITY: &str = "https://browser-sp.example/saml";

/// The test SP's metadata: an ACS on the test SP's own loopback server.
fn sp_metadata(sp_base: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{BROWSER_SP_ENTITY}">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAssertionsSigned="true">
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{sp_base}/acs" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
"#
    )
}

/// A minimal SP on loopback: `POST /acs` shows the NameID of the Response it received and hands
/// the Response to the test.
async fn start_test_sp() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use axum::extract::Form;
    use axum::response::Html;
    use base64::Engine;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/acs",
        axum::routing::post(
            move |Form(f): Form<std::collections::HashMap<String, String>>| {
                let tx = tx.clone();
                async move {
                    let xml = String::from_utf8(
                        base64::engine::general_purpose::STANDARD
                            .decode(f.get("SAMLResponse").map(String::as_str).unwrap_or(""))
                            .unwrap_or_default(),
                    )
                    .unwrap_or_default();
                    let name_id = xml
                        .split("NameID")
                        .nth(1)
                        .and_then(|s| s.split('>').nth(1))
                        .and_then(|s| s.split('<').next())
                        .unwrap_or("")
                        .to_string();
                    let _ = tx.send(xml);
                    Html(format!(
                        "<!DOCTYPE html><title>test SP</title><h1>signed in</h1><p id=\"name-id\">{}</p>",
                        name_id.replace('<', "&lt;")
                    ))
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (base, rx)
}
