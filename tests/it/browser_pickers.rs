//! The real-browser walk of the rule editor's pickers, in Chinese: the admin picks a department and
//! a tag from WeCom for a role rule (added in the page by `admin.js`), finds a member as it types,
//! saves, then types a tag name with a typo and sees that nothing was saved, which name WeCom does
//! not know (beside the rules, the text kept) and the "save anyway" choice. Screenshots in `target/tmp/browser-artifacts/`.
//! Runs when Chromium and chromedriver are installed (a failure, not a skip, under
//! `WECOM_IDP_TEST_BROWSER=1`).

use crate::harness::*;
use crate::webdriver::{self, Driver, Session};
use std::path::PathBuf;
use wecom_idp::clock::Clock;
use wecom_idp::wecom::simulator::demo_tags;

fn artifacts() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-artifacts")
}

async fn sign_in(env: &Env, s: &Session, userid: &str) {
    s.goto(&format!("{}/admin", env.base)).await;
    s.wait_url(|u| u.contains("/admin/login")).await;
    s.click("#wecom-sign-in").await;
    s.click(&format!("a[href*='sim_userid={userid}']")).await;
    s.wait_url(|u| u.ends_with("/admin")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Rule: rules are edited with pickers read live from WeCom, and a name WeCom does not know is
// refused on save with the name shown, in Chinese.
async fn rule_pickers_in_a_real_browser() {
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
    env.sim.set_tags(demo_tags());
    env.add_app("crm", &[]).await;
    env.state
        .store
        .add_admin("zhangsan", "shell", env.clock.unix())
        .await
        .unwrap();
    let d = Driver::start(&driver).await;
    let s = d.session(&chrome, "zh-CN").await;
    sign_in(&env, &s, "zhangsan").await;
    s.goto(&format!("{}/admin/apps/crm", env.base)).await;
    assert!(s.text("label[for=pick-dept]").await.contains("部门"));

    // The member search finds as you type (no click on Find, no page load): wangw lists 王五.
    let page = s.current_url().await;
    s.type_into("#pick-q", "wangw").await;
    s.find("#pick-user option[value=wangwu]").await;
    assert!(
        s.text("#pick-live").await.contains("找到"),
        "the count is said"
    );
    assert_eq!(s.current_url().await, page, "found in the page");

    // Pick a department and a tag for a role rule: added to the rules' box in the page.
    s.click("#pick-target option[value=role_rules]").await;
    s.click("#pick-dept option[value='3']").await;
    s.click("#pick-tag option[value='2']").await;
    s.type_into("#pick-role", "Auditor").await;
    s.click("#pick-add").await;
    assert_eq!(
        s.prop("#setting-role_rules", "value").await.as_deref(),
        Some("dept:3=Auditor;tag:2=Auditor")
    );
    assert!(s.text("#pick-live").await.contains("已添加"));
    s.screenshot(&artifacts().join("pickers-picked-zh-CN.png"))
        .await;
    s.click("#settings-save").await;
    s.wait_url(|u| u.contains("saved=settings")).await;
    assert_eq!(
        s.prop("#setting-role_rules", "value").await.as_deref(),
        Some("dept:3=Auditor; tag:2=Auditor"),
        "saved and shown as the current rules"
    );

    // A typed typo: refused beside the rules, in Chinese, the text kept, "save anyway" offered.
    s.clear("#setting-role_rules").await;
    s.type_into("#setting-role_rules", "dept:3=Auditor;tag:运维组=Ops")
        .await;
    s.click("#settings-save").await;
    let beside = s.text("#error-role_rules").await;
    assert!(beside.contains("企业微信中没有 tag:运维组"), "{beside}");
    assert_eq!(
        s.prop("#setting-role_rules", "value").await.as_deref(),
        Some("dept:3=Auditor;tag:运维组=Ops")
    );
    assert!(s.text("#settings-save-anyway").await.contains("仍然保存"));
    // The warning in view for the screenshot (a click scrolls it there).
    s.click("#error-role_rules").await;
    s.screenshot(&artifacts().join("pickers-unknown-zh-CN.png"))
        .await;
    let app = env.state.store.app("crm").await.unwrap().unwrap();
    assert!(!app.settings_json.contains("运维组"), "nothing saved");
    s.quit().await;
}
