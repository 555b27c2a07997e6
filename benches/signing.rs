//! Signing throughput on one core: complete Responses (Assertion and Response both signed, eight
//! attributes) built and signed per second, next to one raw OpenSSL RSA-2048/SHA-256 signature.
//! `benches/compare.sh` turns the two into the ratio we track (see `benches/README.md`).

use std::hint::black_box;
use std::process::ExitCode;

use criterion::{Criterion, Throughput};
use time::macros::datetime;
use time::Duration;
use wecom_idp::saml::response::{build_response, AssertionInput, Attribute, NameId};
use wecom_idp::saml::sign::{generate_key_and_cert, SignError, SigningKey};

/// What one benchmark run signs with and for.
struct Fixture {
    key: SigningKey,
    name_id: NameId,
    attributes: Vec<Attribute>,
}

fn fixture() -> Result<Fixture, SignError> {
    let (key_pem, cert_pem) =
        generate_key_and_cert("wecom-idp bench", datetime!(2026-01-01 0:00 UTC), &[1])?;
    let key = SigningKey::from_pem(key_pem.as_bytes(), cert_pem.as_bytes())?;
    let uri = |n: &str| format!("https://cloud.tencent.com/SAML/Attributes/{n}");
    let attr = |name: String, values: &[&str]| Attribute {
        name,
        name_format: Some("urn:oasis:names:tc:SAML:2.0:attrname-format:uri".to_string()),
        friendly_name: None,
        values: values.iter().map(|v| v.to_string()).collect(),
    };
    let attributes = vec![
        attr(
            uri("Role"),
            &[
                "qcs::cam::uin/100000000001:roleName/admin,qcs::cam::uin/100000000001:saml-provider/wecom",
                "qcs::cam::uin/100000000001:roleName/dev,qcs::cam::uin/100000000001:saml-provider/wecom",
            ],
        ),
        attr(uri("RoleSessionName"), &["zhangsan"]),
        attr("IAM_SAML_Attributes_xUserId".to_string(), &["zhangsan"]),
        attr("IAM_SAML_Attributes_redirect_url".to_string(), &["https://console.huaweicloud.com/"]),
        attr("UserName".to_string(), &["张三 <zhangsan>"]),
        attr("Groups".to_string(), &["研发部", "admin & ops"]),
        attr("email".to_string(), &["zhangsan@example.com"]),
        attr("mobile".to_string(), &["+86 138 0000 0000"]),
    ];
    Ok(Fixture {
        key,
        name_id: NameId {
            format: "urn:oasis:names:tc:SAML:2.0:nameid-format:transient".to_string(),
            value: "_6c3a4f0e9b2d4c1a8f7e".to_string(),
            sp_name_qualifier: None,
            name_qualifier: None,
        },
        attributes,
    })
}

fn input(f: &Fixture) -> AssertionInput<'_> {
    let now = datetime!(2026-03-01 10:00 UTC);
    AssertionInput {
        response_id: "_r8f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f",
        assertion_id: "_a8f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f",
        issue_instant: now,
        issuer: "https://idp.example.com/saml/metadata",
        destination: "https://auth.huaweicloud.com/authui/saml/SAMLAssertionConsumer",
        in_response_to: Some("_0123456789abcdef0123456789abcdef"),
        audience: "https://auth.huaweicloud.com/",
        name_id: &f.name_id,
        not_before: now - Duration::minutes(3),
        not_on_or_after: now + Duration::minutes(5),
        session_index: "_s0123456789abcdef",
        authn_instant: now,
        session_not_on_or_after: Some(now + Duration::hours(8)),
        authn_context_class_ref: "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified",
        attributes: &f.attributes,
        sign_assertion: true,
        sign_response: true,
    }
}

fn main() -> ExitCode {
    let f = match fixture() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("bench setup failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let inp = input(&f);
    let sample = match build_response(&inp, &f.key) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("build_response failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    // A SignedInfo is ~900 bytes; sign the same amount of data in the raw comparison.
    let signed_info_like = vec![b'x'; 900];
    eprintln!("Response size: {} bytes", sample.len());

    let mut c = Criterion::default().configure_from_args();
    {
        let mut g = c.benchmark_group("signing");
        g.throughput(Throughput::Elements(1));
        g.bench_function("response_both_signed_8_attrs", |b| {
            b.iter(|| black_box(build_response(black_box(&inp), &f.key)))
        });
        g.bench_function("openssl_rsa2048_sha256_sign", |b| {
            b.iter(|| black_box(f.key.sign_rsa_sha256(black_box(&signed_info_like))))
        });
        g.finish();
    }
    c.final_summary();
    ExitCode::SUCCESS
}
