//! Audit retention: rows older than `[audit] retention_days` go (six months by default), newer ones
//! and everything under `retention_days = 0` stay, deletes run in bounded batches, and the server's
//! purge loop applies it — on SQLite and PostgreSQL, with the fixed clock.

use crate::both_dbs;
use crate::harness::Env;
use wecom_idp::admin::audit::apply_retention;
use wecom_idp::clock::Clock;
use wecom_idp::config::{AuditConfig, Config};
use wecom_idp::store::{AuditRow, Store};

const DAY: i64 = 86_400;

fn row(at: i64, reason: &str) -> AuditRow {
    AuditRow {
        at,
        event: "login".parse().unwrap(),
        app: Some("console".into()),
        userid: Some("zhangsan".into()),
        result: "success".parse().unwrap(),
        reason: reason.into(),
        client_ip: "203.0.113.7".parse().ok(),
        request_id: None,
        actor: None,
        detail: None,
    }
}

/// The tweak of a server whose own purge loop keeps every audit row (`retention_days = 0`), so a test that calls
/// the retention functions itself is not raced by the loop running the default six months.
fn quiet(c: &mut Config) {
    c.audit.retention_days = 0;
}

async fn reasons(store: &Store) -> Vec<String> {
    let mut r: Vec<String> = store
        .audit_rows(10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.reason)
        .filter(|r| r.starts_with("age_"))
        .collect();
    r.sort();
    r
}

async fn keeps_six_months_by_default(env: Env) {
    let now = env.clock.unix();
    let store = &env.state.store;
    for (age, name) in [
        (400 * DAY, "age_400d"),
        (181 * DAY, "age_181d"),
        (180 * DAY + 1, "age_180d_1s"),
        (180 * DAY, "age_180d"),
        (179 * DAY, "age_179d"),
        (0, "age_0"),
    ] {
        store.audit(&row(now - age, name)).await.unwrap();
    }
    let config = AuditConfig::default();
    assert_eq!(config.retention_days, 180);
    // Forever: nothing goes.
    apply_retention(store, &AuditConfig { retention_days: 0 }, now).await;
    assert_eq!(reasons(store).await.len(), 6);
    apply_retention(store, &config, now).await;
    assert_eq!(
        reasons(store).await,
        vec!["age_0", "age_179d", "age_180d"],
        "rows older than 180 days go, a row exactly 180 days old stays"
    );
    // Shorter retention (allowed, with a start-up warning).
    let short = AuditConfig { retention_days: 30 };
    assert!(short.warning().unwrap().contains("six months"));
    assert!(config.warning().is_none());
    apply_retention(store, &short, now).await;
    assert_eq!(reasons(store).await, vec!["age_0"]);
}
both_dbs!(
    keeps_six_months_by_default,
    keeps_six_months_by_default,
    tweak = quiet
);

async fn deletes_in_bounded_batches(env: Env) {
    let now = env.clock.unix();
    let store = &env.state.store;
    for i in 0..5 {
        store
            .audit(&row(now - 200 * DAY + i, &format!("age_old_{i}")))
            .await
            .unwrap();
    }
    store.audit(&row(now, "age_new")).await.unwrap();
    let before = now - 180 * DAY;
    // Two statements of two rows: four go, the oldest first; the next run takes the rest.
    assert_eq!(store.purge_audit(before, 2, 2).await.unwrap(), 4);
    assert_eq!(reasons(store).await, vec!["age_new", "age_old_4"]);
    assert_eq!(store.purge_audit(before, 2, 2).await.unwrap(), 1);
    assert_eq!(store.purge_audit(before, 2, 2).await.unwrap(), 0);
    assert_eq!(reasons(store).await, vec!["age_new"]);
}
both_dbs!(
    deletes_in_bounded_batches,
    deletes_in_bounded_batches,
    tweak = quiet
);

/// A server started on a database holding old rows deletes them in its purge loop.
async fn the_purge_loop_applies_it(env: Env) {
    let now = env.clock.unix();
    env.state
        .store
        .audit(&row(now - 365 * DAY, "age_1y"))
        .await
        .unwrap();
    env.state
        .store
        .audit(&row(now - 10 * DAY, "age_10d"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let second = Env::start_with(env.db, env.database_url.clone(), dir, |c| {
        c.audit.retention_days = 90;
    })
    .await;
    // The loop's first run is at start; wait for it (a bound, not a speed claim).
    for _ in 0..200 {
        if reasons(&second.state.store).await == vec!["age_10d"] {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "the year-old row was not purged: {:?}",
        reasons(&second.state.store).await
    );
}
both_dbs!(the_purge_loop_applies_it, the_purge_loop_applies_it);

#[test]
fn retention_is_configurable_from_the_environment() {
    let c = wecom_idp::config::Config::load(
        None,
        vec![(
            "WECOM_IDP_AUDIT__RETENTION_DAYS".to_string(),
            "0".to_string(),
        )],
    )
    .unwrap();
    assert_eq!(c.audit.retention_days, 0);
    assert_eq!(c.audit.cutoff(1_000_000_000), None);
    let c = wecom_idp::config::Config::load(None, Vec::<(String, String)>::new()).unwrap();
    assert_eq!(
        c.audit.cutoff(1_000_000_000),
        Some(1_000_000_000 - 180 * DAY)
    );
}
