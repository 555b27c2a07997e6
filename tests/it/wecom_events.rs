//! The WeCom event callback at `/wecom/events` with the simulator sending real encrypted events:
//! the URL verification, each `change_contact` type, each refusal (bad signature, wrong corp ID,
//! stale timestamp, replay, oversize body — nothing changed), a leaver cut off (sessions ended, also
//! through a second instance sharing PostgreSQL; the account disabled or unbound), the rejoin
//! restore, and an admin-disabled account that a rejoin leaves disabled.

use crate::both_dbs;
use crate::harness::*;
use wecom_idp::clock::Clock;
use wecom_idp::config::{Config, LeaverAccount};
use wecom_idp::saml::xml::flat_document;
use wecom_idp::store::AccountStatus;
use wecom_idp::wecom::contact_change::{ContactChange, MemberStatus};
use wecom_idp::wecom::event;
use wecom_idp::wecom::event_crypto::{AesKey, CallbackToken, EventCrypto};
use wecom_idp::wecom::simulator::Member;

const TOKEN: &str = "evToken2026";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

async fn start(db: Db, leaver: LeaverAccount) -> Env {
    let env = Env::start_on(db, |c: &mut Config| {
        c.wecom.callback_token = TOKEN.into();
        c.wecom.callback_aes_key = AES_KEY.into();
        c.lifecycle.leaver_account = leaver;
    })
    .await
    .unwrap();
    env.sim
        .set_event_target(events_url(&env.base), token(), key());
    env.add_app("wiki", &[]).await;
    env
}

fn events_url(base: &str) -> String {
    format!("{base}/wecom/events")
}

fn token() -> CallbackToken {
    CallbackToken::parse(TOKEN).unwrap()
}

fn key() -> AesKey {
    AesKey::parse(AES_KEY).unwrap()
}

fn crypto(corp: &str) -> EventCrypto {
    EventCrypto::new(token(), key(), corp)
}

fn now(env: &Env) -> i64 {
    env.clock.now().unix_timestamp()
}

/// One request as WeCom would send it, built by hand so that a test can break one part.
struct Hand {
    query: String,
    body: String,
}

fn hand(env: &Env, corp: &str, xml: &str, timestamp: i64, nonce: &str) -> Hand {
    let c = crypto(corp);
    let encrypt = c.encrypt(xml, &wecom_idp::random::OsRng).unwrap();
    let ts = timestamp.to_string();
    let sig = c.signature(&ts, nonce, &encrypt);
    let _ = env;
    Hand {
        query: format!("msg_signature={sig}&timestamp={ts}&nonce={nonce}"),
        body: event::envelope(CORP_ID, AGENT_ID, &encrypt).unwrap(),
    }
}

fn delete_xml(env: &Env, userid: &str) -> String {
    let change = ContactChange::UserDeleted {
        userid: userid.into(),
    };
    event::change_message(CORP_ID, &change, now(env)).unwrap()
}

async fn post(url: &str, h: &Hand) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(format!("{url}?{}", h.query))
        .body(h.body.clone())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn sign_in(env: &Env) -> Browser {
    let b = env.browser(WXWORK_UA);
    env.login_in_client(&b, "wiki", "zhangsan").await;
    assert!(has_session(env, &b).await);
    b
}

/// Whether the browser's IdP session still serves the app without going back to WeCom.
async fn has_session(env: &Env, b: &Browser) -> bool {
    let page = b.get(&format!("{}/apps/wiki/start", env.base)).await;
    match page.status {
        200 => true,
        302 => {
            assert!(page.location.unwrap().starts_with(&env.sim_base));
            false
        }
        s => panic!("unexpected {s}: {}", page.body),
    }
}

async fn account(env: &Env) -> Option<AccountStatus> {
    env.state
        .store
        .bound_account(CORP_ID, "zhangsan")
        .await
        .unwrap()
        .map(|(a, _)| a.status)
}

/// The audit reasons of `event`, oldest first.
async fn reasons(env: &Env, event: &str) -> Vec<String> {
    env.audit()
        .await
        .into_iter()
        .rev()
        .filter(|r| r.event == event)
        .map(|r| r.reason)
        .collect()
}

both_dbs!(url_verification_answers_the_echo, url_verification(db));
// Rule: the GET decrypts echostr and answers its plain text; a wrong signature gets nothing.
async fn url_verification(db: Db) {
    let env = start(db, LeaverAccount::Disable).await;
    let c = crypto(CORP_ID);
    let echo = c
        .encrypt("1234567890987654321", &wecom_idp::random::OsRng)
        .unwrap();
    let ts = now(&env).to_string();
    let sig = c.signature(&ts, "n1", &echo);
    let url = format!(
        "{}?msg_signature={sig}&timestamp={ts}&nonce=n1&echostr={}",
        events_url(&env.base),
        enc(&echo)
    );
    let r = reqwest::get(&url).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "1234567890987654321");
    let bad = url.replace("nonce=n1", "nonce=n2");
    let r = reqwest::get(&bad).await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.text().await.unwrap(), "bad_signature");
    assert_eq!(
        reasons(&env, "wecom_event").await,
        vec!["url_verified", "bad_signature"]
    );
}

both_dbs!(every_change_type_is_received, change_types(db));
// Rule: each change_contact type is accepted and audited; other messages are answered and ignored.
async fn change_types(db: Db) {
    let env = start(db, LeaverAccount::Disable).await;
    let changes = [
        ContactChange::UserCreated {
            userid: "lisi".into(),
        },
        ContactChange::UserUpdated {
            userid: "lisi".into(),
            new_userid: None,
            status: None,
        },
        ContactChange::DepartmentCreated { id: 9 },
        ContactChange::DepartmentUpdated { id: 2 },
        ContactChange::DepartmentDeleted { id: 9 },
        ContactChange::TagUpdated { tagid: 1 },
    ];
    for c in &changes {
        let sent = env.sim.send_change(c).await.unwrap();
        assert_eq!(
            (sent.status, sent.answer.as_str()),
            (200, "success"),
            "{c:?}"
        );
    }
    let other = flat_document(
        "xml",
        &[
            ("MsgType", "event"),
            ("Event", "enter_agent"),
            ("AgentID", AGENT_ID),
        ],
    )
    .unwrap();
    let h = hand(&env, CORP_ID, &other, now(&env), "other1");
    assert_eq!(
        post(&events_url(&env.base), &h).await,
        (200, "success".into())
    );
    let mut expected = vec!["received"; changes.len()];
    expected.push("ignored");
    assert_eq!(reasons(&env, "wecom_event").await, expected);
    assert!(reasons(&env, "member_left").await.is_empty());
}

both_dbs!(refused_events_change_nothing, refusals(db));
// Rule: bad signature, wrong corp ID, stale timestamp, replay and oversize are refused, and the
// member the event names keeps the session and the account.
async fn refusals(db: Db) {
    let env = start(db, LeaverAccount::Disable).await;
    let b = sign_in(&env).await;
    let url = events_url(&env.base);
    let xml = delete_xml(&env, "zhangsan");
    let t = now(&env);

    let mut h = hand(&env, CORP_ID, &xml, t, "sig1");
    h.query = h.query.replace("nonce=sig1", "nonce=sig2");
    assert_eq!(post(&url, &h).await, (400, "bad_signature".into()));

    let h = hand(&env, "wwsomeoneelse", &xml, t, "corp1");
    assert_eq!(post(&url, &h).await, (400, "wrong_corp_id".into()));

    for stale in [t - 301, t + 301] {
        let h = hand(&env, CORP_ID, &xml, stale, "old1");
        assert_eq!(post(&url, &h).await, (400, "stale_timestamp".into()));
    }

    let big = format!("{}{}", " ".repeat(70 * 1024), delete_xml(&env, "x"));
    let h = hand(&env, CORP_ID, &big, t, "big1");
    assert_eq!(post(&url, &h).await.0, 413);

    // A harmless event, then the same request again.
    let dept =
        event::change_message(CORP_ID, &ContactChange::DepartmentCreated { id: 5 }, t).unwrap();
    let h = hand(&env, CORP_ID, &dept, t, "once1");
    assert_eq!(post(&url, &h).await.0, 200);
    assert_eq!(post(&url, &h).await, (400, "replayed".into()));

    assert!(has_session(&env, &b).await, "refused events end no session");
    assert_eq!(account(&env).await, Some(AccountStatus::Active));
    assert!(reasons(&env, "member_left").await.is_empty());
    let refused = reasons(&env, "wecom_event").await;
    for r in [
        "bad_signature",
        "wrong_corp_id",
        "stale_timestamp",
        "too_large",
        "replayed",
    ] {
        assert!(refused.iter().any(|x| x == r), "{r} audited: {refused:?}");
    }
}

both_dbs!(
    a_replayed_leave_after_a_rejoin_is_refused,
    replay_after_rejoin(db)
);
// Rule: a captured delete_user sent again after the member rejoined does not cut them off again.
async fn replay_after_rejoin(db: Db) {
    let env = start(db, LeaverAccount::Disable).await;
    sign_in(&env).await;
    let url = events_url(&env.base);
    let h = hand(
        &env,
        CORP_ID,
        &delete_xml(&env, "zhangsan"),
        now(&env),
        "leave1",
    );
    assert_eq!(post(&url, &h).await.0, 200);
    assert_eq!(account(&env).await, Some(AccountStatus::Disabled));
    rejoin(&env).await;
    assert_eq!(account(&env).await, Some(AccountStatus::Active));
    assert_eq!(post(&url, &h).await, (400, "replayed".into()));
    assert_eq!(account(&env).await, Some(AccountStatus::Active));
}

async fn rejoin(env: &Env) {
    let mut m = Member::new("zhangsan", "张三");
    m.status = 1;
    env.sim.upsert_member(m);
    let sent = env
        .sim
        .send_change(&ContactChange::UserCreated {
            userid: "zhangsan".into(),
        })
        .await
        .unwrap();
    assert_eq!(sent.status, 200, "{}", sent.answer);
}

both_dbs!(
    a_leaver_is_cut_off_and_restored_on_rejoin,
    leaver_and_rejoin(db)
);
// Rule: delete_user ends the member's sessions and disables the bound account; the member created
// again is restored by the same rule (the account enabled, a new sign-in works).
async fn leaver_and_rejoin(db: Db) {
    let env = start(db, LeaverAccount::Disable).await;
    let b = sign_in(&env).await;
    let sent = env.sim.member_leaves("zhangsan").await.unwrap();
    assert_eq!((sent.status, sent.answer.as_str()), (200, "success"));
    assert!(!has_session(&env, &b).await, "the session ended");
    assert_eq!(account(&env).await, Some(AccountStatus::Disabled));
    assert_eq!(reasons(&env, "member_left").await, vec!["member_deleted"]);
    // The same change again (a new event): no second account change.
    env.sim
        .send_change(&ContactChange::UserDeleted {
            userid: "zhangsan".into(),
        })
        .await
        .unwrap();
    assert_eq!(account(&env).await, Some(AccountStatus::Disabled));
    rejoin(&env).await;
    assert_eq!(account(&env).await, Some(AccountStatus::Active));
    assert_eq!(
        reasons(&env, "member_rejoined").await,
        vec!["member_active"]
    );
    let b = env.browser(WXWORK_UA);
    env.login_in_client(&b, "wiki", "zhangsan").await;
}

both_dbs!(a_disabled_member_is_unbound_and_rebound, unbind_rule(db));
// Rule: with leaver_account = unbind, a member disabled in WeCom (update_user Status=2) loses the
// binding and the session; Status=1 binds the same account again.
async fn unbind_rule(db: Db) {
    let env = start(db, LeaverAccount::Unbind).await;
    let b = sign_in(&env).await;
    let status = |s| ContactChange::UserUpdated {
        userid: "zhangsan".into(),
        new_userid: None,
        status: Some(s),
    };
    env.sim
        .send_change(&status(MemberStatus::Disabled))
        .await
        .unwrap();
    assert!(!has_session(&env, &b).await);
    assert_eq!(account(&env).await, None, "unbound");
    assert_eq!(reasons(&env, "member_left").await, vec!["member_disabled"]);
    env.sim
        .send_change(&status(MemberStatus::Active))
        .await
        .unwrap();
    assert_eq!(
        account(&env).await,
        Some(AccountStatus::Active),
        "bound again"
    );
}

both_dbs!(an_admin_disabled_account_stays_disabled, admin_disabled(db));
// Rule: the rejoin undoes only what the rule did: an account an admin disabled stays disabled.
async fn admin_disabled(db: Db) {
    let env = start(db, LeaverAccount::Disable).await;
    sign_in(&env).await;
    let (a, _) = env
        .state
        .store
        .bound_account(CORP_ID, "zhangsan")
        .await
        .unwrap()
        .unwrap();
    env.state
        .store
        .set_account_status(&a.id, AccountStatus::Disabled, now(&env))
        .await
        .unwrap();
    env.sim.member_leaves("zhangsan").await.unwrap();
    rejoin(&env).await;
    assert_eq!(account(&env).await, Some(AccountStatus::Disabled));
    assert!(reasons(&env, "member_rejoined").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Rule: sessions live in the shared database: an event received by instance B ends the session a
// browser holds on instance A.
async fn a_leave_received_by_another_instance_ends_the_session() {
    if !postgres_configured() {
        return;
    }
    let env = start(Db::Postgres, LeaverAccount::Disable).await;
    let b = sign_in(&env).await;
    let other = env.second_instance().await;
    env.sim.set_event_target(events_url(&other), token(), key());
    let sent = env.sim.member_leaves("zhangsan").await.unwrap();
    assert_eq!(sent.status, 200, "{}", sent.answer);
    assert!(
        !has_session(&env, &b).await,
        "instance A sees the session ended"
    );
}

both_dbs!(
    a_leaver_whose_event_never_came_is_cut_off_by_the_sync,
    reconciliation_cuts_off(db)
);
// Rule: a member removed in WeCom without an event reaching us is cut off by the next full sync
// (here `wecom-idp directory sync`): sessions ended, account disabled, audited as a reconciliation;
// a sync that finds nothing changed does nothing more.
async fn reconciliation_cuts_off(db: Db) {
    let env = start(db, LeaverAccount::Disable).await;
    let b = sign_in(&env).await;
    let vars = shell(&env);
    // The first sync meets the demo's left and disabled members: the rules act on them too (they
    // hold nothing here), and zhangsan, active, keeps the session.
    let (ok, out) = run_shell(&vars, &["directory", "sync"]).await;
    assert!(ok, "{out}");
    assert!(out.contains("lifecycle: 2 member(s) cut off"), "{out}");
    assert!(has_session(&env, &b).await);
    env.sim.remove_member("zhangsan");
    let (ok, out) = run_shell(&vars, &["directory", "sync"]).await;
    assert!(ok, "{out}");
    assert!(out.contains("status zhangsan: active -> absent"), "{out}");
    assert!(out.contains("lifecycle: 1 member(s) cut off"), "{out}");
    assert!(!has_session(&env, &b).await);
    assert_eq!(account(&env).await, Some(AccountStatus::Disabled));
    let rows: Vec<_> = env
        .audit()
        .await
        .into_iter()
        .filter(|r| r.event == "member_left" && r.userid.as_deref() == Some("zhangsan"))
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].reason, "member_deleted");
    let detail = rows[0].detail.clone().unwrap_or_default();
    assert!(detail.contains("reconciliation"), "{detail}");
    let (ok, out) = run_shell(&vars, &["directory", "sync"]).await;
    assert!(
        ok && out.contains("lifecycle: 0 member(s) cut off"),
        "{out}"
    );
}

both_dbs!(a_renamed_userid_keeps_its_account, renamed(db));
// Rule: update_user with NewUserID is the same member under a new userid, not a leave and a join:
// the binding and the pairwise subject move to the new userid (the account stays active, a
// persistent NameID stays the same), the sessions under the old userid end, audited as
// member_renamed with no member_left row.
async fn renamed(db: Db) {
    let env = start(db, LeaverAccount::Disable).await;
    env.add_app("cloud", &["nameid_format=persistent"]).await;
    let b = sign_in(&env).await;
    env.login_in_client(&b, "cloud", "zhangsan").await;
    let pairwise = |userid: &'static str| {
        let store = env.state.store.clone();
        let at = now(&env);
        async move {
            store
                .pairwise_id("cloud", userid, "candidate-not-used", at)
                .await
                .unwrap()
        }
    };
    let subject = pairwise("zhangsan").await;
    assert_ne!(subject, "candidate-not-used", "the first login made it");
    let (acct, _) = env
        .state
        .store
        .bound_account(CORP_ID, "zhangsan")
        .await
        .unwrap()
        .unwrap();

    let mut m = Member::new("zhangsan2", "张三");
    m.department = vec![2];
    env.sim.remove_member("zhangsan");
    env.sim.upsert_member(m);
    let sent = env
        .sim
        .send_change(&ContactChange::UserUpdated {
            userid: "zhangsan".into(),
            new_userid: Some("zhangsan2".into()),
            status: None,
        })
        .await
        .unwrap();
    assert_eq!((sent.status, sent.answer.as_str()), (200, "success"));

    assert!(
        !has_session(&env, &b).await,
        "the old userid's session ended"
    );
    assert_eq!(account(&env).await, None, "nothing bound to the old userid");
    let (moved, _) = env
        .state
        .store
        .bound_account(CORP_ID, "zhangsan2")
        .await
        .unwrap()
        .expect("the binding moved");
    assert_eq!(
        (moved.id.as_str(), moved.status),
        (acct.id.as_str(), AccountStatus::Active)
    );
    assert_eq!(
        pairwise("zhangsan2").await,
        subject,
        "same persistent NameID"
    );
    assert_eq!(
        reasons(&env, "member_renamed").await,
        vec!["userid_renamed"]
    );
    assert!(reasons(&env, "member_left").await.is_empty(), "not a leave");
    let b2 = env.browser(WXWORK_UA);
    env.login_in_client(&b2, "wiki", "zhangsan2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Rule: an event whose work fails in the store after it passed the replay check is answered 503
// and forgotten by the replay cache, so WeCom's retry of the same request (same timestamp and
// nonce) is taken and the leaver cut off — not refused as `replayed`. The failure is real: a
// trigger in the SQLite database refuses to delete sessions until it is dropped.
async fn a_failed_event_is_taken_again_when_wecom_retries() {
    use sqlx::Connection;
    let env = start(Db::Sqlite, LeaverAccount::Disable).await;
    let b = sign_in(&env).await;
    let mut db = sqlx::sqlite::SqliteConnection::connect(&env.database_url)
        .await
        .unwrap();
    sqlx::query(
        "CREATE TRIGGER no_session_delete BEFORE DELETE ON sessions \
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
    )
    .execute(&mut db)
    .await
    .unwrap();
    let url = events_url(&env.base);
    let h = hand(
        &env,
        CORP_ID,
        &delete_xml(&env, "zhangsan"),
        now(&env),
        "retry1",
    );
    assert_eq!(post(&url, &h).await.0, 503);
    assert!(has_session(&env, &b).await, "nothing was cut off yet");
    sqlx::query("DROP TRIGGER no_session_delete")
        .execute(&mut db)
        .await
        .unwrap();
    let (status, answer) = post(&url, &h).await;
    assert_eq!(
        (status, answer.as_str()),
        (200, "success"),
        "the retry is taken"
    );
    assert!(!has_session(&env, &b).await);
    assert_eq!(account(&env).await, Some(AccountStatus::Disabled));
    assert_eq!(
        post(&url, &h).await,
        (400, "replayed".into()),
        "once taken, remembered"
    );
}
