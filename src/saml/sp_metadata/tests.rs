//! Tests of SP metadata import and ACS selection, on real vendor metadata.

use super::*;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-25 00:00:00 UTC);

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/sp-metadata/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(path).unwrap()
}

fn one_post(location: &str, index: u32) -> Vec<AcsEndpoint> {
    vec![AcsEndpoint {
        binding: HTTP_POST.into(),
        location: location.into(),
        index: Some(index),
        is_default: Some(true),
    }]
}

struct Want {
    file: &'static str,
    entity_id: &'static str,
    acs: Vec<AcsEndpoint>,
    signing: usize,
    encryption: usize,
    authn_requests_signed: bool,
    valid_until: Option<&'static str>,
    expired_warning: bool,
    name_id_formats: usize,
}

#[test]
fn imports_all_vendor_files() {
    let wants = [
        Want {
            file: "huaweicloud-global.xml",
            entity_id: "https://auth.huaweicloud.com/",
            acs: one_post(
                "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer",
                0,
            ),
            signing: 1,
            encryption: 1,
            authn_requests_signed: true,
            valid_until: None,
            expired_warning: false,
            name_id_formats: 1,
        },
        Want {
            file: "tencentcloud-role-sso-cn.xml",
            entity_id: "cloud.tencent.com",
            acs: one_post("https://cloud.tencent.com/login/saml", 1),
            signing: 1,
            encryption: 0,
            authn_requests_signed: false,
            valid_until: Some("2059-08-15T06:24:31Z"),
            expired_warning: true,
            name_id_formats: 5,
        },
        Want {
            file: "aliyun-role-sso-cn.xml",
            entity_id: "urn:alibaba:cloudcomputing",
            acs: one_post("https://signin.aliyun.com/saml-role/sso", 1),
            signing: 1,
            encryption: 0,
            authn_requests_signed: false,
            valid_until: None,
            expired_warning: false,
            name_id_formats: 8,
        },
        Want {
            file: "aliyun-ram-user-sso-sample.xml",
            entity_id: "https://signin.aliyun.com/1661281931531610/saml/SSO",
            acs: one_post("https://signin.aliyun.com/saml/SSO", 0),
            signing: 1,
            encryption: 0,
            authn_requests_signed: false,
            valid_until: None,
            expired_warning: false,
            name_id_formats: 4,
        },
        Want {
            file: "aws-global.xml",
            entity_id: "urn:amazon:webservices",
            acs: one_post("https://signin.aws.amazon.com/saml", 1),
            signing: 1,
            encryption: 0,
            authn_requests_signed: false,
            valid_until: Some("2021-06-02T00:00:00Z"),
            expired_warning: true,
            name_id_formats: 8,
        },
        Want {
            file: "aws-cn.xml",
            entity_id: "urn:amazon:webservices:cn-north-1",
            acs: one_post("https://signin.amazonaws.cn/saml", 1),
            signing: 1,
            encryption: 0,
            authn_requests_signed: false,
            valid_until: Some("2021-05-13T00:00:00Z"),
            expired_warning: true,
            name_id_formats: 8,
        },
        Want {
            file: "volcengine-role-sso.xml",
            entity_id: "https://www.volcengine.com/",
            acs: one_post("https://signin.volcengine.com/saml/sso", 1),
            signing: 1,
            encryption: 0,
            authn_requests_signed: false,
            valid_until: None,
            expired_warning: false,
            name_id_formats: 8,
        },
    ];
    for w in wants {
        let imp = import(&fixture(w.file), None, NOW).unwrap_or_else(|e| panic!("{}: {e}", w.file));
        let m = &imp.metadata;
        assert_eq!(m.entity_id, w.entity_id, "{}", w.file);
        assert_eq!(m.acs, w.acs, "{}", w.file);
        assert_eq!(m.signing_certs.len(), w.signing, "{}", w.file);
        assert_eq!(m.encryption_certs.len(), w.encryption, "{}", w.file);
        assert_eq!(
            m.authn_requests_signed, w.authn_requests_signed,
            "{}",
            w.file
        );
        assert!(m.want_assertions_signed, "{}", w.file);
        assert_eq!(m.valid_until.as_deref(), w.valid_until, "{}", w.file);
        assert_eq!(m.name_id_formats.len(), w.name_id_formats, "{}", w.file);
        assert_eq!(
            imp.warnings.iter().any(|x| x.contains("expired")),
            w.expired_warning,
            "{}: {:?}",
            w.file,
            imp.warnings
        );
        assert_eq!(m.signing_x509().unwrap().len(), w.signing);
        // store round trip
        let json = serde_json::to_string(m).unwrap();
        assert_eq!(&serde_json::from_str::<SpMetadata>(&json).unwrap(), m);
        // entity_id given explicitly: same result; wrong one: error listing the found one
        assert_eq!(
            import(&fixture(w.file), Some(w.entity_id), NOW).unwrap(),
            imp
        );
        assert_eq!(
            import(&fixture(w.file), Some("urn:other"), NOW).unwrap_err(),
            MetadataError::EntityNotFound("urn:other".into(), vec![w.entity_id.into()])
        );
    }
    let aws = import(&fixture("aws-global.xml"), None, NOW).unwrap();
    assert!(aws.warnings.iter().any(|w| w.contains("validUntil")));
}

fn sp(entity: &str, body: &str) -> String {
    format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity}"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">{body}</md:SPSSODescriptor></md:EntityDescriptor>"#
    )
}

const POST_ACS: &str = r#"<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example/acs" index="0"/>"#;

fn imp(xml: &str) -> Result<Imported, MetadataError> {
    import(xml.as_bytes(), None, NOW)
}

#[test]
fn entities_descriptor_selection() {
    let two = format!(
        r#"<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" validUntil="2030-01-01T00:00:00Z">{}{}<md:EntityDescriptor entityID="urn:idp"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor></md:EntitiesDescriptor>"#,
        sp("urn:a", POST_ACS).replace(" xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"", ""),
        sp("urn:b", POST_ACS).replace(" xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"", "")
    );
    let e = imp(&two).unwrap_err();
    assert_eq!(
        e,
        MetadataError::SeveralSps(vec!["urn:a".into(), "urn:b".into()])
    );
    assert_eq!(
        e.to_string(),
        "2 SPs in this file (urn:a, urn:b): choose one with --entity-id"
    );
    let b = import(two.as_bytes(), Some("urn:b"), NOW).unwrap();
    assert_eq!(b.metadata.entity_id, "urn:b");
    assert_eq!(
        b.metadata.valid_until.as_deref(),
        Some("2030-01-01T00:00:00Z")
    );
    let single = format!(
        r#"<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">{}</md:EntitiesDescriptor>"#,
        sp("urn:a", POST_ACS).replace(" xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"", "")
    );
    assert_eq!(imp(&single).unwrap().metadata.entity_id, "urn:a");
}

#[test]
fn field_errors_are_specific() {
    let idp_only = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="urn:x"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>"#;
    assert_eq!(imp(idp_only).unwrap_err(), MetadataError::NoSp);
    let no_loc = sp(
        "urn:x",
        &format!(
            r#"{POST_ACS}<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" index="1"/>"#
        ),
    );
    assert_eq!(
        imp(&no_loc).unwrap_err().to_string(),
        "AssertionConsumerService #2 has no Location"
    );
    let redirect_only = sp(
        "urn:x",
        r#"<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sp.example/acs" index="0"/>"#,
    );
    assert_eq!(imp(&redirect_only).unwrap_err(), MetadataError::NoPostAcs);
    let bad_cert = sp(
        "urn:x",
        &format!("<md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>bm90IGEgY2VydA==</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>{POST_ACS}"),
    );
    let e = imp(&bad_cert).unwrap_err();
    assert_eq!(e.to_string(), "certificate #1 is not parseable");
    let js = sp(
        "urn:x",
        &POST_ACS.replace("https://sp.example/acs", "javascript:alert(1)"),
    );
    assert!(matches!(imp(&js).unwrap_err(), MetadataError::Field(_)));
    let dup = sp("urn:x", &format!("{POST_ACS}{POST_ACS}"));
    assert!(matches!(imp(&dup).unwrap_err(), MetadataError::Field(_)));
    assert_eq!(imp("<a/>").unwrap_err(), MetadataError::NotMetadata);
    assert!(matches!(
        imp("<!DOCTYPE x SYSTEM 'file:///etc/passwd'><x/>").unwrap_err(),
        MetadataError::Xml(dom::XmlError::Doctype)
    ));
    let saml1 = sp("urn:x", POST_ACS).replace(
        "urn:oasis:names:tc:SAML:2.0:protocol",
        "urn:oasis:names:tc:SAML:1.1:protocol",
    );
    assert_eq!(imp(&saml1).unwrap_err(), MetadataError::NoSp);
}

#[test]
fn key_descriptor_without_use_counts_as_both() {
    let huawei = import(&fixture("huaweicloud-global.xml"), None, NOW)
        .unwrap()
        .metadata;
    let cert = &huawei.signing_certs[0];
    let xml = sp(
        "urn:x",
        &format!("<md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>\n{cert}\n</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>{POST_ACS}"),
    );
    let m = imp(&xml).unwrap().metadata;
    assert_eq!(m.signing_certs, vec![cert.clone()]);
    assert_eq!(m.encryption_certs, vec![cert.clone()]);
    let plain_http = sp("urn:x", &POST_ACS.replace("https:", "http:"));
    assert!(imp(&plain_http)
        .unwrap()
        .warnings
        .iter()
        .any(|w| w.contains("plain http")));
}

fn ep(binding: &str, location: &str, index: Option<u32>, is_default: Option<bool>) -> AcsEndpoint {
    AcsEndpoint {
        binding: binding.into(),
        location: location.into(),
        index,
        is_default,
    }
}

const ARTIFACT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact";

#[test]
fn acs_selection() {
    let list = vec![
        ep(ARTIFACT, "https://sp/art", Some(0), Some(true)),
        ep(HTTP_POST, "https://sp/b", Some(3), None),
        ep(HTTP_POST, "https://sp/a", Some(2), None),
        ep(ARTIFACT, "https://sp/a", Some(5), None),
    ];
    // default: no POST endpoint is isDefault → lowest index among POST
    assert_eq!(default_acs(&list).unwrap().location, "https://sp/a");
    assert_eq!(select_acs(&list, None, None, None).unwrap().index, Some(2));
    assert_eq!(
        select_acs(&list, None, None, Some(3)).unwrap().location,
        "https://sp/b"
    );
    assert_eq!(
        select_acs(&list, None, None, Some(9)).unwrap_err(),
        AcsError::UnknownIndex(9)
    );
    assert!(matches!(
        select_acs(&list, None, None, Some(0)).unwrap_err(),
        AcsError::UnsupportedBinding(_)
    ));
    assert_eq!(
        select_acs(&list, Some("https://sp/a"), None, None)
            .unwrap()
            .index,
        Some(2)
    );
    assert_eq!(
        select_acs(&list, Some("https://sp/a"), Some(HTTP_POST), None)
            .unwrap()
            .index,
        Some(2)
    );
    assert!(matches!(
        select_acs(&list, Some("https://sp/a"), Some(ARTIFACT), None).unwrap_err(),
        AcsError::UnsupportedBinding(_)
    ));
    assert_eq!(
        select_acs(&list, Some("https://evil/acs"), None, None).unwrap_err(),
        AcsError::UnknownUrl("https://evil/acs".into())
    );
    // exact match only
    assert!(select_acs(&list, Some("https://sp/a/"), None, None).is_err());
    assert!(select_acs(&list, Some("HTTPS://sp/a"), None, None).is_err());
    assert!(select_acs(&list, Some("https://sp/art"), None, None).is_err());
    assert_eq!(
        select_acs(&list, Some("https://sp/a"), None, Some(2)).unwrap_err(),
        AcsError::IndexAndUrl
    );
    let with_default = vec![
        ep(HTTP_POST, "https://sp/a", Some(1), None),
        ep(HTTP_POST, "https://sp/b", Some(2), Some(true)),
    ];
    assert_eq!(default_acs(&with_default).unwrap().location, "https://sp/b");
    let unindexed = vec![ep(HTTP_POST, "https://sp/x", None, None)];
    assert_eq!(default_acs(&unindexed).unwrap().location, "https://sp/x");
    assert_eq!(
        default_acs(&[ep(ARTIFACT, "https://sp/x", None, Some(true))]),
        None
    );
    assert_eq!(
        select_acs(&[], None, None, None).unwrap_err(),
        AcsError::NoPostEndpoint
    );
}

/// Single Logout endpoints are kept with their ResponseLocation, SOAP ones for the back channel; a
/// binding we do not speak is skipped with a warning; a Location that is not a URL is refused.
#[test]
fn single_logout_services_are_kept() {
    let body = format!(
        r#"<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP" Location="https://sp.example/soap"/><md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sp.example/slo" ResponseLocation="https://sp.example/slo/done"/><md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example/slo-post"/>{POST_ACS}"#
    );
    let got = imp(&sp("https://sp.example", &body)).unwrap();
    let slo = &got.metadata.slo;
    assert_eq!(slo.len(), 3, "{slo:?}");
    assert_eq!(slo[0].binding, super::super::uris::binding::SOAP);
    assert_eq!(slo[1].binding, super::super::uris::binding::HTTP_REDIRECT);
    assert_eq!(slo[1].response_url(), "https://sp.example/slo/done");
    assert_eq!(slo[2].response_url(), "https://sp.example/slo-post");
    // A browser is never sent to the SOAP endpoint; the back channel uses only that one.
    assert_eq!(got.metadata.slo_endpoint(), Some(&slo[1]));
    assert_eq!(got.metadata.soap_slo_endpoint(), Some(&slo[0]));
    assert!(!got.warnings.iter().any(|w| w.contains("SOAP")));

    let artifact = format!(
        r#"<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="https://sp.example/art"/>{POST_ACS}"#
    );
    let got = imp(&sp("https://sp.example", &artifact)).unwrap();
    assert!(got.metadata.slo.is_empty());
    assert!(got.warnings.iter().any(|w| w.contains("HTTP-Artifact")));

    let bad = format!(
        r#"<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="not a url"/>{POST_ACS}"#
    );
    let err = imp(&sp("https://sp.example", &bad)).unwrap_err();
    assert!(err.to_string().contains("SingleLogoutService #1"), "{err}");

    let none = imp(&sp("https://sp.example", POST_ACS)).unwrap();
    assert!(none.metadata.slo.is_empty());
    assert!(none.metadata.slo_endpoint().is_none());
    assert!(none.metadata.soap_slo_endpoint().is_none());
}
