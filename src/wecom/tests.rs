//! The client against the simulator over real HTTP on 127.0.0.1: token cache and refresh, single flight,
//! evict-and-retry, back-off, error explanations, codes, timeouts, and the simulator's browser side.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::client::{CallOutcome, CodeIdentity, EmailType, Options, Settings, WecomClient};
use super::errors::{ErrorKind, WecomError};
use super::oauth::{authorize_url, web_login_url, Scope};
use super::simulator::{self, Simulator};
use crate::clock::FixedClock;
use crate::random::OsRng;

const SECRET: &str = "sim-secret-DO-NOT-PRINT";

struct Rig {
    sim: Simulator,
    clock: Arc<FixedClock>,
    base: String,
}

impl Rig {
    async fn new() -> Rig {
        let clock = Arc::new(FixedClock::new(
            time::OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap(),
        ));
        let sim = Simulator::demo(SECRET, clock.clone(), Arc::new(OsRng));
        let addr = sim.start().await.unwrap();
        Rig {
            sim,
            clock,
            base: format!("http://{addr}"),
        }
    }

    fn settings(&self) -> Settings {
        Settings {
            api_base: self.base.clone(),
            timeout: Duration::from_secs(2),
            ..Settings::new(simulator::DEMO_CORP_ID, simulator::DEMO_AGENT_ID, SECRET)
        }
    }

    fn options() -> Options {
        Options {
            busy_backoff: vec![Duration::from_millis(1), Duration::from_millis(2)],
            ..Options::default()
        }
    }

    fn client(&self) -> WecomClient {
        self.client_with(self.settings(), Self::options())
    }

    fn client_with(&self, settings: Settings, options: Options) -> WecomClient {
        WecomClient::with_options(settings, self.clock.clone(), options).unwrap()
    }

    fn advance(&self, secs: i64) {
        self.clock.advance(time::Duration::seconds(secs));
    }
}

#[tokio::test]
async fn token_is_cached_and_refreshed_before_expiry() {
    let rig = Rig::new().await;
    let c = rig.client();
    c.get_user("zhangsan").await.unwrap();
    c.get_user("lisi").await.unwrap();
    assert_eq!(rig.sim.calls("gettoken"), 1);
    rig.advance(7200 - 301);
    c.get_user("zhangsan").await.unwrap();
    assert_eq!(
        rig.sim.calls("gettoken"),
        1,
        "still fresh 301 s before expiry"
    );
    rig.advance(2);
    c.get_user("zhangsan").await.unwrap();
    assert_eq!(
        rig.sim.calls("gettoken"),
        2,
        "refreshed inside the 300 s margin"
    );
    assert_eq!(rig.sim.calls("user/get"), 4, "no call failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_token_fetch() {
    let rig = Rig::new().await;
    rig.sim.set_delay(Duration::from_millis(50));
    let c = rig.client();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let c = c.clone();
        set.spawn(async move { c.get_user("zhangsan").await });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap().unwrap();
    }
    assert_eq!(rig.sim.calls("gettoken"), 1);
    assert_eq!(rig.sim.calls("user/get"), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_share_a_failed_token_fetch() {
    let rig = Rig::new().await;
    rig.sim.set_delay(Duration::from_millis(50));
    rig.sim.fail_next("gettoken", 40001, 100);
    let c = rig.client();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let c = c.clone();
        set.spawn(async move { c.get_user("zhangsan").await });
    }
    while let Some(r) = set.join_next().await {
        assert_eq!(r.unwrap().unwrap_err().code(), Some(40001));
    }
    assert_eq!(rig.sim.calls("gettoken"), 1, "one failed fetch, shared");
    assert_eq!(rig.sim.calls("user/get"), 0);
    // A later caller (after the failure) tries again.
    rig.sim.fail_next("gettoken", 40001, 0);
    c.get_user("zhangsan").await.unwrap();
    assert_eq!(rig.sim.calls("gettoken"), 2);
}

#[tokio::test]
async fn token_errors_evict_and_retry_once() {
    for code in [42001, 40014, 40001] {
        let rig = Rig::new().await;
        let c = rig.client();
        c.check().await.unwrap();
        rig.sim.fail_next("user/get", code, 1);
        let m = c.get_user("zhangsan").await.unwrap();
        assert_eq!(m.userid, "zhangsan");
        assert_eq!(rig.sim.calls("gettoken"), 2, "{code}: one refetch");
        assert_eq!(rig.sim.calls("user/get"), 2, "{code}: one retry");
    }
}

#[tokio::test]
async fn token_errors_give_up_after_the_second() {
    let rig = Rig::new().await;
    let c = rig.client();
    rig.sim.fail_next("user/get", 40014, 5);
    let e = c.get_user("zhangsan").await.unwrap_err();
    assert_eq!(e.code(), Some(40014));
    assert_eq!(rig.sim.calls("gettoken"), 2);
    assert_eq!(rig.sim.calls("user/get"), 2);
}

#[tokio::test]
async fn server_side_expiry_is_recovered() {
    let rig = Rig::new().await;
    let c = rig.client();
    c.get_user("zhangsan").await.unwrap();
    rig.sim.expire_tokens();
    c.get_user("zhangsan").await.unwrap();
    assert_eq!(rig.sim.calls("gettoken"), 2);
}

#[tokio::test]
async fn busy_backs_off_at_most_three_tries() {
    let rig = Rig::new().await;
    rig.sim.fail_next("gettoken", -1, 2);
    rig.client().check().await.unwrap();
    assert_eq!(rig.sim.calls("gettoken"), 3);

    let rig = Rig::new().await;
    rig.sim.fail_next("gettoken", -1, 10);
    let e = rig.client().check().await.unwrap_err();
    assert_eq!(e.code(), Some(-1));
    assert_eq!(e.kind(), ErrorKind::Retry);
    assert_eq!(rig.sim.calls("gettoken"), 3);

    let rig = Rig::new().await;
    rig.sim.fail_next("user/get", -1, 1);
    rig.client().get_user("lisi").await.unwrap();
    assert_eq!(rig.sim.calls("user/get"), 2);
}

#[tokio::test]
async fn rate_limits_are_not_retried() {
    for code in [45009, 45033] {
        let rig = Rig::new().await;
        rig.sim.fail_next("user/get", code, 1);
        let e = rig.client().get_user("lisi").await.unwrap_err();
        assert_eq!(e.code(), Some(code));
        assert_eq!(rig.sim.calls("user/get"), 1);
    }
}

#[tokio::test]
async fn untrusted_ip_is_explained() {
    let rig = Rig::new().await;
    rig.sim.fail_next("user/get", 60020, 1);
    let e = rig.client().get_user("lisi").await.unwrap_err();
    assert_eq!(e.code(), Some(60020));
    assert!(e.hint().is_some(), "the simulator's errmsg carries a hint");
    let x = e.explain();
    assert_eq!(x.kind, ErrorKind::Config);
    assert!(x.fix_en.contains("egress IP"));
    assert!(x.fix_zh.contains("企业可信IP"));
    assert!(x.fix_en.contains("127.0.0.1"), "names the IP WeCom saw");
}

#[tokio::test]
async fn deep_check_catches_untrusted_ip() {
    let rig = Rig::new().await;
    let c = rig.client();
    c.check_data_access().await.unwrap();
    rig.sim.fail_next("department/list", 60020, 1);
    c.check().await.unwrap();
    let e = c.check_data_access().await.unwrap_err();
    assert_eq!(e.code(), Some(60020));
    assert_eq!(e.kind(), ErrorKind::Config);
}

#[tokio::test]
async fn wrong_credentials_are_configuration_errors() {
    let rig = Rig::new().await;
    let bad_secret = Settings {
        secret: "wrong".into(),
        ..rig.settings()
    };
    let e = rig
        .client_with(bad_secret, Rig::options())
        .check()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(40001));
    assert_eq!(e.kind(), ErrorKind::Config);
    let bad_corp = Settings {
        corp_id: "wwnope".into(),
        ..rig.settings()
    };
    let e = rig
        .client_with(bad_corp, Rig::options())
        .get_user("lisi")
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(40013));
    assert_eq!(
        rig.sim.calls("gettoken"),
        2,
        "gettoken errors are not retried"
    );
    assert_eq!(rig.sim.calls("user/get"), 0);
}

#[tokio::test]
async fn codes_are_single_use_and_never_retried() {
    let rig = Rig::new().await;
    let c = rig.client();
    let code = rig.sim.issue_code("zhangsan", true);
    let id = c.identity_from_code(&code).await.unwrap();
    let (userid, ticket) = id.require_member().unwrap();
    assert_eq!(userid, "zhangsan");
    let detail = c.user_detail(&ticket.unwrap()).await.unwrap();
    assert_eq!(detail.mobile.as_deref(), Some("13800138001"));
    assert_eq!(
        detail.biz_mail.as_deref(),
        Some("zhangsan@demo-tech.example")
    );

    let e = c.identity_from_code(&code).await.unwrap_err();
    assert_eq!(e.code(), Some(40029));
    assert_eq!(e.kind(), ErrorKind::RestartLogin);
    assert_eq!(rig.sim.calls("auth/getuserinfo"), 2);

    let late = rig.sim.issue_code("lisi", false);
    rig.advance(301);
    let e = c.identity_from_code(&late).await.unwrap_err();
    assert_eq!(e.code(), Some(40029));

    let base = rig.sim.issue_code("lisi", false);
    assert_eq!(
        c.identity_from_code(&base).await.unwrap(),
        CodeIdentity::Member {
            userid: "lisi".into(),
            user_ticket: None
        }
    );
    assert_eq!(
        c.identity_from_code("").await.unwrap_err().code(),
        Some(40029)
    );
}

#[tokio::test]
async fn outsiders_and_legacy_casing() {
    let rig = Rig::new().await;
    let c = rig.client();
    let code = rig.sim.issue_outsider_code("oAbC123");
    let id = c.identity_from_code(&code).await.unwrap();
    assert!(matches!(id, CodeIdentity::NonMember { ref openid, .. } if openid == "oAbC123"));
    assert_eq!(id.require_member().unwrap_err(), WecomError::NotMember);

    let legacy = rig.client_with(
        rig.settings(),
        Options {
            legacy_code_endpoint: true,
            ..Rig::options()
        },
    );
    let code = rig.sim.issue_code("wangwu", false);
    let (userid, _) = legacy
        .identity_from_code(&code)
        .await
        .unwrap()
        .require_member()
        .unwrap();
    assert_eq!(userid, "wangwu");
    assert_eq!(rig.sim.calls("user/getuserinfo"), 1);
}

#[tokio::test]
async fn timeouts_are_bounded() {
    let rig = Rig::new().await;
    rig.sim.set_delay(Duration::from_secs(3));
    let settings = Settings {
        timeout: Duration::from_millis(200),
        ..rig.settings()
    };
    let started = std::time::Instant::now();
    let e = rig
        .client_with(settings, Rig::options())
        .check()
        .await
        .unwrap_err();
    assert_eq!(
        e,
        WecomError::Timeout {
            endpoint: "gettoken"
        }
    );
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert_eq!(e.kind(), ErrorKind::Retry);
}

#[tokio::test]
async fn transport_errors_do_not_leak_the_secret() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let clock = Arc::new(FixedClock::new(time::OffsetDateTime::UNIX_EPOCH));
    let settings = Settings {
        api_base: format!("http://{addr}"),
        ..Settings::new("ww1", "1", SECRET)
    };
    let c = WecomClient::new(settings, clock).unwrap();
    let e = c.check().await.unwrap_err();
    assert!(matches!(e, WecomError::Transport { .. }), "{e:?}");
    let shown = format!("{e} {e:?} {c:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(!shown.contains("corpsecret"), "{shown}");
}

#[tokio::test]
async fn members_as_wecom_returns_them() {
    let rig = Rig::new().await;
    let c = rig.client();
    let m = c.get_user("zhangsan").await.unwrap();
    assert_eq!(m.name, "张三");
    assert_eq!(m.department, vec![2]);
    assert_eq!(m.main_department, Some(2));
    assert_eq!(m.alias.as_deref(), Some("San Zhang"));
    assert_eq!(
        m.mobile, None,
        "post-2022 apps do not get mobile from user/get"
    );
    assert_eq!(m.ext("工号"), Some("E001"));
    assert!(m.is_active());
    assert!(!c.get_user("zhaoliu").await.unwrap().is_active());

    rig.sim.set_pre_2022(true);
    let m = c.get_user("zhangsan").await.unwrap();
    assert_eq!(m.mobile.as_deref(), Some("13800138001"));
    assert_eq!(m.email.as_deref(), Some("zhangsan@example.com"));

    let e = c.get_user("nobody").await.unwrap_err();
    assert_eq!(e.code(), Some(60111));
    assert!(e.is_no_such_user());
}

#[tokio::test]
async fn departments_are_cached_briefly() {
    let rig = Rig::new().await;
    let c = rig.client();
    assert_eq!(c.departments().await.unwrap().len(), 4);
    assert_eq!(
        c.department_names(&[3, 99, 2]).await.unwrap(),
        vec!["运维部".to_owned(), "研发部".to_owned()]
    );
    assert_eq!(rig.sim.calls("department/list"), 1);
    rig.advance(601);
    let d = c.departments().await.unwrap();
    assert_eq!(rig.sim.calls("department/list"), 2);
    assert_eq!(
        d.iter().find(|d| d.id == 2).and_then(|d| d.name_en.clone()),
        Some("R&D".to_owned())
    );
}

#[tokio::test]
async fn tags_and_their_members() {
    let rig = Rig::new().await;
    let c = rig.client();
    let tags = c.tags().await.unwrap();
    assert_eq!(
        tags.iter()
            .map(|t| (t.tagid, t.tagname.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (1, "云管理员 cloud-admins"),
            (2, "审计 auditors"),
            (3, "值班 on-call")
        ]
    );
    let admins = c.tag_members(1).await.unwrap();
    assert_eq!(admins.tagname, "云管理员 cloud-admins");
    assert_eq!(admins.userlist.len(), 1);
    assert_eq!(admins.userlist[0].userid, "zhangsan");
    assert_eq!(admins.userlist[0].name, "张三");
    assert!(admins.partylist.is_empty());
    assert!(admins.contains("zhangsan", &[2, 1]));
    assert!(!admins.contains("lisi", &[3, 1]));
    // A tagged department covers its members and, given their ancestors, its sub-departments.
    let on_call = c.tag_members(3).await.unwrap();
    assert_eq!(on_call.partylist, vec![3]);
    assert!(on_call.contains("lisi", &[3, 1]));
    assert!(on_call.contains("someone", &[7, 3, 1]));
    assert!(on_call.contains("wangwu", &[4, 1]));
    assert!(!on_call.contains("zhangsan", &[2, 1]));
    // No such tag: 40068, a configuration error, not retried.
    let e = c.tag_members(99).await.unwrap_err();
    assert_eq!(e.code(), Some(40068));
    assert_eq!(e.explain().kind, ErrorKind::Config);
    assert_eq!(rig.sim.calls("tag/get"), 3);
}

#[tokio::test]
async fn tags_are_cached_briefly() {
    let rig = Rig::new().await;
    let c = rig.client();
    c.tags().await.unwrap();
    c.tag_members(1).await.unwrap();
    c.tags().await.unwrap();
    c.tag_members(1).await.unwrap();
    assert_eq!(rig.sim.calls("tag/list"), 1);
    assert_eq!(rig.sim.calls("tag/get"), 1);
    // Taking zhangsan out of the tag shows within the TTL (60 s by default).
    rig.sim
        .set_tags(vec![simulator::tag(1, "云管理员 cloud-admins", &[], &[])]);
    assert!(c.tag_members(1).await.unwrap().contains("zhangsan", &[]));
    rig.advance(61);
    assert!(!c.tag_members(1).await.unwrap().contains("zhangsan", &[]));
    assert_eq!(c.tags().await.unwrap().len(), 1);
    assert_eq!(rig.sim.calls("tag/list"), 2);
    assert_eq!(rig.sim.calls("tag/get"), 2);
    c.invalidate_tags();
    c.tag_members(1).await.unwrap();
    assert_eq!(rig.sim.calls("tag/get"), 3);
}

#[tokio::test]
async fn department_members_as_wecom_lists_them() {
    let rig = Rig::new().await;
    let c = rig.client();
    let ops = c.department_members(3).await.unwrap();
    let ids: Vec<&str> = ops.iter().map(|m| m.userid.as_str()).collect();
    assert_eq!(ids, ["lisi", "sunqi"]);
    assert_eq!(ops[0].name, "李四");
    assert_eq!(ops[0].department, vec![3]);
    // Cached per department for the tag TTL: typing in the picker does not call WeCom per key.
    c.department_members(3).await.unwrap();
    assert_eq!(rig.sim.calls("user/simplelist"), 1);
    rig.advance(61);
    c.department_members(3).await.unwrap();
    assert_eq!(rig.sim.calls("user/simplelist"), 2);
    // No such department: 60123; outside the app's visible range: 60011 (and not listed).
    assert_eq!(
        c.department_members(99).await.unwrap_err().code(),
        Some(60123)
    );
    rig.sim.hide_department(4);
    assert_eq!(
        c.department_members(4).await.unwrap_err().code(),
        Some(60011)
    );
    c.invalidate_departments();
    assert!(!c.departments().await.unwrap().iter().any(|d| d.id == 4));
    // A Secret WeCom does not allow here (the contacts-sync one): 48009, not retried, not cached.
    rig.sim.fail_next("user/simplelist", 48009, 1);
    assert_eq!(
        c.department_members(2).await.unwrap_err().code(),
        Some(48009)
    );
    assert_eq!(c.department_members(2).await.unwrap()[0].userid, "zhangsan");
}

#[tokio::test]
async fn tag_calls_follow_the_retry_rules() {
    let rig = Rig::new().await;
    let c = rig.client();
    // A stale token: evicted, fetched again, the call retried once.
    rig.sim.fail_next("tag/get", 42001, 1);
    assert_eq!(c.tag_members(2).await.unwrap().userlist[0].userid, "lisi");
    assert_eq!(rig.sim.calls("gettoken"), 2);
    // Busy: backed off, tried again.
    rig.sim.fail_next("tag/list", -1, 2);
    assert_eq!(c.tags().await.unwrap().len(), 3);
    assert_eq!(rig.sim.calls("tag/list"), 3);
    // Rate limits and missing permission: returned at once, nothing cached.
    c.invalidate_tags();
    rig.sim.fail_next("tag/get", 45009, 1);
    assert_eq!(c.tag_members(2).await.unwrap_err().code(), Some(45009));
    rig.sim.fail_next("tag/list", 60011, 1);
    assert_eq!(c.tags().await.unwrap_err().code(), Some(60011));
    assert_eq!(rig.sim.calls("tag/list"), 4);
    assert_eq!(c.tag_members(2).await.unwrap().tagname, "审计 auditors");
}

#[tokio::test]
async fn reverse_lookups() {
    let rig = Rig::new().await;
    let c = rig.client();
    assert_eq!(c.userid_by_mobile("13800138002").await.unwrap(), "lisi");
    assert_eq!(
        c.userid_by_email("wangwu@demo-tech.example", EmailType::Corp)
            .await
            .unwrap(),
        "wangwu"
    );
    assert_eq!(
        c.userid_by_email("wangwu@example.com", EmailType::Personal)
            .await
            .unwrap(),
        "wangwu"
    );
    let e = c
        .userid_by_email("wangwu@example.com", EmailType::Corp)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(46004));
    assert!(c.userid_by_mobile("1").await.unwrap_err().is_no_such_user());
}

#[tokio::test]
async fn observer_sees_every_call() {
    let rig = Rig::new().await;
    type Seen = Vec<(&'static str, CallOutcome)>;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let sink = seen.clone();
    let c = rig.client_with(
        rig.settings(),
        Options {
            observer: Some(Arc::new(move |ep, _elapsed, outcome| {
                sink.lock().unwrap().push((ep, outcome));
            })),
            ..Rig::options()
        },
    );
    rig.sim.fail_next("user/get", 42001, 1);
    c.get_user("lisi").await.unwrap();
    rig.sim.fail_next("tag/get", 40068, 1);
    c.tag_members(1).await.unwrap_err();
    c.tags().await.unwrap();
    use CallOutcome::{Errcode, Ok as Fine};
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            ("gettoken", Fine),
            ("user/get", Errcode(42001)),
            ("gettoken", Fine),
            ("user/get", Fine),
            ("tag/get", Errcode(40068)),
            ("tag/list", Fine),
        ]
    );
}

/// A client whose every call outcome is recorded, with a short timeout.
fn observed(rig: &Rig, api_base: String) -> (WecomClient, Arc<Mutex<Vec<CallOutcome>>>) {
    let seen: Arc<Mutex<Vec<CallOutcome>>> = Arc::default();
    let sink = seen.clone();
    let c = rig.client_with(
        Settings {
            api_base,
            timeout: Duration::from_millis(300),
            ..rig.settings()
        },
        Options {
            observer: Some(Arc::new(move |_ep, _elapsed, outcome| {
                sink.lock().unwrap().push(outcome);
            })),
            ..Rig::options()
        },
    );
    (c, seen)
}

#[tokio::test]
async fn observer_tells_each_kind_of_failure_apart() {
    use crate::wecom::simulator::Fault;
    let rig = Rig::new().await;
    let (c, seen) = observed(&rig, rig.base.clone());
    let last = || *seen.lock().unwrap().last().unwrap();
    rig.sim
        .fail_next_with("gettoken", Fault::HttpStatus(502), 1);
    c.check().await.unwrap_err();
    assert_eq!(last(), CallOutcome::HttpStatus(502));
    assert_eq!(last().kind(), Some("http_status"));
    rig.sim.fail_next_with("gettoken", Fault::BadBody, 1);
    c.check().await.unwrap_err();
    assert_eq!(last(), CallOutcome::BadBody);
    rig.sim.fail_next("gettoken", 40001, 1);
    c.check().await.unwrap_err();
    assert_eq!(last(), CallOutcome::Errcode(40001));
    rig.sim.set_delay(Duration::from_millis(800));
    let e = c.check().await.unwrap_err();
    assert!(matches!(e, WecomError::Timeout { .. }), "{e:?}");
    assert_eq!(last(), CallOutcome::Timeout);
    rig.sim.set_delay(Duration::ZERO);
    c.check().await.unwrap();
    assert_eq!(last(), CallOutcome::Ok);
    assert_eq!(last().kind(), None);

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let (c, seen) = observed(&rig, format!("http://{addr}"));
    c.check().await.unwrap_err();
    assert_eq!(*seen.lock().unwrap(), vec![CallOutcome::Connect]);
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn query_of(location: &str, key: &str) -> Option<String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn browser_in_client_oauth() {
    let rig = Rig::new().await;
    rig.sim
        .set_trusted_domain(Some("idp.example.com:8443".into()));
    let http = no_redirects();
    let c = rig.client();
    let callback = "https://idp.example.com:8443/wecom/callback";
    let url = authorize_url(
        &rig.base,
        simulator::DEMO_CORP_ID,
        simulator::DEMO_AGENT_ID,
        callback,
        Scope::PrivateInfo,
        "st4te",
    );

    // No client login: the member picker.
    let page = http.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("张三") && page.contains("zhangsan"), "{page}");
    assert!(page.contains("/sim/grant?"));

    // Logged in to the client: straight back with a code.
    let as_url = format!("{}/sim/as?userid=zhangsan&next=%2Fdone", rig.base);
    let r = http.get(&as_url).send().await.unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "/done");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("wwsim_user=zhangsan;"));
    let r = http
        .get(&url)
        .header("cookie", "other=1; wwsim_user=zhangsan")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(callback), "{location}");
    assert_eq!(query_of(&location, "state").as_deref(), Some("st4te"));
    let code = query_of(&location, "code").unwrap();
    let (userid, ticket) = c
        .identity_from_code(&code)
        .await
        .unwrap()
        .require_member()
        .unwrap();
    assert_eq!(userid, "zhangsan");
    assert!(
        ticket.is_some(),
        "snsapi_privateinfo codes carry a user_ticket"
    );

    // A picker link issues a code too.
    let link = page
        .split("href=\"")
        .find(|s| s.starts_with("/sim/grant?"))
        .and_then(|s| s.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let r = http
        .get(format!("{}{link}", rig.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(callback));
}

#[tokio::test]
async fn browser_web_login_and_error_pages() {
    let rig = Rig::new().await;
    rig.sim.set_trusted_domain(Some("idp.example.com".into()));
    let http = no_redirects();
    let c = rig.client();
    let callback = "https://idp.example.com/wecom/callback";
    let url = web_login_url(
        &rig.base,
        simulator::DEMO_CORP_ID,
        simulator::DEMO_AGENT_ID,
        callback,
        "abc",
        "en",
    );
    let page = http.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Scan with WeCom"), "{page}");
    let r = http
        .get(&url)
        .header("cookie", "wwsim_user=lisi")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let code = query_of(&location, "code").unwrap();
    assert_eq!(
        c.identity_from_code(&code).await.unwrap(),
        CodeIdentity::Member {
            userid: "lisi".into(),
            user_ticket: None
        },
        "web-login codes carry no user_ticket"
    );
    assert_eq!(rig.sim.calls("wwlogin/sso/login"), 2);

    let wrong_app = web_login_url(&rig.base, "wwother", "1000002", callback, "abc", "zh");
    let page = http
        .get(&wrong_app)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("appid"), "{page}");
    let wrong_agent = web_login_url(&rig.base, simulator::DEMO_CORP_ID, "9", callback, "a", "zh");
    let page = http
        .get(&wrong_agent)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("agentid"), "{page}");

    let untrusted = authorize_url(
        &rig.base,
        simulator::DEMO_CORP_ID,
        simulator::DEMO_AGENT_ID,
        "https://evil.example/cb",
        Scope::Base,
        "abc",
    );
    let r = http
        .get(&untrusted)
        .header("cookie", "wwsim_user=lisi")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "no code for an untrusted redirect");
    let page = r.text().await.unwrap();
    assert!(page.contains("redirect_uri需使用应用可信域名"), "{page}");
}

#[tokio::test]
async fn simulator_refuses_non_loopback() {
    let rig = Rig::new().await;
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let e = rig.sim.serve(listener).await.unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
}

#[tokio::test]
async fn simulator_checks_tokens() {
    let rig = Rig::new().await;
    let http = no_redirects();
    let body: serde_json::Value = http
        .get(format!("{}/cgi-bin/user/get?userid=lisi", rig.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["errcode"], 40014);
    assert!(body["errmsg"]
        .as_str()
        .unwrap()
        .contains("devtool/query?e=40014"));
    let token: serde_json::Value = http
        .get(format!(
            "{}/cgi-bin/gettoken?corpid={}&corpsecret={SECRET}",
            rig.base,
            simulator::DEMO_CORP_ID
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(token["expires_in"], 7200);
    let token = token["access_token"].as_str().unwrap().to_owned();
    let user_get = format!(
        "{}/cgi-bin/user/get?userid=lisi&access_token={token}",
        rig.base
    );
    let body: serde_json::Value = http
        .get(&user_get)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["errcode"], 0);
    assert_eq!(body["userid"], "lisi");
    assert!(body.get("mobile").is_none());
    rig.advance(7200);
    let body: serde_json::Value = http
        .get(&user_get)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["errcode"], 42001);
}

#[tokio::test]
async fn simulator_tag_answers_have_wecom_shapes() {
    let rig = Rig::new().await;
    let http = no_redirects();
    let get = |path: String| {
        let http = http.clone();
        async move {
            http.get(path)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let body = get(format!("{}/cgi-bin/tag/list", rig.base)).await;
    assert_eq!(body["errcode"], 40014, "tags need a token too");
    let token = get(format!(
        "{}/cgi-bin/gettoken?corpid={}&corpsecret={SECRET}",
        rig.base,
        simulator::DEMO_CORP_ID
    ))
    .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = get(format!(
        "{}/cgi-bin/tag/list?access_token={token}",
        rig.base
    ))
    .await;
    assert_eq!(list["errcode"], 0);
    assert_eq!(list["taglist"][1]["tagid"], 2);
    assert_eq!(list["taglist"][1]["tagname"], "审计 auditors");
    let on_call = get(format!(
        "{}/cgi-bin/tag/get?tagid=3&access_token={token}",
        rig.base
    ))
    .await;
    assert_eq!(on_call["tagname"], "值班 on-call");
    assert_eq!(on_call["userlist"][0]["userid"], "wangwu");
    assert_eq!(on_call["userlist"][0]["name"], "王五");
    assert_eq!(on_call["partylist"], serde_json::json!([3]));
    for bad in ["", "tagid=abc&", "tagid=42&"] {
        let body = get(format!(
            "{}/cgi-bin/tag/get?{bad}access_token={token}",
            rig.base
        ))
        .await;
        assert_eq!(body["errcode"], 40068, "{bad}");
    }
    rig.sim.fail_next("tag/list", 60011, 1);
    let body = get(format!(
        "{}/cgi-bin/tag/list?access_token={token}",
        rig.base
    ))
    .await;
    assert_eq!(body["errcode"], 60011);
}
