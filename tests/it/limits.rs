//! The login limits against offices and floods: a whole office behind one address signs in under the
//! default settings with no refusal; a flooding client (no cookie, random cookies, failing requests)
//! gets 429s and cannot grow the login-state table past its caps.

use crate::both_dbs;
use crate::harness::{Env, WXWORK_UA};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use wecom_idp::clock::Clock;
use wecom_idp::config::{Config, LimitsConfig};
use wecom_idp::wecom::simulator::SESSION_COOKIE;

/// `name=value; …` of every Set-Cookie of a response.
fn cookies_of(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
        .collect::<Vec<_>>()
        .join("; ")
}

fn pooled() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .build()
        .unwrap()
}

/// One member's first login from a fresh browser inside the WeCom client: start → WeCom → callback.
/// Returns the status of each request to the IdP, and whether the last one carried a Response.
async fn office_login(c: &reqwest::Client, base: &str, userid: &str) -> (Vec<u16>, bool) {
    let start = c
        .get(format!("{base}/apps/office/start"))
        .header("user-agent", WXWORK_UA)
        .send()
        .await
        .unwrap();
    let mut statuses = vec![start.status().as_u16()];
    if start.status() != 302 {
        return (statuses, false);
    }
    let ours = cookies_of(&start);
    let wecom = start.headers()["location"].to_str().unwrap().to_string();
    let at_wecom = c
        .get(&wecom)
        .header("user-agent", WXWORK_UA)
        .header("cookie", format!("{SESSION_COOKIE}={userid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(at_wecom.status(), 302, "the simulator redirects back");
    let callback = at_wecom.headers()["location"].to_str().unwrap().to_string();
    let done = c
        .get(&callback)
        .header("user-agent", WXWORK_UA)
        .header("cookie", ours)
        .send()
        .await
        .unwrap();
    statuses.push(done.status().as_u16());
    let body = done.text().await.unwrap_or_default();
    (statuses, body.contains("name=\"SAMLResponse\""))
}

/// Members behind the office's one address; every one really signs in, as fast as a pooled client
/// on two cores drives it (2 requests each here; the limiter's own unit test checks the harder
/// case of 4 requests each within one minute).
const OFFICE: usize = 2_000;

both_dbs!(
    an_office_behind_one_address_signs_in,
    office,
    tweak = |c| c.limits = LimitsConfig::default()
);
// Rule: with the default limits, 2,000 members behind one NAT address (distinct browsers, no
// cookies yet) all complete a WeCom login within a couple of (simulated) minutes: no refusal.
async fn office(env: Env) {
    env.add_app("office", &[]).await;
    let members = ["zhangsan", "lisi", "wangwu"];
    let client = pooled();
    let done = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..24 {
        let (c, base, clock) = (client.clone(), env.base.clone(), env.clock.clone());
        let (done, next) = (done.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut refused = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= OFFICE {
                    return refused;
                }
                let (statuses, answered) = office_login(&c, &base, members[i % 3]).await;
                if !answered {
                    refused.push((i, statuses));
                }
                // The office arrives over about 100 s: one second passes every 20 logins.
                if done.fetch_add(1, Ordering::SeqCst) % 20 == 19 {
                    clock.advance(time::Duration::seconds(1));
                }
            }
        }));
    }
    let mut refused = Vec::new();
    for w in workers {
        refused.extend(w.await.unwrap());
    }
    assert!(
        refused.is_empty(),
        "{} of {OFFICE} logins refused, e.g. {:?}",
        refused.len(),
        refused.first()
    );
    let metrics = reqwest::get(format!("{}/metrics", env.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(&format!(
            "wecom_idp_logins_total{{app=\"office\",result=\"success\"}} {OFFICE}"
        )),
        "{metrics}"
    );
    for line in metrics
        .lines()
        .filter(|l| l.starts_with("wecom_idp_rate_limited_total"))
    {
        assert!(line.ends_with(" 0"), "{line}");
    }
}

/// `limits` small enough to reach quickly; `trusted_proxies` so a test can speak for many addresses.
fn small_caps(c: &mut Config) {
    c.limits = LimitsConfig {
        requests_per_minute: 60,
        burst: 40,
        failures_per_minute: 60,
        failure_burst: 5,
        login_states_per_ip: 10,
        login_states_total: 25,
        trusted_proxies: vec!["127.0.0.0/8".into()],
        ..LimitsConfig::default()
    };
}

async fn get(c: &reqwest::Client, url: &str, from: &str, cookie: Option<&str>) -> (u16, String) {
    let mut req = c
        .get(url)
        .header("user-agent", WXWORK_UA)
        .header("x-forwarded-for", from);
    if let Some(v) = cookie {
        req = req.header("cookie", v);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap_or_default();
    let reason = body
        .split("<code>")
        .nth(1)
        .and_then(|s| s.split("</code>").next())
        .unwrap_or("")
        .to_string();
    (status, reason)
}

both_dbs!(
    a_flooding_client_cannot_fill_the_login_table,
    flood,
    tweak = small_caps
);
// Defence: a client starting logins without a cookie, or with a fresh random cookie each time, is
// held to `login_states_per_ip`; many addresses together to `login_states_total` (the table stops
// growing); its refused and failing requests spend the failure budget, after which the address gets
// 429 `too_many_failures` for every login route while other addresses go on.
async fn flood(env: Env) {
    env.add_app("office", &[]).await;
    let c = pooled();
    let start = format!("{}/apps/office/start", env.base);
    let live = || async {
        env.state
            .store
            .live_login_states_total(env.clock.unix())
            .await
            .unwrap()
    };
    for i in 0..10 {
        let cookie = (i % 2 == 1).then(|| format!("wecom_idp_browser=forged{i}"));
        assert_eq!(
            get(&c, &start, "203.0.113.1", cookie.as_deref()).await.0,
            302
        );
    }
    let (status, reason) = get(&c, &start, "203.0.113.1", Some("wecom_idp_browser=x")).await;
    assert_eq!((status, reason.as_str()), (429, "too_many_logins_from_ip"));
    assert_eq!(live().await, 10);
    // More addresses: the table stops at the total cap, with a 503 for everyone past it.
    for i in 0..10 {
        assert_eq!(get(&c, &start, "203.0.113.2", None).await.0, 302, "{i}");
    }
    for i in 0..5 {
        assert_eq!(get(&c, &start, "203.0.113.3", None).await.0, 302, "{i}");
    }
    let (status, reason) = get(&c, &start, "203.0.113.4", None).await;
    assert_eq!((status, reason.as_str()), (503, "login_states_full"));
    assert_eq!(
        live().await,
        25,
        "the table does not grow past login_states_total"
    );
    // Failing requests from one address: bad states spend its failure budget (5, one already
    // spent by the refused start above), then every login route is refused without database work.
    let bad = format!("{}/wecom/callback?code=c&state=forged", env.base);
    for _ in 0..4 {
        assert_eq!(get(&c, &bad, "203.0.113.1", None).await.0, 400);
    }
    let (status, reason) = get(&c, &bad, "203.0.113.1", None).await;
    assert_eq!((status, reason.as_str()), (429, "too_many_failures"));
    let (status, reason) = get(&c, &start, "203.0.113.1", None).await;
    assert_eq!((status, reason.as_str()), (429, "too_many_failures"));
    assert_eq!(
        get(&c, &bad, "203.0.113.9", None).await.0,
        400,
        "others go on"
    );
    assert!(env
        .audit()
        .await
        .iter()
        .any(|r| r.reason == "too_many_failures"
            && r.client_ip.map(|ip| ip.to_string()).as_deref() == Some("203.0.113.1")));
    // The budget refills at its rate (60 a minute).
    env.clock.advance(time::Duration::seconds(2));
    assert_eq!(get(&c, &bad, "203.0.113.1", None).await.0, 400);
    let metrics = reqwest::get(format!("{}/metrics", env.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (reason, n) in [
        ("too_many_logins_from_ip", 1),
        ("login_states_full", 1),
        ("too_many_failures", 2),
    ] {
        assert!(
            metrics.contains(&format!(
                "wecom_idp_rate_limited_total{{reason=\"{reason}\"}} {n}\n"
            )),
            "{reason}: {metrics}"
        );
    }
}

/// A login start from `from` carrying `cookie`, through the simulator's WeCom page: the browser
/// cookie the start set and the callback URL WeCom sends the browser to.
async fn to_wecom(
    c: &reqwest::Client,
    base: &str,
    from: &str,
    cookie: Option<&str>,
) -> (String, String) {
    let mut req = c
        .get(format!("{base}/apps/office/start"))
        .header("user-agent", WXWORK_UA)
        .header("x-forwarded-for", from);
    if let Some(v) = cookie {
        req = req.header("cookie", v);
    }
    let begin = req.send().await.unwrap();
    assert_eq!(begin.status(), 302);
    let ours = cookies_of(&begin);
    assert!(ours.starts_with("wecom_idp_browser="), "{ours}");
    let at_wecom = c
        .get(begin.headers()["location"].to_str().unwrap())
        .header("cookie", format!("{SESSION_COOKIE}=zhangsan"))
        .send()
        .await
        .unwrap();
    let callback = at_wecom.headers()["location"].to_str().unwrap().to_string();
    (ours, callback)
}

/// The callback from `from` with `cookie`; whether it answered with a SAML Response.
async fn callback_answers(c: &reqwest::Client, callback: &str, from: &str, cookie: &str) -> bool {
    let done = c
        .get(callback)
        .header("user-agent", WXWORK_UA)
        .header("x-forwarded-for", from)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    done.status() == 200 && done.text().await.unwrap().contains("name=\"SAMLResponse\"")
}

/// Failing requests from `from` until the address is refused.
async fn flood_until_refused(c: &reqwest::Client, base: &str, from: &str) {
    let sso = format!("{base}/saml/sso?SAMLRequest=x");
    let mut refused = false;
    for _ in 0..10 {
        if get(c, &sso, from, None).await.0 == 429 {
            refused = true;
            break;
        }
    }
    assert!(refused, "the flood is refused");
}

both_dbs!(
    members_mid_login_finish_during_a_flood,
    mid_login,
    tweak = small_caps
);
// Rule: a browser this instance sent to WeCom finishes its login (the callback) even after a flood
// from its own address spent the address's limits; a new start from that address and a callback with
// an invented cookie are still refused.
async fn mid_login(env: Env) {
    env.add_app("office", &[]).await;
    let c = pooled();
    let office = "203.0.113.7";
    let (ours, callback) = to_wecom(&c, &env.base, office, None).await;
    flood_until_refused(&c, &env.base, office).await;
    let start = format!("{}/apps/office/start", env.base);
    assert_eq!(
        get(&c, &start, office, Some(&ours)).await.0,
        429,
        "no new start"
    );
    let (status, _) = get(&c, &callback, office, Some("wecom_idp_browser=invented")).await;
    assert_eq!(status, 429, "an invented cookie is not recognised");
    assert!(callback_answers(&c, &callback, office, &ours).await);
}

both_dbs!(
    members_who_signed_in_before_finish_during_a_flood,
    mid_login_again,
    tweak = small_caps
);
// Rule: the same holds for a browser that has signed in before, whose cookie carries the binding of
// each recent login start (`new.older…`): the exemption follows the fresh binding of the login in
// progress, whichever older ones the cookie still carries; invented bindings are not enough.
async fn mid_login_again(env: Env) {
    env.add_app("office", &[]).await;
    let c = pooled();
    let office = "203.0.113.8";
    // Two earlier logins, finished; the IdP session is gone (only the browser cookie is kept).
    let mut browser: Option<String> = None;
    for _ in 0..2 {
        let (ours, callback) = to_wecom(&c, &env.base, office, browser.as_deref()).await;
        assert!(callback_answers(&c, &callback, office, &ours).await);
        browser = Some(ours);
    }
    let before = browser.unwrap();
    let (ours, callback) = to_wecom(&c, &env.base, office, Some(&before)).await;
    let value = ours.trim_start_matches("wecom_idp_browser=");
    assert_eq!(value.split('.').count(), 3, "three bindings: {ours}");
    assert!(value.ends_with(before.trim_start_matches("wecom_idp_browser=")));
    flood_until_refused(&c, &env.base, office).await;
    let start = format!("{}/apps/office/start", env.base);
    assert_eq!(
        get(&c, &start, office, Some(&ours)).await.0,
        429,
        "no new start"
    );
    let (status, _) = get(
        &c,
        &callback,
        office,
        Some("wecom_idp_browser=invented.alsoinvented"),
    )
    .await;
    assert_eq!(status, 429, "invented bindings are not recognised");
    assert!(
        callback_answers(&c, &callback, office, &ours).await,
        "the browser finishes its login"
    );
}
