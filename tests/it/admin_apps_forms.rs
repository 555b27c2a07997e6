//! The console's app forms as an admin uses them: the settings form (labelled fields with current
//! values, choices and toggles, one Save, every refused field marked with all input kept, a saved
//! notice), the preset form (human labels, choices, every mistake at once, a preview before
//! creating, role rules, the console's guide) and the metadata preview's conflict checks (name and
//! entity ID in use, the chosen file kept, the expired-certificate checkbox named). Each test names
//! its rule.

use crate::admin_apps::{cert_b64, nothing_stored, sp, valid_cert};
use crate::both_dbs;
use crate::harness::*;

const HW_ACCOUNT: &str = "0123456789abcdef0123456789abcdef";

fn en(b: &mut Browser) {
    b.accept_language = Some("en-US".into());
}

fn zh(b: &mut Browser) {
    b.accept_language = Some("zh-CN".into());
}

/// The inner text of the element with `id` (up to its first `<`).
fn text_of(body: &str, id: &str) -> String {
    body.split(&format!("id=\"{id}\""))
        .nth(1)
        .and_then(|s| s.split_once('>'))
        .map(|(_, s)| s.split('<').next().unwrap_or("").to_string())
        .unwrap_or_default()
}

fn has_han(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

async fn post(b: &Browser, url: &str, fields: Vec<(String, String)>) -> Page {
    let f: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post_form(url, &f).await
}

both_dbs!(settings_form, settings_form_body);
// Rule: the settings form shows every setting with its current value (choices selected, toggles
// checked, rules in their box); one Save applies only what changed; refused fields are each marked
// beside the field (in Chinese on a Chinese page), nothing is stored and everything typed is kept;
// a successful Save ends on the page with a "Saved" notice.
async fn settings_form_body(env: Env) {
    env.add_app(
        "crm",
        &[
            "nameid_format=email",
            "role_rules=user:zhangsan=Admin;dept:2=Developer",
            "sign_response=false",
        ],
    )
    .await;
    let (mut b, csrf) = env.admin_browser("zhangsan").await;
    en(&mut b);
    let url = format!("{}/admin/apps/crm", env.base);
    let p = b.get(&url).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("NameID format"), "a human label");
    assert!(
        p.body.contains("<option value=\"email\" selected>"),
        "the current choice is selected: {}",
        p.body
    );
    assert!(
        p.body
            .contains(">user:zhangsan=Admin; dept:2=Developer</textarea>"),
        "the current rules are in their box"
    );
    assert!(p.body.contains(
        "id=\"setting-sign_assertion\" name=\"setting.sign_assertion\" value=\"true\" checked"
    ));
    assert!(!p.body.contains(
        "id=\"setting-sign_response\" name=\"setting.sign_response\" value=\"true\" checked"
    ));
    assert_eq!(
        p.body
            .matches("type=\"submit\" id=\"settings-save\"")
            .count(),
        1,
        "one Save"
    );

    // The form as the browser posts it: every field, with the admin's edits.
    let form = |edits: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut v = vec![
            ("csrf".to_string(), csrf.clone()),
            ("setting.nameid_format".into(), "email".into()),
            ("setting.nameid_source".into(), "email".into()),
            ("setting.sign_assertion".into(), "true".into()),
            (
                "setting.attributes".into(),
                "userid, name, department_names=departments, position".into(),
            ),
            ("setting.require_signed_requests".into(), "metadata".into()),
            ("setting.role".into(), "".into()),
            (
                "setting.role_rules".into(),
                "user:zhangsan=Admin; dept:2=Developer".into(),
            ),
            ("setting.role_mode".into(), "first".into()),
            ("setting.role_contact".into(), "".into()),
            ("setting.relay_state_domains".into(), "".into()),
            ("setting.relay_state".into(), "".into()),
            ("setting.relay_state_allow".into(), "".into()),
            ("setting.access".into(), "default".into()),
        ];
        for (k, val) in edits {
            v.retain(|(x, _)| x != k);
            v.push((k.to_string(), val.to_string()));
        }
        v
    };
    let surl = format!("{url}/settings");
    let before = env.state.store.app("crm").await.unwrap().unwrap();

    // Two mistakes and one good change: both marked, nothing stored, all typed text kept.
    let p = post(
        &b,
        &surl,
        form(&[
            ("setting.nameid_format", "bogus"),
            ("setting.role_rules", "user:zhangsan=Admin; nonsense"),
            ("setting.role", "dev"),
        ]),
    )
    .await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(p.body.contains("id=\"error-nameid_format\""), "{}", p.body);
    assert!(p.body.contains("id=\"error-role_rules\""), "{}", p.body);
    assert!(
        p.body.contains(">user:zhangsan=Admin; nonsense</textarea>"),
        "typed rules kept"
    );
    assert!(
        p.body
            .contains("id=\"setting-role\" name=\"setting.role\" value=\"dev\""),
        "typed role kept"
    );
    assert!(p.body.contains("id=\"settings-error\""));
    let after = env.state.store.app("crm").await.unwrap().unwrap();
    assert_eq!(after.settings_json, before.settings_json, "nothing stored");

    // The same refusal on a Chinese page: the errors in Chinese.
    zh(&mut b);
    let p = post(&b, &surl, form(&[("setting.role_rules", "nonsense")])).await;
    assert_eq!(p.status, 400);
    let e = text_of(&p.body, "error-role_rules");
    assert!(has_han(&e), "{e}");
    assert!(p.body.contains("角色规则"), "the label in Chinese");
    en(&mut b);

    // Both signatures off: refused together, beside the field.
    let mut f = form(&[]);
    f.retain(|(k, _)| k != "setting.sign_assertion");
    let p = post(&b, &surl, f).await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(p.body.contains("id=\"error-sign_assertion\""), "{}", p.body);

    // A good Save: only the changed fields, then the notice.
    let p = post(
        &b,
        &surl,
        form(&[("setting.role", "dev"), ("setting.role_mode", "union")]),
    )
    .await;
    assert_eq!(p.status, 302, "{}", p.body);
    let to = p.location.clone().unwrap();
    assert_eq!(to, "/admin/apps/crm?saved=settings#settings");
    let p = b
        .get(&format!("{}{}", env.base, to.trim_end_matches("#settings")))
        .await;
    assert!(p.body.contains("id=\"settings-saved\""), "{}", p.body);
    assert!(p
        .body
        .contains("id=\"setting-role\" name=\"setting.role\" value=\"dev\""));
    let app =
        wecom_idp::apps::App::from_row(env.state.store.app("crm").await.unwrap().unwrap()).unwrap();
    assert_eq!(app.settings.roles.default_role.as_deref(), Some("dev"));
    assert_eq!(
        app.settings.roles.mode,
        wecom_idp::identity::roles::RoleMode::Union
    );
    assert_eq!(
        app.settings.roles.rules.len(),
        2,
        "untouched rules unchanged"
    );
    assert!(!app.settings.sign_response, "untouched toggle unchanged");

    // A preset's value the text box cannot carry is shown read-only and never rewritten.
    env.add_app("tpl", &["attribute=Role=template:a,{userid}"])
        .await;
    let p = b.get(&format!("{}/admin/apps/tpl", env.base)).await;
    assert!(
        p.body
            .contains("<textarea id=\"setting-attributes\" rows=\"3\" readonly>"),
        "{}",
        p.body
    );
    let before = env.state.store.app("tpl").await.unwrap().unwrap();
    let f = vec![
        ("csrf".to_string(), csrf.clone()),
        ("setting.attributes".into(), "userid".into()),
        ("setting.sign_response".into(), "true".into()),
        ("setting.sign_assertion".into(), "true".into()),
    ];
    let p = post(&b, &format!("{}/admin/apps/tpl/settings", env.base), f).await;
    assert_eq!(
        p.location.as_deref(),
        Some("/admin/apps/tpl?saved=unchanged#settings")
    );
    let after = env.state.store.app("tpl").await.unwrap().unwrap();
    assert_eq!(after.settings_json, before.settings_json);

    // An untouched form changes nothing and says so.
    let p = post(
        &b,
        &surl,
        form(&[("setting.role", "dev"), ("setting.role_mode", "union")]),
    )
    .await;
    assert_eq!(
        p.location.as_deref(),
        Some("/admin/apps/crm?saved=unchanged#settings")
    );
}

both_dbs!(preset_form, preset_form_body);
// Rule: a preset form has human labels (no `key *`), help in words (no pattern), choices for fixed
// values and a link to the console's guide; all its mistakes are reported at once beside their
// fields with the input kept; a correct form shows a preview (nothing stored) whose Save creates the
// app; a role preset has a role_rules field and asks for a role in console words.
async fn preset_form_body(env: Env) {
    let (mut b, csrf) = env.admin_browser("zhangsan").await;
    en(&mut b);
    let p = b
        .get(&format!("{}/admin/apps/new?preset=huawei", env.base))
        .await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("Account ID") && p.body.contains("Identity provider name"));
    assert!(
        !p.body.contains("account_id *") && !p.body.contains("^[\\w"),
        "{}",
        p.body
    );
    assert!(p
        .body
        .contains("<select id=\"param-sso_type\" name=\"param.sso_type\">"));
    assert!(p.body.contains("href=\"/admin/apps/guide/huawei\""));
    let g = b
        .get(&format!("{}/admin/apps/guide/huawei", env.base))
        .await;
    assert_eq!(g.status, 200);
    assert!(g.body.contains("华为云"));

    let preview = format!("{}/admin/apps/new/preview", env.base);
    // Two mistakes at once.
    let p = b
        .post_multipart(
            &preview,
            &[
                ("csrf", None, csrf.as_bytes()),
                ("preset", None, b"huawei"),
                ("name", None, b"hw"),
                ("param.account_id", None, b"12345"),
                ("param.provider_name", None, b"bad name!"),
                ("param.sso_type", None, b"virtual"),
            ],
        )
        .await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(
        p.body.contains("id=\"error-param-account_id\""),
        "{}",
        p.body
    );
    assert!(
        p.body.contains("id=\"error-param-provider_name\""),
        "{}",
        p.body
    );
    assert!(p.body.contains("value=\"bad name!\""), "typed input kept");
    let e = text_of(&p.body, "error-param-provider_name");
    assert!(e.contains("1 to 64 letters") && !e.contains("^["), "{e}");
    nothing_stored(&env).await;

    // Fixed: a preview of what would be made, nothing stored.
    let p = b
        .post_multipart(
            &preview,
            &[
                ("csrf", None, csrf.as_bytes()),
                ("preset", None, b"huawei"),
                ("name", None, b"hw"),
                ("param.account_id", None, HW_ACCOUNT.as_bytes()),
                ("param.provider_name", None, b"wecom"),
                ("param.sso_type", None, b"virtual"),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(
        text_of(&p.body, "preview-entity-id"),
        "https://auth.huaweicloud.com/"
    );
    assert!(p
        .body
        .contains("name=\"param.provider_name\" value=\"wecom\""));
    nothing_stored(&env).await;
    // Save: the hidden fields create the app.
    let p = b
        .post_multipart(
            &format!("{}/admin/apps/new", env.base),
            &[
                ("csrf", None, csrf.as_bytes()),
                ("preset", None, b"huawei"),
                ("name", None, b"hw"),
                ("param.account_id", None, HW_ACCOUNT.as_bytes()),
                ("param.provider_name", None, b"wecom"),
                ("param.sso_type", None, b"virtual"),
                ("metadata_xml", None, b""),
            ],
        )
        .await;
    assert_eq!(p.status, 302, "{}", p.body);
    assert!(env.state.store.app("hw").await.unwrap().is_some());

    // The same console again: the name and the entity ID are both taken, said at once.
    let p = b
        .post_multipart(
            &preview,
            &[
                ("csrf", None, csrf.as_bytes()),
                ("preset", None, b"huawei"),
                ("name", None, b"hw"),
                ("param.account_id", None, HW_ACCOUNT.as_bytes()),
                ("param.provider_name", None, b"wecom"),
            ],
        )
        .await;
    assert_eq!(p.status, 400);
    assert!(
        p.body.contains("id=\"error-name\"") && p.body.contains("id=\"error-entity_id\""),
        "{}",
        p.body
    );

    // A role preset: a role_rules field, and the missing role said in console words.
    let p = b
        .get(&format!("{}/admin/apps/new?preset=tencent-role", env.base))
        .await;
    assert!(p.body.contains("name=\"setting.role_rules\""));
    assert!(p
        .body
        .contains("<select id=\"param-site\" name=\"param.site\">"));
    let p = b
        .post_multipart(
            &preview,
            &[
                ("csrf", None, csrf.as_bytes()),
                ("preset", None, b"tencent-role"),
                ("name", None, b"tc"),
                ("param.account_id", None, b"100012345678"),
                ("param.provider_name", None, b"wecom"),
            ],
        )
        .await;
    assert_eq!(p.status, 400, "{}", p.body);
    let e = text_of(&p.body, "error-param-role");
    assert!(e.contains("role rules") && !e.contains("--set"), "{e}");
    // A bad parameter and no role: both said at once.
    let p = b
        .post_multipart(
            &preview,
            &[
                ("csrf", None, csrf.as_bytes()),
                ("preset", None, b"tencent-role"),
                ("name", None, b"tc"),
                ("param.account_id", None, b"12"),
                ("param.provider_name", None, b"wecom"),
            ],
        )
        .await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(
        p.body.contains("id=\"error-param-account_id\""),
        "{}",
        p.body
    );
    assert!(p.body.contains("id=\"error-param-role\""), "{}", p.body);
    // With rules instead of a role: previewed.
    let p = b
        .post_multipart(
            &preview,
            &[
                ("csrf", None, csrf.as_bytes()),
                ("preset", None, b"tencent-role"),
                ("name", None, b"tc"),
                ("param.account_id", None, b"100012345678"),
                ("param.provider_name", None, b"wecom"),
                ("setting.role_rules", None, b"dept:1=Admin"),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p
        .body
        .contains("name=\"setting.role_rules\" value=\"dept:1=Admin\""));

    // In Chinese: the errors and the labels in Chinese.
    zh(&mut b);
    let p = b
        .post_multipart(
            &preview,
            &[
                ("csrf", None, csrf.as_bytes()),
                ("preset", None, b"huawei"),
                ("name", None, b"hw2"),
                ("param.account_id", None, b"12345"),
            ],
        )
        .await;
    assert_eq!(p.status, 400);
    for id in ["error-param-account_id", "error-param-provider_name"] {
        let e = text_of(&p.body, id);
        assert!(has_han(&e), "{id}: {e}");
    }
    assert!(p.body.contains("身份提供商名称"));
}

both_dbs!(preview_conflicts, preview_conflicts_body);
// Rule: the metadata preview reports a name and an entity ID already in use before Save, each under
// its own field; the chosen file is kept after an error (and used again); the expired-certificate
// error names the checkbox the admin sees.
async fn preview_conflicts_body(env: Env) {
    env.add_app("web", &[]).await;
    let (mut b, csrf) = env.admin_browser("zhangsan").await;
    en(&mut b);
    let url = format!("{}/admin/apps/preview", env.base);
    let same = sp(
        &sp_entity("web"),
        "https://sp.example/web/acs",
        &valid_cert(),
    );
    let p = b
        .post_multipart(
            &url,
            &[
                ("csrf", None, csrf.as_bytes()),
                ("name", None, b"web"),
                ("metadata_file", Some("web.xml"), same.as_bytes()),
            ],
        )
        .await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(
        text_of(&p.body, "error-name").contains("already exists"),
        "{}",
        p.body
    );
    assert!(
        text_of(&p.body, "error-entity_id").contains("entity ID"),
        "{}",
        p.body
    );
    assert!(!text_of(&p.body, "error-name").contains("entity ID"));
    // The file is kept: its content rides along, and is used when no other is chosen.
    assert!(p.body.contains("name=\"metadata_kept\""), "{}", p.body);
    assert!(text_of(&p.body, "metadata-kept").contains("kept"));
    let kept = html_unescape(
        p.body
            .split("name=\"metadata_kept\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap(),
    );
    assert_eq!(kept, same);
    let other = sp(
        "https://sp.example/other",
        "https://sp.example/other/acs",
        &valid_cert(),
    );
    let p = b
        .post_multipart(
            &url,
            &[
                ("csrf", None, csrf.as_bytes()),
                ("name", None, b"other"),
                ("metadata_kept", None, other.as_bytes()),
                ("metadata_file_name", None, b"other.xml"),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(
        text_of(&p.body, "preview-entity-id"),
        "https://sp.example/other"
    );

    // Replacing another app's metadata with a document of an entity ID in use: said at the
    // preview, under the entity ID, with the chosen file kept.
    env.add_app("two", &[]).await;
    let p = b
        .post_multipart(
            &format!("{}/admin/apps/two/metadata/preview", env.base),
            &[
                ("csrf", None, csrf.as_bytes()),
                ("metadata_file", Some("web.xml"), same.as_bytes()),
            ],
        )
        .await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(
        text_of(&p.body, "error-entity_id").contains("entity ID"),
        "{}",
        p.body
    );
    assert!(p.body.contains("id=\"metadata-kept\""));
    assert!(p.body.contains("web.xml"));

    // An expired certificate: the error names the checkbox, not an internal key.
    let t0 = T0.unix_timestamp();
    let old = sp(
        "https://sp.example/old",
        "https://sp.example/old/acs",
        &cert_b64(t0 - 3 * 86_400, t0 - 86_400),
    );
    let p = b
        .post_multipart(
            &url,
            &[
                ("csrf", None, csrf.as_bytes()),
                ("name", None, b"old"),
                ("metadata_file", Some("old.xml"), old.as_bytes()),
            ],
        )
        .await;
    assert_eq!(p.status, 400);
    let e = text_of(&p.body, "error-metadata_file");
    assert!(
        e.contains("Import even if a certificate has expired"),
        "{e}"
    );
    assert!(!p.body.contains("accept_expired_certificates"));
}
