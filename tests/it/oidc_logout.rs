//! OpenID Connect RP-initiated logout (`/oidc/logout`) and an OIDC client's mount address: each
//! refusal is a page and ends nothing, a link without a hint naming this session only asks to
//! confirm (and a link cannot confirm), a hint ends the session, revokes its refresh tokens, runs
//! the SAML Single Logout chain over the session's SAML apps and returns to the registered address
//! with `state`; the mount address sends the browser to the client's login initiation with `iss`.

use crate::both_dbs;
use crate::harness::*;
use crate::oidc::{add_client, code_for, token, RP, VERIFIER};
use wecom_idp::oidc::Client;

const BYE: &str = "https://rp.example/bye";

/// A client with a registered post-logout address, a member signed in to it in `b`: the client,
/// its secret and the tokens of the member's code.
async fn signed_in(env: &Env, b: &Browser, name: &str, userid: &str) -> (Client, String, Tokens) {
    let (client, secret) = add_client(
        env,
        name,
        &[("post_logout_redirect_uris", &format!("{BYE} {RP}"))],
    )
    .await;
    let secret = secret.unwrap();
    let t = tokens_for(env, b, &client, &secret, userid).await;
    (client, secret, t)
}

async fn tokens_for(env: &Env, b: &Browser, c: &Client, secret: &str, userid: &str) -> Tokens {
    let code = code_for(env, b, c, userid).await;
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", RP),
        ("code_verifier", VERIFIER),
    ];
    let (s, t, _) = token(env, Some((c.client_id.as_str(), secret)), &fields).await;
    assert_eq!(s, 200, "{t}");
    Tokens {
        access: t["access_token"].as_str().unwrap().into(),
        id: t["id_token"].as_str().unwrap().into(),
        refresh: t["refresh_token"].as_str().unwrap().into(),
    }
}

struct Tokens {
    access: String,
    id: String,
    refresh: String,
}

/// The status of a refresh with `refresh` (200 while the session lives).
async fn refresh_status(env: &Env, c: &Client, secret: &str, refresh: &str) -> u16 {
    let fields = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    token(env, Some((c.client_id.as_str(), secret)), &fields)
        .await
        .0
}

fn logout_url(env: &Env, pairs: &[(&str, &str)]) -> String {
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{}/oidc/logout?{q}", env.base)
}

/// Whether `b` still has a live session (prompt=none answers with a code).
async fn has_session(env: &Env, b: &Browser, c: &Client) -> bool {
    let p = b
        .get(&crate::oidc::authorize_url(env, c, &[("prompt", "none")]))
        .await;
    p.location.is_some_and(|l| l.contains("code="))
}

/// The hidden fields of the confirmation page.
fn confirm_fields(body: &str) -> Vec<(String, String)> {
    assert!(body.contains("id=\"oidc-logout-confirm\""), "{body}");
    let mut out = Vec::new();
    for (i, _) in body.match_indices("<input type=\"hidden\" name=\"") {
        let rest = &body[i + 27..];
        let name = &rest[..rest.find('"').unwrap()];
        let v = rest.find("value=\"").unwrap() + 7;
        let value = &rest[v..v + rest[v..].find('"').unwrap()];
        out.push((name.to_string(), html_unescape(value)));
    }
    out
}

both_dbs!(refusals_are_pages_and_end_nothing, refusals);
// Rule: a repeated parameter, a hint that is not our ID token, a client_id that is not the hint's
// audience and an unregistered or client-less post_logout_redirect_uri are refused with a page
// (never a redirect), audited, and the session and its refresh token stay.
async fn refusals(env: Env) {
    let b = env.browser(WXWORK_UA);
    let (client, secret, t) = signed_in(&env, &b, "grafana", "zhangsan").await;
    let (other, _) = add_client(&env, "wiki", &[]).await;
    let forged = format!("{}x", &t.id[..t.id.len() - 1]);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("state", "a"), ("state", "b"), ("id_token_hint", &t.id)],
            "repeated_parameter",
        ),
        (vec![("id_token_hint", "not-a-jwt")], "bad_id_token_hint"),
        (vec![("id_token_hint", &forged)], "bad_id_token_hint"),
        (
            vec![
                ("id_token_hint", &t.id),
                ("client_id", other.client_id.as_str()),
            ],
            "client_mismatch",
        ),
        (
            vec![
                ("id_token_hint", &t.id),
                ("post_logout_redirect_uri", "https://evil.example/bye"),
            ],
            "unregistered_post_logout_redirect",
        ),
        (
            vec![
                ("id_token_hint", &t.id),
                ("post_logout_redirect_uri", "https://rp.example/bye/"),
            ],
            "unregistered_post_logout_redirect",
        ),
        (vec![("post_logout_redirect_uri", BYE)], "unknown_client"),
    ];
    for (pairs, reason) in &cases {
        let p = b.get(&logout_url(&env, pairs)).await;
        assert_eq!(p.status, 400, "{reason}: {}", p.body);
        assert_eq!(p.location, None, "{reason}: never a redirect");
        assert_eq!(p.reason().as_deref(), Some(*reason), "{}", p.body);
        // The POST binding refuses the same way.
        let p = b
            .post_form(&format!("{}/oidc/logout", env.base), pairs)
            .await;
        assert_eq!(p.reason().as_deref(), Some(*reason));
    }
    assert!(has_session(&env, &b, &client).await, "nothing was ended");
    assert_eq!(crate::oidc::userinfo(&env, &t.access).await.0, 200);
    assert_eq!(
        refresh_status(&env, &client, &secret, &t.refresh).await,
        200
    );
    let audit = env.audit().await;
    for (_, reason) in &cases {
        assert!(
            audit
                .iter()
                .any(|r| r.event == "logout" && r.result == "refused" && r.reason == *reason),
            "{reason} audited"
        );
    }
}

both_dbs!(a_link_without_a_hint_only_asks, confirm);
// Rule: without a hint naming this browser's session nothing ends until the member confirms with
// the page's POST; the confirmation token in a link, a wrong token, or another member's hint do
// not end the session. Confirmed, the session ends and the browser returns with `state`.
async fn confirm(env: Env) {
    let b = env.browser(WXWORK_UA);
    let (client, secret, t) = signed_in(&env, &b, "grafana", "zhangsan").await;
    let bare = b.get(&format!("{}/oidc/logout", env.base)).await;
    assert_eq!(bare.status, 200, "{}", bare.body);
    assert!(
        bare.body.contains("要退出登录吗"),
        "Chinese by default: {}",
        bare.body
    );
    assert_eq!(bare.header("x-frame-options"), Some("DENY"));
    let pairs = [
        ("client_id", client.client_id.as_str()),
        ("post_logout_redirect_uri", BYE),
        ("state", "s&1"),
    ];
    let page = b.get(&logout_url(&env, &pairs)).await;
    let fields = confirm_fields(&page.body);
    let token = fields
        .iter()
        .find(|(k, _)| k == "confirm")
        .unwrap()
        .1
        .clone();
    assert!(
        fields.contains(&("state".into(), "s&1".into())),
        "{fields:?}"
    );
    // The token in a link, a wrong token, or the token of another session: still asking.
    let mut with_token = pairs.to_vec();
    with_token.push(("confirm", &token));
    let linked = b.get(&logout_url(&env, &with_token)).await;
    assert!(linked.body.contains("id=\"oidc-logout-confirm\""));
    let mut wrong = pairs.to_vec();
    wrong.push(("confirm", "0000"));
    let posted = b
        .post_form(&format!("{}/oidc/logout", env.base), &wrong)
        .await;
    assert!(posted.body.contains("id=\"oidc-logout-confirm\""));
    let lisi = env.browser(WXWORK_UA);
    let (lisi_client, lisi_secret) = add_client(&env, "other", &[]).await;
    let lisi_t = tokens_for(&env, &lisi, &lisi_client, &lisi_secret.unwrap(), "lisi").await;
    let p = lisi
        .post_form(&format!("{}/oidc/logout", env.base), &with_token)
        .await;
    assert!(
        p.body.contains("id=\"oidc-logout-confirm\""),
        "another session's token"
    );
    // lisi's ID token in zhangsan's browser names another session: asked, not ended.
    let p = b
        .get(&logout_url(&env, &[("id_token_hint", &lisi_t.id)]))
        .await;
    assert!(p.body.contains("id=\"oidc-logout-confirm\""));
    assert!(has_session(&env, &b, &client).await, "nothing was ended");
    assert!(has_session(&env, &lisi, &lisi_client).await);
    // The member confirms: the page's form, as the browser posts it.
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let done = b
        .post_form(&format!("{}/oidc/logout", env.base), &form)
        .await;
    assert_eq!(done.status, 302, "{}", done.body);
    assert_eq!(
        done.location.as_deref(),
        Some("https://rp.example/bye?state=s%261")
    );
    assert!(!has_session(&env, &b, &client).await);
    assert_eq!(
        refresh_status(&env, &client, &secret, &t.refresh).await,
        400
    );
    assert!(
        has_session(&env, &lisi, &lisi_client).await,
        "lisi's session stays"
    );
}

both_dbs!(a_hint_ends_the_session_and_tells_the_saml_apps, with_hint);
// Rule: a hint naming this session ends it without asking: the SAML apps of the session get a
// LogoutRequest in the chain, the refresh token is refused afterwards, the audit says
// `oidc_rp_initiated`, and the browser goes to the registered address with `state`.
async fn with_hint(env: Env) {
    env.add_app("wiki", &[]).await;
    let b = env.browser(WXWORK_UA);
    let form = env.login_in_client(&b, "wiki", "zhangsan").await;
    let wiki_name_id = Saml::of(&form).name_id();
    let (client, secret, t) = signed_in(&env, &b, "grafana", "zhangsan").await;
    let pairs = [
        ("id_token_hint", t.id.as_str()),
        ("post_logout_redirect_uri", BYE),
        ("state", "xyz"),
    ];
    let page = b.get(&logout_url(&env, &pairs)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    // The chain's page tells wiki in its frame (HTTP-Redirect, signed by us).
    let marker = "id=\"slo-frame\" src=\"";
    let i = page
        .body
        .find(marker)
        .unwrap_or_else(|| panic!("{}", page.body))
        + marker.len();
    let frame = html_unescape(&page.body[i..i + page.body[i..].find('"').unwrap()]);
    assert!(
        frame.starts_with("https://sp.example/wiki/slo?SAMLRequest="),
        "{frame}"
    );
    let q = url::Url::parse(&frame).unwrap();
    let req = q.query_pairs().find(|(k, _)| k == "SAMLRequest").unwrap().1;
    let deflated =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, req.as_bytes()).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::DeflateDecoder::new(&deflated[..]),
        &mut xml,
    )
    .unwrap();
    assert!(
        xml.contains("LogoutRequest") && xml.contains(&wiki_name_id),
        "{xml}"
    );
    // Ended already: the grant is revoked (userinfo refuses the access token, which would outlive
    // the session otherwise), refresh refused, prompt=none finds nothing.
    assert_eq!(crate::oidc::userinfo(&env, &t.access).await.0, 401);
    assert_eq!(
        refresh_status(&env, &client, &secret, &t.refresh).await,
        400
    );
    assert!(!has_session(&env, &b, &client).await);
    // wiki never answers: the page's timer moves on, and the chain ends at the client.
    let marker = "http-equiv=\"refresh\" content=\"";
    let i = page.body.find(marker).unwrap() + marker.len();
    let refresh = html_unescape(&page.body[i..i + page.body[i..].find('"').unwrap()]);
    let next = refresh.split_once(";url=").unwrap().1;
    let done = b.get(next).await;
    assert_eq!(done.status, 302, "{}", done.body);
    assert_eq!(
        done.location.as_deref(),
        Some("https://rp.example/bye?state=xyz")
    );
    let audit = env.audit().await;
    assert!(audit.iter().any(|r| r.event == "logout"
        && r.reason == "oidc_rp_initiated"
        && r.userid.as_deref() == Some("zhangsan")));
    assert!(audit.iter().any(|r| r.event == "slo_request"
        && r.reason == "sent_to_sp"
        && r.app.as_deref() == Some("wiki")));
    // The same hint again, with no session left: straight back to the client.
    let again = b.get(&logout_url(&env, &pairs)).await;
    assert_eq!(
        again.location.as_deref(),
        Some("https://rp.example/bye?state=xyz")
    );
    // Without a return address: the signed-out page.
    let b2 = env.browser(WXWORK_UA);
    let t2 = tokens_for(&env, &b2, &client, &secret, "zhangsan").await;
    let p = b2
        .get(&logout_url(&env, &[("id_token_hint", &t2.id)]))
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("id=\"signed-out\""), "{}", p.body);
    let d: serde_json::Value =
        reqwest::get(format!("{}/.well-known/openid-configuration", env.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(
        d["end_session_endpoint"],
        format!("{}/oidc/logout", env.base)
    );
}

both_dbs!(an_oidc_clients_mount_address_starts_its_login, mount);
// Rule: an OIDC client's mount address redirects to its initiate_login_uri with `iss` exactly our
// issuer and a target_link_uri only under the client's registered origins; without one, to the
// first redirect URI's origin; an unknown name is still refused.
async fn mount(env: Env) {
    add_client(
        &env,
        "grafana",
        &[("initiate_login_uri", "https://rp.example/login")],
    )
    .await;
    add_client(&env, "plain", &[]).await;
    let b = env.browser(CHROME_UA);
    let start = |app: &str, q: &str| format!("{}/apps/{app}/start{q}", env.base);
    let p = b.get(&start("grafana", "")).await;
    assert!(matches!(p.status, 302 | 303), "{}", p.body);
    let u = url::Url::parse(p.location.as_deref().unwrap()).unwrap();
    assert_eq!(&u[..url::Position::AfterPath], "https://rp.example/login");
    let pairs: Vec<(String, String)> = u.query_pairs().into_owned().collect();
    assert_eq!(pairs, [("iss".to_string(), env.base.clone())]);
    let target = "https://rp.example/d/42?x=1";
    let q = format!("?target_link_uri={}", enc(target));
    let u = url::Url::parse(
        b.get(&start("grafana", &q))
            .await
            .location
            .as_deref()
            .unwrap(),
    )
    .unwrap();
    let pairs: Vec<(String, String)> = u.query_pairs().into_owned().collect();
    assert_eq!(
        pairs,
        [
            ("iss".to_string(), env.base.clone()),
            ("target_link_uri".to_string(), target.to_string())
        ]
    );
    let q = format!("?target_link_uri={}", enc("https://evil.example/"));
    let loc = b.get(&start("grafana", &q)).await.location.unwrap();
    assert!(
        !loc.contains("target_link_uri") && !loc.contains("evil"),
        "{loc}"
    );
    let p = b.get(&start("plain", "")).await;
    assert_eq!(p.location.as_deref(), Some("https://rp.example/"));
    let p = b.get(&start("nope", "")).await;
    assert_eq!(p.reason().as_deref(), Some("unknown_app"));
    assert_eq!(p.location, None);
}

both_dbs!(app_show_prints_the_logout_return_and_the_mount_target, show);
// Rule: `app show` of an OIDC client prints its post-logout redirect URIs, the mount address with
// `mode:` and where the mount address sends the member.
async fn show(env: Env) {
    let vars = shell(&env);
    let (ok, out) = run_shell(
        &vars,
        &[
            "app",
            "add",
            "grafana",
            "--oidc",
            "--redirect-uri",
            RP,
            "--set",
            &format!("post_logout_redirect_uris={BYE}"),
            "--set",
            "initiate_login_uri=https://rp.example/login",
        ],
    )
    .await;
    assert!(ok, "{out}");
    let (ok, out) = run_shell(&vars, &["app", "show", "grafana"]).await;
    assert!(ok, "{out}");
    assert!(out.contains(&format!("post-logout uri: {BYE}")), "{out}");
    assert!(out.contains("mode: idp-initiated"), "{out}");
    assert!(
        out.contains("login starts at: https://rp.example/login"),
        "{out}"
    );
    let (ok, out) = run_shell(
        &vars,
        &[
            "app",
            "set",
            "grafana",
            "--set",
            "post_logout_redirect_uris=http://rp.example/bye",
        ],
    )
    .await;
    assert!(!ok && out.contains("post_logout_redirect_uris"), "{out}");
}

both_dbs!(the_confirmation_and_its_refusal_are_audited, confirm_audit);
// Rule: a member's confirmation is audited `oidc_rp_confirmed` (a hint's logout stays
// `oidc_rp_initiated`); a POST whose confirmation token is not this session's page's is audited
// refused `logout_confirm_mismatch` and ends nothing; an RP's POST without any token only asks.
async fn confirm_audit(env: Env) {
    let b = env.browser(WXWORK_UA);
    let (client, _, _) = signed_in(&env, &b, "grafana", "zhangsan").await;
    let pairs = [("client_id", client.client_id.as_str())];
    let fields = confirm_fields(&b.get(&logout_url(&env, &pairs)).await.body);
    let at = format!("{}/oidc/logout", env.base);
    let mismatches = |rows: &[wecom_idp::store::AuditRow]| {
        rows.iter()
            .filter(|r| {
                r.event == "logout"
                    && r.result == "refused"
                    && r.reason == "logout_confirm_mismatch"
                    && r.userid.as_deref() == Some("zhangsan")
            })
            .count()
    };
    // No token: an RP's logout request by POST; asked, nothing audited as refused.
    let p = b.post_form(&at, &pairs).await;
    assert!(p.body.contains("id=\"oidc-logout-confirm\""));
    assert_eq!(mismatches(&env.audit().await), 0);
    // A wrong token, then the right one twice: refused and audited, the session stays.
    let mut wrong = pairs.to_vec();
    wrong.push(("confirm", "0000"));
    let p = b.post_form(&at, &wrong).await;
    assert!(p.body.contains("id=\"oidc-logout-confirm\""));
    let token = fields
        .iter()
        .find(|(k, _)| k == "confirm")
        .unwrap()
        .1
        .clone();
    let mut twice = pairs.to_vec();
    twice.extend([("confirm", token.as_str()), ("confirm", token.as_str())]);
    let p = b.post_form(&at, &twice).await;
    assert!(p.body.contains("id=\"oidc-logout-confirm\""));
    assert_eq!(mismatches(&env.audit().await), 2);
    assert!(has_session(&env, &b, &client).await, "nothing was ended");
    // Confirmed: ended and audited as the member's confirmation.
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let done = b.post_form(&at, &form).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(!has_session(&env, &b, &client).await);
    let rows = env.audit().await;
    assert!(rows.iter().any(|r| r.event == "logout"
        && r.result == "success"
        && r.reason == "oidc_rp_confirmed"
        && r.userid.as_deref() == Some("zhangsan")));
    assert!(!rows.iter().any(|r| r.reason == "oidc_rp_initiated"));
}
