//! Member pages speak to members, and the admin reads the rest: every refusal page is one plain
//! sentence from the catalogue (`wecom_idp::text`) plus a reference; the WeCom errcode, the status
//! and the setting at fault go to the audit row, which the console shows with labels in the admin's
//! language. Also: the catalogue is complete (both languages, every reason and event in the code),
//! the shared stylesheet splits no words and meets WCAG AA contrast, destructive console actions
//! ask first and say what they did.

use crate::both_dbs;
use crate::harness::*;
use crate::wecom_login::{assert_refused, callback_url};
use std::path::{Path, PathBuf};
use wecom_idp::text::{self, MEMBER_PAGES};

// ---- the catalogue ----

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[test]
// Rule: every text of the catalogue exists in English and in Chinese (and each is in its language).
fn every_catalogue_entry_has_both_languages() {
    let all = text::all();
    assert!(
        all.len() > 150,
        "the catalogue is read whole: {}",
        all.len()
    );
    for (what, t) in &all {
        assert!(!t.en.trim().is_empty(), "{what}: no English");
        assert!(!t.zh.trim().is_empty(), "{what}: no Chinese");
        assert!(
            !has_cjk(t.en),
            "{what}: Chinese in the English text {:?}",
            t.en
        );
        assert!(
            has_cjk(t.zh),
            "{what}: the Chinese text is not Chinese: {:?}",
            t.zh
        );
    }
    let mut keys: Vec<&str> = MEMBER_PAGES.iter().map(|p| p.key).collect();
    keys.sort_unstable();
    let n = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), n, "a member page key twice");
}

#[test]
// Rule: a member page says nothing aimed at the administrator: no command, no setting name, no
// backtick, no "get activated" (a leaver reads the same page), one sentence.
fn member_pages_say_nothing_for_the_admin() {
    for p in MEMBER_PAGES {
        for s in [p.title.en, p.title.zh, p.sentence.en, p.sentence.zh] {
            for bad in [
                "`",
                "wecom-idp",
                "--set",
                "[wecom]",
                "secret",
                "Secret",
                "agent_id",
                "corp_id",
                "errcode",
                "activate",
                "激活",
                "relay_state",
                "role_rules",
                "NameID",
            ] {
                assert!(!s.contains(bad), "page {}: {bad:?} in {s:?}", p.key);
            }
        }
        let sentences = p.sentence.en.matches(". ").count();
        assert_eq!(
            sentences, 0,
            "page {}: one sentence: {:?}",
            p.key, p.sentence.en
        );
        assert_eq!(
            p.sentence.zh.matches('。').count(),
            1,
            "page {}: one sentence: {:?}",
            p.key,
            p.sentence.zh
        );
    }
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir` with its text, tests cut off (they name made-up reasons).
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(sources(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            let s = std::fs::read_to_string(&p).unwrap();
            let s = s.split("#[cfg(test)]").next().unwrap_or("").to_string();
            out.push((p, s));
        }
    }
    out
}

/// The identifier-like string literal starting right after `at` (spaces and newlines skipped).
fn literal_at(s: &str, at: usize) -> Option<&str> {
    let rest = s.get(at..)?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    let lit = &rest[..end];
    (!lit.is_empty()
        && lit.starts_with(|c: char| c.is_ascii_lowercase())
        && lit
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
    .then_some(lit)
}

/// Literals right after each occurrence of `token`.
fn after<'a>(s: &'a str, token: &str) -> Vec<&'a str> {
    s.match_indices(token)
        .filter_map(|(i, _)| literal_at(s, i + token.len()))
        .collect()
}

/// Literals after `StatusCode::NAME,` / `Http::NAME,` (a page's or an API error's reason).
fn after_status(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for prefix in ["StatusCode::", "Http::"] {
        for (i, _) in s.match_indices(prefix) {
            let rest = &s[i + prefix.len()..];
            let name_len = rest
                .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
                .unwrap_or(0);
            if name_len > 0 && rest[name_len..].starts_with(',') {
                if let Some(l) = literal_at(s, i + prefix.len() + name_len + 1) {
                    out.push(l);
                }
            }
        }
    }
    out
}

/// Literals in the arms of `fn reason(&self) -> &'static str` bodies.
fn reason_fns(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for (i, _) in s.match_indices("fn reason(") {
        let body = &s[i..];
        let end = body.find("\n    }\n").unwrap_or(body.len());
        out.extend(after(&body[..end], "=> "));
    }
    out
}

#[test]
// Rule: every reason code and audit event the code uses has an entry in the catalogue, and every
// reason a member page is made with has its sentence. (The scan finds them where the code names
// them: page constructors, audit calls, `fn reason` tables, events by their prefixes.)
fn every_reason_and_event_in_the_code_has_an_entry() {
    let mut pages = Vec::new();
    let mut reasons = Vec::new();
    let mut events = Vec::new();
    // The catalogue itself lists results beside one another; it is what the scan checks against.
    let scanned = sources(&src_dir())
        .into_iter()
        .filter(|(p, _)| !p.ends_with("text.rs"));
    for (path, s) in scanned {
        for token in ["WebError::member(", "state_refused("] {
            // `WebError::member(StatusCode::X, "reason")`: the status comes first.
            for (i, _) in s.match_indices(token) {
                let rest = &s[i + token.len()..];
                let start = rest.find(['"', ')']).unwrap_or(0);
                if let Some(l) = literal_at(rest, start) {
                    pages.push((path.clone(), l.to_string()));
                }
            }
        }
        let mut r: Vec<&str> = after_status(&s);
        for token in [
            "invalid_request_page(",
            "bad_request(",
            "forbidden_page(",
            "\"refused\",",
            "\"success\",",
            "\"error\",",
            "reason: ",
        ] {
            r.extend(after(&s, token));
        }
        r.extend(reason_fns(&s));
        // A list of results (`"refused", "error"`) is not a reason.
        r.retain(|l| !["success", "refused", "error"].contains(l));
        reasons.extend(r.into_iter().map(|l| (path.clone(), l.to_string())));
        for (i, _) in s.match_indices('"') {
            if let Some(l) = literal_at(&s, i) {
                let eventish = ["app_", "user_", "key_", "token_", "admin_", "settings_"]
                    .iter()
                    .any(|p| l.starts_with(p));
                // Settings keys, WeCom API fields and reasons share the prefixes.
                let not_events = [
                    "user_ticket",
                    "admin_change",
                    "key_file",
                    "app_name",
                    "user_id",
                    "token_url",
                    // OIDC discovery fields and a column.
                    "token_endpoint",
                    "token_endpoint_auth_methods_supported",
                    "token_hash",
                ];
                if eventish && !not_events.contains(&l) && !l.ends_with('_') {
                    events.push((path.clone(), l.to_string()));
                }
            }
        }
    }
    assert!(
        pages.len() >= 30,
        "the scan finds the member pages: {pages:?}"
    );
    assert!(
        reasons.len() >= 80,
        "the scan finds the reasons: {}",
        reasons.len()
    );
    assert!(events.len() >= 25, "the scan finds the events: {events:?}");
    let missing_pages: Vec<_> = pages
        .iter()
        .filter(|(_, r)| text::member_page(r).is_none())
        .collect();
    assert!(
        missing_pages.is_empty(),
        "member pages without a sentence: {missing_pages:?}"
    );
    let missing: Vec<_> = pages
        .iter()
        .chain(&reasons)
        .filter(|(_, r)| !text::has_reason(r))
        .collect();
    assert!(missing.is_empty(), "reasons without a label: {missing:?}");
    let missing: Vec<_> = events.iter().filter(|(_, e)| !text::has_event(e)).collect();
    assert!(missing.is_empty(), "events without a label: {missing:?}");
}

#[test]
// Rule: the routes members reach build their pages from the catalogue only, never from texts of
// their own (where admin advice crept in before).
fn member_routes_use_only_the_catalogue() {
    let http = src_dir().join("http");
    for e in std::fs::read_dir(&http).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        // The demo's own pages are for whoever runs the demo; error.rs is the page error type
        // itself (where these builders are defined), no route.
        if p.is_dir() || name == "demo.rs" || name == "error.rs" {
            continue;
        }
        let s = std::fs::read_to_string(&p).unwrap();
        for bad in ["WebError::new(", "WebError::bad_request(", ".with_fix("] {
            assert!(!s.contains(bad), "{name} builds a page with {bad}");
        }
    }
}

// ---- the pages ----

/// The page's visible text (tags dropped), for "does the member read X".
fn visible(page: &Page) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in page.body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    html_unescape(&out)
}

fn detail_of(env_rows: &[wecom_idp::store::AuditRow], reason: &str) -> serde_json::Value {
    let row = env_rows
        .iter()
        .find(|r| r.reason == reason && r.result == "refused")
        .unwrap_or_else(|| panic!("no refused row for {reason}: {env_rows:?}"));
    serde_json::from_str(row.detail.as_deref().unwrap_or("null")).unwrap()
}

both_dbs!(wecom_errors_tell_the_member_one_sentence, wecom_errors);
// Rule: a WeCom set-up error (60020, untrusted IP) shows the member one sentence and a reference, in
// their language, nothing about IPs or errcodes; the audit row keeps the errcode, endpoint and fix.
async fn wecom_errors(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b, "console", "zhangsan").await;
    env.sim.fail_next("user/get", 60020, 1);
    let page = b.get(&url).await;
    assert_refused(&page, 502, "wecom_config");
    let seen = visible(&page);
    let p = text::member_page("wecom_config").unwrap();
    assert!(seen.contains(p.sentence.zh), "{seen}");
    for admin_only in ["可信IP", "IP", "60020", "errcode", "处理办法", "怎么办"] {
        assert!(
            !seen.contains(admin_only),
            "{admin_only:?} on the page: {seen}"
        );
    }
    assert!(seen.contains("参考编号"), "a reference: {seen}");
    let detail = detail_of(&env.audit().await, "wecom_config");
    assert_eq!(detail["errcode"], 60020, "{detail}");
    assert_eq!(detail["endpoint"], "user/get", "{detail}");
    assert!(
        detail["fix"].as_str().unwrap().contains("Trusted IP"),
        "{detail}"
    );
    // English, and the code exchange's own errcode (50001, untrusted domain) is recorded too.
    let mut b = env.browser(WXWORK_UA);
    b.accept_language = Some("en".into());
    let url = callback_url(&env, &b, "console", "zhangsan").await;
    env.sim.fail_next("auth/getuserinfo", 50001, 1);
    let page = b.get(&url).await;
    assert_refused(&page, 502, "wecom_config");
    let seen = visible(&page);
    assert!(seen.contains(p.sentence.en), "{seen}");
    for admin_only in [
        "trusted domain",
        "Web Authorization",
        "50001",
        "errcode",
        "agent",
    ] {
        assert!(
            !seen.contains(admin_only),
            "{admin_only:?} on the page: {seen}"
        );
    }
    let rows = env.audit().await;
    assert!(
        rows.iter().any(|r| r.reason == "wecom_config"
            && r.detail
                .as_deref()
                .is_some_and(|d| d.contains("\"errcode\":50001"))),
        "{rows:?}"
    );
}

both_dbs!(a_leaver_is_not_asked_to_get_activated, leaver);
// Rule: a member who left (status 5) reads a neutral sentence, not "ask to activate your account";
// the status is in the audit row.
async fn leaver(env: Env) {
    env.add_app("console", &[]).await;
    for lang in ["zh-CN", "en"] {
        let mut b = env.browser(WXWORK_UA);
        b.accept_language = Some(lang.into());
        let url = callback_url(&env, &b, "console", "sunqi").await;
        let page = b.get(&url).await;
        assert_refused(&page, 403, "member_not_active");
        let seen = visible(&page);
        for bad in ["activate", "激活", "启用", "left", "退出"] {
            assert!(!seen.contains(bad), "{bad:?}: {seen}");
        }
    }
    let detail = detail_of(&env.audit().await, "member_not_active");
    assert_eq!(detail["wecom_status"], 5, "{detail}");
}

both_dbs!(app_refusals_carry_no_commands, app_refusals);
// Rule: access and role refusals name no app setting, command or backtick; they name the app's
// contact when one is set; the audit row tells the admin what to change.
async fn app_refusals(env: Env) {
    env.add_app("closed", &["access=none"]).await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let page = b.follow(&format!("{}/apps/closed/start", env.base)).await;
    assert_refused(&page, 403, "access_denied");
    let seen = visible(&page);
    for bad in ["`", "wecom-idp", "access=", "closed"] {
        assert!(!seen.contains(bad), "{bad:?}: {seen}");
    }
    assert!(seen.contains(text::member_page("access_denied").unwrap().sentence.zh));
    let detail = detail_of(&env.audit().await, "access_denied");
    assert!(
        detail["error"].as_str().unwrap().contains("access"),
        "{detail}"
    );

    wecom_idp::cli::add_preset_app(
        &env.state.store,
        "tencent",
        "tencent-role",
        None,
        None,
        &[
            "account_id=100012345678".to_string(),
            "provider_name=wecom".to_string(),
            "role_contact=IT 服务台 it@example.com".to_string(),
            "role_rules=user:nobody=Admin".to_string(),
        ],
        &*env.clock,
    )
    .await
    .unwrap();
    let mut b = env.browser(WXWORK_UA);
    b.accept_language = Some("en".into());
    env.wecom_client_login(&b, "zhangsan").await;
    let page = b.follow(&format!("{}/apps/tencent/start", env.base)).await;
    assert_refused(&page, 403, "no_role");
    let seen = visible(&page);
    for bad in ["`", "wecom-idp", "role_rules", "--set"] {
        assert!(!seen.contains(bad), "{bad:?}: {seen}");
    }
    assert!(seen.contains("it@example.com"), "the contact: {seen}");
    let detail = detail_of(&env.audit().await, "no_role");
    assert!(
        detail["error"].as_str().unwrap().contains("role_rules"),
        "{detail}"
    );
}

both_dbs!(the_audit_page_speaks_the_admins_language, audit_page);
// Rule: the console's audit table shows event, result and reason as labels in the admin's language
// (the code beside the reason, to match a member's reference), and the refusal's detail.
async fn audit_page(env: Env) {
    env.add_app("console", &[]).await;
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b, "console", "zhangsan").await;
    env.sim.fail_next("user/get", 60020, 1);
    assert_eq!(b.get(&url).await.status, 502);
    let (mut admin, _) = env.admin_browser("wangwu").await;
    admin.accept_language = Some("zh-CN".into());
    let page = admin
        .get(&format!("{}/admin/audit?result=refused", env.base))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let seen = visible(&page);
    for zh in ["登录", "拒绝", "企业微信配置错误"] {
        assert!(seen.contains(zh), "{zh}: {seen}");
    }
    assert!(seen.contains("wecom_config"), "the code too");
    assert!(seen.contains("60020"), "the errcode in the detail: {seen}");
    assert!(!seen.contains("refused"), "no English result label: {seen}");
    admin.accept_language = Some("en".into());
    let page = admin
        .get(&format!("{}/admin/audit?result=refused", env.base))
        .await;
    let seen = visible(&page);
    for en in ["sign-in", "refused", "WeCom set-up error"] {
        assert!(seen.contains(en), "{en}: {seen}");
    }
    assert!(
        page.body.contains("<td class=\"nowrap\">"),
        "time, event, result do not wrap"
    );
    // The detail has the table's whole width, on its own line under the row.
    assert!(page.body.contains("<td colspan=\"8\" class=\"detail\">"));
}

// ---- the stylesheet ----

/// The colour value of `property` in the first rule whose selector list starts with `selector`.
fn css_colour(css: &str, selector: &str, property: &str) -> String {
    let line = css
        .lines()
        .find(|l| l.trim_start().starts_with(selector))
        .unwrap_or_else(|| panic!("no rule {selector}"));
    let decl = line
        .split(';')
        .find(|d| {
            d.split(':')
                .next()
                .is_some_and(|k| k.trim().trim_start_matches('{').trim().ends_with(property))
                && d.contains('#')
        })
        .unwrap_or_else(|| panic!("{selector} has no {property}: {line}"));
    let i = decl.find('#').unwrap();
    let hex: String = decl[i + 1..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    match hex.len() {
        3 => hex.chars().flat_map(|c| [c, c]).collect(),
        6 => hex,
        _ => panic!("{selector} {property}: {decl}"),
    }
}

fn luminance(hex: &str) -> f64 {
    let c: Vec<f64> = (0..3)
        .map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).unwrap() as f64 / 255.0)
        .map(|x| {
            if x <= 0.03928 {
                x / 12.92
            } else {
                ((x + 0.055) / 1.055).powf(2.4)
            }
        })
        .collect();
    0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
}

fn contrast(a: &str, b: &str) -> f64 {
    let (a, b) = (luminance(a), luminance(b));
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

both_dbs!(stylesheet_splits_no_words_and_meets_aa, stylesheet);
// Rule: no global `word-break: break-all` (it split Time/Event/User to one character a line); long
// values wrap only inside cells' code; muted text and primary buttons reach 4.5:1 (WCAG AA).
async fn stylesheet(env: Env) {
    let b = env.browser(WXWORK_UA);
    let css = b.get(&format!("{}/static/style.css", env.base)).await.body;
    let admin_css = b.get(&format!("{}/static/admin.css", env.base)).await.body;
    for s in [&css, &admin_css] {
        assert!(!s.contains("break-all"), "{s}");
    }
    assert!(css.contains("td code, td.wrap { overflow-wrap: anywhere; }"));
    let background = css_colour(&css, "body", "background");
    let card = "ffffff";
    let muted = css_colour(&css, ".muted", "color");
    assert!(contrast(&muted, card) >= 4.5, "muted on a card: {muted}");
    assert!(
        contrast(&muted, &background) >= 4.5,
        "muted on the page: {muted}"
    );
    let reference = css_colour(&css, ".ref", "color");
    assert!(contrast(&reference, card) >= 4.5, "reference: {reference}");
    let button = css_colour(&css, "button, .button", "background");
    let text = css_colour(&css, "button, .button", "color");
    assert!(
        contrast(&text, &button) >= 4.5,
        "primary button {text} on {button}"
    );
    // Muted text on the dark top bar (the signed-in admin's name).
    let bar = css_colour(&admin_css, ".topbar {", "background");
    let bar_muted = css_colour(&admin_css, ".topbar .muted", "color");
    assert!(
        contrast(&bar_muted, &bar) >= 4.5,
        "top bar {bar_muted} on {bar}"
    );
    let done = css_colour(&admin_css, "button.copy.done", "color");
    let done_bg = css_colour(&admin_css, "button.copy.done", "background");
    assert!(
        contrast(&done, &done_bg) >= 4.5,
        "copied button {done} on {done_bg}"
    );
}

// ---- the bind page ----

/// A server whose binding policy shows the bind page to an unmatched member.
async fn bind_env(db: Db) -> Option<Env> {
    let dir = tempfile::tempdir().unwrap();
    let url = match db {
        Db::Sqlite => format!("sqlite://{}", dir.path().join("idp.sqlite").display()),
        Db::Postgres => Env::postgres_url().await?,
    };
    Some(
        Env::start_with(db, url, dir, |c: &mut wecom_idp::config::Config| {
            c.binding.auto_bind = false;
            c.binding.when_unmatched = "bind_or_create".into();
        })
        .await,
    )
}

async fn bind_page_body(db: Db) {
    let Some(env) = bind_env(db).await else {
        return;
    };
    env.add_app("app", &[]).await;
    for (lang, intro) in [("zh-CN", "关联你的账号"), ("en", "Link your account")] {
        let mut b = env.browser(WXWORK_UA);
        b.accept_language = Some(lang.into());
        env.wecom_client_login(&b, "lisi").await;
        let page = b.follow(&format!("{}/apps/app/start", env.base)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains(intro), "{}", page.body);
        // Every field has its own label, the page is laid out by the stylesheet.
        for id in ["bind-username", "bind-password", "bind-code"] {
            assert!(page.body.contains(&format!("<label for=\"{id}\">")), "{id}");
            assert!(page.body.contains(&format!("id=\"{id}\"")), "{id}");
        }
        assert!(page.body.contains("<legend>"), "{}", page.body);
        assert!(page.body.contains("class=\"card bind\""));
        assert!(page.body.contains("class=\"stack\""));
        assert!(!visible(&page).contains('`'));
        // A wrong password: a plain sentence on the same page, in the member's language.
        let token = page.body.split("name=\"token\" value=\"").nth(1).unwrap();
        let token = &token[..token.find('"').unwrap()];
        let p = b
            .post_form(
                &format!("{}/bind", env.base),
                &[
                    ("token", token),
                    ("method", "password"),
                    ("username", "nobody"),
                    ("password", "x"),
                ],
            )
            .await;
        assert_eq!(p.status, 401, "{}", p.body);
        assert!(p.body.contains("id=\"bind-error\""), "{}", p.body);
    }
    let css = env
        .browser(WXWORK_UA)
        .get(&format!("{}/static/style.css", env.base))
        .await
        .body;
    assert!(css.contains("form.stack label"), "the bind page's layout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Rule: the bind page is a styled form with a label for every field, in the member's language.
async fn bind_page_is_labelled_and_styled_sqlite() {
    bind_page_body(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bind_page_is_labelled_and_styled_postgres() {
    bind_page_body(Db::Postgres).await;
}

// ---- the console ----

both_dbs!(
    destructive_console_actions_confirm_and_report,
    confirm_and_report
);
// Rule: Remove admin and Revoke token ask for confirmation before submitting and say what they did
// afterwards; an error names no field key; the CSV textarea has a label.
async fn confirm_and_report(env: Env) {
    let (mut b, csrf) = env.admin_browser("zhangsan").await;
    b.accept_language = Some("en".into());
    let access = format!("{}/admin/access", env.base);
    let p = b
        .post_form(
            &format!("{access}/admins"),
            &[("csrf", &csrf), ("userid", "lisi")],
        )
        .await;
    assert_eq!(p.status, 302, "{}", p.body);
    let p = b.get(&format!("{}{}", env.base, p.location.unwrap())).await;
    assert!(p.body.contains("Administrator added."), "{}", p.body);
    env.api_token("ci").await;
    let p = b.get(&access).await;
    assert!(
        p.body.contains(
            "action=\"/admin/access/admins/remove\" data-confirm=\"Remove this administrator?"
        ),
        "{}",
        p.body
    );
    assert!(
        p.body
            .contains("action=\"/admin/access/tokens/revoke\" data-confirm=\"Revoke this token?"),
        "{}",
        p.body
    );
    assert!(
        !p.body.contains("id=\"notice\""),
        "no notice without a change"
    );
    let p = b
        .post_form(
            &format!("{access}/tokens/revoke"),
            &[("csrf", &csrf), ("name", "ci")],
        )
        .await;
    assert_eq!(p.status, 302, "{}", p.body);
    let p = b.get(&format!("{}{}", env.base, p.location.unwrap())).await;
    assert!(p.body.contains("Token revoked"), "{}", p.body);
    b.accept_language = Some("zh-CN".into());
    let p = b
        .post_form(
            &format!("{access}/admins/remove"),
            &[("csrf", &csrf), ("userid", "lisi")],
        )
        .await;
    assert_eq!(p.status, 302, "{}", p.body);
    let p = b.get(&format!("{}{}", env.base, p.location.unwrap())).await;
    assert!(p.body.contains("已移除管理员"), "{}", p.body);
    // Only known notices: the query is never echoed.
    let p = b.get(&format!("{access}?done=%3Cb%3Ehi")).await;
    assert!(!p.body.contains("id=\"notice\"") && !p.body.contains("<b>hi"));
    // The confirmation script is the console's.
    let js = b.get(&format!("{}/static/admin.js", env.base)).await.body;
    assert!(js.contains("data-confirm") && js.contains("window.confirm"));
    // Copy buttons: green only on success.
    assert!(js.contains(".then(done, failed)"), "{js}");
    // An error names no field key.
    let p = b
        .post_form(
            &format!("{access}/admins"),
            &[("csrf", &csrf), ("userid", "a b")],
        )
        .await;
    assert_eq!(p.status, 400);
    let error = p.body.split("id=\"form-error\"").nth(1).unwrap();
    assert!(!error.contains(">userid:"), "{error}");
    // The CSV textarea is labelled.
    let p = b.get(&format!("{}/admin/users", env.base)).await;
    assert!(p.body.contains("for=\"import-text\""), "{}", p.body);
    assert!(
        p.body.contains("<textarea id=\"import-text\""),
        "{}",
        p.body
    );
}
