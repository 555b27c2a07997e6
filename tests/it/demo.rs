//! The demo's gaps closed: apps added in the console open from `/demo` (the sample SP, imported by
//! URL from the metadata the demo serves on loopback, also SP-initiated), picking another member
//! never silently signs in as the previous one, a member outside the app's visible range is refused,
//! and the member who has left is labelled one way (已离职).

use crate::harness::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Kills the demo process when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `wecom-idp demo` on a free loopback port; returns it, its base URL and the simulator's.
async fn start_demo(dir: &std::path::Path) -> (Child, String, String) {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_wecom-idp"))
            .args(["demo", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir)
            .env("WECOM_IDP_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut base = None;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let first = |rest: &str| {
                rest.split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string()
            };
            if let Some(rest) = line.trim().strip_prefix("Open") {
                base = Some(first(rest).trim_end_matches("/demo").to_string());
            }
            if let Some(rest) = line.trim().strip_prefix("WeCom simulator") {
                let sim = first(rest).trim_end_matches("/sim").to_string();
                let _ = tx.send((base.clone().unwrap_or_default(), sim));
            }
        }
    });
    let (base, sim) = tokio::task::spawn_blocking(move || {
        rx.recv_timeout(std::time::Duration::from_secs(60))
            .expect("the demo printed no address")
    })
    .await
    .unwrap();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    (child, base, sim)
}

/// Follows `/demo/open…` and returns the Response form the IdP posts to the SP.
async fn open(b: &Browser, base: &str, query: &str) -> PostedForm {
    let page = b.follow(&format!("{base}/demo/open?{query}")).await;
    page.form()
        .unwrap_or_else(|| panic!("{query}: {} {}", page.status, page.body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_closes_its_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let (_child, base, sim) = start_demo(dir.path()).await;

    // One label for the member who has left; the member outside the visible range is listed.
    let wb = Browser::new(CHROME_UA).get(&format!("{base}/demo")).await;
    assert_eq!(wb.status, 200);
    assert!(wb.body.contains("has left 已离职"), "{}", wb.body);
    assert!(!wb.body.contains("已退出"), "{}", wb.body);
    assert!(wb.body.contains("zhouba"), "{}", wb.body);
    assert!(wb.body.contains("/demo/sample-sp/metadata"));

    // Rule: clicking 李四 while 张三 has a session ends 张三's session: the assertion is 李四's.
    let b = Browser::new(CHROME_UA);
    let first = open(&b, &base, "userid=zhangsan&app=demo-sp&init=idp").await;
    assert!(first.xml.contains("zhangsan"));
    let second = open(&b, &base, "userid=lisi&app=demo-sp&init=idp").await;
    assert!(second.xml.contains("lisi"), "{}", second.xml);
    assert!(
        !second.xml.contains("zhangsan"),
        "signed in as the previous member"
    );
    // The same member again keeps the session; another member's pick clears it.
    let clears = |p: &Page| {
        p.headers_named("set-cookie")
            .iter()
            .any(|c| c.starts_with("wecom_idp_session=;"))
    };
    let same = b
        .get(&format!(
            "{base}/demo/open?userid=lisi&app=demo-sp&init=idp"
        ))
        .await;
    assert!(!clears(&same), "{:?}", same.headers_named("set-cookie"));
    let other = b
        .get(&format!(
            "{base}/demo/open?userid=wangwu&app=demo-sp&init=idp"
        ))
        .await;
    assert!(clears(&other), "{:?}", other.headers_named("set-cookie"));

    // Rule: a member outside the app's visible range is refused with a page saying so.
    let b = Browser::new(CHROME_UA);
    let refused = b
        .follow(&format!(
            "{base}/demo/open?userid=zhouba&app=demo-sp&init=idp"
        ))
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(refused.reason().as_deref(), Some("wecom_denied"));

    // Rule: the console's import by URL accepts the sample SP the demo serves on loopback, and the
    // app added in the console opens from /demo, SP-initiated too.
    let admin = Browser::new(WXWORK_UA);
    admin
        .get(&format!("{sim}/sim/as?userid=zhangsan&next=%2Fsim"))
        .await;
    let home = admin
        .follow(&format!("{base}/admin/login/wecom?next=%2Fadmin"))
        .await;
    assert_eq!(home.status, 200, "{}", home.body);
    let csrf = csrf_of(&home.body);
    let url = format!("{base}/demo/sample-sp/metadata");
    let created = admin
        .post_multipart_fields(
            &format!("{base}/admin/apps/new"),
            &[
                ("csrf", &csrf),
                ("name", "sample-sp"),
                ("metadata_url", &url),
            ],
            &[],
        )
        .await;
    assert_eq!(
        created.location.as_deref(),
        Some("/admin/apps/sample-sp"),
        "{} {}",
        created.status,
        created.body
    );
    let wb = Browser::new(CHROME_UA).get(&format!("{base}/demo")).await;
    assert!(
        wb.body
            .contains("/demo/open?userid=wangwu&amp;app=sample-sp&amp;init=sp")
            || wb.body.contains("app=sample-sp&init=sp"),
        "{}",
        wb.body
    );
    for init in ["idp", "sp"] {
        let b = Browser::new(CHROME_UA);
        let form = open(
            &b,
            &base,
            &format!("userid=wangwu&app=sample-sp&init={init}"),
        )
        .await;
        assert!(
            form.action.ends_with("/demo/sp/sample-sp/acs"),
            "{}",
            form.action
        );
        let b64 = {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(form.xml.as_bytes())
        };
        let relay = form.relay_state.clone().unwrap_or_default();
        let shown = b
            .post_form(
                &form.action,
                &[("SAMLResponse", &b64), ("RelayState", &relay)],
            )
            .await;
        assert_eq!(shown.status, 200, "{}", shown.body);
        assert_eq!(
            shown.body.matches("verified ✓").count(),
            2,
            "{}",
            shown.body
        );
        assert!(shown.body.contains("wangwu"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Rule: "this member leaves" on the workbench makes the simulator send an encrypted delete_user to
// the demo's own event callback (set up by `wecom-idp demo` itself): the member's IdP session ends
// and opening an app as that member is refused.
async fn the_demo_shows_a_leaver_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let (_child, base, _sim) = start_demo(dir.path()).await;
    let b = Browser::new(CHROME_UA);
    let form = open(&b, &base, "userid=wangwu&app=demo-sp&init=idp").await;
    assert!(form.xml.contains("wangwu"));
    let wb = b.get(&format!("{base}/demo")).await;
    assert!(wb.body.contains("id=\"idp-session\""), "{}", wb.body);
    let left = b
        .post_form(&format!("{base}/demo/leave"), &[("userid", "wangwu")])
        .await;
    assert_eq!(left.status, 302, "{}", left.body);
    let wb = b.get(&format!("{base}/demo?left=wangwu")).await;
    assert!(wb.body.contains("id=\"member-left\""), "{}", wb.body);
    assert!(
        !wb.body.contains("id=\"idp-session\""),
        "the session ended: {}",
        wb.body
    );
    let again = b
        .follow(&format!(
            "{base}/demo/open?userid=wangwu&app=demo-sp&init=idp"
        ))
        .await;
    assert!(
        again.form().is_none(),
        "no Response for a leaver: {}",
        again.body
    );
}
