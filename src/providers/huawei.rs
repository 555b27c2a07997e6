//! `huawei`: Huawei Cloud IAM identity providers (SAML), `sso_type=virtual` (virtual users mapped by
//! the console's identity conversion rules) or `sso_type=iam_user` (each member is the IAM user
//! whose External Identity ID equals the WeCom userid). The console starts logins from its websso
//! link, so that is the WeCom homepage; the IdP-initiated Response carries
//! `IAM_SAML_Attributes_domain_id` and `IAM_SAML_Attributes_idp_id` so it works as well.
//!
//! Facts (metadata/huawei/README.md, checked against the SP metadata Huawei publishes at
//! `https://auth.huaweicloud.com/authui/saml/metadata.xml`): entity ID `https://auth.huaweicloud.com/`,
//! ACS `…/authui/saml/SAMLAssertionConsumer`, `AuthnRequestsSigned="true"`,
//! `WantAssertionsSigned="true"`, NameID transient. Its encryption key is not used: encrypting
//! assertions breaks logins.

use super::{
    attr, base_settings, fixed_sp, get, name_rule, param_of, relay_state, req, Built, Homepage,
    Param, Params, Preset,
};
use crate::apps::{AppSettings, NameIdFormat};
use crate::identity::Source;
use crate::text::Tx;

/// Entity ID and Audience (with the trailing slash).
pub const ENTITY_ID: &str = "https://auth.huaweicloud.com/";
/// The ACS (HTTP-POST).
pub const ACS: &str = "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer";
/// Huawei's SP signing certificate from its published metadata (CN=auth.huaweicloud.com, valid
/// 2018-06-21 to 2028-06-18, SHA-256 70:14:9F:C1:…:02:CC:79:3E): verifies its signed AuthnRequests.
/// Give `--metadata` with a fresh copy once Huawei rotates it.
const SIGNING_CERT: &str = concat!(
    "MIIF6TCCA9GgAwIBAgIEPHSCijANBgkqhkiG9w0BAQsFADCBpDELMAkGA1UEBhMCQ04xEjAQBgNVBAgTCUd1YW5nRG9uZzER",
    "MA8GA1UEBxMIU2hlblpoZW4xJTAjBgNVBAoTHEh1YXdlaSBUZWNobm9sb2dpZXMgQ28uLCBMdGQxKDAmBgNVBAsTH1NlcnZp",
    "Y2UgUHJvdmlkZXIgT3BlcmF0aW9uIERlcHQxHTAbBgNVBAMTFGF1dGguaHVhd2VpY2xvdWQuY29tMB4XDTE4MDYyMTEzMjUw",
    "MFoXDTI4MDYxODEzMjUwMFowgaQxCzAJBgNVBAYTAkNOMRIwEAYDVQQIEwlHdWFuZ0RvbmcxETAPBgNVBAcTCFNoZW5aaGVu",
    "MSUwIwYDVQQKExxIdWF3ZWkgVGVjaG5vbG9naWVzIENvLiwgTHRkMSgwJgYDVQQLEx9TZXJ2aWNlIFByb3ZpZGVyIE9wZXJh",
    "dGlvbiBEZXB0MR0wGwYDVQQDExRhdXRoLmh1YXdlaWNsb3VkLmNvbTCCAiIwDQYJKoZIhvcNAQEBBQADggIPADCCAgoCggIB",
    "AJisHObeLOPs2mJ4eJBcruMZl9FjvRQeDmofxgOcIcmybt6qlDqAv7275JMMQfQFcEoxH3GqcCTYqvSaSnHPaJB1xljPIKAW",
    "td7p1ymevcSyF2HdCZ8gPJKg3Q6+ZjwTipKS/nZr7xmpUQ0WvwRkgZ7zfslAW+y5PCgkDrgmEjG92rLArj8iPhmujajXaTPQ",
    "KVHuZMxBzS735uo4yjVwYE3+0mE4HTZjK+6n6Ffu+JhLzhcKGulmrT/6qHisMbIXAZyEegBDavomb+5zu/CUQwii5IAPrRTw",
    "wegYpG4+uYJ2cHfrUdHqw9lSCSbQzu1yW1AS4zB16sjoHZdVrxYyktlswNmJ1/MyRH5bO90e2kvVwV4l34Hi5HEFvFFjL8TA",
    "sbN4mGvA9fgohXp30x97UdPVV8JiNNAKZjdZSEdG9xqrTRfe4+LQg/hzLNSwsko3nDnH8qhCgtb8qIipQ3s7niCa53AQWYR8",
    "2lEViols/dbWU9qYeldVvGNAgJSqHLB7qLwcQW78+2V1446KhQqzqPeLI4ANGaLFKw8fGzgh85RKOjrIetb4wAOZmhrrUJrR",
    "g47DYQQjNv3glDg53ijLPFunzRqUoqLphrZ1XpEA4y21OtTP6OMYAM0lSOj1gjvbubTDo8XOQs5YGtTOyHn4CQ4GR8NNo7Ur",
    "wVEmoZHA+AKbAgMBAAGjITAfMB0GA1UdDgQWBBTt05QW9dyXi7eMekKOH0bn4xKrkDANBgkqhkiG9w0BAQsFAAOCAgEACv9z",
    "gzUgxxQ8t9ldOXmirxzSOrHxMCL8SKsu+c+Y4hoHma5LFjylv6x76NWTAFSE6GgqfuNI/gPj/2AWqObAvsHd8lsPjJ96ZoSa",
    "TmS8NrtU6HuT1Lc+CmVfeGd3/G+KspQECjg2JeBrfyEw9B8KUAQV20DQukGfAHtKKQPOZmKm0Qm3ExWCeXz1TR2KP+Lrhny/",
    "yG43g4iVUKq65HFHs5cRzRk0iR0/NLpggl5+Op0rxMxBn+bCrnJBi0n9/PIMfWNhkEBl+B++EifPUQxQaOEsnxTgFo1O4ksK",
    "9hDFcLbr+1qCDgVIMkyC1xMBBikCgLvIdzy3SXBNndIEUq+QgOORxLlq1WqrfLFO22TxZm8XaB5g36UMk5PGoVHGnjALReAH",
    "jC0C5sIiKMJSgQOPd71XmQSsw3G9NsMKf/H3xJXkq/b672ls/l1JBslm52DAk2k5UlLkf/1p4I7WHOfm5ZNpDjj1rTP6SiAc",
    "tWLtqXIU28fLa2sA+zHXA5acDGOm6eIrMme5HpsV/KoUOW1MXGugK59zofeueCFDGRfbyoS2lj0SW+CbJVa72CLf3xPh2nWH",
    "0cK9de+wyCx8uI0KGPyV4I9/XBLHhvkb3XPaUfnkzYkcrG/39cOaxuPFz+haXwI1lvI964zvmTgwdDjdf/0asA09S7EEK2Ky",
    "zXUREM4=",
);

/// Domains a deep link (`relay_state`, sent as `service=` and `IAM_SAML_Attributes_redirect_url`)
/// may point to.
const DOMAINS: &[&str] = &["huaweicloud.com"];

const PARAMS: &[Param] = &[
    Param { key: "account_id", aliases: &["domain_id"], required: true, help: "the account (domain) ID, 32 hex characters" },
    Param { key: "provider_name", aliases: &["idp_name"], required: true, help: "the identity provider's name in IAM, ^[\\w-]{1,64}$" },
    Param { key: "sso_type", aliases: &[], required: false, help: "virtual (default: virtual users, conversion rules) or iam_user (External Identity ID = userid)" },
    Param { key: "session_duration", aliases: &[], required: false, help: "console session seconds, 900–86400" },
    Param { key: "relay_state", aliases: &["service"], required: false, help: "console page to open, https://*.huaweicloud.com/…" },
];

/// The preset.
pub fn preset() -> Preset {
    Preset {
        name: "huawei",
        summary: "Huawei Cloud IAM, virtual-user or IAM-user SSO (console-started)",
        params: PARAMS,
        role_rule: None,
        accounts: super::Accounts::One(
            "Huawei Cloud takes one account per sign-in: IAM_SAML_Attributes_domain_id names a \
             single account (and the console's login link is per account), and Huawei has no Role \
             attribute listing accounts: add one app per Huawei account",
        ),
        build,
        homepage,
    }
}

/// The IdP name rule, `^[\w-]{1,64}$` (ASCII word characters and `-`).
pub fn check_idp_name(v: &str) -> Result<(), String> {
    name_rule(v, "provider_name (the IdP name)", 64, "_-")
        .map_err(|e| format!("{e} (Huawei's rule ^[\\w-]{{1,64}}$)"))
}

/// A Huawei account (domain) ID: 32 lowercase hex characters.
fn check_domain_id(v: &str) -> Result<(), String> {
    if v.len() == 32
        && v.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(format!("account_id (domain_id) `{v}` must be the 32 hex characters of the account ID (My Credentials › API Credentials)"))
    }
}

fn build(p: &Params) -> Result<Built, String> {
    let domain_id = req(p, "account_id")?;
    check_domain_id(domain_id)?;
    let idp = req(p, "provider_name")?;
    check_idp_name(idp)?;
    let iam_user = match get(p, "sso_type") {
        None | Some("virtual") => false,
        Some("iam_user") => true,
        Some(o) => return Err(format!("sso_type `{o}`: use virtual or iam_user")),
    };
    let mut s: AppSettings = base_settings(Source::Userid);
    s.name_id_format = NameIdFormat::Transient;
    s.attributes = vec![
        attr(
            "IAM_SAML_Attributes_domain_id",
            Source::Template("{account_id}".into()),
        ),
        attr(
            "IAM_SAML_Attributes_idp_id",
            Source::Template("{provider_name}".into()),
        ),
        // The deep link of an IdP-initiated login (the app's relay_state, or a ?RelayState= on the
        // mount address checked against DOMAINS); never the console's own opaque RelayState.
        attr(
            "IAM_SAML_Attributes_redirect_url",
            Source::Template("{relay_state}".into()),
        ),
    ];
    if iam_user {
        s.attributes
            .push(attr("IAM_SAML_Attributes_xUserId", Source::Userid));
    } else {
        // What conversion rules usually read: {"remote":[{"type":"UserName"},{"type":"Groups"}]}.
        s.attributes.push(attr("UserName", Source::Userid));
        s.attributes.push(attr("Name", Source::Name));
        s.attributes.push(attr("Groups", Source::DepartmentNames));
    }
    if let Some(d) = super::duration(p, 900, 86400)? {
        s.attributes.push(attr(
            "IAM_SAML_Attributes_session_duration",
            Source::Constant(d),
        ));
    }
    s.relay_state_domains = DOMAINS.iter().map(|d| d.to_string()).collect();
    s.default_relay_state = relay_state(p, DOMAINS)?;
    s.params.insert("account_id".into(), domain_id.into());
    s.params.insert("provider_name".into(), idp.into());
    s.params.insert(
        "sso_type".into(),
        if iam_user { "iam_user" } else { "virtual" }.into(),
    );
    Ok(Built {
        sp: fixed_sp(ENTITY_ID, ACS, true, &[SIGNING_CERT]),
        settings: s,
    })
}

fn homepage(s: &AppSettings, mount: &str) -> Homepage {
    let (Some(domain), Some(idp)) = (param_of(s, "account_id"), param_of(s, "provider_name"))
    else {
        return Homepage::mount(
            mount,
            Tx {
                en: "the account ID or IdP name is missing",
                zh: "缺少账号 ID 或身份提供商名称，因此成员从本服务的挂载地址开始登录（IdP 发起）",
            },
        );
    };
    let mut u = match url::Url::parse("https://auth.huaweicloud.com/authui/federation/websso") {
        Ok(u) => u,
        Err(_) => {
            return Homepage::mount(
                mount,
                Tx {
                    en: "internal: bad Huawei URL",
                    zh: "华为云登录链接无法生成，因此成员从本服务的挂载地址开始登录（IdP 发起）",
                },
            )
        }
    };
    u.query_pairs_mut()
        .append_pair("domain_id", domain)
        .append_pair("idp", idp)
        .append_pair("protocol", "saml");
    if let Some(service) = s.default_relay_state.as_deref() {
        u.query_pairs_mut().append_pair("service", service);
    }
    Homepage::console(
        u.to_string(),
        Tx {
            en: "Huawei Cloud starts logins from its websso link (SP-initiated): members get the console's \
         own session handling and the AuthnRequest is signature-checked; the mount address works too",
            zh: "华为云从它的 websso 链接发起登录（SP 发起）：成员获得控制台自己的会话管理，登录请求的签名也会被校验；挂载地址同样可用",
        },
    )
}
