//! Running it: the one-command demo end to end (the binary, its simulator and demo SP), and the
//! background purge of expired rows.

use crate::both_dbs;
use crate::harness::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use wecom_idp::clock::Clock;
use wecom_idp::store::SessionRow;

/// Kills the demo process when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// The demo a newcomer runs: it starts on loopback, prints the address, and a member picked on the
// workbench lands signed in at the demo SP, which verified both signatures (IdP- and SP-initiated,
// in-client and QR); a disabled member is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_runs_the_whole_flow() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_wecom-idp"))
            .args(["demo", "--listen", "127.0.0.1:0", "--data"])
            .arg(dir.path())
            .env("WECOM_IDP_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    // Read every line until the demo exits (a closed pipe would make its later prints fail), and
    // hand over the address it prints.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.trim().strip_prefix("Open") {
                let url = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                let _ = tx.send(url.trim_end_matches("/demo").to_string());
            }
        }
    });
    let base = tokio::task::spawn_blocking(move || {
        rx.recv_timeout(std::time::Duration::from_secs(60))
            .expect("the demo printed no address")
    })
    .await
    .unwrap();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");

    let b = Browser::new(CHROME_UA);
    let workbench = b.get(&format!("{base}/demo")).await;
    assert_eq!(workbench.status, 200);
    assert!(workbench.body.contains("张三") && workbench.body.contains("zhaoliu"));

    for (who, init) in [("zhangsan", "idp"), ("lisi", "sp")] {
        let b = Browser::new(CHROME_UA);
        let page = b
            .follow(&format!(
                "{base}/demo/open?userid={who}&app=demo-sp&init={init}"
            ))
            .await;
        let form = page
            .form()
            .unwrap_or_else(|| panic!("{} {}", page.status, page.body));
        let relay = form.relay_state.clone().unwrap_or_default();
        let b64 = {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(form.xml.as_bytes())
        };
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
        assert!(shown.body.contains(who));
        if init == "sp" {
            assert!(
                !shown.body.contains("(none: IdP-initiated)"),
                "SP-initiated has InResponseTo"
            );
        }
    }
    // QR login from a plain browser: the simulator shows the member picker.
    let b = Browser::new(CHROME_UA);
    let picker = b
        .follow(&format!("{base}/demo/open?app=demo-sp-persistent&init=idp"))
        .await;
    assert_eq!(picker.status, 200);
    assert!(picker.body.contains("wangwu"), "{}", picker.body);
    // A disabled member is refused with a page.
    let b = Browser::new(CHROME_UA);
    let refused = b
        .follow(&format!(
            "{base}/demo/open?userid=zhaoliu&app=demo-sp&init=idp"
        ))
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.reason().as_deref(), Some("member_not_active"));
}

both_dbs!(expired_rows_are_purged, purge);
async fn purge(env: Env) {
    let store = &env.state.store;
    // Every row is dated a day after the server's fixed clock, so the server's own purge loop
    // (which runs at start and reads that clock) finds nothing expired and cannot race this test.
    let now = env.clock.unix() + 86_400;
    let session = |id: &str, last_seen: i64, expires_at: i64| SessionRow {
        id_hash: id.into(),
        userid: "u".into(),
        profile_json: "{}".into(),
        authn_instant: now - 10,
        last_seen,
        expires_at,
    };
    store
        .create_session(&session("live", now, now + 100))
        .await
        .unwrap();
    store
        .create_session(&session("over", now, now - 1))
        .await
        .unwrap();
    store
        .create_session(&session("idle", now - 8000, now + 100))
        .await
        .unwrap();
    store
        .create_login_state("s-old", "b", "{}", now - 7200, now - 3601, None)
        .await
        .unwrap();
    store
        .create_login_state("s-recent", "b", "{}", now - 700, now - 100, None)
        .await
        .unwrap();
    assert!(store.remember_request("sp", "_old", now - 1).await.unwrap());
    assert!(store
        .remember_request("sp", "_live", now + 100)
        .await
        .unwrap());

    let gone = store.purge_expired(now, now - 7200).await.unwrap();
    assert_eq!(
        gone, 4,
        "two sessions, one old login state, one replay entry"
    );
    assert!(store.session("live").await.unwrap().is_some());
    assert!(store.session("over").await.unwrap().is_none());
    assert!(store.session("idle").await.unwrap().is_none());
    // A recently expired state is kept a while so a late callback is told "expired", not "unknown".
    assert_eq!(
        store
            .consume_login_state("s-recent", "b", "c", now)
            .await
            .unwrap(),
        wecom_idp::store::Consumed::Expired
    );
    assert_eq!(
        store
            .consume_login_state("s-old", "b", "c", now)
            .await
            .unwrap(),
        wecom_idp::store::Consumed::Unknown
    );
    // The purged request ID may be seen again; the live one is still a replay.
    assert!(store
        .remember_request("sp", "_old", now + 100)
        .await
        .unwrap());
    assert!(!store
        .remember_request("sp", "_live", now + 100)
        .await
        .unwrap());
}

both_dbs!(
    a_start_still_checks_the_applied_migrations,
    migrations_checked
);
// A start on an up-to-date database skips the migrator's work, but a database whose applied
// migrations differ from this binary's (a migration edited after it ran) is still refused.
async fn migrations_checked(env: Env) {
    let store = wecom_idp::store::Store::connect(&env.database_url)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    assert!(store.schema_up_to_date().await.unwrap(), "the fast path");
    store.migrate().await.unwrap();
    let tamper = "UPDATE _sqlx_migrations SET checksum = checksum || checksum WHERE version = \
         (SELECT MAX(version) FROM _sqlx_migrations)";
    match env.db {
        Db::Sqlite => {
            use sqlx::Connection;
            let mut c = sqlx::sqlite::SqliteConnection::connect(&env.database_url)
                .await
                .unwrap();
            sqlx::query(tamper).execute(&mut c).await.unwrap();
        }
        Db::Postgres => {
            use sqlx::Connection;
            let mut c = sqlx::postgres::PgConnection::connect(&env.database_url)
                .await
                .unwrap();
            sqlx::query(tamper).execute(&mut c).await.unwrap();
        }
    }
    assert!(!store.schema_up_to_date().await.unwrap());
    let err = store.migrate().await.unwrap_err();
    assert!(
        matches!(err, wecom_idp::store::StoreError::Migrate(_)),
        "{err}"
    );
}
