//! Cloud console presets end to end: for every preset variant, an app made the way `app add
//! --preset` makes it, a WeCom member's full login, and the Response's fields (Destination,
//! Recipient, Audience, NameID, attributes with NameFormat and values) compared with a reviewed
//! golden file under `tests/golden/presets/`; every Response also verified by xmlsec1. Then the
//! refusal of a member without a role, role rules on a parent department, and Huawei's
//! console-started (SP-initiated) login with a signed AuthnRequest.
//!
//! `UPDATE_GOLDEN=1 cargo test presets` rewrites the golden files; review the diff before committing.

use crate::both_dbs;
use crate::harness::*;
use wecom_idp::clock::Clock;
use wecom_idp::saml::dom;

/// SP metadata for per-account variants (what the console would let the admin download).
pub(crate) fn sp_metadata(entity: &str, acs: &str, cert_b64: Option<&str>) -> String {
    let key = cert_b64
        .map(|c| {
            format!(
                "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\
                 <ds:X509Data><ds:X509Certificate>{c}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\
                 </md:KeyDescriptor>"
            )
        })
        .unwrap_or_default();
    format!(
        "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"{entity}\">\
         <md:SPSSODescriptor AuthnRequestsSigned=\"true\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">{key}\
         <md:AssertionConsumerService Binding=\"{POST}\" Location=\"{acs}\" index=\"0\" isDefault=\"true\"/>\
         </md:SPSSODescriptor></md:EntityDescriptor>"
    )
}

/// Adds an app as `wecom-idp app add NAME --preset P --set … [--metadata F]` does.
pub(crate) async fn add(
    env: &Env,
    name: &str,
    preset: &str,
    sets: &[&str],
    metadata: Option<&str>,
) {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    wecom_idp::cli::add_preset_app(
        &env.state.store,
        name,
        preset,
        metadata.map(str::as_bytes),
        None,
        &sets,
        &*env.clock,
    )
    .await
    .unwrap_or_else(|e| panic!("{name}: {e}"));
}

/// The fields of a Response a console checks, one per line (IDs, instants and signatures left out).
fn fields(form: &PostedForm) -> String {
    let s = Saml::of(form);
    let d = &s.doc;
    let scd = [
        "Assertion",
        "Subject",
        "SubjectConfirmation",
        "SubjectConfirmationData",
    ];
    let format = s.at(&["Assertion", "Subject", "NameID"], "Format").unwrap();
    let name_id = if format.ends_with(":transient") {
        "(transient: random)".to_string()
    } else {
        s.name_id()
    };
    let mut out = vec![
        format!("form action: {}", form.action),
        format!("RelayState: {}", form.relay_state.as_deref().unwrap_or("-")),
        format!("Destination: {}", s.root_attr("Destination").unwrap()),
        format!(
            "InResponseTo: {}",
            s.root_attr("InResponseTo")
                .map(|_| "(the request's ID)".to_string())
                .unwrap_or_else(|| "-".into())
        ),
        format!("Status: {}", s.status()),
        format!("NameID Format: {format}"),
        format!("NameID: {name_id}"),
        format!("Recipient: {}", s.at(&scd, "Recipient").unwrap()),
        format!(
            "Audience: {}",
            s.text_at(&["Assertion", "Conditions", "AudienceRestriction", "Audience"])
                .unwrap()
        ),
    ];
    if let Some(st) = s
        .assertion()
        .and_then(|a| d.find_child(a, dom::ns::SAML, "AttributeStatement"))
    {
        for a in d.child_elements(st) {
            let el = d.element(a);
            let values: Vec<String> = d.child_elements(a).map(|v| d.text(v)).collect();
            out.push(format!(
                "Attribute {} [{}]: {}",
                el.attr("Name").unwrap(),
                el.attr("NameFormat")
                    .unwrap_or("-")
                    .rsplit(':')
                    .next()
                    .unwrap(),
                values.join(" | ")
            ));
        }
    }
    out.join("\n") + "\n"
}

fn golden(name: &str, got: &str) {
    let path = format!(
        "{}/tests/golden/presets/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(std::path::Path::new(&path).parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!("no golden file {path}; run with UPDATE_GOLDEN=1 and review it")
    });
    assert_eq!(got, want, "{name}: the Response differs from {path}");
}

/// One preset variant: how it is added, and what its Response must be sent to.
/// (Shared with `interop`, which has each variant's Response checked by python3-saml.)
pub(crate) struct Case {
    pub(crate) app: &'static str,
    pub(crate) preset: &'static str,
    pub(crate) sets: &'static [&'static str],
    pub(crate) metadata: Option<(&'static str, &'static str)>,
    pub(crate) entity: &'static str,
    pub(crate) acs: &'static str,
}

pub(crate) const CASES: &[Case] = &[
    Case {
        app: "generic",
        preset: "generic",
        sets: &["attribute=https://sp.example/Groups=template:wecom/{position}"],
        metadata: Some((
            "https://sp.example/generic",
            "https://sp.example/generic/acs",
        )),
        entity: "https://sp.example/generic",
        acs: "https://sp.example/generic/acs",
    },
    Case {
        app: "huawei-virtual",
        preset: "huawei",
        sets: &[
            "domain_id=0123456789abcdef0123456789abcdef",
            "idp_name=wecom_idp",
            "session_duration=3600",
            "relay_state=https://console.huaweicloud.com/iam/",
        ],
        metadata: None,
        entity: "https://auth.huaweicloud.com/",
        acs: "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer",
    },
    Case {
        app: "huawei-identity-center",
        preset: "huawei-identity-center",
        sets: &[],
        metadata: Some((
            "https://identitycenter.huaweicloud.com/saml/sp/i-0a1b2c3d",
            "https://identitycenter.huaweicloud.com/saml/acs/i-0a1b2c3d",
        )),
        entity: "https://identitycenter.huaweicloud.com/saml/sp/i-0a1b2c3d",
        acs: "https://identitycenter.huaweicloud.com/saml/acs/i-0a1b2c3d",
    },
    Case {
        app: "huawei-iam-user",
        preset: "huawei",
        sets: &[
            "account_id=0123456789abcdef0123456789abcdef",
            "provider_name=wecom",
            "sso_type=iam_user",
        ],
        metadata: None,
        entity: "https://auth.huaweicloud.com/",
        acs: "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer",
    },
    Case {
        app: "tencent-role",
        preset: "tencent-role",
        sets: &[
            "account_id=100012345678",
            "provider_name=wecom",
            "role=ReadOnly",
            "role_rules=user:zhangsan=Admin|Auditor",
        ],
        metadata: None,
        entity: "cloud.tencent.com",
        acs: "https://cloud.tencent.com/login/saml",
    },
    Case {
        app: "tencent-user",
        preset: "tencent-user",
        sets: &["account_id=100012345678"],
        metadata: Some((
            "https://cloud.tencent.com/100012345678/saml",
            "https://cloud.tencent.com/login/samlSSO",
        )),
        entity: "https://cloud.tencent.com/100012345678/saml",
        acs: "https://cloud.tencent.com/login/samlSSO",
    },
    Case {
        app: "tencent-cic",
        preset: "tencent-cic",
        sets: &["login_url=https://tencentcloudsso.com/login/myspace"],
        metadata: Some((
            "https://tencentcloudsso.com/saml/sp/z-0a1b2c3d",
            "https://tencentcloudsso.com/saml/acs/z-0a1b2c3d",
        )),
        entity: "https://tencentcloudsso.com/saml/sp/z-0a1b2c3d",
        acs: "https://tencentcloudsso.com/saml/acs/z-0a1b2c3d",
    },
    Case {
        app: "aliyun-role-intl",
        preset: "aliyun-role",
        sets: &[
            "account_id=1234567890123456",
            "provider_name=wecom",
            "role=developer",
            "site=intl",
            "session_duration=3600",
            "session_name_source=name",
            "relay_state=https://home.console.alibabacloud.com/",
        ],
        metadata: None,
        entity: "urn:alibaba:cloudcomputing:international",
        acs: "https://signin.alibabacloud.com/saml-role/sso",
    },
    Case {
        app: "aliyun-role",
        preset: "aliyun-role",
        sets: &[
            "account_id=1234567890123456",
            "provider_name=wecom",
            "role=developer",
        ],
        metadata: None,
        entity: "urn:alibaba:cloudcomputing",
        acs: "https://signin.aliyun.com/saml-role/sso",
    },
    Case {
        app: "aliyun-user",
        preset: "aliyun-user",
        sets: &["account_id=1234567890123456"],
        metadata: Some((
            "https://signin.aliyun.com/1234567890123456/saml/SSO",
            "https://signin.aliyun.com/saml/SSO",
        )),
        entity: "https://signin.aliyun.com/1234567890123456/saml/SSO",
        acs: "https://signin.aliyun.com/saml/SSO",
    },
    Case {
        app: "aliyun-cloudsso",
        preset: "aliyun-cloudsso",
        sets: &[],
        metadata: Some((
            "https://signin-cn-shanghai.alibabacloudsso.com/saml/sp/d-00abc",
            "https://signin-cn-shanghai.alibabacloudsso.com/saml/acs/7c0e4f6a",
        )),
        entity: "https://signin-cn-shanghai.alibabacloudsso.com/saml/sp/d-00abc",
        acs: "https://signin-cn-shanghai.alibabacloudsso.com/saml/acs/7c0e4f6a",
    },
    Case {
        app: "aws-role",
        preset: "aws-role",
        sets: &[
            "account_id=123456789012",
            "provider_name=WeCom",
            "role=ReadOnly",
            "role_rules=dept:1=PowerUser;position:nobody=Admin;user:zhangsan=Billing",
            "role_mode=union",
            "attribute_per_value=true",
            "session_duration=7200",
        ],
        metadata: None,
        entity: "urn:amazon:webservices",
        acs: "https://signin.aws.amazon.com/saml",
    },
    Case {
        app: "aws-role-cn",
        preset: "aws-role",
        sets: &[
            "account_id=123456789012",
            "provider_name=WeCom",
            "role=ReadOnly",
            "partition=aws-cn",
        ],
        metadata: None,
        entity: "urn:amazon:webservices:cn-north-1",
        acs: "https://signin.amazonaws.cn/saml",
    },
    Case {
        app: "aws-role-path",
        preset: "aws-role",
        sets: &[
            "account_id=123456789012",
            "provider_name=WeCom",
            "role=path/to/ReadOnly",
            "role_rules=user:zhangsan=engineering/Admin|Billing",
        ],
        metadata: None,
        entity: "urn:amazon:webservices",
        acs: "https://signin.aws.amazon.com/saml",
    },
    Case {
        app: "aws-identity-center",
        preset: "aws-identity-center",
        sets: &["login_url=https://d-9067c1a2b3.awsapps.com/start"],
        metadata: Some((
            "https://us-east-1.signin.aws.amazon.com/platform/saml/d-9067c1a2b3",
            "https://us-east-1.signin.aws.amazon.com/platform/saml/acs/5d1c7e3e",
        )),
        entity: "https://us-east-1.signin.aws.amazon.com/platform/saml/d-9067c1a2b3",
        acs: "https://us-east-1.signin.aws.amazon.com/platform/saml/acs/5d1c7e3e",
    },
    Case {
        app: "volcengine-role",
        preset: "volcengine-role",
        sets: &[
            "account_id=2100012345",
            "provider_name=wecom",
            "role=dev",
            "session_duration=3600",
        ],
        metadata: None,
        entity: "https://www.volcengine.com/",
        acs: "https://signin.volcengine.com/saml/sso",
    },
    Case {
        app: "volcengine-role-console-audience",
        preset: "volcengine-role",
        sets: &[
            "account_id=2100012345",
            "provider_name=wecom",
            "role=dev",
            "audience=https://console.volcengine.com",
        ],
        metadata: None,
        entity: "https://console.volcengine.com",
        acs: "https://signin.volcengine.com/saml/sso",
    },
    Case {
        app: "volcengine-user",
        preset: "volcengine-user",
        sets: &["account_id=2100012345"],
        metadata: Some((
            "https://signin.volcengine.com/2100012345/saml_user/sso",
            "https://signin.volcengine.com/saml/sso",
        )),
        entity: "https://signin.volcengine.com/2100012345/saml_user/sso",
        acs: "https://signin.volcengine.com/saml/sso",
    },
    Case {
        app: "baidu-role",
        preset: "baidu-role",
        sets: &[
            "account_id=a0d04d7c202140cb80155ff7b6752ce4",
            "provider_name=wecom",
            "role=dev",
        ],
        metadata: None,
        entity: "urn:bce:baidu:webservices",
        acs: "https://login.bce.baidu.com/saml",
    },
    Case {
        app: "kingsoft-role",
        preset: "kingsoft-role",
        sets: &[
            "account_id=2000012345",
            "provider_name=wecom",
            "role=dev",
            "session_duration=600",
        ],
        metadata: None,
        entity: "urn:ksyun:cloudcomputing",
        acs: "https://signin.ksyun.com/saml-role/sso",
    },
];

both_dbs!(every_preset_variant_signs_a_member_in, every_variant);
async fn every_variant(env: Env) {
    for c in CASES {
        let xml = c.metadata.map(|(e, a)| sp_metadata(e, a, None));
        add(&env, c.app, c.preset, c.sets, xml.as_deref()).await;
        let b = env.browser(WXWORK_UA);
        let form = env.login_in_client(&b, c.app, "zhangsan").await;
        let (_, assertion_signed) = assert_independently_verified(&env, &form);
        assert!(
            assertion_signed,
            "{}: every console wants the Assertion signed",
            c.app
        );
        let s = Saml::of(&form);
        assert_eq!(form.action, c.acs, "{}", c.app);
        assert_eq!(s.root_attr("Destination").unwrap(), c.acs, "{}", c.app);
        assert_eq!(
            s.at(
                &[
                    "Assertion",
                    "Subject",
                    "SubjectConfirmation",
                    "SubjectConfirmationData"
                ],
                "Recipient"
            )
            .unwrap(),
            c.acs,
            "{}",
            c.app
        );
        assert_eq!(
            s.text_at(&["Assertion", "Conditions", "AudienceRestriction", "Audience"])
                .unwrap(),
            c.entity,
            "{}",
            c.app
        );
        golden(c.app, &fields(&form));
        // Entity IDs are unique per instance: make room for the next variant of the same console.
        assert!(env.state.store.remove_app(c.app).await.unwrap());
    }
}

both_dbs!(
    a_member_without_a_role_is_refused_before_anything_is_sent,
    no_role
);
async fn no_role(env: Env) {
    add(
        &env,
        "tencent",
        "tencent-role",
        &[
            "account_id=100012345678",
            "provider_name=wecom",
            "role_rules=user:lisi=Ops;dept:3=Ops",
            "role_contact=IT 服务台 it@example.com",
        ],
        None,
    )
    .await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let page = b.follow(&format!("{}/apps/tencent/start", env.base)).await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.form().is_none(), "nothing is posted to the console");
    assert_eq!(page.reason().as_deref(), Some("no_role"));
    assert!(
        page.body.contains("it@example.com"),
        "the page says whom to ask"
    );
    let audit = env.audit().await;
    assert!(audit
        .iter()
        .any(|r| r.reason == "no_role" && r.userid.as_deref() == Some("zhangsan")));
    // lisi (department 3) gets Ops.
    let b = env.browser(WXWORK_UA);
    let form = env.login_in_client(&b, "tencent", "lisi").await;
    assert_eq!(
        Saml::of(&form)
            .attribute("https://cloud.tencent.com/SAML/Attributes/Role")
            .unwrap(),
        vec!["qcs::cam::uin/100012345678:roleName/Ops,qcs::cam::uin/100012345678:saml-provider/wecom"]
    );
}

both_dbs!(
    huawei_console_started_login_answers_the_signed_request,
    huawei_sp_initiated
);
async fn huawei_sp_initiated(env: Env) {
    // Huawei's own key is not ours to sign with: the test SP's key stands in for it, given as the
    // fresher metadata an admin may pass on top of the preset.
    let entity = "https://auth.huaweicloud.com/";
    let acs = "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer";
    let xml = sp_metadata(entity, acs, Some(&env.sp.cert_b64));
    add(
        &env,
        "huawei",
        "huawei",
        &[
            "account_id=0123456789abcdef0123456789abcdef",
            "provider_name=wecom",
        ],
        Some(&xml),
    )
    .await;
    let mut req = Req::new(&env, "huawei");
    req.issuer = entity.into();
    req.acs_url = Some(acs.into());
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    // Unsigned: refused, Huawei signs its requests.
    let page = b.follow(&redirect_url(&env, &req.xml(), None)).await;
    assert!(
        page.form().is_none() && page.status >= 400,
        "{}",
        page.status
    );
    let mut req2 = Req::new(&env, "huawei");
    req2.issuer = entity.into();
    req2.acs_url = Some(acs.into());
    let url = signed_redirect_url(&env, &req2.xml(), Some("opaque-state"), &env.sp.key_pem);
    let page = b.follow(&url).await;
    let form = page
        .form()
        .unwrap_or_else(|| panic!("{} {}", page.status, page.body));
    assert_independently_verified(&env, &form);
    let s = Saml::of(&form);
    assert_eq!(
        s.root_attr("InResponseTo").as_deref(),
        Some(req2.id.as_str())
    );
    assert_eq!(form.relay_state.as_deref(), Some("opaque-state"));
    assert_eq!(
        s.attribute("IAM_SAML_Attributes_domain_id").unwrap(),
        vec!["0123456789abcdef0123456789abcdef"]
    );
    assert!(
        s.attribute("IAM_SAML_Attributes_redirect_url").is_none(),
        "the console's opaque RelayState is not a redirect URL"
    );
    let _ = env.clock.now();
}

both_dbs!(huawei_deep_links_follow_the_domain_rule, huawei_deep_link);
async fn huawei_deep_link(env: Env) {
    add(
        &env,
        "huawei",
        "huawei",
        &[
            "account_id=0123456789abcdef0123456789abcdef",
            "provider_name=wecom",
        ],
        None,
    )
    .await;
    let b = env.browser(WXWORK_UA);
    env.wecom_client_login(&b, "zhangsan").await;
    let deep = "https://console.huaweicloud.com/ecm/";
    let page = b
        .follow(&format!(
            "{}/apps/huawei/start?RelayState={}",
            env.base,
            enc(deep)
        ))
        .await;
    let form = page
        .form()
        .unwrap_or_else(|| panic!("{} {}", page.status, page.body));
    assert_eq!(form.relay_state.as_deref(), Some(deep));
    assert_eq!(
        Saml::of(&form)
            .attribute("IAM_SAML_Attributes_redirect_url")
            .unwrap(),
        vec![deep]
    );
    for bad in [
        "https://console.huaweicloud.com.evil.example/",
        "http://console.huaweicloud.com/",
    ] {
        let page = b
            .follow(&format!(
                "{}/apps/huawei/start?RelayState={}",
                env.base,
                enc(bad)
            ))
            .await;
        assert!(
            page.form().is_none() && page.status >= 400,
            "{bad}: {}",
            page.status
        );
    }
}

#[test]
fn cli_add_with_a_preset_prints_the_homepage_and_mode() {
    use crate::cli::{base_env, run, text};
    let dir = tempfile::tempdir().unwrap();
    let env = base_env(dir.path());
    let o = run(
        &[
            "app",
            "add",
            "huawei",
            "--preset",
            "huawei",
            "--set",
            "domain_id=0123456789abcdef0123456789abcdef",
            "--set",
            "idp_name=wecom",
        ],
        &env,
    );
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("\nhomepage: https://auth.huaweicloud.com/authui/federation/websso?domain_id=0123456789abcdef0123456789abcdef&idp=wecom&protocol=saml\n"), "{t}");
    assert!(t.contains("\nmode: sp-initiated\n"), "{t}");
    let o = run(
        &[
            "app",
            "add",
            "aws",
            "--preset",
            "aws-role",
            "--set",
            "account_id=123456789012",
            "--set",
            "provider_name=WeCom",
            "--set",
            "role=ReadOnly",
        ],
        &env,
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&["app", "show", "aws"], &env);
    let t = text(&o);
    assert!(
        t.contains("\nhomepage: https://idp.example.com/apps/aws/start\n")
            && t.contains("\nmode: idp-initiated\n"),
        "{t}"
    );
    // Missing and unknown parameters are named; nothing is added.
    let o = run(
        &[
            "app",
            "add",
            "tc",
            "--preset",
            "tencent-role",
            "--set",
            "account_id=100012345678",
        ],
        &env,
    );
    assert!(
        !o.status.success() && text(&o).contains("provider_name"),
        "{}",
        text(&o)
    );
    let o = run(
        &[
            "app",
            "add",
            "tc",
            "--preset",
            "tencent-role",
            "--set",
            "acount_id=1",
        ],
        &env,
    );
    assert!(
        !o.status.success() && text(&o).contains("`acount_id`"),
        "{}",
        text(&o)
    );
    let o = run(
        &[
            "app",
            "add",
            "ali",
            "--preset",
            "aliyun-user",
            "--set",
            "account_id=1234567890123456",
        ],
        &env,
    );
    assert!(
        !o.status.success() && text(&o).contains("--metadata"),
        "{}",
        text(&o)
    );
    // Preset parameters are fixed; role rules can change and are checked against the console's rule.
    let o = run(
        &["app", "set", "aws", "--set", "account_id=999999999999"],
        &env,
    );
    assert!(
        !o.status.success() && text(&o).contains("fixed"),
        "{}",
        text(&o)
    );
    let o = run(
        &["app", "set", "aws", "--set", "role_rules=dept:2=Bad Role"],
        &env,
    );
    assert!(
        !o.status.success() && text(&o).contains("Bad Role"),
        "{}",
        text(&o)
    );
    let o = run(
        &["app", "set", "aws", "--set", "role_rules=dept:2=PowerUser"],
        &env,
    );
    assert!(
        o.status.success() && text(&o).contains("dept:2=PowerUser"),
        "{}",
        text(&o)
    );
    let o = run(&["app", "list"], &env);
    assert!(!text(&o).contains("\ntc\t"), "{}", text(&o));
}
