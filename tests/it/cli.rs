//! The command line: `serve` refusing bad configuration with the setting named, `app add|list|show|set|
//! remove` on real SP metadata, `idp-metadata` reusing the stored key, `migrate`, and `demo` refusing a
//! non-loopback address.

use std::path::Path;
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_wecom-idp");

pub fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/sp-metadata/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Runs the binary with a clean `WECOM_IDP_*` environment plus `vars`.
pub fn run(args: &[&str], vars: &[(&str, String)]) -> Output {
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("WECOM_IDP_") {
            c.env_remove(k);
        }
    }
    c.env("WECOM_IDP_LOG", "warn");
    for (k, v) in vars {
        c.env(k, v);
    }
    c.args(args).output().unwrap()
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn base_env(dir: &Path) -> Vec<(&'static str, String)> {
    vec![
        (
            "WECOM_IDP_PUBLIC_URL",
            "https://idp.example.com".to_string(),
        ),
        (
            "WECOM_IDP_DATABASE_URL",
            format!("sqlite://{}", dir.join("cli.sqlite").display()),
        ),
        (
            "WECOM_IDP_MASTER_KEY",
            crate::harness::TEST_MASTER_KEY.to_string(),
        ),
    ]
}

#[test]
fn serve_refuses_a_missing_setting_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["serve"], &base_env(dir.path()));
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("wecom.corp_id") && t.contains("WECOM_IDP_WECOM__CORP_ID"),
        "{t}"
    );
}

#[test]
fn serve_refuses_bad_values_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let full = |extra: (&'static str, String)| {
        let mut v = base_env(dir.path());
        v.push(("WECOM_IDP_WECOM__CORP_ID", "ww1".into()));
        v.push(("WECOM_IDP_WECOM__AGENT_ID", "1000002".into()));
        v.push(("WECOM_IDP_WECOM__SECRET", "s".into()));
        v.retain(|(k, _)| *k != extra.0);
        v.push(extra);
        v
    };
    let o = run(
        &["serve"],
        &full(("WECOM_IDP_PUBLIC_URL", "not a url".into())),
    );
    assert!(
        !o.status.success() && text(&o).contains("public_url"),
        "{}",
        text(&o)
    );
    let o = run(
        &["serve"],
        &full((
            "WECOM_IDP_DATABASE_URL",
            "postgres://nobody@127.0.0.1:1/nothing".into(),
        )),
    );
    assert!(
        !o.status.success() && text(&o).contains("database_url"),
        "{}",
        text(&o)
    );
    let o = run(
        &["serve"],
        &full(("WECOM_IDP_SIGNING__KEY_FILE", "/nonexistent/key.pem".into())),
    );
    assert!(
        !o.status.success() && text(&o).contains("signing."),
        "{}",
        text(&o)
    );
    let mut v = full(("WECOM_IDP_SIGNING__KEY_FILE", "/nonexistent/key.pem".into()));
    v.push((
        "WECOM_IDP_SIGNING__CERT_FILE",
        "/nonexistent/cert.pem".into(),
    ));
    let o = run(&["serve"], &v);
    assert!(
        !o.status.success() && text(&o).contains("signing.key_file"),
        "{}",
        text(&o)
    );
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[wecom]\ncorpid = \"typo\"\n").unwrap();
    let o = run(
        &["--config", cfg.to_str().unwrap(), "serve"],
        &full(("X", String::new())),
    );
    assert!(
        !o.status.success() && text(&o).contains("corpid"),
        "{}",
        text(&o)
    );
}

#[test]
fn apps_are_added_shown_listed_changed_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let env = base_env(dir.path());
    let huawei = fixture("huaweicloud-global.xml");
    let o = run(&["app", "add", "huawei", "--metadata", &huawei], &env);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("https://auth.huaweicloud.com/"), "{t}");
    assert!(
        t.contains("https://idp.example.com/apps/huawei/start"),
        "{t}"
    );
    assert!(
        t.contains("\nhomepage: https://idp.example.com/apps/huawei/start\n")
            && t.contains("\nmode: idp-initiated\n"),
        "an app without a preset: the mount address, IdP-initiated: {t}"
    );
    assert!(
        t.contains("required"),
        "Huawei's metadata says AuthnRequestsSigned: {t}"
    );
    // The same SP twice, or a bad name, is refused and changes nothing.
    let o = run(&["app", "add", "huawei2", "--metadata", &huawei], &env);
    assert!(
        !o.status.success() && text(&o).contains("already has the entity ID"),
        "{}",
        text(&o)
    );
    let o = run(
        &[
            "app",
            "add",
            "Bad_Name",
            "--metadata",
            &fixture("aws-global.xml"),
        ],
        &env,
    );
    assert!(
        !o.status.success() && text(&o).contains("a-z"),
        "{}",
        text(&o)
    );
    // Expired SP certificates import with a warning.
    let o = run(
        &[
            "app",
            "add",
            "aws",
            "--metadata",
            &fixture("aws-global.xml"),
            "--set",
            "nameid_format=persistent",
        ],
        &env,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).to_lowercase().contains("warning"), "{}", text(&o));
    let o = run(&["app", "list"], &env);
    let t = text(&o);
    assert!(
        t.contains("huawei") && t.contains("aws") && t.contains("urn:amazon:webservices"),
        "{t}"
    );
    let o = run(
        &["app", "set", "aws", "--set", "attributes=userid,email=mail"],
        &env,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("mail"), "{}", text(&o));
    let o = run(&["app", "set", "aws", "--set", "no_such=1"], &env);
    assert!(
        !o.status.success() && text(&o).contains("unknown setting"),
        "{}",
        text(&o)
    );
    let o = run(&["app", "show", "aws"], &env);
    assert!(text(&o).contains("persistent"), "{}", text(&o));
    let o = run(&["app", "remove", "aws"], &env);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&["app", "show", "aws"], &env);
    assert!(
        !o.status.success() && text(&o).contains("no app named"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_file_with_several_sps_needs_an_entity_id() {
    let dir = tempfile::tempdir().unwrap();
    let env = base_env(dir.path());
    let strip = |f: &str| {
        let s = std::fs::read_to_string(fixture(f)).unwrap();
        let s = s.trim_start();
        match s.strip_prefix("<?xml") {
            Some(rest) => rest[rest.find("?>").unwrap() + 2..].to_string(),
            None => s.to_string(),
        }
    };
    let both = format!(
        "<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\">{}{}</md:EntitiesDescriptor>",
        strip("aliyun-role-sso-cn.xml"),
        strip("volcengine-role-sso.xml")
    );
    let f = dir.path().join("both.xml");
    std::fs::write(&f, both).unwrap();
    let o = run(
        &["app", "add", "cloud", "--metadata", f.to_str().unwrap()],
        &env,
    );
    let t = text(&o);
    assert!(!o.status.success() && t.contains("--entity-id"), "{t}");
    assert!(
        t.contains("urn:alibaba:cloudcomputing") && t.contains("https://www.volcengine.com/"),
        "{t}"
    );
    let o = run(
        &[
            "app",
            "add",
            "cloud",
            "--metadata",
            f.to_str().unwrap(),
            "--entity-id",
            "https://www.volcengine.com/",
        ],
        &env,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("https://signin.volcengine.com/saml/sso"),
        "{}",
        text(&o)
    );
}

#[test]
fn idp_metadata_reuses_the_stored_key() {
    let dir = tempfile::tempdir().unwrap();
    let env = base_env(dir.path());
    let a = run(&["idp-metadata"], &env);
    assert!(a.status.success(), "{}", text(&a));
    let b = run(&["idp-metadata"], &env);
    let (a, b) = (
        String::from_utf8(a.stdout).unwrap(),
        String::from_utf8(b.stdout).unwrap(),
    );
    assert_eq!(a, b, "the second run uses the key the first one stored");
    assert!(a.contains("entityID=\"https://idp.example.com/saml/metadata\""));
    assert!(a.contains("<md:KeyDescriptor use=\"signing\">"));
    assert!(a.contains("Location=\"https://idp.example.com/saml/sso\""));
    let cert_b64 = a
        .split("<ds:X509Certificate>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD
        .decode(cert_b64)
        .unwrap();
    let cert = openssl::x509::X509::from_der(&der).unwrap();
    let cn = cert
        .subject_name()
        .entries()
        .next()
        .unwrap()
        .data()
        .to_string()
        .unwrap();
    assert_eq!(cn, "idp.example.com", "CN from the host of public_url");
    assert_eq!(cert.public_key().unwrap().bits(), 2048);
    let ten_years = openssl::asn1::Asn1Time::days_from_now(3650 - 2).unwrap();
    assert!(cert.not_after() > ten_years, "valid ten years");
    let o = run(&["migrate"], &env);
    assert!(
        o.status.success() && text(&o).contains("up to date"),
        "{}",
        text(&o)
    );
}

#[test]
fn demo_refuses_a_non_loopback_address() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        &[
            "demo",
            "--listen",
            "0.0.0.0:0",
            "--data",
            dir.path().to_str().unwrap(),
        ],
        &[],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("loopback"), "{}", text(&o));
}
