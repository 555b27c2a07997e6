//! SP metadata import: an uploaded `EntityDescriptor` (or an `EntitiesDescriptor` holding the SP)
//! → the fields an app needs, as a value the store persists as JSON; and the choice of ACS for a
//! Response, only ever among the endpoints listed in that metadata.
//!
//! The metadata's own signature is not checked (an admin uploads it; there is no trust anchor).
//! Expired certificates and a passed `validUntil` are kept with a warning: real vendor copies have
//! them, and the admin decides.

use std::fmt;

use base64::Engine as _;
use openssl::asn1::Asn1Time;
use openssl::x509::X509;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::dom::{self, ns, Document, ElementId};

/// The HTTP-POST binding: the only one we answer with.
pub const HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

const SAML2_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";

/// One `AssertionConsumerService`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcsEndpoint {
    /// Binding URI.
    pub binding: String,
    /// Endpoint URL.
    pub location: String,
    /// `index`, when given.
    pub index: Option<u32>,
    /// `isDefault`, when given.
    pub is_default: Option<bool>,
}

/// What we keep of an SP's metadata.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpMetadata {
    /// The SP's entityID.
    pub entity_id: String,
    /// All ACS endpoints, in document order.
    pub acs: Vec<AcsEndpoint>,
    /// Signing certificates (base64 DER), including those from `KeyDescriptor`s without `use`.
    pub signing_certs: Vec<String>,
    /// Encryption certificates (base64 DER), including those from `KeyDescriptor`s without `use`.
    pub encryption_certs: Vec<String>,
    /// `AuthnRequestsSigned`.
    pub authn_requests_signed: bool,
    /// `WantAssertionsSigned`.
    pub want_assertions_signed: bool,
    /// `NameIDFormat`s, in document order.
    pub name_id_formats: Vec<String>,
    /// The earliest `validUntil` on the entity or its enclosing `EntitiesDescriptor`s, as written.
    pub valid_until: Option<String>,
}

impl SpMetadata {
    /// The signing certificates, parsed (each was parsed once at import).
    pub fn signing_x509(&self) -> Result<Vec<X509>, MetadataError> {
        self.signing_certs
            .iter()
            .enumerate()
            .map(|(i, b64)| {
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .ok()
                    .and_then(|der| X509::from_der(&der).ok())
                    .ok_or(MetadataError::Certificate(i + 1))
            })
            .collect()
    }
}

/// The result of an import: the metadata and what the admin should know about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    /// The extracted metadata.
    pub metadata: SpMetadata,
    /// Non-fatal findings (expired certificate, passed validUntil, plain-http ACS, …).
    pub warnings: Vec<String>,
}

/// Why metadata could not be imported; the `Display` text is meant for the admin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetadataError {
    /// Not well-formed or refused by the strict parser.
    Xml(dom::XmlError),
    /// The root is neither `md:EntityDescriptor` nor `md:EntitiesDescriptor`.
    NotMetadata,
    /// No entity with a SAML 2.0 `SPSSODescriptor`.
    NoSp,
    /// Several SPs and no `entity_id` to choose (the entity IDs found).
    SeveralSps(Vec<String>),
    /// The requested `entity_id` is not among the SPs found (those found).
    EntityNotFound(String, Vec<String>),
    /// An entity has several SAML 2.0 `SPSSODescriptor`s.
    SeveralSpDescriptors,
    /// An `EntityDescriptor` without `entityID`.
    MissingEntityId,
    /// A field is invalid (where, and what is wrong).
    Field(String),
    /// Certificate #n (1-based, in document order) cannot be parsed.
    Certificate(usize),
    /// No HTTP-POST `AssertionConsumerService`.
    NoPostAcs,
}

impl fmt::Display for MetadataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetadataError::Xml(e) => write!(f, "metadata is not acceptable XML: {e}"),
            MetadataError::NotMetadata => write!(
                f,
                "not SAML metadata: the root must be md:EntityDescriptor or md:EntitiesDescriptor"
            ),
            MetadataError::NoSp => write!(
                f,
                "no SPSSODescriptor (SAML 2.0 service provider) in this file"
            ),
            MetadataError::SeveralSps(ids) => {
                write!(
                    f,
                    "{} SPs in this file ({}): choose one with --entity-id",
                    ids.len(),
                    ids.join(", ")
                )
            }
            MetadataError::EntityNotFound(want, ids) => {
                write!(
                    f,
                    "no SP with entityID {want} in this file (found: {})",
                    ids.join(", ")
                )
            }
            MetadataError::SeveralSpDescriptors => {
                write!(f, "the entity has more than one SAML 2.0 SPSSODescriptor")
            }
            MetadataError::MissingEntityId => write!(f, "EntityDescriptor has no entityID"),
            MetadataError::Field(m) => f.write_str(m),
            MetadataError::Certificate(n) => write!(f, "certificate #{n} is not parseable"),
            MetadataError::NoPostAcs => write!(
                f,
                "no HTTP-POST AssertionConsumerService (we answer only by POST)"
            ),
        }
    }
}

impl std::error::Error for MetadataError {}

/// Parser caps for metadata: bigger than for requests (certificates, long attribute lists).
fn limits() -> dom::Limits {
    dom::Limits {
        max_bytes: 1024 * 1024,
        max_depth: 32,
        max_attributes: 64,
        max_nodes: 50_000,
    }
}

/// Imports SP metadata. `entity_id` picks one SP when the file holds several (or checks the one).
pub fn import(
    xml: &[u8],
    entity_id: Option<&str>,
    now: OffsetDateTime,
) -> Result<Imported, MetadataError> {
    let doc = dom::parse(xml, &limits()).map_err(MetadataError::Xml)?;
    let root = doc.root();
    let root_el = doc.element(root);
    if !root_el.is(ns::MD, "EntityDescriptor") && !root_el.is(ns::MD, "EntitiesDescriptor") {
        return Err(MetadataError::NotMetadata);
    }
    let mut entities = Vec::new();
    if root_el.is(ns::MD, "EntityDescriptor") {
        entities.push(root);
    }
    entities.extend(
        doc.descendants(root)
            .filter(|e| doc.element(*e).is(ns::MD, "EntityDescriptor")),
    );

    // (entity, its SAML 2.0 SPSSODescriptor)
    let mut sps: Vec<(ElementId, ElementId, String)> = Vec::new();
    for e in entities {
        let descriptors: Vec<ElementId> = doc
            .find_children(e, ns::MD, "SPSSODescriptor")
            .filter(|d| {
                doc.element(*d)
                    .attr("protocolSupportEnumeration")
                    .is_some_and(|p| p.split_ascii_whitespace().any(|x| x == SAML2_PROTOCOL))
            })
            .collect();
        let sp = match descriptors.as_slice() {
            [] => continue,
            [one] => *one,
            _ => return Err(MetadataError::SeveralSpDescriptors),
        };
        let id = doc
            .element(e)
            .attr("entityID")
            .ok_or(MetadataError::MissingEntityId)?;
        sps.push((e, sp, id.trim().to_string()));
    }
    let found = || sps.iter().map(|(_, _, id)| id.clone()).collect::<Vec<_>>();
    let chosen = match entity_id {
        Some(want) => sps
            .iter()
            .find(|(_, _, id)| id == want)
            .ok_or_else(|| MetadataError::EntityNotFound(want.to_string(), found()))?,
        None => match sps.as_slice() {
            [] => return Err(MetadataError::NoSp),
            [one] => one,
            _ => return Err(MetadataError::SeveralSps(found())),
        },
    };
    let (entity, sp, entity_id) = (chosen.0, chosen.1, chosen.2.clone());
    if entity_id.is_empty() {
        return Err(MetadataError::MissingEntityId);
    }
    let mut warnings = Vec::new();
    let sp_el = doc.element(sp);

    // Certificates, numbered in document order across all KeyDescriptors.
    let mut signing_certs = Vec::new();
    let mut encryption_certs = Vec::new();
    let mut n = 0usize;
    for kd in doc.find_children(sp, ns::MD, "KeyDescriptor") {
        let (sign, encrypt) = match doc.element(kd).attr("use") {
            None => (true, true),
            Some("signing") => (true, false),
            Some("encryption") => (false, true),
            Some(other) => {
                return Err(MetadataError::Field(format!(
                    "KeyDescriptor has unknown use=\"{other}\""
                )))
            }
        };
        let certs = doc
            .descendants(kd)
            .filter(|c| doc.element(*c).is(ns::DS, "X509Certificate"));
        for c in certs {
            n += 1;
            let compact: String = doc
                .text(c)
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            let der = base64::engine::general_purpose::STANDARD
                .decode(compact.as_bytes())
                .map_err(|_| MetadataError::Certificate(n))?;
            let cert = X509::from_der(&der).map_err(|_| MetadataError::Certificate(n))?;
            check_dates(&cert, n, now, &mut warnings);
            let normalized = base64::engine::general_purpose::STANDARD.encode(&der);
            for (wanted, list) in [(sign, &mut signing_certs), (encrypt, &mut encryption_certs)] {
                if wanted && !list.contains(&normalized) {
                    list.push(normalized.clone());
                }
            }
        }
    }

    let mut acs = Vec::new();
    for (i, a) in doc
        .find_children(sp, ns::MD, "AssertionConsumerService")
        .enumerate()
    {
        let el = doc.element(a);
        let n = i + 1;
        let binding = el.attr("Binding").ok_or_else(|| {
            MetadataError::Field(format!("AssertionConsumerService #{n} has no Binding"))
        })?;
        let location = el.attr("Location").ok_or_else(|| {
            MetadataError::Field(format!("AssertionConsumerService #{n} has no Location"))
        })?;
        check_location(n, location, &mut warnings)?;
        let index = match el.attr("index") {
            None => None,
            Some(v) => Some(v.trim().parse::<u32>().map_err(|_| {
                MetadataError::Field(format!(
                    "AssertionConsumerService #{n} has an invalid index {v:?}"
                ))
            })?),
        };
        let is_default = match el.attr("isDefault").map(str::trim) {
            None => None,
            Some("true") | Some("1") => Some(true),
            Some("false") | Some("0") => Some(false),
            Some(v) => {
                return Err(MetadataError::Field(format!(
                    "AssertionConsumerService #{n} has an invalid isDefault {v:?}"
                )))
            }
        };
        if index.is_some() && acs.iter().any(|x: &AcsEndpoint| x.index == index) {
            return Err(MetadataError::Field(format!(
                "AssertionConsumerService #{n} repeats index {}",
                index.unwrap_or_default()
            )));
        }
        acs.push(AcsEndpoint {
            binding: binding.to_string(),
            location: location.to_string(),
            index,
            is_default,
        });
    }
    if !acs.iter().any(|a| a.binding == HTTP_POST) {
        return Err(MetadataError::NoPostAcs);
    }

    let authn_requests_signed = xs_bool(sp_el.attr("AuthnRequestsSigned"), "AuthnRequestsSigned")?;
    let want_assertions_signed =
        xs_bool(sp_el.attr("WantAssertionsSigned"), "WantAssertionsSigned")?;
    let name_id_formats = doc
        .find_children(sp, ns::MD, "NameIDFormat")
        .map(|f| doc.text(f).trim().to_string())
        .filter(|f| !f.is_empty())
        .collect();

    let valid_until = earliest_valid_until(&doc, entity)?;
    if let Some((text, t)) = &valid_until {
        if *t <= now {
            warnings.push(format!("metadata validUntil {text} has passed"));
        }
    }

    Ok(Imported {
        metadata: SpMetadata {
            entity_id,
            acs,
            signing_certs,
            encryption_certs,
            authn_requests_signed,
            want_assertions_signed,
            name_id_formats,
            valid_until: valid_until.map(|v| v.0),
        },
        warnings,
    })
}

fn xs_bool(v: Option<&str>, name: &str) -> Result<bool, MetadataError> {
    match v.map(str::trim) {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(v) => Err(MetadataError::Field(format!(
            "{name} has an invalid value {v:?}"
        ))),
    }
}

fn check_location(
    n: usize,
    location: &str,
    warnings: &mut Vec<String>,
) -> Result<(), MetadataError> {
    let url = url::Url::parse(location).map_err(|_| {
        MetadataError::Field(format!(
            "AssertionConsumerService #{n} Location is not a URL: {location}"
        ))
    })?;
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            warnings.push(format!("AssertionConsumerService #{n} uses plain http: {location}"));
            Ok(())
        }
        other => Err(MetadataError::Field(format!(
            "AssertionConsumerService #{n} Location has scheme {other}; only https and http are allowed"
        ))),
    }
}

fn check_dates(cert: &X509, n: usize, now: OffsetDateTime, warnings: &mut Vec<String>) {
    let Ok(now_asn1) = Asn1Time::from_unix(now.unix_timestamp()) else {
        return;
    };
    if cert.not_after() < now_asn1 {
        warnings.push(format!("certificate #{n} expired on {}", cert.not_after()));
    }
    if cert.not_before() > now_asn1 {
        warnings.push(format!(
            "certificate #{n} is not valid before {}",
            cert.not_before()
        ));
    }
}

/// The earliest `validUntil` on `entity` and its ancestors, with the text as written.
fn earliest_valid_until(
    doc: &Document,
    entity: ElementId,
) -> Result<Option<(String, OffsetDateTime)>, MetadataError> {
    let mut best: Option<(String, OffsetDateTime)> = None;
    let mut cur = Some(entity);
    while let Some(id) = cur {
        let el = doc.element(id);
        if let Some(v) = el.attr("validUntil") {
            let t = OffsetDateTime::parse(v.trim(), &Rfc3339).map_err(|_| {
                MetadataError::Field(format!("validUntil is not a date-time: {v:?}"))
            })?;
            if best.as_ref().is_none_or(|(_, b)| t < *b) {
                best = Some((v.trim().to_string(), t));
            }
        }
        cur = el.parent();
    }
    Ok(best)
}

/// Why no ACS could be chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AcsError {
    /// The requested index is not in the metadata.
    UnknownIndex(u32),
    /// The requested URL (with the binding, if given) is not in the metadata.
    UnknownUrl(String),
    /// The request asks for a binding we do not answer with (only HTTP-POST).
    UnsupportedBinding(String),
    /// Both an index and a URL/binding were given (SAML Core §3.4.1 forbids it).
    IndexAndUrl,
    /// The metadata lists no HTTP-POST endpoint.
    NoPostEndpoint,
}

impl AcsError {
    /// A short stable code for the audit log.
    pub fn reason(&self) -> &'static str {
        match self {
            AcsError::UnknownIndex(_) => "acs_index_unknown",
            AcsError::UnknownUrl(_) => "acs_url_unknown",
            AcsError::UnsupportedBinding(_) => "acs_binding_unsupported",
            AcsError::IndexAndUrl => "acs_index_and_url",
            AcsError::NoPostEndpoint => "acs_no_post_endpoint",
        }
    }
}

impl fmt::Display for AcsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AcsError::UnknownIndex(i) => write!(
                f,
                "AssertionConsumerServiceIndex {i} is not in the SP's metadata"
            ),
            AcsError::UnknownUrl(u) => write!(
                f,
                "AssertionConsumerServiceURL {u} is not in the SP's metadata"
            ),
            AcsError::UnsupportedBinding(b) => {
                write!(f, "binding {b} is not supported (only HTTP-POST)")
            }
            AcsError::IndexAndUrl => {
                write!(f, "both an ACS index and an ACS URL/binding were requested")
            }
            AcsError::NoPostEndpoint => write!(f, "the SP's metadata has no HTTP-POST ACS"),
        }
    }
}

impl std::error::Error for AcsError {}

/// The ACS to answer at: by `index`; else by exact `url` (and `binding`, when given); else the
/// default. Only HTTP-POST endpoints listed in `acs` are ever returned.
pub fn select_acs<'a>(
    acs: &'a [AcsEndpoint],
    url: Option<&str>,
    binding: Option<&str>,
    index: Option<u32>,
) -> Result<&'a AcsEndpoint, AcsError> {
    if let Some(b) = binding {
        if b != HTTP_POST {
            return Err(AcsError::UnsupportedBinding(b.to_string()));
        }
    }
    match (index, url) {
        (Some(_), Some(_)) => Err(AcsError::IndexAndUrl),
        (Some(_), None) if binding.is_some() => Err(AcsError::IndexAndUrl),
        (Some(i), None) => {
            let ep = acs
                .iter()
                .find(|a| a.index == Some(i))
                .ok_or(AcsError::UnknownIndex(i))?;
            if ep.binding != HTTP_POST {
                return Err(AcsError::UnsupportedBinding(ep.binding.clone()));
            }
            Ok(ep)
        }
        (None, Some(u)) => acs
            .iter()
            .find(|a| a.location == u && a.binding == HTTP_POST)
            .ok_or_else(|| AcsError::UnknownUrl(u.to_string())),
        (None, None) => default_acs(acs).ok_or(AcsError::NoPostEndpoint),
    }
}

/// The default HTTP-POST ACS: the first with `isDefault="true"`, else the one with the lowest
/// index, else the first.
pub fn default_acs(acs: &[AcsEndpoint]) -> Option<&AcsEndpoint> {
    let post = || acs.iter().filter(|a| a.binding == HTTP_POST);
    post()
        .find(|a| a.is_default == Some(true))
        .or_else(|| post().filter(|a| a.index.is_some()).min_by_key(|a| a.index))
        .or_else(|| post().next())
}

#[cfg(test)]
mod tests {
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
            let imp =
                import(&fixture(w.file), None, NOW).unwrap_or_else(|e| panic!("{}: {e}", w.file));
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

    fn ep(
        binding: &str,
        location: &str,
        index: Option<u32>,
        is_default: Option<bool>,
    ) -> AcsEndpoint {
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
}
