//! Unit tests of the presets: the outside-contract names, parameter refusals (each saying what is
//! wrong), RelayState rules, the homepage URL and mode of every variant, and RoleSessionName fitting.

use super::*;

const MOUNT: &str = "https://idp.example.com/apps/x/start";

fn sets(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Builds like `app add` does; returns the settings or the error text.
fn make(preset: &str, v: &[&str]) -> Result<(Sp, AppSettings), String> {
    let p = find(preset).map_err(|e| e.0)?;
    let s = sets(v);
    let (params, rest) = p.split(&s).map_err(|e| e.0)?;
    let built = p.build(&params).map_err(|e| e.0)?;
    let mut settings = built.settings;
    settings.apply_all(rest).map_err(|e| e.to_string())?;
    p.check(&settings).map_err(|e| e.0)?;
    Ok((built.sp, settings))
}

fn err(preset: &str, v: &[&str]) -> String {
    match make(preset, v) {
        Ok(_) => panic!("{preset} {v:?} was accepted"),
        Err(e) => e,
    }
}

fn home(preset: &str, v: &[&str]) -> Homepage {
    let (_, s) = make(preset, v).unwrap();
    homepage(&s, MOUNT)
}

const HW: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn names_are_the_outside_contract() {
    let names: Vec<&str> = all().iter().map(|p| p.name).collect();
    assert_eq!(
        names,
        [
            "generic",
            "huawei",
            "huawei-identity-center",
            "tencent-role",
            "tencent-user",
            "tencent-cic",
            "aliyun-role",
            "aliyun-user",
            "aliyun-cloudsso",
            "aws-role",
            "aws-identity-center",
            "volcengine-role",
            "volcengine-user",
            "baidu-role",
            "kingsoft-role"
        ]
    );
    assert!(find("azure").unwrap_err().0.contains("tencent-role"));
}

#[test]
fn unknown_and_missing_parameters_are_named() {
    let e = err("tencent-role", &["account_id=100012345678", "bogus=1"]);
    assert!(e.contains("`bogus`") && e.contains("provider_name"), "{e}");
    let e = err("tencent-role", &["account_id=100012345678"]);
    assert!(e.contains("--set provider_name=…"), "{e}");
    let e = err(
        "tencent-role",
        &["account_id=100012345678", "provider_name=wecom"],
    );
    assert!(e.contains("role=ROLE") && e.contains("role_rules"), "{e}");
    let e = err("huawei", &[]);
    assert!(
        e.contains("account_id") && e.contains("provider_name"),
        "{e}"
    );
    let e = err("aws-role", &["account_id=1", "account_id=2"]);
    assert!(e.contains("twice"), "{e}");
    // Aliases resolve to the contract key.
    let (_, s) = make("huawei", &[&format!("domain_id={HW}"), "idp_name=wecom"]).unwrap();
    assert_eq!(s.params["account_id"], HW);
    assert_eq!(s.params["provider_name"], "wecom");
    // App settings pass through.
    let (_, s) = make(
        "aws-role",
        &[
            "account_id=123456789012",
            "provider_name=p",
            "role=r",
            "attribute_per_value=true",
        ],
    )
    .unwrap();
    assert!(s.attribute_per_value);
}

#[test]
fn values_are_validated_with_a_reason() {
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "tencent-role",
            &["account_id=12ab", "provider_name=p", "role=r"],
            "digits",
        ),
        (
            "aws-role",
            &["account_id=12345", "provider_name=p", "role=r"],
            "12 digits",
        ),
        (
            "aliyun-role",
            &["account_id=123", "provider_name=p", "role=r"],
            "16 digits",
        ),
        (
            "aws-role",
            &["account_id=123456789012", "provider_name=p", "role=a b"],
            "role `a b`",
        ),
        (
            "aliyun-role",
            &["account_id=1234567890123456", "provider_name=p", "role=a_b"],
            "role `a_b`",
        ),
        ("huawei", &["account_id=xyz", "provider_name=p"], "32 hex"),
        (
            "huawei",
            &[&format!("account_id={HW}"), "provider_name=a.b"],
            "^[\\w-]",
        ),
        (
            "huawei",
            &[
                &format!("account_id={HW}"),
                &format!("provider_name={}", "a".repeat(65)),
            ],
            "1–64",
        ),
        (
            "huawei",
            &[&format!("account_id={HW}"), "provider_name=p", "sso_type=x"],
            "virtual or iam_user",
        ),
        (
            "huawei",
            &[
                &format!("account_id={HW}"),
                "provider_name=p",
                "session_duration=600",
            ],
            "900 to 86400",
        ),
        (
            "aws-role",
            &[
                "account_id=123456789012",
                "provider_name=p",
                "role=r",
                "session_duration=43201",
            ],
            "900 to 43200",
        ),
        (
            "kingsoft-role",
            &[
                "account_id=2000012345",
                "provider_name=p",
                "role=r",
                "session_duration=59",
            ],
            "60 to 86400",
        ),
        (
            "aliyun-role",
            &[
                "account_id=1234567890123456",
                "provider_name=p",
                "role=r",
                "site=us",
            ],
            "cn or intl",
        ),
        (
            "aws-role",
            &[
                "account_id=123456789012",
                "provider_name=p",
                "role=r",
                "partition=gov",
            ],
            "aws or aws-cn",
        ),
        (
            "baidu-role",
            &["account_id=123", "provider_name=p", "role=r"],
            "32 hex",
        ),
        (
            "tencent-role",
            &[
                "account_id=100012345678",
                "provider_name=p",
                "role=r",
                "entity_id=x",
            ],
            "one of",
        ),
        (
            "tencent-role",
            &[
                "account_id=100012345678",
                "provider_name=p",
                "role_rules=user:a=bad role",
            ],
            "role `bad role`",
        ),
        (
            "aliyun-user",
            &["account_id=1234567890123456", "domain=not a domain"],
            "domain",
        ),
        (
            "aws-identity-center",
            &["login_url=https://evil.example/start"],
            "awsapps.com",
        ),
        (
            "volcengine-role",
            &[
                "account_id=2100012345",
                "provider_name=p",
                "role=r",
                "audience=https://evil.example",
            ],
            "console.volcengine.com",
        ),
        (
            "aws-role",
            &["account_id=123456789012", "provider_name=p", "role=/a/B"],
            "leading or trailing /",
        ),
        (
            "aws-role",
            &["account_id=123456789012", "provider_name=p", "role=a//B"],
            "role path",
        ),
        (
            "aws-role",
            &["account_id=123456789012", "provider_name=p", "role=a,b/B"],
            "role path",
        ),
        (
            "aws-role",
            &["account_id=123456789012", "provider_name=p", "role=a/"],
            "role ``",
        ),
        (
            "aws-role",
            &[
                "account_id=123456789012",
                "provider_name=p",
                "role_rules=user:a=ops/bad name",
            ],
            "role `bad name`",
        ),
    ];
    for (preset, v, want) in cases {
        let e = err(preset, v);
        assert!(
            e.contains(want),
            "{preset} {v:?}: `{e}` should mention `{want}`"
        );
    }
}

#[test]
fn relay_state_is_limited_to_the_console_domains() {
    let ok: &[(&str, &[&str], &str)] = &[
        (
            "huawei",
            &[&format!("account_id={HW}"), "provider_name=p"],
            "https://console.huaweicloud.com/ecm/",
        ),
        (
            "tencent-role",
            &["account_id=100012345678", "provider_name=p", "role=r"],
            "https://console.cloud.tencent.com/cam",
        ),
        (
            "aliyun-role",
            &["account_id=1234567890123456", "provider_name=p", "role=r"],
            "https://ram.console.aliyun.com/",
        ),
        (
            "aws-role",
            &["account_id=123456789012", "provider_name=p", "role=r"],
            "https://us-east-1.console.aws.amazon.com/ec2/",
        ),
        (
            "aws-role",
            &[
                "account_id=123456789012",
                "provider_name=p",
                "role=r",
                "partition=aws-cn",
            ],
            "https://console.amazonaws.cn/s3/",
        ),
        (
            "volcengine-role",
            &["account_id=2100012345", "provider_name=p", "role=r"],
            "https://console.volcengine.com/iam",
        ),
        (
            "baidu-role",
            &[
                "account_id=a0d04d7c202140cb80155ff7b6752ce4",
                "provider_name=p",
                "role=r",
            ],
            "https://console.bce.baidu.com/iam/",
        ),
        (
            "kingsoft-role",
            &["account_id=2000012345", "provider_name=p", "role=r"],
            "https://iam.console.ksyun.com/",
        ),
    ];
    for (preset, v, rs) in ok {
        let mut with: Vec<&str> = v.to_vec();
        let good = format!("relay_state={rs}");
        with.push(&good);
        let (_, s) = make(preset, &with).unwrap_or_else(|e| panic!("{preset}: {e}"));
        assert_eq!(s.default_relay_state.as_deref(), Some(*rs));
        for bad in [
            "https://evil.example/",
            "http://console.aws.amazon.com.evil.example/",
            "javascript:alert(1)",
        ] {
            let mut with: Vec<&str> = v.to_vec();
            let b = format!("relay_state={bad}");
            with.push(&b);
            let e = err(preset, &with);
            assert!(
                e.contains("relay_state") && e.contains("https"),
                "{preset} {bad}: {e}"
            );
        }
        // A ?RelayState= on the mount address follows the same rule.
        let app = crate::apps::App {
            name: crate::apps::AppName::parse("x").unwrap(),
            metadata: match make(preset, v).unwrap().0 {
                Sp::Fixed(m) => m,
                Sp::FromFile(_) => unreachable!(),
            },
            settings: make(preset, v).unwrap().1,
            metadata_xml: None,
            created_at: 0,
            updated_at: 0,
        };
        assert_eq!(app.relay_state_for(Some(rs)).unwrap().as_deref(), Some(*rs));
        assert!(app.relay_state_for(Some("https://evil.example/")).is_err());
    }
}

#[test]
fn homepage_of_every_variant() {
    let h = home(
        "huawei",
        &[
            &format!("domain_id={HW}"),
            "idp_name=wecom-idp",
            "relay_state=https://console.huaweicloud.com/iam/",
        ],
    );
    assert_eq!(h.mode, Mode::SpInitiated);
    assert_eq!(
        h.url,
        format!(
            "https://auth.huaweicloud.com/authui/federation/websso?domain_id={HW}&idp=wecom-idp&protocol=saml&service=https%3A%2F%2Fconsole.huaweicloud.com%2Fiam%2F"
        )
    );
    let h = home(
        "huawei",
        &[
            &format!("domain_id={HW}"),
            "idp_name=wecom",
            "sso_type=iam_user",
        ],
    );
    assert_eq!(
        h.url,
        format!("https://auth.huaweicloud.com/authui/federation/websso?domain_id={HW}&idp=wecom&protocol=saml")
    );
    let h = home(
        "tencent-role",
        &["account_id=100012345678", "provider_name=wecom", "role=r"],
    );
    assert_eq!(
        (h.url.as_str(), h.mode),
        (
            "https://cloud.tencent.com/login/forwardIdp/100012345678/wecom",
            Mode::SpInitiated
        )
    );
    let h = home(
        "tencent-role",
        &[
            "account_id=100012345678",
            "provider_name=wecom",
            "role=r",
            "site=intl",
        ],
    );
    assert_eq!((h.url.as_str(), h.mode), (MOUNT, Mode::IdpInitiated));
    let h = home("tencent-user", &["account_id=100012345678"]);
    assert_eq!(
        (h.url.as_str(), h.mode),
        (
            "https://cloud.tencent.com/login/subAccount/100012345678?type=subAccount",
            Mode::SpInitiated
        )
    );
    let h = home("aliyun-user", &["account_id=1234567890123456"]);
    assert_eq!(
        (h.url.as_str(), h.mode),
        (
            "https://signin.aliyun.com/1234567890123456.onaliyun.com/login.htm",
            Mode::SpInitiated
        )
    );
    let h = home("aliyun-user", &["account_id=1234567890123456", "site=intl"]);
    assert!(h.url.starts_with("https://signin.alibabacloud.com/"));
    let h = home(
        "aliyun-cloudsso",
        &["login_url=https://signin-cn-shanghai.alibabacloudsso.com/d-abc/login"],
    );
    assert_eq!(h.mode, Mode::SpInitiated);
    assert_eq!(home("aliyun-cloudsso", &[]).mode, Mode::IdpInitiated);
    let h = home(
        "aws-identity-center",
        &["login_url=https://d-9067c1a2b3.awsapps.com/start"],
    );
    assert_eq!(
        (h.url.as_str(), h.mode),
        ("https://d-9067c1a2b3.awsapps.com/start", Mode::SpInitiated)
    );
    assert_eq!(home("aws-identity-center", &[]).mode, Mode::IdpInitiated);
    assert_eq!(
        home("volcengine-user", &["account_id=2100012345"]).mode,
        Mode::IdpInitiated
    );
    assert_eq!(home("generic", &[]).url, MOUNT);
    assert_eq!(
        home("generic", &["login_url=https://sp.example/login"]).mode,
        Mode::SpInitiated
    );
    // The IdP-initiated-only consoles say so.
    for (p, v) in [
        (
            "aliyun-role",
            &["account_id=1234567890123456", "provider_name=p", "role=r"][..],
        ),
        (
            "aws-role",
            &["account_id=123456789012", "provider_name=p", "role=r"][..],
        ),
        (
            "volcengine-role",
            &["account_id=2100012345", "provider_name=p", "role=r"][..],
        ),
        (
            "baidu-role",
            &[
                "account_id=a0d04d7c202140cb80155ff7b6752ce4",
                "provider_name=p",
                "role=r",
            ][..],
        ),
        (
            "kingsoft-role",
            &["account_id=2000012345", "provider_name=p", "role=r"][..],
        ),
    ] {
        let h = home(p, v);
        assert_eq!((h.url.as_str(), h.mode), (MOUNT, Mode::IdpInitiated), "{p}");
        assert!(
            h.reason.en.contains("cannot start a login"),
            "{p}: {}",
            h.reason.en
        );
    }
    // An app without a preset.
    assert_eq!(
        homepage(&AppSettings::default(), MOUNT).mode,
        Mode::IdpInitiated
    );
}

#[test]
fn sp_data_per_site() {
    let sp = |p: &str, v: &[&str]| match make(p, v).unwrap().0 {
        Sp::Fixed(m) => (
            m.entity_id,
            m.acs[0].location.clone(),
            m.authn_requests_signed,
        ),
        Sp::FromFile(w) => panic!("{p}: from file {w}"),
    };
    let hw = sp("huawei", &[&format!("account_id={HW}"), "provider_name=p"]);
    assert_eq!(hw.0, "https://auth.huaweicloud.com/");
    assert!(hw.2, "Huawei signs its AuthnRequests");
    if let Sp::Fixed(m) = make("huawei", &[&format!("account_id={HW}"), "provider_name=p"])
        .unwrap()
        .0
    {
        assert_eq!(
            m.signing_x509().unwrap().len(),
            1,
            "the built-in certificate parses"
        );
        assert!(m.encryption_certs.is_empty(), "never encrypt for Huawei");
    }
    let intl = sp(
        "tencent-role",
        &[
            "account_id=100012345678",
            "provider_name=p",
            "role=r",
            "site=intl",
        ],
    );
    assert_eq!(
        (intl.0.as_str(), intl.1.as_str()),
        (
            "www.tencentcloud.com",
            "https://www.tencentcloud.com/login/saml"
        ),
        "Tencent's international docs"
    );
    let older = sp(
        "tencent-role",
        &[
            "account_id=100012345678",
            "provider_name=p",
            "role=r",
            "site=intl",
            "entity_id=intl.cloud.tencent.com",
        ],
    );
    assert_eq!(
        (older.0.as_str(), older.1.as_str()),
        (
            "intl.cloud.tencent.com",
            "https://intl.cloud.tencent.com/login/saml"
        ),
        "the older pair keeps its own ACS"
    );
    let volc = |v: &[&str]| {
        let mut all = vec!["account_id=2100012345", "provider_name=p", "role=r"];
        all.extend_from_slice(v);
        sp("volcengine-role", &all).0
    };
    assert_eq!(volc(&[]), "https://www.volcengine.com/");
    assert_eq!(
        volc(&["audience=https://console.volcengine.com"]),
        "https://console.volcengine.com",
        "the Audience is the SP entity ID we record"
    );
    assert_eq!(
        sp(
            "tencent-role",
            &[
                "account_id=100012345678",
                "provider_name=p",
                "role=r",
                "entity_id=https://cloud.tencent.com"
            ]
        )
        .0,
        "https://cloud.tencent.com"
    );
    for p in [
        "tencent-user",
        "tencent-cic",
        "huawei-identity-center",
        "aliyun-user",
        "aliyun-cloudsso",
        "aws-identity-center",
        "volcengine-user",
        "generic",
    ] {
        let v: &[&str] = match p {
            "tencent-user" => &["account_id=100012345678"],
            "aliyun-user" => &["account_id=1234567890123456"],
            "volcengine-user" => &["account_id=2100012345"],
            _ => &[],
        };
        assert!(
            matches!(make(p, v).unwrap().0, Sp::FromFile(_)),
            "{p} needs --metadata"
        );
    }
}

#[test]
fn role_session_names_fit_each_provider() {
    let rule = |p: &str, v: &[&str]| make(p, v).unwrap().1.session_name.unwrap();
    let tc = rule(
        "tencent-role",
        &["account_id=100012345678", "provider_name=p", "role=r"],
    );
    let long = "a.very.long.wecom.userid.of.forty.chars";
    let fitted = tc.fit(long);
    assert!(fitted.len() <= 32, "{fitted}");
    assert_eq!(fitted, tc.fit(long), "deterministic");
    assert_ne!(
        fitted,
        tc.fit("a.very.long.wecom.userid.of.forty.charz"),
        "no collision"
    );
    let ali = rule(
        "aliyun-role",
        &["account_id=1234567890123456", "provider_name=p", "role=r"],
    );
    let zh = ali.fit("张三");
    assert!(zh.is_ascii() && zh.len() >= 2, "{zh}");
    assert_eq!(ali.fit("zhang+san"), ali.fit("zhang+san"));
    assert!(
        !ali.fit("zhang+san").contains('+'),
        "Alibaba does not take +"
    );
    let aws = rule(
        "aws-role",
        &["account_id=123456789012", "provider_name=p", "role=r"],
    );
    assert_eq!(aws.fit("zhang+san"), "zhang+san", "AWS takes +");
    assert!(aws.fit("z").len() >= 2);
    // The source is configurable.
    let (_, s) = make(
        "aws-role",
        &[
            "account_id=123456789012",
            "provider_name=p",
            "role=r",
            "session_name_source=email",
        ],
    )
    .unwrap();
    assert_eq!(
        s.session_name.unwrap().source,
        crate::identity::Source::Email
    );
    assert!(make(
        "tencent-user",
        &["account_id=100012345678", "session_name_source=email"]
    )
    .is_err());
}

// Rule: every preset's "why this homepage" reads in Chinese on a Chinese page, whichever
// parameters the app has.
#[test]
fn homepage_reasons_have_chinese() {
    let han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let variants: &[&[(&str, &str)]] = &[
        &[],
        &[("account_id", "2100012345"), ("provider_name", "p")],
        &[
            ("account_id", "2100012345"),
            ("provider_name", "p"),
            ("site", "intl"),
        ],
        &[("login_url", "https://console.example.com/login")],
    ];
    for p in all() {
        for v in variants {
            let mut s = AppSettings::default();
            for (k, val) in *v {
                s.params.insert((*k).into(), (*val).into());
            }
            let h = p.homepage(&s, MOUNT);
            assert!(
                !h.reason.en.is_empty() && han(h.reason.zh),
                "{}: {:?}",
                p.name,
                h.reason
            );
        }
    }
    let h = homepage(&AppSettings::default(), MOUNT);
    assert!(han(h.reason.zh), "{:?}", h.reason);
}

#[test]
fn aws_roles_under_a_path_are_accepted() {
    let (_, s) = make(
        "aws-role",
        &[
            "account_id=123456789012",
            "provider_name=WeCom",
            "role=path/to/ReadOnly",
            "role_rules=user:zhangsan=engineering/Admin|Billing",
        ],
    )
    .unwrap();
    assert_eq!(s.roles.default_role.as_deref(), Some("path/to/ReadOnly"));
    let role = s
        .attributes
        .iter()
        .find(|a| a.name == "https://aws.amazon.com/SAML/Attributes/Role")
        .unwrap();
    assert_eq!(
        role.source,
        Source::Template(
            "arn:aws:iam::{account_id}:role/{role},arn:aws:iam::{account_id}:saml-provider/{provider_name}"
                .into()
        ),
        "the path lands after role/ in the ARN"
    );
}

// Rule: the shipped international Tencent role-SSO metadata and the preset's international
// defaults name the same entity ID and ACS.
#[test]
fn tencent_intl_metadata_file_matches_the_preset() {
    let xml = include_str!("../../metadata/tencent/role-sso-intl.xml");
    let now = time::macros::datetime!(2026-01-01 0:00 UTC);
    let m = crate::saml::sp_metadata::import(xml.as_bytes(), None, now)
        .unwrap_or_else(|e| panic!("{e:?}"))
        .metadata;
    assert_eq!(m.entity_id, tencent::INTL_ENTITY);
    assert_eq!(m.acs[0].location, tencent::INTL_ACS);
}

// Rule: every attribute a Huawei conversion-rule example in the guide reads (`remote[].type`) is
// one the huawei preset (virtual-user SSO) sends.
#[test]
fn huawei_guide_rules_read_attributes_the_preset_sends() {
    let (_, s) = make("huawei", &[&format!("account_id={HW}"), "provider_name=p"]).unwrap();
    let sent: Vec<&str> = s.attributes.iter().map(|a| a.name.as_str()).collect();
    let guide = include_str!("../../metadata/huawei/README.md");
    let mut checked = 0;
    for block in guide.split("```json").skip(1) {
        let json = block.split("```").next().unwrap();
        let rules: serde_json::Value = serde_json::from_str(json).unwrap();
        for rule in rules.as_array().unwrap() {
            for remote in rule["remote"].as_array().unwrap() {
                let t = remote["type"].as_str().unwrap();
                assert!(
                    sent.contains(&t),
                    "the guide reads `{t}`; the preset sends {sent:?}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 4, "the guide's examples were found");
}

#[test]
fn identity_center_presets_take_the_portal_as_homepage() {
    for (p, url, bad) in [
        (
            "tencent-cic",
            "https://tencentcloudsso.com/login/myspace",
            "tencentcloudsso.com",
        ),
        (
            "huawei-identity-center",
            "https://myspace.portal.huaweicloud.com/",
            "huaweicloud.com",
        ),
    ] {
        let h = home(p, &[]);
        assert_eq!(h.mode, Mode::IdpInitiated, "{p}");
        let h = home(p, &[&format!("login_url={url}")]);
        assert_eq!((h.url.as_str(), h.mode), (url, Mode::SpInitiated), "{p}");
        let e = err(p, &["login_url=https://evil.example/"]);
        assert!(e.contains(bad), "{p}: {e}");
        let (_, s) = make(p, &[]).unwrap();
        assert_eq!(s.name_id_source, Source::Userid, "{p}: NameID = user name");
        assert!(s.attributes.is_empty(), "{p}");
        assert_eq!(s.preset.as_deref(), Some(p));
        assert!(!s.roles.required, "{p}: roles are assigned in the console");
    }
}

/// The Role attribute's values a member gets from an app made with `v`: the rules applied to
/// the member (in `dept`), then the attribute's template rendered per role.
fn role_values(preset: &str, v: &[&str], attr_name: &str, dept: i64) -> Vec<String> {
    use crate::identity::roles::MemberTags;
    use crate::identity::{Context, Profile};
    let (_, s) = make(preset, v).unwrap();
    let member = Profile {
        userid: "zhangsan".into(),
        department_ids: vec![dept],
        ..Default::default()
    };
    let roles = s
        .roles
        .roles_for(&member, &Default::default(), &MemberTags::default());
    let ctx = Context {
        profile: &member,
        params: &s.params,
        roles: &roles,
        session_name: Some("zhangsan"),
        relay_state: None,
        accounts: &s.roles.accounts,
    };
    let a = s.attributes.iter().find(|a| a.name == attr_name).unwrap();
    a.source.render(&ctx)
}

#[test]
fn several_accounts_give_one_role_value_per_account_and_role() {
    // Each vendor: the app's own account, a second one with its own provider name, rules in two
    // accounts, a member in department 2 matched by two rules (union), values in rule order, the
    // own account's role once although named twice.
    let rules = |own: &str, other: &str| {
        format!("role_rules=dept:2=Admin|{own}:Admin;dept:2={other}:Dev;dept:3={other}:Ops")
    };
    let cases = [
        (
            "aws-role",
            "111122223333",
            "444455556666",
            "https://aws.amazon.com/SAML/Attributes/Role",
            [
                "arn:aws:iam::111122223333:role/Admin,arn:aws:iam::111122223333:saml-provider/wecom",
                "arn:aws:iam::444455556666:role/Dev,arn:aws:iam::444455556666:saml-provider/wecom-b",
            ],
        ),
        (
            "aliyun-role",
            "1234567890123456",
            "6543210987654321",
            "https://www.aliyun.com/SAML-Role/Attributes/Role",
            [
                "acs:ram::1234567890123456:role/Admin,acs:ram::1234567890123456:saml-provider/wecom",
                "acs:ram::6543210987654321:role/Dev,acs:ram::6543210987654321:saml-provider/wecom-b",
            ],
        ),
        (
            "tencent-role",
            "100012345678",
            "100087654321",
            "https://cloud.tencent.com/SAML/Attributes/Role",
            [
                "qcs::cam::uin/100012345678:roleName/Admin,qcs::cam::uin/100012345678:saml-provider/wecom",
                "qcs::cam::uin/100087654321:roleName/Dev,qcs::cam::uin/100087654321:saml-provider/wecom-b",
            ],
        ),
        (
            "volcengine-role",
            "2100012345",
            "2100054321",
            "https://www.volcengine.com/SAML/Attributes/Identity",
            [
                "trn:iam::2100012345:role/Admin,trn:iam::2100012345:saml-provider/wecom",
                "trn:iam::2100054321:role/Dev,trn:iam::2100054321:saml-provider/wecom-b",
            ],
        ),
    ];
    for (preset, own, other, attr_name, want) in cases {
        let v = [
            format!("account_id={own}"),
            "provider_name=wecom".to_string(),
            format!("accounts={other}:wecom-b"),
            rules(own, other),
            "role_mode=union".to_string(),
        ];
        let v: Vec<&str> = v.iter().map(String::as_str).collect();
        assert_eq!(role_values(preset, &v, attr_name, 2), want, "{preset}");
        // A member of no rule's department: no role, no value (the login refuses them).
        assert!(role_values(preset, &v, attr_name, 9).is_empty(), "{preset}");
        // An account not listed, and an account of the wrong shape, are refused with the reason.
        let mut unlisted = v.clone();
        unlisted[2] = "accounts=";
        let e = err(preset, &unlisted);
        assert!(e.contains(&format!("accounts=…,{other}")), "{preset}: {e}");
        let mut short = v.clone();
        short[3] = "role_rules=dept:2=12:Admin";
        let e = err(preset, &short);
        assert!(
            e.contains("account in `12:Admin`") && e.contains("digits"),
            "{preset}: {e}"
        );
    }
}

fn aws_with(extra: &str) -> Vec<&str> {
    vec![
        "account_id=111122223333",
        "provider_name=wecom",
        extra,
        "role=Admin",
    ]
}

#[test]
fn providers_per_account_follow_each_console_rule() {
    for (extra, want) in [
        ("accounts=444455556666:bad name", "without spaces"),
        (
            "accounts=444455556666:bad!",
            "account 444455556666: provider_name",
        ),
        ("accounts=4444", "12 digits"),
        ("accounts=111122223333", "own account_id"),
        ("role_rules=user:a=abc:Admin", "ACCOUNT:ROLE"),
    ] {
        let e = err("aws-role", &aws_with(extra));
        assert!(e.contains(want), "{extra}: {e}");
    }
    // An AWS role under a path in another account: the account comes first.
    let mut v = aws_with("accounts=444455556666");
    v.push("role_rules=user:zhangsan=444455556666:path/to/Admin");
    let values = role_values(
        "aws-role",
        &v,
        "https://aws.amazon.com/SAML/Attributes/Role",
        1,
    );
    assert_eq!(
        values,
        ["arn:aws:iam::444455556666:role/path/to/Admin,arn:aws:iam::444455556666:saml-provider/wecom"]
    );
}

#[test]
fn one_account_consoles_refuse_several_with_the_reason() {
    let e = err(
        "huawei",
        &[
            &format!("account_id={HW}"),
            "provider_name=wecom",
            "accounts=123",
        ],
    );
    assert!(
        e.contains("IAM_SAML_Attributes_domain_id") && e.contains("one app per Huawei account"),
        "{e}"
    );
    let e = err(
        "baidu-role",
        &[
            &format!("account_id={HW}"),
            "provider_name=wecom",
            "role_rules=user:a=123:Admin",
        ],
    );
    assert!(
        e.contains("names an account") && e.contains("unverified"),
        "{e}"
    );
    let e = err("aws-identity-center", &["accounts=111122223333"]);
    assert!(e.contains("no Role attribute"), "{e}");
}

// Rule: aws-role with encryption=required answers at the provider's own ACS with the Assertion
// encrypted, and says what it needs when idp_id or region is missing or wrong.
#[test]
fn aws_role_encryption_required() {
    fn with(extra: &[&'static str]) -> Vec<&'static str> {
        let base = [
            "account_id=123456789012",
            "provider_name=WeCom",
            "role=Admin",
        ];
        base.iter().chain(extra).copied().collect()
    }
    let (sp, s) = make(
        "aws-role",
        &with(&[
            "encryption=required",
            "idp_id=a1b2c3d4-e5f6",
            "region=us-east-1",
        ]),
    )
    .unwrap();
    let Sp::Fixed(m) = sp else {
        panic!("aws-role builds its SP")
    };
    assert_eq!(m.entity_id, "urn:amazon:webservices");
    assert_eq!(
        m.acs[0].location,
        "https://us-east-1.signin.aws.amazon.com/saml/acs/a1b2c3d4-e5f6"
    );
    assert!(s.encrypt_assertion);
    assert_eq!(
        s.params.get("sp_metadata_url").map(String::as_str),
        Some("https://us-east-1.signin.aws.amazon.com/static/saml/a1b2c3d4-e5f6/saml-metadata.xml")
    );
    // Without encryption nothing changes.
    let (sp, s) = make("aws-role", &with(&[])).unwrap();
    let Sp::Fixed(m) = sp else { panic!() };
    assert_eq!(m.acs[0].location, "https://signin.aws.amazon.com/saml");
    assert!(!s.encrypt_assertion);
    for (extra, says) in [
        (&["encryption=required"][..], "needs idp_id"),
        (&["encryption=required", "idp_id=abc"][..], "needs idp_id"),
        (
            &["encryption=required", "region=us-east-1"][..],
            "needs idp_id",
        ),
        (
            &["encryption=required", "idp_id=abc", "region=Mars"][..],
            "AWS region",
        ),
        (
            &["encryption=required", "idp_id=a/b", "region=us-east-1"][..],
            "idp_id `a/b`",
        ),
        (
            &["idp_id=abc", "region=us-east-1"][..],
            "are for encryption=required",
        ),
        (&["encryption=maybe"][..], "use off or required"),
        (
            &[
                "encryption=required",
                "idp_id=abc",
                "region=cn-north-1",
                "partition=aws-cn",
            ][..],
            "partition=aws only",
        ),
    ] {
        let e = err("aws-role", &with(extra));
        assert!(e.contains(says), "{extra:?}: {e}");
    }
}

#[test]
// Rule: AWS IAM Identity Center's and Huawei Cloud IAM Identity Center's SCIM endpoints have no PUT
// on groups, so their presets change groups by PATCH; the others keep the default PUT.
fn identity_centers_without_group_put_change_groups_by_patch() {
    use crate::apps::ScimGroupUpdate;
    for patch in ["aws-identity-center", "huawei-identity-center"] {
        let (_, s) = make(patch, &[]).unwrap();
        assert_eq!(s.scim_group_update, ScimGroupUpdate::Patch, "{patch}");
    }
    let (_, s) = make("tencent-cic", &[]).unwrap();
    assert_eq!(s.scim_group_update, ScimGroupUpdate::Put);
}
