//! Encrypted Assertions (`encrypt_assertion`): a real login to an app that encrypts, for each
//! block cipher, decrypted by `xmlsec1 --decrypt` with the SP's private key, the decrypted
//! Assertion's signature verified by `xmlsec1` too; and the refusals — no encryption certificate
//! at `app add`, `app set` (API and console) and metadata replace, and at login when the stored app
//! has none (the member's page, audited). Each test names its rule.

use crate::both_dbs;
use crate::harness::*;
use serde_json::json;
use std::process::Command;

const ENC_ASSERTION_SIG: &str = "/*[local-name()='Response']/*[local-name()='EncryptedAssertion']\
     /*[local-name()='Assertion']/*[local-name()='Signature']";

/// `xml` decrypted by `xmlsec1 --decrypt` with the private key `key_pem`, or its complaint.
fn xmlsec_decrypt(xml: &str, key_pem: &str) -> Result<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("r.xml");
    let k = dir.path().join("k.pem");
    std::fs::write(&d, xml).unwrap();
    std::fs::write(&k, key_pem).unwrap();
    let out = Command::new(xmlsec1())
        .args(["--decrypt", "--privkey-pem"])
        .arg(&k)
        .arg(&d)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

both_dbs!(
    each_cipher_decrypts_with_xmlsec1_and_the_assertion_verifies,
    each_cipher
);
// Rule: with encrypt_assertion=true the Response carries no Assertion in clear, only an
// EncryptedAssertion to the metadata's encryption certificate (not its signing one), in the
// app's cipher; the Response is signed even when sign_response=false; the SP's private key
// decrypts it and the Assertion inside is the signed one.
async fn each_cipher(env: Env) {
    let enc = sp_key();
    for cipher in ["aes256-gcm", "aes128-gcm", "aes256-cbc", "aes128-cbc"] {
        let app = format!("enc-{cipher}");
        let method = format!("encryption_method={cipher}");
        let sets = [
            "encrypt_assertion=true",
            method.as_str(),
            "sign_response=false",
        ];
        env.add_app_with_metadata(&app, &sets, |m| {
            m.encryption_certs = vec![enc.cert_b64.clone()];
        })
        .await;
        let b = env.browser(WXWORK_UA);
        let form = env.login_in_client(&b, &app, "zhangsan").await;
        assert_eq!(form.action, acs_url(&app));
        let s = Saml::of(&form);
        assert!(
            s.assertion().is_none(),
            "no Assertion in clear: {}",
            form.xml
        );
        assert!(!form.xml.contains("zhangsan"), "{cipher}: the NameID shows");
        let uri = if cipher.ends_with("gcm") {
            format!("http://www.w3.org/2009/xmlenc11#{cipher}")
        } else {
            format!("http://www.w3.org/2001/04/xmlenc#{cipher}")
        };
        assert!(
            form.xml.contains(&format!("Algorithm=\"{uri}\"")),
            "{}",
            form.xml
        );
        assert!(form
            .xml
            .contains("Algorithm=\"http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p\""));
        assert!(
            form.xml.contains(&enc.cert_b64) && !form.xml.contains(&env.sp.cert_b64),
            "the EncryptedKey names the encryption certificate"
        );
        let cert = env.idp_cert_pem();
        assert!(
            xmlsec_verify(&form.xml, &cert, RESPONSE_SIG),
            "{cipher}: the Response is signed although sign_response=false:\n{}",
            form.xml
        );
        // The SP's signing key cannot decrypt it; its encryption key can.
        assert!(xmlsec_decrypt(&form.xml, &env.sp.key_pem).is_err());
        let clear = xmlsec_decrypt(&form.xml, &enc.key_pem)
            .unwrap_or_else(|e| panic!("{cipher}: xmlsec1 --decrypt: {e}\n{}", form.xml));
        assert!(clear.contains("<saml:Assertion"), "{clear}");
        assert!(clear.contains(">zhangsan</saml:NameID>"), "{clear}");
        assert!(
            xmlsec_verify(&clear, &cert, ENC_ASSERTION_SIG),
            "{cipher}: the decrypted Assertion's signature does not verify:\n{clear}"
        );
    }
    let audit = env.audit().await;
    assert_eq!(
        audit
            .iter()
            .filter(|r| r.event == "login" && r.result == "success")
            .count(),
        4
    );
}

both_dbs!(
    a_stored_app_without_a_certificate_gets_the_refusal_page,
    no_certificate_at_login
);
// Rule: an app that encrypts but whose stored metadata has no usable encryption certificate
// sends nothing: the member gets the bilingual refusal page, the audit row the reason.
async fn no_certificate_at_login(env: Env) {
    env.add_app("enc", &["encrypt_assertion=true"]).await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let page = b.follow(&format!("{}/apps/enc/start", env.base)).await;
    assert_eq!(page.status, 500, "{}", page.body);
    assert_eq!(page.reason().as_deref(), Some("no_encryption_cert"));
    assert!(page.form().is_none() && !page.body.contains("SAMLResponse"));
    assert!(page.body.contains("encryption certificate") || page.body.contains("加密证书"));
    let audit = env.audit().await;
    let row = audit
        .iter()
        .find(|r| r.event == "login" && r.result == "refused" && r.reason == "no_encryption_cert")
        .unwrap_or_else(|| panic!("no audit row: {audit:?}"));
    let detail = row.detail.clone().unwrap_or_default();
    assert!(detail.contains("encrypt_assertion"), "{detail}");
    // A certificate too small to encrypt to is no better.
    let small = {
        use base64::Engine as _;
        use openssl::pkey::PKey;
        use openssl::rsa::Rsa;
        let key = PKey::from_rsa(Rsa::generate(1024).unwrap()).unwrap();
        let mut x = openssl::x509::X509::builder().unwrap();
        x.set_pubkey(&key).unwrap();
        x.set_not_before(&openssl::asn1::Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        x.set_not_after(&openssl::asn1::Asn1Time::days_from_now(9).unwrap())
            .unwrap();
        x.sign(&key, openssl::hash::MessageDigest::sha256())
            .unwrap();
        base64::engine::general_purpose::STANDARD.encode(x.build().to_der().unwrap())
    };
    env.add_app_with_metadata("enc-small", &["encrypt_assertion=true"], |m| {
        m.encryption_certs = vec![small];
    })
    .await;
    let page = b
        .follow(&format!("{}/apps/enc-small/start", env.base))
        .await;
    assert_eq!(page.reason().as_deref(), Some("no_encryption_cert"));
}

/// SP metadata with a signing certificate and, when given, an encryption one.
fn metadata(name: &str, signing: &str, encryption: Option<&str>) -> String {
    let kd = |usage: &str, c: &str| {
        format!(
            r#"<md:KeyDescriptor use="{usage}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{c}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#
        )
    };
    let enc = encryption.map(|c| kd("encryption", c)).unwrap_or_default();
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{}"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">{}{enc}<md:AssertionConsumerService Binding="{POST}" Location="{}" index="0" isDefault="true"/></md:SPSSODescriptor></md:EntityDescriptor>"#,
        sp_entity(name),
        kd("signing", signing),
        acs_url(name)
    )
}

both_dbs!(
    add_set_and_replace_refuse_encryption_without_a_certificate,
    admin_refusals
);
// Rule: `encrypt_assertion=true` needs an encryption certificate in the SP's metadata: app
// creation, a settings change (API and console) and a metadata replace that drops the certificate
// are refused with the field and the reason; with the certificate, all of them go through.
async fn admin_refusals(env: Env) {
    let api = env.api(&env.api_token("ci").await);
    let signing = crate::admin_apps::valid_cert();
    let encryption = crate::admin_apps::valid_cert();
    let plain = metadata("crm", &signing, None);
    let (s, e) = api
        .post(
            "/apps",
            json!({"name": "crm", "metadata_xml": plain,
                   "settings": {"encrypt_assertion": "true"}}),
        )
        .await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["field"], "encrypt_assertion", "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no encryption certificate"),
        "{e}"
    );
    assert!(env.state.store.apps().await.unwrap().is_empty());
    let (s, _) = api
        .post("/apps", json!({"name": "crm", "metadata_xml": plain}))
        .await;
    assert_eq!(s, 201);
    let (s, e) = api
        .patch(
            "/apps/crm",
            json!({"settings": {"encrypt_assertion": "true"}}),
        )
        .await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["field"], "encrypt_assertion", "{e}");
    let (s, e) = api
        .patch(
            "/apps/crm",
            json!({"settings": {"encryption_method": "des3-cbc"}}),
        )
        .await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["field"], "encryption_method", "{e}");
    // The console's settings form says it beside the field.
    let (b, csrf) = env.admin_browser("zhangsan").await;
    let p = b
        .post_form(
            &format!("{}/admin/apps/crm/settings", env.base),
            &[
                ("csrf", &csrf),
                ("key", "encrypt_assertion"),
                ("value", "true"),
            ],
        )
        .await;
    assert_eq!(p.status, 400, "{}", p.body);
    assert!(
        p.body.contains("id=\"error-encrypt_assertion\""),
        "{}",
        p.body
    );

    // With the certificate: encryption goes on, with the chosen cipher.
    let with_cert = metadata("crm", &signing, Some(&encryption));
    let (s, v) = api
        .put("/apps/crm/metadata", json!({"metadata_xml": with_cert}))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = api
        .patch(
            "/apps/crm",
            json!({"settings": {"encrypt_assertion": "true", "encryption_method": "aes128-cbc"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["settings"]["encrypt_assertion"], true, "{v}");
    assert_eq!(v["settings"]["encryption_method"], "aes128-cbc", "{v}");
    // Metadata without it no longer replaces the app's while encryption is on.
    let (s, e) = api
        .put("/apps/crm/metadata", json!({"metadata_xml": plain}))
        .await;
    assert_eq!(s, 400, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("while it encrypts"),
        "{e}"
    );
    let stored = env.state.store.app("crm").await.unwrap().unwrap();
    assert!(stored.metadata_json.contains(&encryption));
    // A new app whose metadata has the certificate may encrypt from the start.
    let (s, v) = api
        .post(
            "/apps",
            json!({"name": "wiki", "metadata_xml": metadata("wiki", &signing, Some(&encryption)),
                   "settings": {"encrypt_assertion": "true"}}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["settings"]["encryption_method"], "aes256-gcm", "{v}");
}

both_dbs!(aws_role_with_required_encryption, aws_required);
// Rule: `aws-role` with encryption=required needs AWS's metadata for the provider with its
// encryption certificate (refused, naming the URL, without it); with it, the Response goes to the
// provider's own ACS and the Role attribute is inside the encrypted Assertion.
async fn aws_required(env: Env) {
    let enc = sp_key();
    let sets: Vec<String> = [
        "account_id=123456789012",
        "provider_name=WeCom",
        "role=Admin",
        "encryption=required",
        "idp_id=a1b2c3d4",
        "region=us-east-1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let add = |md: Option<String>| {
        let (store, clock, sets) = (&env.state.store, env.clock.clone(), sets.clone());
        async move {
            wecom_idp::cli::add_preset_app(
                store,
                "aws",
                "aws-role",
                md.as_deref().map(str::as_bytes),
                None,
                &sets,
                &*clock,
            )
            .await
            .map_err(|e| e.to_string())
        }
    };
    let url = "https://us-east-1.signin.aws.amazon.com/static/saml/a1b2c3d4/saml-metadata.xml";
    let e = add(None).await.unwrap_err();
    assert!(
        e.contains(url) && e.contains("encryption certificate"),
        "{e}"
    );
    let aws_md = |enc_cert: Option<&str>| {
        let kd = enc_cert
            .map(|c| {
                format!(
                    r#"<md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{c}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#
                )
            })
            .unwrap_or_default();
        format!(
            r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="urn:amazon:webservices"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">{kd}<md:AssertionConsumerService Binding="{POST}" Location="https://signin.aws.amazon.com/saml" index="1" isDefault="true"/></md:SPSSODescriptor></md:EntityDescriptor>"#
        )
    };
    let e = add(Some(aws_md(None))).await.unwrap_err();
    assert!(e.contains(url), "{e}");
    assert!(env.state.store.apps().await.unwrap().is_empty());
    add(Some(aws_md(Some(&enc.cert_b64)))).await.unwrap();

    let b = env.browser(WXWORK_UA);
    let form = env.login_in_client(&b, "aws", "zhangsan").await;
    let acs = "https://us-east-1.signin.aws.amazon.com/saml/acs/a1b2c3d4";
    assert_eq!(form.action, acs);
    assert!(Saml::of(&form).assertion().is_none());
    let cert = env.idp_cert_pem();
    assert!(xmlsec_verify(&form.xml, &cert, RESPONSE_SIG));
    let clear = xmlsec_decrypt(&form.xml, &enc.key_pem).unwrap();
    assert!(xmlsec_verify(&clear, &cert, ENC_ASSERTION_SIG), "{clear}");
    assert!(clear.contains(&format!("Recipient=\"{acs}\"")), "{clear}");
    assert!(
        clear.contains(
            "arn:aws:iam::123456789012:role/Admin,arn:aws:iam::123456789012:saml-provider/WeCom"
        ),
        "{clear}"
    );
}
