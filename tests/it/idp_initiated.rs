//! IdP-initiated login at the mount address: the WeCom flows (in-client OAuth and web/QR), the
//! Response's contract, the session, and the unsolicited Response's rules.

use crate::both_dbs;
use crate::harness::*;
use wecom_idp::clock::Clock;

both_dbs!(
    in_client_login_posts_a_signed_unsolicited_response,
    in_client_login
);
async fn in_client_login(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    // Step 1: the mount address sends a WeCom client to in-client OAuth, silent scope.
    let first = b.get(&format!("{}/apps/console/start", env.base)).await;
    assert_eq!(first.status, 302);
    let loc = first.location.clone().unwrap();
    assert!(
        loc.starts_with(&format!("{}/connect/oauth2/authorize?", env.sim_base)),
        "{loc}"
    );
    assert!(loc.contains("scope=snsapi_base"), "{loc}");
    assert!(
        loc.contains(&format!("appid={CORP_ID}")) && loc.contains(&format!("agentid={AGENT_ID}"))
    );
    assert!(loc.ends_with("#wechat_redirect"), "{loc}");
    assert!(loc.contains(&format!(
        "redirect_uri={}",
        enc(&format!("{}/wecom/callback", env.base))
    )));
    let browser_cookie = first.header("set-cookie").unwrap();
    assert!(browser_cookie.contains("HttpOnly") && browser_cookie.contains("SameSite=Lax"));
    // Step 2: the rest of the flow.
    let page = b.follow(&loc).await;
    let form = page
        .form()
        .unwrap_or_else(|| panic!("{} {}", page.status, page.body));
    assert_eq!(form.action, acs_url("console"));
    let (resp_signed, assertion_signed) = assert_independently_verified(&env, &form);
    assert!(
        resp_signed && assertion_signed,
        "both are signed by default"
    );
    let s = Saml::of(&form);
    let now = env.clock.now();
    let ts = |t: time::OffsetDateTime| crate::harness_time(t);
    assert_eq!(s.root_attr("Destination").unwrap(), acs_url("console"));
    assert_eq!(
        s.root_attr("InResponseTo"),
        None,
        "unsolicited: no InResponseTo"
    );
    assert_eq!(s.root_attr("IssueInstant").unwrap(), ts(now));
    assert_eq!(
        s.text_at(&["Issuer"]).unwrap(),
        format!("{}/saml/metadata", env.base)
    );
    assert_eq!(
        s.text_at(&["Assertion", "Issuer"]).unwrap(),
        format!("{}/saml/metadata", env.base)
    );
    assert_eq!(s.status(), "urn:oasis:names:tc:SAML:2.0:status:Success");
    assert_eq!(s.name_id(), "zhangsan");
    assert_eq!(
        s.at(&["Assertion", "Subject", "NameID"], "Format").unwrap(),
        "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
    );
    let scd = [
        "Assertion",
        "Subject",
        "SubjectConfirmation",
        "SubjectConfirmationData",
    ];
    assert_eq!(s.at(&scd, "Recipient").unwrap(), acs_url("console"));
    assert_eq!(s.at(&scd, "InResponseTo"), None);
    assert_eq!(
        s.at(&scd, "NotOnOrAfter").unwrap(),
        ts(now + time::Duration::minutes(5))
    );
    assert_eq!(
        s.at(&["Assertion", "Conditions"], "NotBefore").unwrap(),
        ts(now - time::Duration::minutes(3))
    );
    assert_eq!(
        s.at(&["Assertion", "Conditions"], "NotOnOrAfter").unwrap(),
        ts(now + time::Duration::minutes(5))
    );
    assert_eq!(
        s.text_at(&["Assertion", "Conditions", "AudienceRestriction", "Audience"])
            .unwrap(),
        sp_entity("console")
    );
    let audiences = {
        let d = &s.doc;
        let a = d
            .find_child(d.root(), wecom_idp::saml::dom::ns::SAML, "Assertion")
            .unwrap();
        let c = d
            .find_child(a, wecom_idp::saml::dom::ns::SAML, "Conditions")
            .unwrap();
        let r = d
            .find_child(c, wecom_idp::saml::dom::ns::SAML, "AudienceRestriction")
            .unwrap();
        d.child_elements(r).count()
    };
    assert_eq!(audiences, 1, "exactly one Audience");
    assert!(s
        .at(&["Assertion", "AuthnStatement"], "SessionIndex")
        .is_some());
    assert_eq!(
        s.at(&["Assertion", "AuthnStatement"], "AuthnInstant")
            .unwrap(),
        ts(now)
    );
    assert_eq!(s.attribute("userid").unwrap(), vec!["zhangsan"]);
    assert_eq!(s.attribute("name").unwrap(), vec!["张三"]);
    assert_eq!(s.attribute("departments").unwrap(), vec!["研发部"]);
    assert!(
        s.attribute("mobile").is_none() && s.attribute("email").is_none(),
        "not released by default"
    );
    // The session cookie.
    let set_cookies = page.headers_named("set-cookie");
    let session = set_cookies
        .iter()
        .find(|c| c.starts_with("wecom_idp_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Lax")
            && session.contains("Max-Age=28800")
    );
    assert!(!session.contains("Secure"), "http public URL: no Secure");
    // The audit row.
    let audit = env.audit().await;
    let row = audit
        .iter()
        .find(|r| r.event == "login" && r.result == "success")
        .expect("audit row");
    assert_eq!(row.app.as_deref(), Some("console"));
    assert_eq!(row.userid.as_deref(), Some("zhangsan"));
    assert_eq!(row.reason, "idp_initiated");
    assert!(row.client_ip.map(|ip| ip.to_string()).as_deref() == Some("127.0.0.1"));
}

both_dbs!(browser_login_uses_web_qr_login, browser_qr_login);
async fn browser_qr_login(env: Env) {
    env.add_app("console", &["relay_state=https://console.example/home"])
        .await;
    let b = env.browser(CHROME_UA);
    let first = b.get(&format!("{}/apps/console/start", env.base)).await;
    let loc = first.location.clone().unwrap();
    assert!(
        loc.starts_with(&format!(
            "{}/wwlogin/sso/login?login_type=CorpApp&",
            env.sim_base
        )),
        "{loc}"
    );
    assert!(
        loc.contains(&format!("appid={CORP_ID}")) && loc.contains(&format!("agentid={AGENT_ID}"))
    );
    // The simulator shows the member list (the QR code stand-in); pick lisi.
    let picker = b.follow(&loc).await;
    assert_eq!(picker.status, 200);
    let link = picker
        .body
        .split("href=\"")
        .skip(1)
        .map(|s| html_unescape(&s[..s.find('"').unwrap()]))
        .find(|h| h.contains("lisi"))
        .expect("a link for lisi");
    let page = b.follow(&format!("{}{}", env.sim_base, link)).await;
    let form = page.form().unwrap();
    assert_independently_verified(&env, &form);
    assert_eq!(Saml::of(&form).name_id(), "lisi");
    assert_eq!(
        form.relay_state.as_deref(),
        Some("https://console.example/home")
    );
}

both_dbs!(second_app_reuses_the_session, second_app_reuses_session);
async fn second_app_reuses_session(env: Env) {
    env.add_app("one", &[]).await;
    env.add_app("two", &[]).await;
    let b = env.browser(WXWORK_UA);
    env.login_in_client(&b, "one", "zhangsan").await;
    let exchanges = env.sim.calls("auth/getuserinfo");
    assert_eq!(exchanges, 1);
    let page = b.get(&format!("{}/apps/two/start", env.base)).await;
    let form = page
        .form()
        .expect("answered from the session, no redirect to WeCom");
    assert_eq!(form.action, acs_url("two"));
    assert_eq!(Saml::of(&form).name_id(), "zhangsan");
    assert_eq!(
        env.sim.calls("auth/getuserinfo"),
        exchanges,
        "no second WeCom login"
    );
    // Absolute timeout: 8 h later the session is gone and the browser goes back to WeCom.
    env.clock.advance(time::Duration::hours(8));
    let page = b.get(&format!("{}/apps/two/start", env.base)).await;
    assert_eq!(page.status, 302, "session expired");
}

both_dbs!(idle_timeout_ends_the_session, idle_timeout);
async fn idle_timeout(env: Env) {
    env.add_app("one", &[]).await;
    let b = env.browser(WXWORK_UA);
    env.login_in_client(&b, "one", "zhangsan").await;
    // Used again after 1 h 59 min: still live, and the use resets the idle clock.
    env.clock.advance(time::Duration::minutes(119));
    assert!(b
        .get(&format!("{}/apps/one/start", env.base))
        .await
        .form()
        .is_some());
    env.clock.advance(time::Duration::minutes(119));
    assert!(b
        .get(&format!("{}/apps/one/start", env.base))
        .await
        .form()
        .is_some());
    // Then 2 h without use: gone.
    env.clock.advance(time::Duration::hours(2));
    let page = b.get(&format!("{}/apps/one/start", env.base)).await;
    assert_eq!(page.status, 302, "idle session ended");
}

both_dbs!(
    relay_state_on_the_mount_address_needs_the_allow_list,
    relay_state_rules
);
async fn relay_state_rules(env: Env) {
    env.add_app("open", &["relay_state_allow=https://console.example/"])
        .await;
    env.add_app("closed", &["relay_state=https://default.example/"])
        .await;
    let b = env.browser(WXWORK_UA);
    env.login_in_client(&b, "open", "zhangsan").await;
    let ok = b
        .get(&format!(
            "{}/apps/open/start?RelayState={}",
            env.base,
            enc("https://console.example/page")
        ))
        .await
        .form()
        .unwrap();
    assert_eq!(
        ok.relay_state.as_deref(),
        Some("https://console.example/page")
    );
    let refused = b
        .get(&format!(
            "{}/apps/closed/start?RelayState={}",
            env.base,
            enc("https://evil.example/")
        ))
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.reason().as_deref(), Some("relay_state_not_allowed"));
    assert!(refused.form().is_none());
    let default = b
        .get(&format!("{}/apps/closed/start", env.base))
        .await
        .form()
        .unwrap();
    assert_eq!(
        default.relay_state.as_deref(),
        Some("https://default.example/")
    );
    let long = b
        .get(&format!(
            "{}/apps/open/start?RelayState={}",
            env.base,
            enc(&format!("https://console.example/{}", "x".repeat(80)))
        ))
        .await;
    assert_eq!(long.status, 400, "RelayState over 80 bytes");
}

both_dbs!(unknown_app_is_a_page_in_the_users_language, unknown_app);
async fn unknown_app(env: Env) {
    let mut b = env.browser(CHROME_UA);
    let page = b.get(&format!("{}/apps/nope/start", env.base)).await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains("应用不存在"), "Chinese by default");
    assert_eq!(page.reason().as_deref(), Some("unknown_app"));
    b.accept_language = Some("en-US,en;q=0.9".into());
    let page = b.get(&format!("{}/apps/Bad_Name/start", env.base)).await;
    assert!(page.body.contains("Unknown app"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert!(page
        .header("content-security-policy")
        .unwrap()
        .contains("frame-ancestors 'none'"));
}

both_dbs!(relay_state_allow_compares_parsed_urls, relay_state_parsed);
// Rule: a URL in relay_state_allow admits only the same scheme, host and port, then a path prefix
// on a segment boundary — not a longer host, a user-info trick, another port or a sibling path;
// an entry that is not a valid http(s) URL (or carries a user name) is refused when it is set.
async fn relay_state_parsed(env: Env) {
    env.add_app(
        "open",
        &["relay_state_allow=https://console.example,https://docs.example/guide"],
    )
    .await;
    let b = env.browser(WXWORK_UA);
    env.login_in_client(&b, "open", "zhangsan").await;
    let start = |rs: &str| format!("{}/apps/open/start?RelayState={}", env.base, enc(rs));
    for ok in [
        "https://console.example/page",
        "https://console.example",
        "https://docs.example/guide/intro",
    ] {
        let form = b.get(&start(ok)).await.form();
        assert_eq!(
            form.and_then(|f| f.relay_state).as_deref(),
            Some(ok),
            "{ok} is allowed"
        );
    }
    for bad in [
        "https://console.example.evil.test/",
        "https://console.example@evil.test/",
        "https://console.example:8443/",
        "http://console.example/",
        "https://docs.example/guide-evil",
        "//console.example/",
    ] {
        let p = b.get(&start(bad)).await;
        assert_eq!(p.status, 400, "{bad}");
        assert_eq!(
            p.reason().as_deref(),
            Some("relay_state_not_allowed"),
            "{bad}"
        );
        assert!(p.form().is_none(), "{bad}");
    }
    let api = env.api(&env.api_token("ops").await);
    for bad in [
        "https://u:p@console.example/",
        "ftp://console.example/",
        "//x.example",
    ] {
        let (s, e) = api
            .patch(
                "/apps/open",
                serde_json::json!({"settings": {"relay_state_allow": bad}}),
            )
            .await;
        assert_eq!(s, 400, "{bad}: {e}");
        assert!(e.to_string().contains("relay_state_allow"), "{bad}: {e}");
    }
}
