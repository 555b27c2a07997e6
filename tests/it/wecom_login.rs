//! The WeCom login: the OAuth state's defences, the double submit,
//! member status, WeCom error pages, scope, NameID formats, XML safety of Response content, signing
//! options, the session cookie, health/metrics/metadata, two instances on one PostgreSQL, and logs.

use crate::both_dbs;
use crate::harness::*;
use std::time::{Duration, Instant};
use wecom_idp::wecom::simulator::Member;

// ---- helpers ----

/// Runs a login up to (not including) the callback: the member is logged in to the simulated client,
/// the mount address sends the browser to WeCom, WeCom answers with a redirect to our callback.
/// Returns the callback URL (`{base}/wecom/callback?code=…&state=…`).
pub(crate) async fn callback_url(env: &Env, b: &Browser, app: &str, userid: &str) -> String {
    env.wecom_client_login(b, userid).await;
    let start = b.get(&format!("{}/apps/{app}/start", env.base)).await;
    assert_eq!(start.status, 302, "{}", start.body);
    let authorize = start.location.unwrap();
    let wecom = b.get(&authorize).await;
    assert_eq!(wecom.status, 302, "simulator: {}", wecom.body);
    let cb = wecom.location.unwrap();
    assert!(
        cb.starts_with(&format!("{}/wecom/callback?", env.base)),
        "{cb}"
    );
    cb
}

/// The query parameter `name` of `url`.
fn param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no {name} in {url}"))
}

fn callback(env: &Env, code: &str, state: &str) -> String {
    format!(
        "{}/wecom/callback?code={}&state={}",
        env.base,
        enc(code),
        enc(state)
    )
}

/// An HTML refusal page: the reason in the footer, no SAML form.
pub(crate) fn assert_refused(page: &Page, status: u16, reason: &str) {
    assert_eq!(page.status, status, "{reason}: {}", page.body);
    assert_eq!(page.reason().as_deref(), Some(reason), "{}", page.body);
    assert!(page.form().is_none(), "a refusal posts nothing");
    assert!(
        !page.body.contains("SAMLResponse"),
        "a refusal carries no SAMLResponse"
    );
    assert!(
        page.header("content-type")
            .unwrap_or("")
            .starts_with("text/html"),
        "an HTML page"
    );
}

/// An audit row records the refusal.
async fn assert_audited(env: &Env, reason: &str) {
    let audit = env.audit().await;
    assert!(
        audit.iter().any(|r| r.event == "login"
            && r.result == "refused"
            && r.reason == reason
            && r.client_ip.map(|ip| ip.to_string()).as_deref() == Some("127.0.0.1")),
        "no audit row for {reason}: {audit:?}"
    );
}

fn session_cookie_of(page: &Page) -> Option<String> {
    page.headers_named("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("wecom_idp_session="))
        .map(|c| c.split(';').next().unwrap()["wecom_idp_session=".len()..].to_string())
}

// ---- OAuth state ----

both_dbs!(unknown_state_is_refused, unknown_state);
// Defence: a state we never issued (forged or purged) is refused before any code exchange.
async fn unknown_state(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    // The browser has a binding cookie (it started a real login), but the state is made up.
    let real = callback_url(&env, &b, "console", "zhangsan").await;
    let code = param(&real, "code");
    let page = b
        .get(&callback(&env, &code, "abcdef0123456789abcdef0123456789"))
        .await;
    assert_refused(&page, 400, "state_unknown");
    assert!(page.body.contains("登录链接已失效"), "Chinese by default");
    assert!(page.body.contains("重新打开应用"), "with the fix");
    assert_eq!(env.sim.calls("auth/getuserinfo"), 0, "code not exchanged");
    assert_audited(&env, "state_unknown").await;
}

both_dbs!(malformed_state_is_refused, malformed_state);
// Defence: a state outside [a-zA-Z0-9]{1,128} is refused without touching the store or WeCom.
async fn malformed_state(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let real = callback_url(&env, &b, "console", "zhangsan").await;
    let code = param(&real, "code");
    for bad in ["", "a-b", "x'or'1", &"a".repeat(129)] {
        let page = b.get(&callback(&env, &code, bad)).await;
        assert_refused(&page, 400, "bad_state");
    }
    let page = b
        .get(&format!("{}/wecom/callback?code={code}", env.base))
        .await;
    assert_refused(&page, 400, "bad_state");
    assert_eq!(env.sim.calls("auth/getuserinfo"), 0);
    assert_audited(&env, "bad_state").await;
    // The real state is still usable afterwards.
    assert!(b.get(&real).await.form().is_some());
}

both_dbs!(state_from_another_browser_is_refused, foreign_state);
// Defence: login CSRF — a state is bound to the browser that started the login (cookie), so a
// callback link planted in another browser does not sign that browser in.
async fn foreign_state(env: Env) {
    env.add_app("console", &[]).await;
    let victim_link_owner = env.browser(WXWORK_UA);
    let url = callback_url(&env, &victim_link_owner, "console", "zhangsan").await;
    // A browser with no binding cookie at all.
    let other = env.browser(WXWORK_UA);
    let page = other.get(&url).await;
    assert_refused(&page, 400, "state_foreign");
    // A browser with its own binding cookie (it started its own login).
    let swapped = env.browser(WXWORK_UA);
    let _own = callback_url(&env, &swapped, "console", "lisi").await;
    let page = swapped.get(&url).await;
    assert_refused(&page, 400, "state_foreign");
    // The first browser's cookie swapped for a made-up one.
    let forged = victim_link_owner.clone_with_cookies();
    forged.set_cookie(&env.base, "wecom_idp_browser", "deadbeefdeadbeefdeadbeef");
    let page = forged.get(&url).await;
    assert_refused(&page, 400, "state_foreign");
    assert_eq!(env.sim.calls("auth/getuserinfo"), 0);
    assert_audited(&env, "state_foreign").await;
    // The owner can still finish.
    let form = victim_link_owner.get(&url).await.form().unwrap();
    assert_eq!(Saml::of(&form).name_id(), "zhangsan");
}

both_dbs!(expired_state_is_refused, expired_state);
// Defence: a state lives 10 minutes; an 11-minute-old one is refused.
async fn expired_state(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b, "console", "zhangsan").await;
    // Just inside the 10 minutes it still works (the code itself is issued fresh by WeCom).
    let b2 = env.browser(WXWORK_UA);
    let url2 = callback_url(&env, &b2, "console", "lisi").await;
    env.clock.advance(time::Duration::seconds(9 * 60 + 50));
    let fresh = env.sim.issue_code("lisi", false);
    let page = b2
        .get(&callback(&env, &fresh, &param(&url2, "state")))
        .await;
    assert!(page.form().is_some(), "{}", page.body);
    env.clock.advance(time::Duration::seconds(70));
    let page = b.get(&url).await;
    assert_refused(&page, 400, "state_expired");
    assert_eq!(env.sim.calls("auth/getuserinfo"), 1, "only lisi's code");
    assert_audited(&env, "state_expired").await;
}

both_dbs!(used_state_is_refused, used_state);
// Defence: single use — a state already consumed with one code is refused with any other code.
async fn used_state(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b, "console", "zhangsan").await;
    assert!(b.get(&url).await.form().is_some());
    let state = param(&url, "state");
    let other_code = env.sim.issue_code("lisi", false);
    let page = b.get(&callback(&env, &other_code, &state)).await;
    assert_refused(&page, 400, "state_used");
    assert_eq!(
        env.sim.calls("auth/getuserinfo"),
        1,
        "second code not exchanged"
    );
    assert_audited(&env, "state_used").await;
}

// ---- double submit ----

both_dbs!(double_submit_gets_the_first_result, double_submit);
// Defence: idempotent callback — the same browser repeating the same callback gets the first result and
// WeCom's single-use code is exchanged once.
async fn double_submit(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b, "console", "zhangsan").await;
    let first = b.get(&url).await;
    let f1 = first.form().unwrap();
    let s1 = session_cookie_of(&first).unwrap();
    let second = b.get(&url).await;
    let f2 = second
        .form()
        .unwrap_or_else(|| panic!("{} {}", second.status, second.body));
    assert_eq!(f1.action, f2.action);
    assert_eq!(Saml::of(&f2).name_id(), "zhangsan");
    assert_eq!(session_cookie_of(&second).as_deref(), Some(s1.as_str()));
    assert_independently_verified(&env, &f2);
    assert_eq!(env.sim.calls("auth/getuserinfo"), 1, "code exchanged once");
}

both_dbs!(
    concurrent_double_submit_both_succeed,
    concurrent_double_submit
);
// Defence: two identical callbacks racing (double click) both get a Response, one code exchange.
async fn concurrent_double_submit(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b, "console", "zhangsan").await;
    // WeCom answers slowly, so the second callback surely arrives while the first is in progress.
    env.sim.set_delay(Duration::from_millis(300));
    let (p1, p2) = tokio::join!(b.get(&url), b.get(&url));
    let f1 = p1
        .form()
        .unwrap_or_else(|| panic!("{} {}", p1.status, p1.body));
    let f2 = p2
        .form()
        .unwrap_or_else(|| panic!("{} {}", p2.status, p2.body));
    assert_eq!(Saml::of(&f1).name_id(), "zhangsan");
    assert_eq!(Saml::of(&f2).name_id(), "zhangsan");
    assert_eq!(session_cookie_of(&p1), session_cookie_of(&p2));
    assert_eq!(env.sim.calls("auth/getuserinfo"), 1);
}

// ---- members ----

both_dbs!(inactive_members_are_refused, inactive_members);
// Defence: only status 1 may sign in; disabled (2) and left (5) members get a page, in their language.
async fn inactive_members(env: Env) {
    env.add_app("console", &[]).await;
    for userid in ["zhaoliu", "sunqi"] {
        let b = env.browser(WXWORK_UA);
        let url = callback_url(&env, &b, "console", userid).await;
        let page = b.get(&url).await;
        assert_refused(&page, 403, "member_not_active");
        assert!(
            page.body.contains("你的企业微信账号不能登录"),
            "Chinese by default"
        );
        let mut b = env.browser(WXWORK_UA);
        b.accept_language = Some("en-US,en;q=0.8".into());
        let url = callback_url(&env, &b, "console", userid).await;
        let page = b.get(&url).await;
        assert_refused(&page, 403, "member_not_active");
        assert!(
            page.body.contains("Your WeCom account cannot sign in"),
            "English"
        );
        assert!(session_cookie_of(&page).is_none(), "no session");
    }
    let audit = env.audit().await;
    for userid in ["zhaoliu", "sunqi"] {
        assert!(audit.iter().any(|r| r.reason == "member_not_active"
            && r.userid.as_deref() == Some(userid)
            && r.app.as_deref() == Some("console")));
    }
}

both_dbs!(non_member_code_is_refused, non_member);
// Defence: a code for a WeChat user outside the corp (openid only) never becomes a login.
async fn non_member(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b, "console", "zhangsan").await;
    let outsider = env.sim.issue_outsider_code("oOUTSIDER0001");
    let page = b
        .get(&callback(&env, &outsider, &param(&url, "state")))
        .await;
    assert_refused(&page, 403, "not_a_member");
    assert_audited(&env, "not_a_member").await;
}

both_dbs!(member_disabled_later_is_refused_next_time, disabled_later);
// Defence: status is read from WeCom at every login, not cached; disabling ends live sessions at the
// next login attempt.
async fn disabled_later(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    env.login_in_client(&b, "console", "zhangsan").await;
    let mut m = Member::new("zhangsan", "张三");
    m.status = 2;
    env.sim.upsert_member(m);
    let b2 = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b2, "console", "zhangsan").await;
    let page = b2.get(&url).await;
    assert_refused(&page, 403, "member_not_active");
    // The refusal also ended the member's other session.
    let page = b.get(&format!("{}/apps/console/start", env.base)).await;
    assert_eq!(page.status, 302, "the first browser's session ended");
}

// ---- WeCom errors ----

both_dbs!(wecom_60020_explains_trusted_ip, error_60020);
// Defence: a configuration error (untrusted egress IP) is a page that says how to fix it.
async fn error_60020(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b, "console", "zhangsan").await;
    env.sim.fail_next("user/get", 60020, 1);
    let page = b.get(&url).await;
    assert_refused(&page, 502, "wecom_config");
    // The member reads one sentence; the fix (the trusted IP) is the admin's, in the audit row.
    assert!(!page.body.contains("可信IP"), "{}", page.body);
    assert!(
        page.body.contains("请把下面的参考编号告诉管理员"),
        "{}",
        page.body
    );
    assert_audited(&env, "wecom_config").await;
    assert!(audit_detail_has(&env, "wecom_config", "\"errcode\":60020").await);
    assert!(audit_detail_has(&env, "wecom_config", "Trusted IP").await);
    let mut b = env.browser(WXWORK_UA);
    b.accept_language = Some("en".into());
    let url = callback_url(&env, &b, "console", "zhangsan").await;
    env.sim.fail_next("user/get", 60020, 1);
    let page = b.get(&url).await;
    assert_refused(&page, 502, "wecom_config");
    assert!(!page.body.contains("trusted IP"), "{}", page.body);
    assert!(
        page.body
            .contains("tell your administrator the reference below"),
        "{}",
        page.body
    );
}

/// Whether a refused login row of `reason` has `needle` in its detail.
async fn audit_detail_has(env: &Env, reason: &str, needle: &str) -> bool {
    env.audit().await.iter().any(|r| {
        r.reason == reason
            && r.result == "refused"
            && r.detail.as_deref().is_some_and(|d| d.contains(needle))
    })
}

both_dbs!(wecom_40029_restarts_the_login, error_40029);
// Defence: an invalid/reused code is never retried; the page says to start the sign-in again.
async fn error_40029(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b, "console", "zhangsan").await;
    env.sim.fail_next("auth/getuserinfo", 40029, 1);
    let page = b.get(&url).await;
    assert_refused(&page, 400, "wecom_code_invalid");
    assert!(page.body.contains("重新打开应用"), "{}", page.body);
    assert_eq!(
        env.sim.calls("auth/getuserinfo"),
        1,
        "a code is never retried"
    );
    assert_audited(&env, "wecom_code_invalid").await;
}

both_dbs!(wecom_45009_is_a_retry_page, error_45009);
// Defence: WeCom's rate limit gives a "try again in a minute" page, not a crash or a hang.
async fn error_45009(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b, "console", "zhangsan").await;
    env.sim.fail_next("user/get", 45009, 1);
    let page = b.get(&url).await;
    assert_refused(&page, 503, "wecom_busy");
    assert!(page.body.contains("一分钟后重试"), "{}", page.body);
}

both_dbs!(wecom_timeout_is_a_page_in_bounded_time, wecom_timeout);
// Defence: bounded timeouts on every WeCom call (2 s here): a hung WeCom gives a page, not a hang.
async fn wecom_timeout(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b, "console", "zhangsan").await;
    env.sim.set_delay(Duration::from_secs(6));
    let started = Instant::now();
    let page = b.get(&url).await;
    let took = started.elapsed();
    assert_refused(&page, 503, "wecom_busy");
    assert!(page.body.contains("一分钟后重试"), "{}", page.body);
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

// ---- scope ----

both_dbs!(apps_releasing_email_use_the_private_info_scope, scope);
// Defence: least privilege — only apps that need mobile/email ask for snsapi_privateinfo, and the email
// then comes from getuserdetail.
async fn scope(env: Env) {
    env.add_app("mail", &["attributes=userid,email"]).await;
    env.add_app("plain", &[]).await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let start = b.get(&format!("{}/apps/mail/start", env.base)).await;
    let loc = start.location.clone().unwrap();
    assert!(loc.contains("scope=snsapi_privateinfo"), "{loc}");
    let form = b.follow(&loc).await.form().unwrap();
    let s = Saml::of(&form);
    assert_eq!(s.attribute("email").unwrap(), vec!["zhangsan@example.com"]);
    assert_eq!(s.attribute("userid").unwrap(), vec!["zhangsan"]);
    assert_eq!(env.sim.calls("auth/getuserdetail"), 1);
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "lisi").await;
    let start = b.get(&format!("{}/apps/plain/start", env.base)).await;
    let loc = start.location.clone().unwrap();
    assert!(loc.contains("scope=snsapi_base"), "{loc}");
    let form = b.follow(&loc).await.form().unwrap();
    assert!(Saml::of(&form).attribute("email").is_none());
    assert_eq!(env.sim.calls("auth/getuserdetail"), 1, "no detail call");
}

// ---- NameID ----

both_dbs!(
    persistent_name_id_is_pairwise_and_stable,
    persistent_name_id
);
// Defence: a persistent NameID is stable per (app, member), differs between apps (no correlation) and
// never reveals the userid.
async fn persistent_name_id(env: Env) {
    env.add_app("p1", &["nameid_format=persistent", "attributes="])
        .await;
    env.add_app("p2", &["nameid_format=persistent", "attributes="])
        .await;
    let fa = env
        .login_in_client(&env.browser(WXWORK_UA), "p1", "zhangsan")
        .await;
    let a = Saml::of(&fa);
    let b = Saml::of(
        &env.login_in_client(&env.browser(WXWORK_UA), "p1", "zhangsan")
            .await,
    );
    let fc = env
        .login_in_client(&env.browser(WXWORK_UA), "p2", "zhangsan")
        .await;
    let c = Saml::of(&fc);
    let d = Saml::of(
        &env.login_in_client(&env.browser(WXWORK_UA), "p1", "lisi")
            .await,
    );
    assert_eq!(
        a.name_id(),
        b.name_id(),
        "stable for the same member and app"
    );
    assert_ne!(
        a.name_id(),
        c.name_id(),
        "pairwise: another app sees another value"
    );
    assert_ne!(a.name_id(), d.name_id(), "another member, another value");
    for f in [&fa, &fc] {
        assert!(!f.xml.contains("zhangsan"), "never the userid: {}", f.xml);
    }
    assert_eq!(
        a.at(&["Assertion", "Subject", "NameID"], "Format").unwrap(),
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
    );
}

both_dbs!(transient_name_id_changes_each_time, transient_name_id);
// Defence: a transient NameID is fresh per Response.
async fn transient_name_id(env: Env) {
    env.add_app("t", &["nameid_format=transient"]).await;
    let b = env.browser(WXWORK_UA);
    let first = Saml::of(&env.login_in_client(&b, "t", "zhangsan").await);
    let again = b
        .get(&format!("{}/apps/t/start", env.base))
        .await
        .form()
        .unwrap();
    let again = Saml::of(&again);
    assert_ne!(first.name_id(), again.name_id());
    assert_ne!(first.name_id(), "zhangsan");
    assert_eq!(
        first
            .at(&["Assertion", "Subject", "NameID"], "Format")
            .unwrap(),
        "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
    );
}

both_dbs!(email_name_id_uses_the_email, email_name_id);
// Defence: the email format carries the member's email (fetched with consent), in the email format URI.
async fn email_name_id(env: Env) {
    env.add_app("e", &["nameid_format=email"]).await;
    let form = env
        .login_in_client(&env.browser(WXWORK_UA), "e", "lisi")
        .await;
    assert_independently_verified(&env, &form);
    let s = Saml::of(&form);
    assert_eq!(s.name_id(), "lisi@example.com");
    assert_eq!(
        s.at(&["Assertion", "Subject", "NameID"], "Format").unwrap(),
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    );
}

both_dbs!(missing_name_id_source_is_refused, missing_name_id);
// Defence: no Response with an empty or substituted NameID: a member without the NameID source is
// refused with a page before anything is sent.
async fn missing_name_id(env: Env) {
    env.add_app("m", &["nameid_source=mobile"]).await;
    env.sim.upsert_member(Member::new("nomobile", "没有手机"));
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b, "m", "nomobile").await;
    assert!(
        param(&url, "code").len() > 4,
        "the scope asked for mobile (privateinfo)"
    );
    let page = b.get(&url).await;
    assert_refused(&page, 403, "no_name_id");
    assert_audited(&env, "no_name_id").await;
    assert!(audit_detail_has(&env, "no_name_id", "\"nameid_source\":\"mobile\"").await);
    assert!(
        !env.audit()
            .await
            .iter()
            .any(|r| r.event == "login" && r.result == "success" && r.app.as_deref() == Some("m")),
        "nothing issued"
    );
}

// ---- XML safety ----

both_dbs!(names_with_markup_stay_one_value, hostile_names);
// Defence: the escaping writer — hostile display names stay ONE attribute value, round-trip exactly
// (control characters stripped), and the Response still verifies with xmlsec1.
async fn hostile_names(env: Env) {
    env.add_app("console", &["attributes=name,userid"]).await;
    env.add_app(
        "byname",
        &["nameid_source=name", "attributes=name=displayName"],
    )
    .await;
    let cases: &[(&str, &str)] = &[
        (
            "x</saml:AttributeValue><saml:AttributeValue>admin",
            "x</saml:AttributeValue><saml:AttributeValue>admin",
        ),
        (
            "x</saml2:AttributeValue><saml2:AttributeValue>admin",
            "x</saml2:AttributeValue><saml2:AttributeValue>admin",
        ),
        ("a<b & c \"d\" 'e' >", "a<b & c \"d\" 'e' >"),
        ("]]><![CDATA[x]]>", "]]><![CDATA[x]]>"),
        ("<!-- c -->n<!---->", "<!-- c -->n<!---->"),
        ("ctl\u{1}\u{8}\u{b}\u{1b}\u{7f}x", "ctlx"),
        ("tab\tnl\ncr\r", "tab nl cr "),
        ("&amp;&#60;&lt;", "&amp;&#60;&lt;"),
        ("张三·李四 𠀀😀", "张三·李四 𠀀😀"),
        ("\u{202e}rtl", "\u{202e}rtl"),
    ];
    for (i, (name, expected)) in cases.iter().enumerate() {
        let userid = format!("xml{i}");
        env.sim.upsert_member(Member::new(userid.clone(), *name));
        let b = env.browser(WXWORK_UA);
        let form = env.login_in_client(&b, "console", &userid).await;
        let (r, a) = assert_independently_verified(&env, &form);
        assert!(r && a);
        let s = Saml::of(&form);
        assert_eq!(
            s.attribute("name").unwrap(),
            vec![expected.to_string()],
            "name {name:?} must be one exact value:\n{}",
            form.xml
        );
        assert_eq!(
            s.attributes().len(),
            2,
            "no injected Attribute: {}",
            form.xml
        );
        assert_eq!(s.name_id(), userid);
        // The same text as NameID (element content) and under another attribute name.
        let form = b
            .get(&format!("{}/apps/byname/start", env.base))
            .await
            .form()
            .unwrap();
        assert_independently_verified(&env, &form);
        let s = Saml::of(&form);
        assert_eq!(s.name_id(), *expected, "{}", form.xml);
        assert_eq!(
            s.attribute("displayName").unwrap(),
            vec![expected.to_string()]
        );
    }
}

// ---- signing options ----

both_dbs!(signing_options_are_honoured, signing_options);
// Defence: per-app signing choice; whatever is signed verifies independently.
async fn signing_options(env: Env) {
    env.add_app("aonly", &["sign_response=false"]).await;
    env.add_app("ronly", &["sign_assertion=false"]).await;
    let b = env.browser(WXWORK_UA);
    let form = env.login_in_client(&b, "aonly", "zhangsan").await;
    assert_eq!(assert_independently_verified(&env, &form), (false, true));
    let form = b
        .get(&format!("{}/apps/ronly/start", env.base))
        .await
        .form()
        .unwrap();
    assert_eq!(assert_independently_verified(&env, &form), (true, false));
}

// ---- session cookie ----

both_dbs!(session_id_is_new_at_each_login, no_session_fixation);
// Defence: session fixation — a session ID planted before login is never adopted; each login gets a new
// random ID.
async fn no_session_fixation(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let planted = "AttackerChosenSessionId0123456789";
    b.set_cookie(&env.base, "wecom_idp_session", planted);
    let url = callback_url(&env, &b, "console", "zhangsan").await;
    let page = b.get(&url).await;
    assert!(page.form().is_some());
    let s1 = session_cookie_of(&page).expect("a new session cookie");
    assert_ne!(s1, planted);
    assert!(s1.len() >= 32, "opaque random ID: {s1}");
    // The planted value alone is no session.
    let attacker = env.browser(WXWORK_UA);
    attacker.set_cookie(&env.base, "wecom_idp_session", planted);
    let page = attacker
        .get(&format!("{}/apps/console/start", env.base))
        .await;
    assert_eq!(page.status, 302, "planted ID is not a session");
    // A later login (after the session ended) gets yet another ID.
    env.clock.advance(time::Duration::hours(9));
    let url = callback_url(&env, &b, "console", "zhangsan").await;
    let page = b.get(&url).await;
    let s2 = session_cookie_of(&page).unwrap();
    assert_ne!(s1, s2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Defence: on an https public URL the cookies are Secure with the __Host- prefix (no sibling-domain
// planting, never over http).
async fn https_public_url_gives_secure_host_cookies() {
    // The server listens on http; only its public URL says https. We follow the redirects by hand and
    // send the callback to the http listener.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("idp.sqlite").display());
    let env = Env::start_with(Db::Sqlite, url, dir, |c| {
        c.public_url = c.public_url.replacen("http://", "https://", 1);
    })
    .await;
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let start = b.get(&format!("{}/apps/console/start", env.base)).await;
    let browser_cookie = start.header("set-cookie").unwrap().to_string();
    assert!(
        browser_cookie.starts_with("__Host-wecom_idp_browser=")
            && browser_cookie.contains("; Secure")
            && browser_cookie.contains("Path=/")
            && !browser_cookie.contains("Domain="),
        "{browser_cookie}"
    );
    let wecom = b.get(&start.location.unwrap()).await;
    let cb = wecom.location.unwrap().replacen("https://", "http://", 1);
    let page = b.get(&cb).await;
    assert!(page.form().is_some(), "{}", page.body);
    let session = page
        .headers_named("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("__Host-wecom_idp_session="))
        .expect("__Host- session cookie")
        .to_string();
    assert!(
        session.contains("; Secure")
            && session.contains("HttpOnly")
            && session.contains("SameSite=Lax"),
        "{session}"
    );
    // The unprefixed name is not accepted on https (it could be planted by a sibling host).
    let value = &session.split(';').next().unwrap()["__Host-wecom_idp_session=".len()..];
    let other = env.browser(WXWORK_UA);
    other.set_cookie(&env.base, "wecom_idp_session", value);
    let page = other.get(&format!("{}/apps/console/start", env.base)).await;
    assert_eq!(page.status, 302);
    other.set_cookie(&env.base, "__Host-wecom_idp_session", value);
    let page = other.get(&format!("{}/apps/console/start", env.base)).await;
    assert!(page.form().is_some());
}

// ---- health, metrics, metadata ----

both_dbs!(health_metrics_and_metadata, health_metrics_metadata);
// Defence: observability and the published metadata contract.
async fn health_metrics_metadata(env: Env) {
    let b = env.browser(CHROME_UA);
    let h = b.get(&format!("{}/healthz", env.base)).await;
    assert_eq!(h.status, 200);
    let r = b.get(&format!("{}/readyz", env.base)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    env.add_app("console", &[]).await;
    env.login_in_client(&env.browser(WXWORK_UA), "console", "zhangsan")
        .await;
    let m = b.get(&format!("{}/metrics", env.base)).await;
    assert_eq!(m.status, 200);
    assert!(m.header("content-type").unwrap().starts_with("text/plain"));
    assert!(
        m.body
            .contains("wecom_idp_logins_total{app=\"console\",result=\"success\"} 1"),
        "{}",
        m.body
    );
    assert!(
        m.body.contains("wecom_idp_wecom_call_seconds"),
        "{}",
        m.body
    );
    assert!(
        m.body.contains("user/get"),
        "latency per endpoint: {}",
        m.body
    );
    assert!(m.body.contains("wecom_idp_signing_seconds_count"));
    // A refusal is counted too.
    let p = b.get(&callback(&env, "c", "x-y")).await;
    assert_eq!(p.status, 400);
    let m = b.get(&format!("{}/metrics", env.base)).await;
    assert!(m.body.contains("result=\"refused\""), "{}", m.body);

    let md = b.get(&format!("{}/saml/metadata", env.base)).await;
    assert_eq!(md.status, 200);
    let x = &md.body;
    assert!(x.contains("KeyDescriptor use=\"signing\""), "{x}");
    assert!(x.contains(&format!("Binding=\"{REDIRECT}\"")), "{x}");
    assert!(x.contains(&format!("Binding=\"{POST}\"")), "{x}");
    assert!(x.contains(&format!("Location=\"{}/saml/sso\"", env.base)));
    assert!(x.contains("WantAuthnRequestsSigned="), "{x}");
    assert!(x.contains(&format!("entityID=\"{}/saml/metadata\"", env.base)));
    let name_id = x.find("NameIDFormat").unwrap();
    let sso = x.find("SingleSignOnService").unwrap();
    let key = x.find("KeyDescriptor").unwrap();
    assert!(key < name_id && name_id < sso, "schema order: {x}");
    // The algorithm-support extension, in the entity's Extensions before the descriptor, so a
    // stock Shibboleth SP signs its requests with RSA-SHA256.
    let ext = x.find("<md:Extensions>").unwrap();
    let digest = x
        .find("<alg:DigestMethod xmlns:alg=\"urn:oasis:names:tc:SAML:metadata:algsupport\" Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\">")
        .unwrap_or_else(|| panic!("{x}"));
    let signing = x
        .find("<alg:SigningMethod xmlns:alg=\"urn:oasis:names:tc:SAML:metadata:algsupport\" Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"")
        .unwrap_or_else(|| panic!("{x}"));
    let idp = x.find("<md:IDPSSODescriptor").unwrap();
    assert!(
        ext < digest && digest < signing && signing < idp,
        "schema order: {x}"
    );
    assert!(
        x.contains(env.state.keys().active.cert_base64()),
        "publishes the active key"
    );
}

// ---- two instances ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Defence: scale-out — instances on one PostgreSQL share the signing key and the sessions.
async fn two_instances_share_keys_and_sessions() {
    let Some(url) = Env::postgres_url().await else {
        return; // PostgreSQL only.
    };
    let one = Env::start_with(
        Db::Postgres,
        url.clone(),
        tempfile::tempdir().unwrap(),
        |_| {},
    )
    .await;
    let two = Env::start_with(Db::Postgres, url, tempfile::tempdir().unwrap(), |_| {}).await;
    assert_eq!(one.idp_cert_pem(), two.idp_cert_pem(), "one signing key");
    let b = CHROME_UA;
    let browser = Browser::new(b);
    let md1 = browser.get(&format!("{}/saml/metadata", one.base)).await;
    let md2 = browser.get(&format!("{}/saml/metadata", two.base)).await;
    let cert = one.state.keys().active.cert_base64().to_string();
    assert!(md1.body.contains(&cert) && md2.body.contains(&cert));
    one.add_app("console", &[]).await;
    let bw = one.browser(WXWORK_UA);
    let form = one.login_in_client(&bw, "console", "zhangsan").await;
    assert_independently_verified(&one, &form);
    let session = bw.cookie(&one.base, "wecom_idp_session").unwrap();
    bw.set_cookie(&two.base, "wecom_idp_session", &session);
    let page = bw.get(&format!("{}/apps/console/start", two.base)).await;
    let form = page.form().unwrap_or_else(|| {
        panic!(
            "the session is served by the other instance: {}",
            page.status
        )
    });
    assert_eq!(Saml::of(&form).name_id(), "zhangsan");
    assert_independently_verified(&two, &form);
    assert_eq!(
        two.sim.calls("auth/getuserinfo"),
        0,
        "no WeCom login on the second"
    );
}

// ---- logs ----

pub(crate) mod logs {
    use std::sync::{Arc, Mutex, OnceLock};

    #[derive(Clone, Default)]
    pub struct Buf(pub Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Everything logged in this test binary from now on (a global subscriber, installed once).
    pub fn capture() -> Buf {
        static BUF: OnceLock<Buf> = OnceLock::new();
        BUF.get_or_init(|| {
            let buf = Buf::default();
            let w = buf.clone();
            // `try_init` also bridges `log` records (reqwest, hyper) into the capture.
            use tracing_subscriber::util::SubscriberInitExt as _;
            let _ = tracing_subscriber::fmt()
                .with_env_filter("trace")
                .with_ansi(false)
                .with_writer(move || w.clone())
                .finish()
                .try_init();
            buf
        })
        .clone()
    }

    /// Where the capture is now: other tests in this binary log into the same buffer, so a test
    /// reads from its own start.
    pub fn mark(b: &Buf) -> usize {
        b.0.lock().unwrap().len()
    }

    /// What was logged since `mark`.
    pub fn text_since(b: &Buf, mark: usize) -> String {
        let all = b.0.lock().unwrap();
        String::from_utf8_lossy(all.get(mark..).unwrap_or_default()).into_owned()
    }
}

both_dbs!(logs_never_hold_secrets_codes_or_tokens, log_hygiene);
// Defence: secrets stay out of logs — the WeCom secret, codes, OAuth states, user tickets, access
// tokens and session IDs are never logged (even at trace level, even on errors).
async fn log_hygiene(env: Env) {
    let buf = logs::capture();
    let start = logs::mark(&buf);
    env.add_app("mail", &["attributes=userid,email"]).await;
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b, "mail", "zhangsan").await;
    let code = param(&url, "code");
    let state = param(&url, "state");
    let page = b.get(&url).await;
    assert!(page.form().is_some());
    let session = b.cookie(&env.base, "wecom_idp_session").unwrap();
    let browser = b.cookie(&env.base, "wecom_idp_browser").unwrap();
    // An error path too (errmsg with hint is logged; the code is not).
    let b2 = env.browser(WXWORK_UA);
    let url2 = callback_url(&env, &b2, "mail", "lisi").await;
    let code2 = param(&url2, "code");
    env.sim.fail_next("auth/getuserinfo", 40029, 1);
    let _ = b2.get(&url2).await;
    // A token refresh path.
    env.sim.expire_tokens();
    let b3 = env.browser(WXWORK_UA);
    env.login_in_client(&b3, "mail", "wangwu").await;
    // An SP-initiated login with a live session — neither the AuthnRequest nor the signed
    // Response (its encoded value, the assertion, the signature) may reach the logs.
    let req = Req::new(&env, "mail");
    let saml_request = deflate_b64(req.xml().as_bytes());
    let sso = b.get(&redirect_url(&env, &req.xml(), Some("rs"))).await;
    let sp_form = sso.form().expect("a session answers at once");
    let response_values: Vec<String> = [&page, &sso]
        .iter()
        .map(|p| {
            html_unescape(
                p.body
                    .split("name=\"SAMLResponse\" value=\"")
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .expect("a SAMLResponse field"),
            )
        })
        .collect();
    let signature_value = sp_form
        .xml
        .split("SignatureValue>")
        .nth(1)
        .and_then(|v| v.split('<').next())
        .unwrap_or_default()
        .to_string();
    // The admin side — a console session, an API token (made and used) and a WeCom secret
    // set through the API must not reach the logs either.
    let (admin, _csrf) = env.admin_browser("zhangsan").await;
    let admin_session = admin.cookie(&env.base, "wecom_idp_admin").unwrap();
    let token = env.api_token("logcheck").await;
    let api = env.api(&token);
    let (s, made) = api
        .post("/tokens", serde_json::json!({"name": "second"}))
        .await;
    assert_eq!(s, 201);
    let second_token = made["token"].as_str().unwrap().to_string();
    let new_secret = "console-set-secret-0123456789abcdef";
    let (s, _) = api
        .put(
            "/wecom",
            serde_json::json!({"secret": new_secret, "force": true}),
        )
        .await;
    assert!(s < 300, "setting the secret: {s}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let logs = logs::text_since(&buf, start);
    for (what, secret) in [
        ("admin session", admin_session.as_str()),
        ("API token", token.as_str()),
        ("API token made over the API", second_token.as_str()),
        ("console-set WeCom secret", new_secret),
    ] {
        assert!(!logs.contains(secret), "the {what} is in the logs");
    }
    assert!(
        logs.contains("WeCom login succeeded"),
        "the capture works (got {} bytes)",
        logs.len()
    );
    for (what, secret) in [
        ("secret", SECRET),
        ("code", code.as_str()),
        ("code", code2.as_str()),
        ("state", state.as_str()),
        ("session", session.as_str()),
        ("browser binding", browser.as_str()),
    ] {
        assert!(!logs.contains(secret), "the {what} is in the logs");
    }
    assert!(
        !logs.contains("access_token="),
        "an access token URL is in the logs"
    );
    assert!(
        !logs.contains("user_ticket\":\""),
        "a user ticket is in the logs"
    );
    assert!(
        !logs.contains("access_token\":"),
        "a token answer is in the logs"
    );
    assert!(
        !logs.contains("corpsecret"),
        "the gettoken URL is in the logs"
    );
    for v in &response_values {
        assert!(v.len() > 100);
        assert!(
            !logs.contains(&v[..64]),
            "a SAMLResponse value is in the logs"
        );
    }
    assert!(
        !logs.contains(&saml_request[..40]),
        "a SAMLRequest is in the logs"
    );
    assert!(!signature_value.is_empty());
    assert!(
        !logs.contains(&signature_value[..40]),
        "a signature value is in the logs"
    );
    for marker in [
        "Assertion>",
        "<saml:Assertion",
        "samlp:Response",
        // The XML element, not our own log messages that name it ("AuthnRequest refused").
        ":AuthnRequest ",
        "<AuthnRequest",
    ] {
        assert!(!logs.contains(marker), "SAML XML ({marker}) is in the logs");
    }
}

both_dbs!(repeat_after_expiry_revives_nothing, repeat_after_expiry);
// Defence: the double-submit grace is bounded by the state's 10 minutes — a callback URL replayed from
// the browser history later does not revive the login (nor a session that has ended).
async fn repeat_after_expiry(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b, "console", "zhangsan").await;
    assert!(b.get(&url).await.form().is_some());
    env.clock.advance(time::Duration::hours(9));
    let page = b.get(&url).await;
    assert_refused(&page, 400, "state_expired");
    assert!(session_cookie_of(&page).is_none());
}

both_dbs!(concurrent_persistent_logins_agree, concurrent_persistent);
// Defence: the pairwise ID is created once even when two logins of one member race.
async fn concurrent_persistent(env: Env) {
    env.add_app("p", &["nameid_format=persistent"]).await;
    let (b1, b2) = (env.browser(WXWORK_UA), env.browser(WXWORK_UA));
    let u1 = callback_url(&env, &b1, "p", "zhangsan").await;
    let u2 = callback_url(&env, &b2, "p", "zhangsan").await;
    let (p1, p2) = tokio::join!(b1.get(&u1), b2.get(&u2));
    let n1 = Saml::of(&p1.form().unwrap()).name_id();
    let n2 = Saml::of(&p2.form().unwrap()).name_id();
    assert_eq!(n1, n2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Defence: a repeated callback never answers from a session that has ended (here: idle timeout of
// 1 minute, repeat 2 minutes later, still within the state's 10 minutes).
async fn repeat_does_not_use_an_ended_session() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("idp.sqlite").display());
    let env = Env::start_with(Db::Sqlite, url, dir, |c| {
        c.session.idle_timeout_secs = 60;
    })
    .await;
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b, "console", "zhangsan").await;
    assert!(b.get(&url).await.form().is_some());
    env.clock.advance(time::Duration::minutes(2));
    let page = b.get(&url).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.form().is_none());
}

both_dbs!(wecom_50001_names_the_trusted_domain, error_50001);
// Defence: a code of another app / untrusted domain (50001) is a configuration page naming the fix.
async fn error_50001(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b, "console", "zhangsan").await;
    env.sim.fail_next("auth/getuserinfo", 50001, 1);
    let page = b.get(&url).await;
    assert_refused(&page, 502, "wecom_config");
    assert!(audit_detail_has(&env, "wecom_config", "\"errcode\":50001").await);
    // And 60020 may come on the code exchange itself.
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b, "console", "zhangsan").await;
    env.sim.fail_next("auth/getuserinfo", 60020, 1);
    let page = b.get(&url).await;
    assert_refused(&page, 502, "wecom_config");
    assert!(audit_detail_has(&env, "wecom_config", "\"errcode\":60020").await);
}

both_dbs!(wecom_busy_is_retried_then_a_page, busy_retries);
// Defence: -1 (system busy) is retried with back-off, a bounded number of times.
async fn busy_retries(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b, "console", "zhangsan").await;
    env.sim.fail_next("user/get", -1, 2);
    let page = b.get(&url).await;
    assert!(page.form().is_some(), "two busy answers, then success");
    assert_eq!(env.sim.calls("user/get"), 3);
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b, "console", "lisi").await;
    env.sim.fail_next("user/get", -1, 10);
    let page = b.get(&url).await;
    assert_refused(&page, 503, "wecom_busy");
    assert_eq!(env.sim.calls("user/get"), 6, "at most three tries");
}

both_dbs!(expired_token_is_fetched_again, token_refresh);
// Defence: a token WeCom says is expired (42001) is evicted, fetched again and the call retried once;
// tokens are cached between logins.
async fn token_refresh(env: Env) {
    env.add_app("console", &[]).await;
    env.login_in_client(&env.browser(WXWORK_UA), "console", "zhangsan")
        .await;
    env.login_in_client(&env.browser(WXWORK_UA), "console", "lisi")
        .await;
    assert_eq!(env.sim.calls("gettoken"), 1, "the token is cached");
    env.sim.expire_tokens();
    let form = env
        .login_in_client(&env.browser(WXWORK_UA), "console", "wangwu")
        .await;
    assert_eq!(Saml::of(&form).name_id(), "wangwu");
    assert_eq!(env.sim.calls("gettoken"), 2);
}

both_dbs!(company_mail_counts_as_email, company_mail);
// Defence: the email WeCom gives is used whichever field holds it — a member with only a company mail
// (`biz_mail`, personal `email` empty) still gets an email NameID / attribute.
async fn company_mail(env: Env) {
    env.add_app("e", &["nameid_format=email", "attributes=email"])
        .await;
    let mut m = Member::new("bizonly", "Biz Only");
    m.biz_mail = Some("bizonly@corp.example".into());
    env.sim.upsert_member(m);
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b, "e", "bizonly").await;
    let page = b.get(&url).await;
    let form = page
        .form()
        .unwrap_or_else(|| panic!("{} {:?}", page.status, page.reason()));
    let s = Saml::of(&form);
    assert_eq!(s.name_id(), "bizonly@corp.example");
    assert_eq!(s.attribute("email").unwrap(), vec!["bizonly@corp.example"]);
    // The same with an app created before 2022-06-20 (user/get still returns email fields).
    env.sim.set_pre_2022(true);
    env.add_app("old", &["nameid_format=email"]).await;
    let b = env.browser(CHROME_UA);
    let start = b.get(&format!("{}/apps/old/start", env.base)).await;
    let state = param(&start.location.unwrap(), "state");
    let code = env.sim.issue_code("bizonly", false);
    let page = b.get(&callback(&env, &code, &state)).await;
    let form = page
        .form()
        .unwrap_or_else(|| panic!("{} {:?}", page.status, page.reason()));
    assert_eq!(Saml::of(&form).name_id(), "bizonly@corp.example");
}
