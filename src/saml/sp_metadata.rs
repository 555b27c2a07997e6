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

use super::dom::{self, Document, ElementId};
pub use super::uris::binding::HTTP_POST;
use super::uris::ns;

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

/// One `SingleLogoutService`: where the SP takes LogoutRequests and, at `response_location` when
/// given, LogoutResponses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SloEndpoint {
    /// Binding URI (HTTP-Redirect, HTTP-POST or SOAP; others are skipped at import).
    pub binding: String,
    /// Where LogoutRequests go.
    pub location: String,
    /// Where LogoutResponses go, when not `location`.
    pub response_location: Option<String>,
}

impl SloEndpoint {
    /// Where a LogoutResponse goes (SAML Metadata §2.2.2: `ResponseLocation`, else `Location`).
    pub fn response_url(&self) -> &str {
        self.response_location.as_deref().unwrap_or(&self.location)
    }
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
    /// `SingleLogoutService`s on the HTTP-Redirect, HTTP-POST and SOAP bindings, in document order
    /// (absent from metadata stored before Single Logout existed; SOAP ones absent from metadata
    /// stored before the back channel existed, until it is imported again).
    #[serde(default)]
    pub slo: Vec<SloEndpoint>,
}

impl SpMetadata {
    /// The SLO endpoint a browser is sent to: the first on HTTP-Redirect, else the first on
    /// HTTP-POST (never a SOAP one: a browser cannot speak it).
    pub fn slo_endpoint(&self) -> Option<&SloEndpoint> {
        let on = |b: &str| self.slo.iter().find(|e| e.binding == b);
        on(super::uris::binding::HTTP_REDIRECT).or_else(|| on(HTTP_POST))
    }

    /// The back-channel SLO endpoint: the first on the SOAP binding (SAML Bindings §3.2), where a
    /// LogoutRequest goes when the member has no browser session to carry it (a leaver).
    pub fn soap_slo_endpoint(&self) -> Option<&SloEndpoint> {
        self.slo
            .iter()
            .find(|e| e.binding == super::uris::binding::SOAP)
    }

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
        max_bytes: MAX_METADATA_BYTES,
        max_depth: 32,
        max_attributes: 64,
        max_nodes: 50_000,
    }
}

/// The largest metadata document accepted, bytes.
pub const MAX_METADATA_BYTES: usize = 1024 * 1024;

/// The longest attribute value accepted in metadata (entity IDs and URLs are far shorter): a huge
/// attribute is an attack on whatever stores or shows it, not metadata.
pub const MAX_ATTRIBUTE_BYTES: usize = 4096;

/// Imports SP metadata. `entity_id` picks one SP when the file holds several (or checks the one).
pub fn import(
    xml: &[u8],
    entity_id: Option<&str>,
    now: OffsetDateTime,
) -> Result<Imported, MetadataError> {
    let doc = dom::parse(xml, &limits()).map_err(MetadataError::Xml)?;
    check_attribute_sizes(&doc)?;
    let sps = sp_entities(&doc)?;
    let chosen = choose(&sps, entity_id)?;
    let (entity, sp, entity_id) = (chosen.entity, chosen.sp, chosen.id.clone());
    if entity_id.is_empty() {
        return Err(MetadataError::MissingEntityId);
    }
    let mut warnings = Vec::new();
    let sp_el = doc.element(sp);
    let (signing_certs, encryption_certs) = certificates(&doc, sp, now, &mut warnings)?;
    let acs = acs_endpoints(&doc, sp, &mut warnings)?;
    let slo = slo_endpoints(&doc, sp, &mut warnings)?;
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
            slo,
        },
        warnings,
    })
}

/// Refuses a document with a huge attribute anywhere (see [`MAX_ATTRIBUTE_BYTES`]).
fn check_attribute_sizes(doc: &Document) -> Result<(), MetadataError> {
    let root = doc.root();
    for e in std::iter::once(root).chain(doc.descendants(root)) {
        let el = doc.element(e);
        if let Some(a) = el
            .attributes
            .iter()
            .find(|a| a.value.len() > MAX_ATTRIBUTE_BYTES)
        {
            return Err(MetadataError::Field(format!(
                "attribute {} of <{}> is {} bytes long; at most {MAX_ATTRIBUTE_BYTES} are accepted",
                a.local,
                el.local,
                a.value.len()
            )));
        }
    }
    Ok(())
}

/// An entity of the document with its one SAML 2.0 SPSSODescriptor.
struct SpEntity {
    entity: ElementId,
    sp: ElementId,
    id: String,
}

/// Every entity (the root or inside an EntitiesDescriptor) that is a SAML 2.0 SP.
fn sp_entities(doc: &Document) -> Result<Vec<SpEntity>, MetadataError> {
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
    let mut sps = Vec::new();
    for entity in entities {
        let descriptors: Vec<ElementId> = doc
            .find_children(entity, ns::MD, "SPSSODescriptor")
            .filter(|d| {
                doc.element(*d)
                    .attr("protocolSupportEnumeration")
                    .is_some_and(|p| p.split_ascii_whitespace().any(|x| x == ns::SAMLP))
            })
            .collect();
        let sp = match descriptors.as_slice() {
            [] => continue,
            [one] => *one,
            _ => return Err(MetadataError::SeveralSpDescriptors),
        };
        let id = doc
            .element(entity)
            .attr("entityID")
            .ok_or(MetadataError::MissingEntityId)?;
        sps.push(SpEntity {
            entity,
            sp,
            id: id.trim().to_string(),
        });
    }
    Ok(sps)
}

/// The SP asked for by entity ID, or the only one.
fn choose<'a>(sps: &'a [SpEntity], entity_id: Option<&str>) -> Result<&'a SpEntity, MetadataError> {
    let found = || sps.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
    match entity_id {
        Some(want) => sps
            .iter()
            .find(|s| s.id == want)
            .ok_or_else(|| MetadataError::EntityNotFound(want.to_string(), found())),
        None => match sps {
            [] => Err(MetadataError::NoSp),
            [one] => Ok(one),
            _ => Err(MetadataError::SeveralSps(found())),
        },
    }
}

/// The SP's signing and encryption certificates (base64 DER, each once), numbered in document
/// order across all KeyDescriptors for the errors; a KeyDescriptor without `use` serves both.
fn certificates(
    doc: &Document,
    sp: ElementId,
    now: OffsetDateTime,
    warnings: &mut Vec<String>,
) -> Result<(Vec<String>, Vec<String>), MetadataError> {
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
            let normalized = certificate(&doc.text(c), n, now, warnings)?;
            for (wanted, list) in [(sign, &mut signing_certs), (encrypt, &mut encryption_certs)] {
                if wanted && !list.contains(&normalized) {
                    list.push(normalized.clone());
                }
            }
        }
    }
    Ok((signing_certs, encryption_certs))
}

/// One X509Certificate's text, checked to be a certificate (and its dates), as compact base64.
fn certificate(
    text: &str,
    n: usize,
    now: OffsetDateTime,
    warnings: &mut Vec<String>,
) -> Result<String, MetadataError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| MetadataError::Certificate(n))?;
    let cert = X509::from_der(&der).map_err(|_| MetadataError::Certificate(n))?;
    check_dates(&cert, n, now, warnings);
    Ok(base64::engine::general_purpose::STANDARD.encode(&der))
}

/// The SP's AssertionConsumerServices, each checked; at least one must be HTTP-POST.
fn acs_endpoints(
    doc: &Document,
    sp: ElementId,
    warnings: &mut Vec<String>,
) -> Result<Vec<AcsEndpoint>, MetadataError> {
    let mut acs: Vec<AcsEndpoint> = Vec::new();
    for (i, a) in doc
        .find_children(sp, ns::MD, "AssertionConsumerService")
        .enumerate()
    {
        let n = i + 1;
        let endpoint = acs_endpoint(doc, a, n, warnings)?;
        if endpoint.index.is_some() && acs.iter().any(|x| x.index == endpoint.index) {
            return Err(MetadataError::Field(format!(
                "AssertionConsumerService #{n} repeats index {}",
                endpoint.index.unwrap_or_default()
            )));
        }
        acs.push(endpoint);
    }
    if !acs.iter().any(|a| a.binding == HTTP_POST) {
        return Err(MetadataError::NoPostAcs);
    }
    Ok(acs)
}

/// The SP's SingleLogoutServices on the bindings we speak (others are skipped with a warning), each
/// Location and ResponseLocation checked like an ACS.
fn slo_endpoints(
    doc: &Document,
    sp: ElementId,
    warnings: &mut Vec<String>,
) -> Result<Vec<SloEndpoint>, MetadataError> {
    let mut out = Vec::new();
    for (i, e) in doc
        .find_children(sp, ns::MD, "SingleLogoutService")
        .enumerate()
    {
        let n = i + 1;
        let el = doc.element(e);
        let what = format!("SingleLogoutService #{n}");
        let binding = el
            .attr("Binding")
            .ok_or_else(|| MetadataError::Field(format!("{what} has no Binding")))?;
        let location = el
            .attr("Location")
            .ok_or_else(|| MetadataError::Field(format!("{what} has no Location")))?;
        let spoken = [
            HTTP_POST,
            super::uris::binding::HTTP_REDIRECT,
            super::uris::binding::SOAP,
        ];
        if !spoken.contains(&binding) {
            warnings.push(format!("{what} has binding {binding}, which we do not use"));
            continue;
        }
        check_url(&what, location, warnings)?;
        let response_location = el.attr("ResponseLocation").map(str::to_string);
        if let Some(r) = &response_location {
            check_url(&format!("{what} ResponseLocation"), r, warnings)?;
        }
        out.push(SloEndpoint {
            binding: binding.to_string(),
            location: location.to_string(),
            response_location,
        });
    }
    Ok(out)
}

/// AssertionConsumerService number `n`: its binding, location, index and isDefault.
fn acs_endpoint(
    doc: &Document,
    a: ElementId,
    n: usize,
    warnings: &mut Vec<String>,
) -> Result<AcsEndpoint, MetadataError> {
    let el = doc.element(a);
    let binding = el.attr("Binding").ok_or_else(|| {
        MetadataError::Field(format!("AssertionConsumerService #{n} has no Binding"))
    })?;
    let location = el.attr("Location").ok_or_else(|| {
        MetadataError::Field(format!("AssertionConsumerService #{n} has no Location"))
    })?;
    check_location(n, location, warnings)?;
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
    Ok(AcsEndpoint {
        binding: binding.to_string(),
        location: location.to_string(),
        index,
        is_default,
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
    check_url(
        &format!("AssertionConsumerService #{n}"),
        location,
        warnings,
    )
}

/// An endpoint URL of `what`: https, or http with a warning.
fn check_url(what: &str, location: &str, warnings: &mut Vec<String>) -> Result<(), MetadataError> {
    let url = url::Url::parse(location)
        .map_err(|_| MetadataError::Field(format!("{what} Location is not a URL: {location}")))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            warnings.push(format!("{what} uses plain http: {location}"));
            Ok(())
        }
        other => Err(MetadataError::Field(format!(
            "{what} Location has scheme {other}; only https and http are allowed"
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

/// The ACS URLs `a` shares with `b`. Apps that share an SP entity ID are told apart by the ACS a
/// request asks for, so they may share none.
pub fn shared_acs<'a>(a: &'a SpMetadata, b: &SpMetadata) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for x in &a.acs {
        let url = x.location.as_str();
        if b.acs.iter().any(|y| y.location == url) && !out.contains(&url) {
            out.push(url);
        }
    }
    out
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
mod tests;
