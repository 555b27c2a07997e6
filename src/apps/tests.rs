//! Tests of app names and the settings vocabulary.

use super::*;
use crate::identity::roles::RoleMode;
use crate::identity::Source;

#[test]
fn names() {
    assert!(AppName::parse("huawei-prod-1").is_ok());
    for bad in ["", "Huawei", "a_b", "a/b", "é", &"a".repeat(65)] {
        assert!(AppName::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn settings_vocabulary() {
    let mut s = AppSettings::default();
    s.apply_all([
        "nameid_format=persistent",
        "attributes=userid,email=mail,department_names=https://x.example/groups",
        "relay_state_allow=https://console.example/",
        "require_signed_requests=true",
    ])
    .unwrap();
    assert_eq!(s.name_id_format, NameIdFormat::Persistent);
    assert_eq!(s.attributes.len(), 3);
    assert_eq!(s.attributes[1].name, "mail");
    assert!(s.attributes[2]
        .name_format
        .as_deref()
        .unwrap()
        .ends_with(":uri"));
    assert!(s.needs_private_info());
    assert_eq!(s.require_signed_requests, RequireSigned::Always);
    assert!(s.set("sign_response", "false").is_ok());
    assert!(s.set("sign_assertion", "false").is_err());
    assert!(s
        .set("bogus", "1")
        .unwrap_err()
        .to_string()
        .contains("known"));
    assert!(s.set("relay_state", &"x".repeat(81)).is_err());
    assert!(!AppSettings::default().needs_private_info());
}

#[test]
fn templates_roles_and_domains() {
    let mut s = AppSettings::default();
    s.apply_all([
        "attributes=",
        "attribute=https://x.example/Role=template:r/{role},p/{provider_name}",
        "attribute=Mail=template:{email}",
        "param.provider_name=wecom",
        "role=Dev",
        "role_rules=user:zhangsan=Admin",
        "role_mode=union",
        "attribute_per_value=true",
        "relay_state_domains=*.example.com",
        "relay_state=https://console.example.com/x",
    ])
    .unwrap();
    assert_eq!(s.attributes.len(), 2);
    assert_eq!(
        s.attributes[0].source,
        Source::Template("r/{role},p/{provider_name}".into())
    );
    assert!(s.attributes[0]
        .name_format
        .as_deref()
        .unwrap()
        .ends_with(":uri"));
    assert!(s.needs_private_info(), "a template using {{email}}");
    assert_eq!(s.params["provider_name"], "wecom");
    assert_eq!(s.roles.mode, RoleMode::Union);
    assert!(s.attribute_per_value);
    let e = s
        .set("relay_state", "https://evil.example.org/")
        .unwrap_err();
    assert!(e.to_string().contains("example.com"), "{e}");
    assert!(
        s.set("session_name_source", "email").is_err(),
        "no session name"
    );
    assert!(s.set("param.Bad", "x").is_err());
    assert!(s.set("attribute", "noequals").is_err());
    // Old stored settings (no new fields) still read.
    let old = r#"{"name_id_format":"unspecified","name_id_source":"userid","attributes":[{"name":"userid","source":"userid","name_format":null,"friendly_name":null}]}"#;
    let read: AppSettings = serde_json::from_str(old).unwrap();
    assert!(read.roles.rules.is_empty() && read.params.is_empty() && !read.attribute_per_value);
}

#[test]
fn relay_state_domains_match_hosts_not_prefixes() {
    let d = vec!["aliyun.com".to_string()];
    assert!(domain_allowed("https://home.console.aliyun.com/", &d));
    assert!(domain_allowed("https://aliyun.com", &d));
    assert!(!domain_allowed("https://evilaliyun.com/", &d));
    assert!(!domain_allowed("https://aliyun.com.evil.example/", &d));
    assert!(!domain_allowed("http://home.console.aliyun.com/", &d));
    assert!(!domain_allowed("https://u:p@home.console.aliyun.com/", &d));
    assert!(!domain_allowed("javascript:alert(1)", &d));
}
