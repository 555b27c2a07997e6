//! OIDC consent (`consent=on`): the page after the WeCom login and the access rules, naming the
//! client and the claims by scope; Allow remembered per member, client and scopes (the same or
//! fewer scopes do not ask again, more do, `prompt=consent` does); Deny is `access_denied` with
//! `state` and `iss`; `prompt=none` is `consent_required`; the answer bound to the session and the
//! pending authorization, taken once; grants removed with the client and when the member leaves.

use crate::harness::{Browser, Env, Page, WXWORK_UA};
use crate::oidc::{add_client, authorize_url, follow_to_rp, param};
use wecom_idp::clock::Clock;
use wecom_idp::oidc::Client;

/// The consent page the authorization request for `client` ends on (with `extra` parameters).
async fn consent_page(env: &Env, b: &Browser, client: &Client, extra: &[(&str, &str)]) -> Page {
    let page = follow_to_rp(b, &authorize_url(env, client, extra))
        .await
        .expect_err("a consent page, not a redirect to the client");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("action=\"/oidc/consent\""),
        "{}",
        page.body
    );
    page
}

fn ticket_of(page: &Page) -> String {
    let at = page.body.find("name=\"ticket\" value=\"").expect("ticket") + 21;
    page.body[at..].split('"').next().unwrap().to_string()
}

async fn answer(env: &Env, b: &Browser, ticket: &str, decision: &str) -> Page {
    b.post_form(
        &format!("{}/oidc/consent", env.base),
        &[("ticket", ticket), ("decision", decision)],
    )
    .await
}

fn location(p: &Page) -> url::Url {
    url::Url::parse(
        p.location
            .as_deref()
            .unwrap_or_else(|| panic!("no redirect: {} {}", p.status, p.body)),
    )
    .unwrap()
}

/// Where the authorization request goes now: a redirect to the client (its URL) or our page.
async fn outcome(
    env: &Env,
    b: &Browser,
    client: &Client,
    extra: &[(&str, &str)],
) -> Result<url::Url, Page> {
    follow_to_rp(b, &authorize_url(env, client, extra)).await
}

async fn allow_is_asked_once_for_the_same_or_fewer_scopes(env: Env) {
    let (client, _) = add_client(&env, "grafana", &[("consent", "on")]).await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let page = consent_page(&env, &b, &client, &[]).await;
    // The client's name and the asked scopes' claims (openid profile email groups), not phone.
    assert!(page.body.contains(">grafana<"), "{}", page.body);
    let zh = page.body.contains("lang=\"zh-CN\"");
    let (name, mail, groups, phone) = if zh {
        (
            "你的姓名和用户名",
            "你的邮箱地址",
            "你的角色和部门",
            "你的手机号",
        )
    } else {
        (
            "Your name and username",
            "Your email address",
            "Your roles and departments",
            "Your mobile number",
        )
    };
    for line in [name, mail, groups] {
        assert!(page.body.contains(line), "{line} missing: {}", page.body);
    }
    assert!(
        !page.body.contains(phone),
        "phone was not asked: {}",
        page.body
    );
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let r = answer(&env, &b, &ticket_of(&page), "allow").await;
    let u = location(&r);
    assert!(u.as_str().starts_with(crate::oidc::RP), "{u}");
    assert!(param(&u, "code").is_some(), "{u}");
    assert_eq!(param(&u, "state").as_deref(), Some("st-1"));
    assert_eq!(param(&u, "iss").as_deref(), Some(env.base.as_str()));
    let rows = env.audit().await;
    assert!(
        rows.iter().any(|r| r.event == "oidc_consent"
            && r.reason == "consent_granted"
            && r.userid.as_deref() == Some("zhangsan")),
        "audited"
    );
    // The same scopes, and fewer, go straight to the client.
    assert!(outcome(&env, &b, &client, &[]).await.is_ok());
    let fewer = authorize_url(&env, &client, &[])
        .replace("scope=openid+profile+email+groups", "scope=openid+profile");
    assert!(fewer.contains("scope=openid+profile&"), "{fewer}");
    assert!(follow_to_rp(&b, &fewer).await.is_ok());
    // More scopes ask again; so does prompt=consent.
    let more = authorize_url(&env, &client, &[])
        .replace("scope=openid+profile+email+groups", "scope=openid+phone");
    let again = follow_to_rp(&b, &more)
        .await
        .expect_err("more scopes ask again");
    assert!(again.body.contains(phone), "{}", again.body);
    consent_page(&env, &b, &client, &[("prompt", "consent")]).await;
    // A client without consent never shows the page.
    let (plain, _) = add_client(&env, "wiki", &[]).await;
    assert!(outcome(&env, &b, &plain, &[]).await.is_ok());
}
crate::both_dbs!(allow_once, allow_is_asked_once_for_the_same_or_fewer_scopes);

async fn deny_is_access_denied_and_nothing_is_remembered(env: Env) {
    let (client, _) = add_client(&env, "grafana", &[("consent", "on")]).await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let page = consent_page(&env, &b, &client, &[]).await;
    let r = answer(&env, &b, &ticket_of(&page), "deny").await;
    let u = location(&r);
    assert_eq!(param(&u, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&u, "state").as_deref(), Some("st-1"));
    assert_eq!(param(&u, "iss").as_deref(), Some(env.base.as_str()));
    assert!(param(&u, "code").is_none());
    let rows = env.audit().await;
    assert!(rows
        .iter()
        .any(|r| r.event == "oidc_consent" && r.reason == "consent_denied"));
    consent_page(&env, &b, &client, &[]).await;
}
crate::both_dbs!(deny, deny_is_access_denied_and_nothing_is_remembered);

async fn prompt_none_needing_consent_is_consent_required(env: Env) {
    let (client, _) = add_client(&env, "grafana", &[("consent", "on")]).await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    // A session first (the consent page of a first request), then prompt=none.
    consent_page(&env, &b, &client, &[]).await;
    let p = b
        .get(&authorize_url(&env, &client, &[("prompt", "none")]))
        .await;
    let u = location(&p);
    assert_eq!(param(&u, "error").as_deref(), Some("consent_required"));
    assert_eq!(param(&u, "state").as_deref(), Some("st-1"));
    assert_eq!(param(&u, "iss").as_deref(), Some(env.base.as_str()));
    assert!(env
        .audit()
        .await
        .iter()
        .any(|r| r.reason == "oidc_consent_required"));
}
crate::both_dbs!(prompt_none, prompt_none_needing_consent_is_consent_required);

async fn the_answer_is_bound_to_its_session_and_taken_once(env: Env) {
    let (client, _) = add_client(&env, "grafana", &[("consent", "on")]).await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let ticket = ticket_of(&consent_page(&env, &b, &client, &[]).await);
    // Another member's browser (its own session), and a browser without a session: nothing.
    let other = env.browser(WXWORK_UA);
    env.wecom_client_login(&other, "lisi").await;
    consent_page(&env, &other, &client, &[]).await;
    for (who, br) in [
        ("another session", &other),
        ("no session", &env.browser(WXWORK_UA)),
    ] {
        let p = answer(&env, br, &ticket, "allow").await;
        assert_eq!(p.status, 400, "{who}: {}", p.body);
        assert!(p.location.is_none(), "{who}");
    }
    // Garbage: the same page, never a bare error.
    let p = answer(&env, &b, &ticket, "maybe").await;
    assert_eq!(p.status, 400);
    // The owner's answer works once (the foreign tries did not use it up); a replay is refused.
    let u = location(&answer(&env, &b, &ticket, "allow").await);
    assert!(param(&u, "code").is_some(), "{u}");
    let p = answer(&env, &b, &ticket, "allow").await;
    assert_eq!(p.status, 400, "{}", p.body);
    // Expired: a page answered after its lifetime.
    let t2 = ticket_of(&consent_page(&env, &b, &client, &[("prompt", "consent")]).await);
    env.clock.advance(time::Duration::seconds(
        wecom_idp::oidc_flow::consent::CONSENT_LIFETIME_SECS + 1,
    ));
    assert_eq!(answer(&env, &b, &t2, "allow").await.status, 400);
}
crate::both_dbs!(
    bound_once,
    the_answer_is_bound_to_its_session_and_taken_once
);

async fn a_member_the_access_rules_refuse_is_never_asked(env: Env) {
    let (client, _) = add_client(
        &env,
        "grafana",
        &[("consent", "on"), ("access", "user:lisi")],
    )
    .await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let page = outcome(&env, &b, &client, &[])
        .await
        .expect_err("no redirect");
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(!page.body.contains("/oidc/consent"));
}
crate::both_dbs!(
    access_first,
    a_member_the_access_rules_refuse_is_never_asked
);

async fn grants_go_with_the_client_and_with_the_member(env: Env) {
    use wecom_idp::wecom::contact_change::MemberStatus;
    let store = &env.state.store;
    let (client, _) = add_client(&env, "grafana", &[("consent", "on")]).await;
    let id = client.client_id.as_str().to_string();
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let t = ticket_of(&consent_page(&env, &b, &client, &[]).await);
    answer(&env, &b, &t, "allow").await;
    assert_eq!(
        store
            .oidc_consent("zhangsan", &id)
            .await
            .unwrap()
            .as_deref(),
        Some("openid profile email groups")
    );
    // The member leaves: the grant goes with the sessions.
    let ctx = wecom_idp::lifecycle::Ctx {
        store,
        corp_id: "wwcorp",
        now: env.clock.unix(),
        leaver_account: Default::default(),
        client: None,
        master_key: None,
        back_channel: None,
        actor: None,
    };
    wecom_idp::lifecycle::member_changed(
        &ctx,
        "zhangsan",
        Some(MemberStatus::Active),
        Some(MemberStatus::Left),
        wecom_idp::lifecycle::Trigger::Admin,
    )
    .await
    .unwrap();
    assert_eq!(store.oidc_consent("zhangsan", &id).await.unwrap(), None);
    // The client is deleted: its grants go with it.
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "lisi").await;
    let t = ticket_of(&consent_page(&env, &b, &client, &[]).await);
    answer(&env, &b, &t, "allow").await;
    assert!(store.oidc_consent("lisi", &id).await.unwrap().is_some());
    assert!(store.remove_oidc_client("grafana").await.unwrap());
    assert_eq!(store.oidc_consent("lisi", &id).await.unwrap(), None);
}
crate::both_dbs!(
    grants_removed,
    grants_go_with_the_client_and_with_the_member
);

async fn the_page_speaks_the_members_language(env: Env) {
    let (client, _) = add_client(&env, "grafana", &[("consent", "on")]).await;
    for (lang, title, allow) in [
        ("en-US,en", "Allow this app?", ">Allow<"),
        ("zh-CN,zh", "允许此应用？", ">允许<"),
    ] {
        let mut b = env.browser(WXWORK_UA);
        b.accept_language = Some(lang.into());
        env.wecom_client_login(&b, "zhangsan").await;
        let page = consent_page(&env, &b, &client, &[]).await;
        assert!(page.body.contains(title), "{lang}: {}", page.body);
        assert!(page.body.contains(allow), "{lang}: {}", page.body);
    }
    // Discovery names prompt=consent.
    let d: serde_json::Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", env.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(
        d["prompt_values_supported"],
        serde_json::json!(["none", "login", "consent", "select_account"])
    );
}
crate::both_dbs!(languages, the_page_speaks_the_members_language);
