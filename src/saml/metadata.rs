//! Our IdP metadata (`md:EntityDescriptor` with one `md:IDPSSODescriptor`), written with the
//! escaping writer. Not signed. It lists every signing certificate given (current and next key,
//! for rollover), the Single Logout endpoint, the NameID formats we issue, and the SSO endpoint,
//! each for the HTTP-Redirect and HTTP-POST bindings, in schema order: KeyDescriptor*,
//! SingleLogoutService*, NameIDFormat*, SingleSignOnService+.
//! Before the descriptor, `md:Extensions` says which signature algorithms we accept.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use time::OffsetDateTime;

use crate::saml::response::saml_instant;
use crate::saml::sign::SignError;
use crate::saml::uris::{alg, binding, ns, MIN_RSA_BITS};
use crate::saml::xml::Writer;

/// What our metadata says.
#[derive(Debug, Clone)]
pub struct IdpMetadataInput<'a> {
    /// Our entity ID (default `{public_url}/saml/metadata`).
    pub entity_id: &'a str,
    /// `{public_url}/saml/sso`, for both bindings.
    pub sso_url: &'a str,
    /// `{public_url}/saml/slo`, for both bindings.
    pub slo_url: &'a str,
    /// Base64 DER certificates: the current key first, then the next one during a rollover.
    pub signing_certs: &'a [&'a str],
    /// `WantAuthnRequestsSigned`.
    pub want_authn_requests_signed: bool,
    /// NameID format URIs we issue.
    pub name_id_formats: &'a [&'a str],
    /// `validUntil`, if any.
    pub valid_until: Option<OffsetDateTime>,
}

/// The metadata document, with an XML declaration.
///
/// Refused when there is no certificate, a certificate is not base64, or the entity ID or SSO URL
/// is empty.
pub fn idp_metadata(input: &IdpMetadataInput<'_>) -> Result<Vec<u8>, SignError> {
    check(input)?;
    let valid_until = match input.valid_until {
        Some(t) => Some(saml_instant(t)?),
        None => None,
    };

    let mut w = Writer::with_capacity(2048 + input.signing_certs.len() * 1500);
    w.start("md", "EntityDescriptor", ns::MD)
        .attr("entityID", input.entity_id)
        .attr_opt("validUntil", valid_until.as_deref());
    algorithm_support(&mut w);
    w.start("md", "IDPSSODescriptor", ns::MD)
        .attr("protocolSupportEnumeration", ns::SAMLP)
        .attr(
            "WantAuthnRequestsSigned",
            if input.want_authn_requests_signed {
                "true"
            } else {
                "false"
            },
        );
    for cert in input.signing_certs {
        w.start("md", "KeyDescriptor", ns::MD)
            .attr("use", "signing")
            .start("ds", "KeyInfo", ns::DS)
            .start("ds", "X509Data", ns::DS)
            .leaf("ds", "X509Certificate", ns::DS, cert)
            .end()
            .end()
            .end();
    }
    for binding in [binding::HTTP_REDIRECT, binding::HTTP_POST] {
        w.start("md", "SingleLogoutService", ns::MD)
            .attr("Binding", binding)
            .attr("Location", input.slo_url)
            .end();
    }
    for f in input.name_id_formats {
        w.leaf("md", "NameIDFormat", ns::MD, f);
    }
    for binding in [binding::HTTP_REDIRECT, binding::HTTP_POST] {
        w.start("md", "SingleSignOnService", ns::MD)
            .attr("Binding", binding)
            .attr("Location", input.sso_url)
            .end();
    }
    w.end().end();
    let el = w.finish()?;

    let mut out = Vec::with_capacity(el.as_bytes().len() + 64);
    out.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.extend_from_slice(el.as_bytes());
    out.push(b'\n');
    Ok(out)
}

/// The refusals of [`idp_metadata`].
fn check(input: &IdpMetadataInput<'_>) -> Result<(), SignError> {
    if input.entity_id.trim().is_empty()
        || input.sso_url.trim().is_empty()
        || input.slo_url.trim().is_empty()
    {
        return Err(SignError::Invalid("empty entity ID, SSO or SLO URL"));
    }
    if input.signing_certs.is_empty() {
        return Err(SignError::Invalid("metadata needs a signing certificate"));
    }
    if input
        .signing_certs
        .iter()
        .any(|c| c.is_empty() || B64.decode(c).is_err())
    {
        return Err(SignError::Invalid("signing certificate is not base64 DER"));
    }
    Ok(())
}

/// The algorithm-support extension (SAML V2.0 Metadata Profile for Algorithm Support 1.0): the
/// `md:Extensions` of the EntityDescriptor, which the profile names as its place and where
/// Shibboleth's metadata filters add it, saying we accept SHA-256 digests and RSA-SHA256
/// signatures (with keys of at least [`MIN_RSA_BITS`]). Without it a stock Shibboleth SP signs its
/// AuthnRequests with SHA-1. The schema puts `md:Extensions` before every role descriptor.
fn algorithm_support(w: &mut Writer) {
    let min_bits = MIN_RSA_BITS.to_string();
    w.start("md", "Extensions", ns::MD)
        .start("alg", "DigestMethod", ns::ALG)
        .attr("Algorithm", alg::SHA256)
        .end()
        .start("alg", "SigningMethod", ns::ALG)
        .attr("Algorithm", alg::RSA_SHA256)
        .attr("MinKeySize", &min_bits)
        .end()
        .end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use quick_xml::events::Event;
    use time::macros::datetime;

    use crate::saml::uris::name_id::{PERSISTENT, TRANSIENT};

    /// (depth, local name, attributes, text) of one element.
    type El = (usize, String, Vec<(String, String)>, String);

    /// Every element, in document order.
    fn elements(doc: &[u8]) -> Vec<El> {
        let mut r = quick_xml::Reader::from_reader(doc);
        r.config_mut().trim_text(false);
        let mut out = Vec::new();
        let mut depth = 0;
        let mut open: Vec<usize> = Vec::new();
        loop {
            match r.read_event().unwrap() {
                Event::Start(e) => {
                    let attrs = e
                        .attributes()
                        .map(|a| {
                            let a = a.unwrap();
                            (
                                String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                                a.unescape_value().unwrap().into_owned(),
                            )
                        })
                        .collect();
                    let name = String::from_utf8(e.local_name().as_ref().to_vec()).unwrap();
                    open.push(out.len());
                    out.push((depth, name, attrs, String::new()));
                    depth += 1;
                }
                Event::Text(t) => {
                    if let Some(i) = open.last() {
                        out[*i].3.push_str(&t.unescape().unwrap());
                    }
                }
                Event::End(_) => {
                    open.pop();
                    depth -= 1;
                }
                Event::Eof => break,
                Event::Decl(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        out
    }

    #[test]
    fn lists_keys_formats_and_both_bindings_in_schema_order() {
        let certs = ["QUJD", "REVG"];
        let input = IdpMetadataInput {
            entity_id: "https://idp.example.com/saml/metadata?a=1&b=2",
            sso_url: "https://idp.example.com/saml/sso",
            slo_url: "https://idp.example.com/saml/slo",
            signing_certs: &certs,
            want_authn_requests_signed: true,
            name_id_formats: &[TRANSIENT, PERSISTENT],
            valid_until: Some(datetime!(2027-01-01 0:00 UTC)),
        };
        let doc = idp_metadata(&input).unwrap();
        let text = String::from_utf8(doc.clone()).unwrap();
        assert!(
            text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<md:EntityDescriptor ")
        );
        assert!(!text.contains("/>"));

        let els = elements(&doc);
        let top: Vec<&str> = els
            .iter()
            .filter(|e| e.0 == 1)
            .map(|e| e.1.as_str())
            .collect();
        assert_eq!(top, ["Extensions", "IDPSSODescriptor"], "schema order");
        let idp_at = els.iter().position(|e| e.1 == "IDPSSODescriptor").unwrap();
        let names: Vec<&str> = els[idp_at..]
            .iter()
            .filter(|e| e.0 == 2)
            .map(|e| e.1.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "KeyDescriptor",
                "KeyDescriptor",
                "SingleLogoutService",
                "SingleLogoutService",
                "NameIDFormat",
                "NameIDFormat",
                "SingleSignOnService",
                "SingleSignOnService"
            ]
        );
        let root = &els[0];
        assert_eq!(
            root.2,
            vec![
                ("xmlns:md".to_string(), ns::MD.to_string()),
                ("entityID".to_string(), input.entity_id.to_string()),
                ("validUntil".to_string(), "2027-01-01T00:00:00Z".to_string()),
            ]
        );
        let idp = &els[idp_at];
        assert_eq!(idp.1, "IDPSSODescriptor");
        assert!(idp
            .2
            .contains(&("WantAuthnRequestsSigned".into(), "true".into())));
        assert!(idp
            .2
            .contains(&("protocolSupportEnumeration".into(), ns::SAMLP.into())));
        let certs_out: Vec<&str> = els
            .iter()
            .filter(|e| e.1 == "X509Certificate")
            .map(|e| e.3.as_str())
            .collect();
        assert_eq!(certs_out, certs);
        assert!(els
            .iter()
            .filter(|e| e.1 == "KeyDescriptor")
            .all(|e| e.2 == [("use".to_string(), "signing".to_string())]));
        let sso: Vec<(String, String)> = els
            .iter()
            .filter(|e| e.1 == "SingleSignOnService")
            .map(|e| (e.2[0].1.clone(), e.2[1].1.clone()))
            .collect();
        assert_eq!(
            sso,
            [
                (
                    binding::HTTP_REDIRECT.to_string(),
                    input.sso_url.to_string()
                ),
                (binding::HTTP_POST.to_string(), input.sso_url.to_string())
            ]
        );
        let slo: Vec<(String, String)> = els
            .iter()
            .filter(|e| e.1 == "SingleLogoutService")
            .map(|e| (e.2[0].1.clone(), e.2[1].1.clone()))
            .collect();
        assert_eq!(
            slo,
            [
                (
                    binding::HTTP_REDIRECT.to_string(),
                    input.slo_url.to_string()
                ),
                (binding::HTTP_POST.to_string(), input.slo_url.to_string())
            ]
        );
    }

    #[test]
    fn says_which_algorithms_we_accept_in_the_entity_extensions() {
        let input = IdpMetadataInput {
            entity_id: "https://idp.example.com/saml/metadata",
            sso_url: "https://idp.example.com/saml/sso",
            slo_url: "https://idp.example.com/saml/slo",
            signing_certs: &["QUJD"],
            want_authn_requests_signed: false,
            name_id_formats: &[],
            valid_until: None,
        };
        let doc = idp_metadata(&input).unwrap();
        let els = elements(&doc);
        let ext: Vec<(&str, &[(String, String)])> = els
            .iter()
            .skip_while(|e| e.1 != "Extensions")
            .skip(1)
            .take_while(|e| e.0 == 2)
            .map(|e| (e.1.as_str(), e.2.as_slice()))
            .collect();
        assert_eq!(ext.len(), 2, "{ext:?}");
        assert_eq!(ext[0].0, "DigestMethod");
        assert!(ext[0].1.contains(&("xmlns:alg".into(), ns::ALG.into())));
        assert!(ext[0].1.contains(&("Algorithm".into(), alg::SHA256.into())));
        assert_eq!(ext[1].0, "SigningMethod");
        assert!(ext[1]
            .1
            .contains(&("Algorithm".into(), alg::RSA_SHA256.into())));
        assert!(ext[1].1.contains(&("MinKeySize".into(), "2048".into())));
        // Our own strict parser reads it back.
        crate::saml::dom::parse(&doc, &crate::saml::dom::Limits::default()).unwrap();
        let text = String::from_utf8(doc).unwrap();
        assert!(text.contains(
            "<md:Extensions><alg:DigestMethod xmlns:alg=\"urn:oasis:names:tc:SAML:metadata:algsupport\" Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"></alg:DigestMethod>"
        ), "{text}");
    }

    #[test]
    fn refuses_missing_or_bad_certificates() {
        let mut input = IdpMetadataInput {
            entity_id: "e",
            sso_url: "https://idp/sso",
            slo_url: "https://idp/slo",
            signing_certs: &[],
            want_authn_requests_signed: false,
            name_id_formats: &[],
            valid_until: None,
        };
        assert!(idp_metadata(&input).is_err());
        input.signing_certs = &["not base64!"];
        assert!(idp_metadata(&input).is_err());
        input.signing_certs = &["QUJD"];
        let doc = String::from_utf8(idp_metadata(&input).unwrap()).unwrap();
        assert!(doc.contains(r#"WantAuthnRequestsSigned="false""#));
        assert!(!doc.contains("validUntil"));
        input.entity_id = "";
        assert!(idp_metadata(&input).is_err());
    }
}
