//! Tests of configuration loading and validation.

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn full_env() -> Vec<(String, String)> {
    env(&[
        ("WECOM_IDP_PUBLIC_URL", "https://idp.example.com"),
        ("WECOM_IDP_WECOM__CORP_ID", "ww1"),
        ("WECOM_IDP_WECOM__AGENT_ID", "1000002"),
        ("WECOM_IDP_WECOM__SECRET", "s3cret"),
        (
            "WECOM_IDP_MASTER_KEY",
            "dGVzdC1tYXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmctLS0=",
        ),
    ])
}

#[test]
fn env_overrides_file_and_is_typed() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("c.toml");
    std::fs::write(
        &f,
        "public_url = \"https://a.example\"\n[saml]\nclock_skew_secs = 60\n",
    )
    .unwrap();
    let mut e = full_env();
    e.push(("WECOM_IDP_SAML__CLOCK_SKEW_SECS".into(), "120".into()));
    let c = Config::load(Some(&f), e).unwrap();
    assert_eq!(c.public_url, "https://idp.example.com");
    assert_eq!(c.saml.clock_skew_secs, 120);
    c.validate().unwrap();
    assert_eq!(c.entity_id(), "https://idp.example.com/saml/metadata");
}

#[test]
fn missing_and_wrong_settings_are_named() {
    let c = Config::load(None, env(&[("WECOM_IDP_PUBLIC_URL", "https://x.example")])).unwrap();
    // A missing WeCom value is checked on the effective settings (the console may have stored it).
    let e = c.wecom.require_complete().unwrap_err();
    assert_eq!(e.setting, "wecom.corp_id");
    assert!(e.to_string().contains("WECOM_IDP_WECOM__CORP_ID"));
    assert!(e
        .to_string()
        .contains("first start needs it in the configuration"));
    let mut e = full_env();
    e.push(("WECOM_IDP_WECOM__AGENT_ID".into(), "10000x".into()));
    let c = Config::load(None, e).unwrap();
    assert_eq!(c.validate().unwrap_err().setting, "wecom.agent_id");
    let mut e = full_env();
    e.push(("WECOM_IDP_BINDING__DEFAULT_ACCESS".into(), "dept:1".into()));
    let c = Config::load(None, e).unwrap();
    assert_eq!(c.validate().unwrap_err().setting, "binding.default_access");

    let mut e = full_env();
    e[0].1 = "not a url".into();
    let c = Config::load(None, e).unwrap();
    assert_eq!(c.validate().unwrap_err().setting, "public_url");

    let mut e = full_env();
    e.push(("WECOM_IDP_SAML__CLOCK_SKEW_SECS".into(), "ten".into()));
    let e = Config::load(None, e).unwrap_err();
    assert_eq!(e.setting, "WECOM_IDP_SAML__CLOCK_SKEW_SECS");

    let mut e = full_env();
    e.push(("WECOM_IDP_NO_SUCH".into(), "1".into()));
    assert!(Config::load(None, e)
        .unwrap_err()
        .problem
        .contains("not a known setting"));

    let mut e = full_env();
    e[0].1 = "http://idp.example.com".into();
    let c = Config::load(None, e).unwrap();
    assert!(c.validate().unwrap_err().problem.contains("https"));
}

#[test]
fn unknown_file_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("c.toml");
    std::fs::write(&f, "[wecom]\ncorpid = \"x\"\n").unwrap();
    let e = Config::load(Some(&f), env(&[])).unwrap_err();
    assert!(e.problem.contains("corpid"), "{e}");
}

#[test]
fn secrets_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("secret");
    std::fs::write(&s, "from-file\n").unwrap();
    let mut e = full_env();
    e.push((
        "WECOM_IDP_WECOM__SECRET_FILE".into(),
        s.display().to_string(),
    ));
    let c = Config::load(None, e).unwrap();
    assert_eq!(c.wecom.secret, "from-file");
    assert!(!format!("{:?}", c).contains("from-file"));

    let mut e = full_env();
    e.push((
        "WECOM_IDP_WECOM__SECRET_FILE".into(),
        "/nonexistent/x".into(),
    ));
    assert_eq!(
        Config::load(None, e).unwrap_err().setting,
        "wecom.secret_file"
    );
}

#[test]
fn server_and_database_settings_load_from_the_environment_and_are_checked() {
    let mut e = full_env();
    e.push((
        "WECOM_IDP_SERVER__MAX_CONNECTIONS_PER_IP".into(),
        "64".into(),
    ));
    e.push((
        "WECOM_IDP_DATABASE__ACQUIRE_TIMEOUT_MS".into(),
        "800".into(),
    ));
    let c = Config::load(None, e).unwrap();
    c.validate().unwrap();
    assert_eq!(c.server.max_connections_per_ip, 64);
    assert_eq!(c.database.acquire_timeout_ms, 800);
    for (var, value, setting) in [
        (
            "WECOM_IDP_SERVER__HEADER_READ_TIMEOUT_SECS",
            "0",
            "server.header_read_timeout_secs",
        ),
        (
            "WECOM_IDP_SERVER__MAX_CONNECTIONS",
            "3",
            "server.max_connections",
        ),
        (
            "WECOM_IDP_DATABASE__ACQUIRE_TIMEOUT_MS",
            "10",
            "database.acquire_timeout_ms",
        ),
        (
            "WECOM_IDP_DATABASE__READY_TIMEOUT_MS",
            "0",
            "database.ready_timeout_ms",
        ),
    ] {
        let mut e = full_env();
        e.push((var.into(), value.into()));
        let c = Config::load(None, e).unwrap();
        assert_eq!(c.validate().unwrap_err().setting, setting, "{var}={value}");
    }
}

#[test]
fn secret_files_under_the_credentials_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("wecom-secret"), "from-credentials\n").unwrap();
    std::fs::write(
        dir.path().join("master-key"),
        "dGVzdC1tYXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmctLS0=\n",
    )
    .unwrap();
    let f = dir.path().join("c.toml");
    std::fs::write(
        &f,
        "master_key_file = \"${CREDENTIALS_DIRECTORY}/master-key\"\n\
         [wecom]\nsecret_file = \"${CREDENTIALS_DIRECTORY}/wecom-secret\"\n",
    )
    .unwrap();
    let mut e = env(&[("WECOM_IDP_PUBLIC_URL", "https://idp.example.com")]);
    e.push((
        "CREDENTIALS_DIRECTORY".into(),
        format!("{}/", dir.path().display()),
    ));
    let c = Config::load(Some(&f), e).unwrap();
    assert_eq!(c.wecom.secret, "from-credentials");
    assert!(c.master_key.is_some());
    assert_eq!(
        c.wecom.secret_file.as_deref(),
        Some(dir.path().join("wecom-secret").as_path())
    );
    // systemd's `%d` in the unit's Environment= arrives already expanded: a plain path.
    let mut e = full_env();
    e.push((
        "WECOM_IDP_WECOM__SECRET_FILE".into(),
        dir.path().join("wecom-secret").display().to_string(),
    ));
    assert_eq!(
        Config::load(None, e).unwrap().wecom.secret,
        "from-credentials"
    );
    // Outside systemd, without the variable: the setting is named and the fix given.
    let e = env(&[("WECOM_IDP_PUBLIC_URL", "https://idp.example.com")]);
    let err = Config::load(Some(&f), e).unwrap_err();
    assert_eq!(err.setting, "master_key_file");
    assert!(err.problem.contains("LoadCredential="), "{err}");
}

#[test]
fn log_format_and_audit_retention() {
    let c = Config::load(None, full_env()).unwrap();
    assert_eq!(c.log_format, LogFormat::Text);
    assert_eq!(c.audit.retention_days, 180);
    let mut e = full_env();
    e.push(("WECOM_IDP_LOG_FORMAT".into(), "json".into()));
    e.push(("WECOM_IDP_AUDIT__RETENTION_DAYS".into(), "30".into()));
    let c = Config::load(None, e).unwrap();
    assert_eq!(c.log_format, LogFormat::Json);
    c.validate().unwrap();
    assert!(c.audit.warning().unwrap().contains("网络安全法"));
    let mut e = full_env();
    e.push(("WECOM_IDP_LOG_FORMAT".into(), "xml".into()));
    let err = Config::load(None, e).unwrap_err();
    assert_eq!(err.setting, "log_format");
    assert!(err.problem.contains("json"), "{err}");
    for bad in ["40000", "-1"] {
        let mut e = full_env();
        e.push(("WECOM_IDP_AUDIT__RETENTION_DAYS".into(), bad.into()));
        assert_eq!(
            Config::load(None, e).unwrap_err().setting,
            "audit.retention_days"
        );
    }
}
