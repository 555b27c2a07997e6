//! Apps in the API and the console —
//! create from a preset or metadata (XML, URL), preview that stores nothing, settings through the
//! CLI's validation, metadata replace, versions and rollback, refresh (manual and periodic), delete;
//! every refusal is a field-level error, stores nothing and is audited. Each test names its rule.

use crate::both_dbs;
use crate::harness::*;
use base64::Engine as _;
use serde_json::json;

pub(crate) fn attack(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/metadata-attacks/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A certificate valid from `from` to `to` (Unix seconds), base64 DER.
pub(crate) fn cert_b64(from: i64, to: i64) -> String {
    use openssl::asn1::Asn1Time;
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use openssl::x509::{X509NameBuilder, X509};
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut n = X509NameBuilder::new().unwrap();
    n.append_entry_by_text("CN", "sp.example").unwrap();
    let n = n.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&n).unwrap();
    b.set_issuer_name(&n).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::from_unix(from).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(to).unwrap()).unwrap();
    b.sign(&key, openssl::hash::MessageDigest::sha256())
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(b.build().to_der().unwrap())
}

pub(crate) fn valid_cert() -> String {
    let t0 = T0.unix_timestamp();
    cert_b64(t0 - 86_400, t0 + 365 * 86_400)
}

pub(crate) fn sp(entity: &str, acs: &str, cert: &str) -> String {
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity}"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:AssertionConsumerService Binding="{POST}" Location="{acs}" index="0" isDefault="true"/></md:SPSSODescriptor></md:EntityDescriptor>"#
    )
}

pub(crate) async fn nothing_stored(env: &Env) {
    assert!(env.state.store.apps().await.unwrap().is_empty());
}

pub(crate) fn refused_rows(rows: &[wecom_idp::store::AuditRow], event: &str) -> usize {
    rows.iter()
        .filter(|r| r.event == event && r.result == "refused")
        .count()
}

both_dbs!(api_lifecycle, api_lifecycle_body);
// Rule: an app made from metadata over the API shows its addresses and SP; settings change through
// AppSettings::set (field = the key); every change saves the previous version first and writes an
// audit row with the actor and before/after; rollback restores; delete removes it.
async fn api_lifecycle_body(env: Env) {
    let api = env.api(&env.api_token("ci").await);
    let cert = valid_cert();
    let xml = sp(
        "https://sp.example/crm",
        "https://sp.example/crm/acs",
        &cert,
    );
    let (s, v) = api
        .post(
            "/apps",
            json!({"name": "crm", "metadata_xml": xml,
                   "settings": {"nameid_format": "email", "attributes": "userid,email=mail"}}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["entity_id"], "https://sp.example/crm");
    assert_eq!(v["mount_url"], format!("{}/apps/crm/start", env.base));
    assert_eq!(v["test_sign_in_url"], v["mount_url"]);
    assert_eq!(v["homepage"]["url"], v["mount_url"]);
    assert_eq!(v["homepage"]["mode"], "idp-initiated");
    assert!(v["homepage"]["why"].as_str().unwrap().len() > 10);
    assert_eq!(v["idp_metadata_url"], format!("{}/saml/metadata", env.base));
    assert_eq!(
        v["app_metadata_url"],
        format!("{}/apps/crm/metadata", env.base)
    );
    assert_eq!(v["acs"][0]["location"], "https://sp.example/crm/acs");
    assert_eq!(v["certificates"][0]["expired"], false);
    assert!(v["certificates"][0]["not_after"]
        .as_str()
        .unwrap()
        .starts_with("2027-"));
    assert_eq!(v["settings"]["name_id_format"], "email");
    let (s, list) = api.get("/apps").await;
    assert_eq!(s, 200);
    assert_eq!(list[0]["name"], "crm");
    assert_eq!(list[0]["mode"], "idp-initiated");
    // The same name, or the same SP under another name: conflicts, audited.
    let (s, _) = api
        .post("/apps", json!({"name": "crm", "metadata_xml": xml}))
        .await;
    assert_eq!(s, 409);
    let (s, _) = api
        .post("/apps", json!({"name": "crm2", "metadata_xml": xml}))
        .await;
    assert_eq!(s, 409);

    // Settings: attribute mapping, role rules, access, signing, RelayState — each validated.
    let (s, v) = api
        .patch(
            "/apps/crm",
            json!({"settings": {"attributes": "userid,name=displayName", "role_rules": "dept:1=admin",
                                "access": "user:zhangsan; dept:2", "sign_response": "false",
                                "relay_state": "https://sp.example/crm/home"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["settings"]["sign_response"], false);
    assert_eq!(
        v["settings"]["default_relay_state"],
        "https://sp.example/crm/home"
    );
    for (key, value) in [
        ("nameid_format", "nope"),
        ("no_such_setting", "1"),
        ("role_rules", "garbage"),
        ("sign_assertion", "false"),
    ] {
        let (s, e) = api
            .patch("/apps/crm", json!({"settings": {key: value}}))
            .await;
        assert_eq!(s, 400, "{key}: {e}");
        assert_eq!(e["error"]["field"], key, "{e}");
    }
    let (s, _) = api
        .patch("/apps/nope", json!({"settings": {"role": "x"}}))
        .await;
    assert_eq!(s, 404);

    // Replace the metadata; the previous versions are kept.
    let xml2 = sp(
        "https://sp.example/crm",
        "https://sp.example/crm/acs-new",
        &cert,
    );
    let (s, v) = api
        .put("/apps/crm/metadata", json!({"metadata_xml": xml2}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["acs"][0]["location"], "https://sp.example/crm/acs-new");
    let (s, versions) = api.get("/apps/crm/versions").await;
    assert_eq!(s, 200);
    let versions = versions.as_array().unwrap().clone();
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert_eq!(versions[0]["version"], 2);
    assert_eq!(versions[0]["saved_by"], "token:ci");

    // Roll back to version 1 (before the PATCH): old ACS and old settings again.
    let (s, v) = api.post("/apps/crm/rollback", json!({"version": 1})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["acs"][0]["location"], "https://sp.example/crm/acs");
    assert_eq!(v["settings"]["sign_response"], true);
    let (s, e) = api.post("/apps/crm/rollback", json!({"version": 99})).await;
    assert_eq!(s, 404, "an unknown version is a missing resource: {e}");
    assert_eq!(e["error"]["code"], "not_found");
    let (_, versions) = api.get("/apps/crm/versions").await;
    assert_eq!(
        versions.as_array().unwrap().len(),
        3,
        "the rollback itself is undoable"
    );

    // The audit log: actor, before/after.
    let rows = env.audit().await;
    let upd = rows.iter().find(|r| r.event == "app_update").unwrap();
    assert_eq!(upd.actor.as_deref(), Some("token:ci"));
    assert_eq!(upd.app.as_deref(), Some("crm"));
    let d: serde_json::Value = serde_json::from_str(upd.detail.as_deref().unwrap()).unwrap();
    assert_eq!(d["settings"]["sign_response"]["before"], true);
    assert_eq!(d["settings"]["sign_response"]["after"], false);
    assert!(rows
        .iter()
        .any(|r| r.event == "app_create" && r.result == "success"));
    assert!(rows.iter().any(|r| r.event == "app_metadata_replace"));
    assert!(rows.iter().any(|r| r.event == "app_rollback"));
    assert_eq!(refused_rows(&rows, "app_create"), 2, "the two conflicts");

    // Delete.
    assert_eq!(api.delete("/apps/crm").await.0, 204);
    assert_eq!(api.get("/apps/crm").await.0, 404);
    assert_eq!(api.delete("/apps/crm").await.0, 404);
    nothing_stored(&env).await;
    let rows = env.audit().await;
    assert!(rows
        .iter()
        .any(|r| r.event == "app_delete" && r.actor.as_deref() == Some("token:ci")));
    // The OpenAPI document lists the app operations.
    let (_, doc) = api.get("/openapi.json").await;
    for p in [
        "/api/v1/presets",
        "/api/v1/apps",
        "/api/v1/apps/{name}",
        "/api/v1/apps/preview",
        "/api/v1/apps/{name}/metadata",
        "/api/v1/apps/{name}/versions",
        "/api/v1/apps/{name}/rollback",
        "/api/v1/apps/{name}/refresh",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} missing");
    }
}

both_dbs!(api_presets, api_presets_body);
// Rule: presets are listed with their parameters (help, required) and homepage mode; a preset app
// needs exactly its parameters, each error names `params.KEY`; the homepage follows the preset.
async fn api_presets_body(env: Env) {
    let api = env.api(&env.api_token("ci").await);
    let (s, presets) = api.get("/presets").await;
    assert_eq!(s, 200);
    let hw = presets
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "huawei")
        .unwrap();
    assert_eq!(hw["homepage_mode"], "sp-initiated");
    assert_eq!(hw["needs_metadata"], false);
    let aic = presets
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "aws-identity-center")
        .unwrap();
    assert_eq!(aic["needs_metadata"], true);
    let acc = hw["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == "account_id")
        .unwrap();
    assert_eq!(acc["required"], true);
    assert!(acc["help"].as_str().unwrap().contains("32 hex"));
    let domain = "0123456789abcdef0123456789abcdef";
    let (s, e) = api
        .post(
            "/apps",
            json!({"name": "hw", "preset": "huawei", "params": {"account_id": domain}}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(e["error"]["field"], "params.provider_name", "{e}");
    let (s, e) = api
        .post(
            "/apps",
            json!({"name": "hw", "preset": "huawei",
                               "params": {"account_id": "xyz", "provider_name": "wecom"}}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(e["error"]["field"], "params.account_id", "{e}");
    let (s, e) = api
        .post("/apps", json!({"name": "hw", "preset": "huawei",
                               "params": {"account_id": domain, "provider_name": "wecom", "colour": "red"}}))
        .await;
    assert_eq!(s, 400);
    assert_eq!(e["error"]["field"], "params.colour", "{e}");
    let (s, e) = api
        .post("/apps", json!({"name": "hw", "preset": "nope"}))
        .await;
    assert_eq!(s, 400);
    assert_eq!(e["error"]["field"], "preset");
    nothing_stored(&env).await;
    let (s, v) = api
        .post(
            "/apps",
            json!({"name": "hw", "preset": "huawei",
                               "params": {"domain_id": domain, "provider_name": "wecom"}}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["homepage"]["mode"], "sp-initiated");
    assert!(v["homepage"]["url"].as_str().unwrap().starts_with(
        "https://auth.huaweicloud.com/authui/federation/websso?domain_id=0123456789abcdef"
    ));
    // A preset's parameter is fixed once the app exists.
    let (s, e) = api
        .patch("/apps/hw", json!({"settings": {"account_id": domain}}))
        .await;
    assert_eq!(s, 400);
    assert_eq!(e["error"]["field"], "account_id");
}

both_dbs!(api_refusals, api_refusals_body);
// Rule: bad metadata is refused with a field-level error that says what to fix, stores nothing, and
// is audited (result = refused); the preview stores nothing even when the metadata is good.
async fn api_refusals_body(env: Env) {
    let api = env.api(&env.api_token("ci").await);
    let cert = valid_cert();
    let t0 = T0.unix_timestamp();
    let expired = cert_b64(t0 - 400 * 86_400, t0 - 86_400);
    let no_location = sp("https://sp.example/a", "X", &cert).replace(" Location=\"X\"", "");
    let two = format!(
        "<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\">{}{}</md:EntitiesDescriptor>",
        sp("https://sp.example/one", "https://sp.example/one/acs", &cert),
        sp("https://sp.example/two", "https://sp.example/two/acs", &cert)
    );
    let big = format!(
        "<!--{}-->{}",
        "x".repeat(1024 * 1024),
        sp("https://sp.example/big", "https://sp.example/acs", &cert)
    );
    let cases: Vec<(&str, String, &str, &str)> = vec![
        ("no SP", "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\"/>".into(), "metadata_xml", "no SPSSODescriptor"),
        ("ACS without Location", no_location, "metadata_xml", "AssertionConsumerService #1 has no Location"),
        ("expired certificate", sp("https://sp.example/e", "https://sp.example/e/acs", &expired), "metadata_xml", "expired on"),
        ("unparseable certificate", sp("https://sp.example/u", "https://sp.example/u/acs", "bm90IGEgY2VydA=="), "metadata_xml", "certificate #1 is unparseable"),
        ("two SPs", two.clone(), "entity_id", "2 SPs in this file: choose one"),
        ("DOCTYPE", attack("doctype.xml"), "metadata_xml", "DOCTYPE is not allowed"),
        ("over 1 MiB", big, "metadata_xml", "larger than 1024 KiB"),
        ("not XML", "this is not XML at all".into(), "metadata_xml", "not well-formed XML"),
    ];
    for (what, xml, field, msg) in &cases {
        for path in ["/apps/preview", "/apps"] {
            let (s, e) = api
                .post(path, json!({"name": "bad", "metadata_xml": xml}))
                .await;
            assert_eq!(s, 400, "{what} {path}: {e}");
            assert_eq!(e["error"]["field"], *field, "{what}: {e}");
            let m = e["error"]["message"].as_str().unwrap();
            assert!(m.contains(msg), "{what}: {m}");
        }
    }
    nothing_stored(&env).await;
    let rows = env.audit().await;
    assert_eq!(refused_rows(&rows, "app_create"), cases.len());
    assert_eq!(refused_rows(&rows, "app_preview"), cases.len());
    let row = rows
        .iter()
        .find(|r| r.event == "app_create" && r.result == "refused")
        .unwrap();
    assert_eq!(row.actor.as_deref(), Some("token:ci"));
    assert!(row.detail.as_deref().unwrap().contains("\"field\""));
    assert!(
        !rows.iter().any(|r| r
            .detail
            .as_deref()
            .unwrap_or("")
            .contains("x".repeat(100).as_str())),
        "the document is never written to the audit log"
    );

    // Two SPs: choosing one works; the message listed both.
    let (s, e) = api
        .post("/apps/preview", json!({"metadata_xml": two}))
        .await;
    assert_eq!(s, 400);
    let m = e["error"]["message"].as_str().unwrap();
    assert!(
        m.contains("https://sp.example/one") && m.contains("https://sp.example/two"),
        "{m}"
    );
    let (s, p) = api
        .post(
            "/apps/preview",
            json!({"metadata_xml": two, "entity_id": "https://sp.example/two"}),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["entity_id"], "https://sp.example/two");
    // An expired certificate can be accepted on purpose; the preview shows it.
    let (s, p) = api
        .post(
            "/apps/preview",
            json!({"metadata_xml": sp("https://sp.example/e", "https://sp.example/e/acs", &expired),
                                        "accept_expired_certificates": true}),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["certificates"][0]["expired"], true);
    assert!(p["warnings"].to_string().contains("expired"));
    // A good preview stores nothing.
    nothing_stored(&env).await;
    // Neither XML nor URL, or both: named.
    let (s, e) = api.post("/apps", json!({"name": "x"})).await;
    assert_eq!(s, 400);
    assert_eq!(e["error"]["field"], "metadata");
    let (s, e) = api
        .post(
            "/apps",
            json!({"name": "x", "metadata_xml": "<a/>", "metadata_url": "https://sp.example/m"}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(e["error"]["field"], "metadata_url");
    let (s, e) = api
        .post(
            "/apps",
            json!({"name": "Bad Name", "metadata_xml": cases[0].1}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(e["error"]["field"], "name");
}

both_dbs!(metadata_attacks, metadata_attacks_body);
// Rule: every hostile file under tests/fixtures/metadata-attacks is refused through the
// live API and the console upload with the field-level error its comment names, nothing is stored,
// and each refusal has an audit row.
async fn metadata_attacks_body(env: Env) {
    let api = env.api(&env.api_token("ci").await);
    let files = [
        ("doctype.xml", "DOCTYPE is not allowed"),
        ("internal-entity.xml", "DOCTYPE is not allowed"),
        ("external-entity.xml", "DOCTYPE is not allowed"),
        ("external-dtd.xml", "DOCTYPE is not allowed"),
        ("billion-laughs.xml", "DOCTYPE is not allowed"),
        (
            "undeclared-entity.xml",
            "entity reference &xxe; is not allowed",
        ),
        ("processing-instruction.xml", "processing instructions"),
        ("utf16-declaration.xml", "must be UTF-8"),
        ("deep-nesting.xml", "nested too deeply"),
        ("huge-attribute.xml", "bytes long; at most 4096"),
        ("many-attributes.xml", "too many attributes"),
    ];
    for (file, msg) in files {
        let xml = attack(file);
        let first = xml.lines().take(2).collect::<String>();
        assert!(
            first.contains("attacks:") && first.contains("must:"),
            "{file} says what it attacks"
        );
        for path in ["/apps/preview", "/apps"] {
            let (s, e) = api
                .post(path, json!({"name": "evil", "metadata_xml": xml}))
                .await;
            assert_eq!(s, 400, "{file} {path}: {e}");
            assert_eq!(e["error"]["field"], "metadata_xml", "{file}");
            assert!(
                e["error"]["message"].as_str().unwrap().contains(msg),
                "{file}: {e}"
            );
        }
    }
    // A few through the console upload (in English: the same words as the API's).
    let (mut b, csrf) = env.admin_browser("zhangsan").await;
    b.accept_language = Some("en-US".into());
    for (file, msg) in [files[0], files[4], files[9]] {
        let p = b
            .post_multipart(
                &format!("{}/admin/apps/preview", env.base),
                &[
                    ("csrf", None, csrf.as_bytes()),
                    ("name", None, b"evil"),
                    ("metadata_file", Some(file), attack(file).as_bytes()),
                ],
            )
            .await;
        assert_eq!(p.status, 400, "{file}: {}", p.body);
        let at = p
            .body
            .find("id=\"error-metadata_file\"")
            .unwrap_or_else(|| panic!("{file}: no field error: {}", p.body));
        assert!(html_unescape(&p.body[at..]).contains(msg), "{file}");
    }
    nothing_stored(&env).await;
    let rows = env.audit().await;
    assert_eq!(refused_rows(&rows, "app_create"), files.len());
    assert_eq!(refused_rows(&rows, "app_preview"), files.len() + 3);
    assert!(rows
        .iter()
        .filter(|r| r.result == "refused" && r.event == "app_preview")
        .any(|r| r.actor.as_deref() == Some("wecom:zhangsan")));
}

both_dbs!(console_flow, console_flow_body);
// Rule: in the console, upload → preview (nothing stored) → Save (re-validated) → the app page shows
// the homepage and mount addresses with copy buttons; forms need the CSRF token; field errors are
// shown next to the field with status 400; delete needs the name typed.
async fn console_flow_body(env: Env) {
    let (b, csrf) = env.admin_browser("zhangsan").await;
    let p = b.get(&format!("{}/admin/apps/new", env.base)).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("/admin/apps/new?preset=huawei"));
    let p = b
        .get(&format!("{}/admin/apps/new?preset=huawei", env.base))
        .await;
    assert!(
        p.body.contains("name=\"param.account_id\"") && p.body.contains("32 个字母和数字"),
        "{}",
        p.body
    );
    assert!(
        !p.body.contains("name=\"param.role\""),
        "exactly that preset's parameters"
    );

    let xml = sp(
        "https://sp.example/web",
        "https://sp.example/web/acs",
        &valid_cert(),
    );
    let url = format!("{}/admin/apps/preview", env.base);
    // Without the CSRF token: refused.
    let p = b
        .post_multipart(
            &url,
            &[
                ("csrf", None, b"0"),
                ("name", None, b"web"),
                ("metadata_file", Some("m.xml"), xml.as_bytes()),
            ],
        )
        .await;
    assert_eq!(p.status, 403);
    let p = b
        .post_multipart(
            &url,
            &[
                ("csrf", None, csrf.as_bytes()),
                ("name", None, b"web"),
                ("metadata_file", Some("m.xml"), xml.as_bytes()),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("https://sp.example/web/acs"));
    nothing_stored(&env).await;
    // Save re-submits the document from the hidden field.
    let hidden = html_unescape(
        p.body
            .split("name=\"metadata_xml\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap(),
    );
    assert_eq!(hidden, xml);
    let save = format!("{}/admin/apps/new", env.base);
    let p = b
        .post_multipart(
            &save,
            &[
                ("csrf", None, csrf.as_bytes()),
                ("name", None, b"web"),
                ("entity_id", None, b"https://sp.example/web"),
                ("metadata_xml", None, hidden.as_bytes()),
            ],
        )
        .await;
    assert_eq!(p.status, 302, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/admin/apps/web"));
    let page = b.get(&format!("{}/admin/apps/web", env.base)).await;
    assert_eq!(page.status, 200);
    let mount = format!("{}/apps/web/start", env.base);
    assert!(
        page.body
            .contains(&format!("<code id=\"homepage-url\">{mount}</code>")),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains(&format!("<code id=\"mount-url\">{mount}</code>")));
    assert!(
        page.body.contains("data-copy=\"homepage-url\"")
            && page.body.contains("data-copy=\"mount-url\"")
    );
    assert!(page.body.contains(&format!("{}/saml/metadata", env.base)));
    assert!(page.body.contains("id=\"test-sign-in\""));
    let list = b.get(&format!("{}/admin/apps", env.base)).await;
    assert!(list.body.contains(&mount));

    // A bad setting: 400, the error next to its key.
    let p = b
        .post_form(
            &format!("{}/admin/apps/web/settings", env.base),
            &[
                ("csrf", &csrf),
                ("key", "nameid_format"),
                ("value", "bogus"),
            ],
        )
        .await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("id=\"error-nameid_format\""), "{}", p.body);
    let p = b
        .post_form(
            &format!("{}/admin/apps/web/settings", env.base),
            &[("csrf", &csrf), ("key", "role"), ("value", "dev")],
        )
        .await;
    assert_eq!(p.status, 302);
    // Rollback in the console.
    let p = b
        .post_form(
            &format!("{}/admin/apps/web/rollback", env.base),
            &[("csrf", &csrf), ("version", "1")],
        )
        .await;
    assert_eq!(p.status, 302, "{}", p.body);
    // A preset form missing a parameter: the error next to it.
    let p = b
        .post_multipart(
            &save,
            &[
                ("csrf", None, csrf.as_bytes()),
                ("preset", None, b"huawei"),
                ("name", None, b"hw"),
                (
                    "param.account_id",
                    None,
                    b"0123456789abcdef0123456789abcdef",
                ),
            ],
        )
        .await;
    assert_eq!(p.status, 400);
    assert!(
        p.body.contains("id=\"error-param-provider_name\""),
        "{}",
        p.body
    );
    // Delete: the name must be typed.
    let del = format!("{}/admin/apps/web/delete", env.base);
    let p = b
        .post_form(&del, &[("csrf", &csrf), ("confirm_name", "nope")])
        .await;
    assert_eq!(p.status, 400);
    assert!(p.body.contains("id=\"error-confirm_name\""));
    let p = b
        .post_form(&del, &[("csrf", &csrf), ("confirm_name", "web")])
        .await;
    assert_eq!(p.status, 302);
    nothing_stored(&env).await;
    let rows = env.audit().await;
    assert!(rows
        .iter()
        .any(|r| r.event == "app_delete" && r.actor.as_deref() == Some("wecom:zhangsan")));
}
