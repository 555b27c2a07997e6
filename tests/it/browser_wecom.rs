//! The real-browser walk of the WeCom page: an admin types a wrong AgentId, presses Save, and sees
//! in their language that nothing was saved, why (beside the AgentId field, with the typed value
//! still there) and the "Save anyway" choice; nothing is stored until they take it. Screenshots in
//! `target/tmp/browser-artifacts/`. Runs when Chromium and chromedriver are installed (a failure,
//! not a skip, under `WECOM_IDP_TEST_BROWSER=1`).

use crate::harness::*;
use crate::webdriver::{self, Driver, Session};
use std::path::PathBuf;
use wecom_idp::clock::Clock;

fn artifacts() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-artifacts")
}

/// WebDriver keys: Ctrl (sticky until NULL) + A selects the field's text, which typing replaces.
const SELECT_ALL: &str = "\u{E009}a\u{E000}";

async fn wecom_row(env: &Env) -> Option<String> {
    env.state
        .store
        .settings()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == "wecom" && r.value_json.trim() != "null")
        .map(|r| r.value_json)
}

async fn sign_in(env: &Env, s: &Session, userid: &str) {
    s.goto(&format!("{}/admin", env.base)).await;
    s.wait_url(|u| u.contains("/admin/login")).await;
    s.click("#wecom-sign-in").await;
    s.click(&format!("a[href*='sim_userid={userid}']")).await;
    s.wait_url(|u| u.ends_with("/admin")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Rule: a wrong AgentId is refused before Save, visibly, in Chinese and in English.
async fn wrong_agent_id_is_refused_before_save() {
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
    let d = Driver::start(&driver).await;
    for (lang, not_saved, meaning, anyway) in [
        ("zh-CN", "未保存", "不合法的 agentid", "仍然保存"),
        ("en-US", "Not saved", "Invalid agent ID", "Save anyway"),
    ] {
        let s = d.session(&chrome, lang).await;
        sign_in(&env, &s, "zhangsan").await;
        s.goto(&format!("{}/admin/wecom", env.base)).await;
        s.type_into("input[name=agent_id]", &format!("{SELECT_ALL}9999999"))
            .await;
        s.click("button[name=action][value=save]").await;
        assert!(s.text("#not-saved").await.contains(not_saved), "{lang}");
        let beside = s.text("#check-agent_id").await;
        assert!(beside.contains(meaning), "{lang}: {beside}");
        assert!(beside.contains("40056"), "{lang}: {beside}");
        assert_eq!(
            s.attr("input[name=agent_id]", "value").await.as_deref(),
            Some("9999999"),
            "{lang}: the typed AgentId stays"
        );
        assert!(s.text("#save-anyway").await.contains(anyway), "{lang}");
        s.screenshot(&artifacts().join(format!("wecom-refused-{lang}.png")))
            .await;
        assert!(wecom_row(&env).await.is_none(), "{lang}: nothing saved");
        s.quit().await;
    }
}
