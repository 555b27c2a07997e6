//! SP metadata as the admin gives it (a file, pasted XML or a URL), turned into what would be
//! imported — entity ID, ACS, certificates with their expiry, warnings — or refused with a
//! field-level error that says what to fix. Nothing here stores anything: the preview is this, and
//! saving runs it again on the same bytes.

use super::metadata_fetch::{self, FetchPolicy};
use super::AdminError;
use crate::saml::dom::XmlError;
use crate::saml::sp_metadata::{self, MetadataError, SpMetadata, MAX_METADATA_BYTES};
use base64::Engine as _;
use openssl::asn1::Asn1Time;
use openssl::x509::X509;
use time::OffsetDateTime;

/// Where metadata comes from, and the form/JSON field that gave it (for errors).
#[derive(Debug, Clone)]
pub enum MetadataInput {
    /// The document itself (uploaded or pasted).
    Xml {
        /// The bytes as received.
        xml: Vec<u8>,
        /// `metadata_xml`, `metadata_file`, …
        field: &'static str,
        /// The URL this document was fetched from (a preview being saved): kept as the source.
        fetched_from: Option<String>,
    },
    /// A URL to fetch it from.
    Url {
        /// The URL as given.
        url: String,
        /// `metadata_url`.
        field: &'static str,
    },
}

impl MetadataInput {
    /// The field that gave the metadata.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Xml { field, .. } | Self::Url { field, .. } => field,
        }
    }
}

/// What to do with an expired SP certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpiredCerts {
    /// Refuse, naming the certificate (the console and API default).
    Refuse,
    /// Import with a warning (the admin confirmed; the command line).
    Accept,
    /// Accept those already in the app (base64 DER), refuse new ones (periodic refresh).
    AcceptKnown(Vec<String>),
}

/// One certificate of the metadata, for the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// `signing`, `encryption` or `signing, encryption`.
    pub usage: String,
    /// Subject, one line.
    pub subject: String,
    /// Not valid before, Unix seconds.
    pub not_before: i64,
    /// Not valid after, Unix seconds.
    pub not_after: i64,
    /// Whether it has expired at the time of the check.
    pub expired: bool,
    /// The certificate, base64 DER.
    pub der_base64: String,
}

/// Metadata checked and ready to import.
#[derive(Debug, Clone)]
pub struct Inspected {
    /// What would be stored.
    pub metadata: SpMetadata,
    /// What the admin should know.
    pub warnings: Vec<String>,
    /// Every certificate with its dates.
    pub certificates: Vec<CertInfo>,
    /// The document (UTF-8, as received or fetched).
    pub xml: String,
    /// The URL it was fetched from, if it was.
    pub url: Option<String>,
}

/// Reads `input` (fetching a URL under `fetch`) and checks it as SP metadata.
pub async fn inspect(
    input: &MetadataInput,
    entity_id: Option<&str>,
    expired: &ExpiredCerts,
    now: OffsetDateTime,
    fetch: &FetchPolicy,
) -> Result<Inspected, AdminError> {
    let field = input.field();
    let (bytes, url) = match input {
        MetadataInput::Xml {
            xml, fetched_from, ..
        } => {
            let url = match fetched_from
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
            {
                Some(u) => Some(
                    metadata_fetch::check_url(u)
                        .map_err(|e| AdminError::invalid("metadata_url", e.to_string()))?
                        .to_string(),
                ),
                None => None,
            };
            (xml.clone(), url)
        }
        MetadataInput::Url { url, .. } => {
            let body = metadata_fetch::fetch(url, fetch)
                .await
                .map_err(|e| AdminError::invalid(field, e.to_string()))?;
            (body, Some(url.trim().to_string()))
        }
    };
    check_bytes(&bytes, field, entity_id, expired, now).map(|mut i| {
        i.url = url;
        i
    })
}

/// Checks a metadata document (no network).
pub fn check_bytes(
    bytes: &[u8],
    field: &'static str,
    entity_id: Option<&str>,
    expired: &ExpiredCerts,
    now: OffsetDateTime,
) -> Result<Inspected, AdminError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AdminError::invalid(
            field,
            "no metadata given: upload the SP's metadata file, paste it, or give its URL",
        ));
    }
    let entity_id = entity_id.map(str::trim).filter(|e| !e.is_empty());
    let imported = sp_metadata::import(bytes, entity_id, now).map_err(|e| refusal(&e, field))?;
    let certificates = certificates(&imported.metadata, now);
    let known: &[String] = match expired {
        ExpiredCerts::AcceptKnown(k) => k,
        _ => &[],
    };
    if *expired != ExpiredCerts::Accept {
        if let Some((n, c)) = certificates
            .iter()
            .enumerate()
            .find(|(_, c)| c.expired && !known.contains(&c.der_base64))
        {
            return Err(AdminError::invalid(
                field,
                format!(
                    "certificate #{} ({}, {}) expired on {}: get a fresh copy of the SP's \
                     metadata, or confirm that this SP does not use it \
                     (accept_expired_certificates)",
                    n + 1,
                    c.usage,
                    c.subject,
                    rfc3339(c.not_after)
                ),
            ));
        }
    }
    Ok(Inspected {
        metadata: imported.metadata,
        warnings: imported.warnings,
        certificates,
        xml: String::from_utf8_lossy(bytes).into_owned(),
        url: None,
    })
}

/// The admin's field-level error for a metadata refusal: what is wrong and what to do.
pub fn refusal(e: &MetadataError, field: &'static str) -> AdminError {
    let msg = match e {
        MetadataError::Xml(x) => xml_refusal(x),
        MetadataError::NoSp => "no SPSSODescriptor: this file describes no SAML 2.0 service \
                                provider (is it an IdP's metadata? upload the SP's own)"
            .to_string(),
        MetadataError::SeveralSps(ids) => {
            return AdminError::invalid(
                "entity_id",
                format!(
                    "{} SPs in this file: choose one by its entity ID (--entity-id on the command \
                     line): {}",
                    ids.len(),
                    ids.join(", ")
                ),
            )
        }
        MetadataError::EntityNotFound(want, ids) => {
            return AdminError::invalid(
                "entity_id",
                format!(
                    "no SP with entity ID {want} in this file; it has: {}",
                    ids.join(", ")
                ),
            )
        }
        MetadataError::Certificate(n) => format!(
            "certificate #{n} is unparseable (not base64 DER X.509): copy the whole \
             <ds:X509Certificate> text from the SP"
        ),
        MetadataError::NoPostAcs => "no HTTP-POST AssertionConsumerService: the SP must take \
                                     Responses by POST"
            .to_string(),
        other => other.to_string(),
    };
    AdminError::invalid(field, msg)
}

/// What is wrong with a document that is not acceptable XML, and what to do.
fn xml_refusal(x: &XmlError) -> String {
    match x {
        XmlError::Doctype => "DOCTYPE is not allowed in SP metadata (it can define entities \
                              or fetch external files): remove the <!DOCTYPE …> declaration"
            .to_string(),
        XmlError::UnknownEntity(n) => format!(
            "entity reference &{n}; is not allowed: only &lt; &gt; &amp; &quot; &apos; and \
             character references are"
        ),
        XmlError::TooLarge => format!(
            "the metadata is larger than {} KiB; SP metadata is far smaller — is this the \
             right file?",
            MAX_METADATA_BYTES / 1024
        ),
        XmlError::TooDeep => {
            "elements are nested too deeply (more than 32 levels): this is not SP metadata"
                .to_string()
        }
        XmlError::TooManyAttributes => {
            "an element has too many attributes (more than 64): this is not SP metadata".to_string()
        }
        XmlError::TooManyNodes => {
            "the document has too many elements: this is not SP metadata".to_string()
        }
        XmlError::NotUtf8 => "the metadata must be UTF-8 (save the file as UTF-8)".to_string(),
        XmlError::ProcessingInstruction => {
            "processing instructions (<?…?>) are not allowed in SP metadata".to_string()
        }
        other => format!("not well-formed XML ({other}): upload the SP's metadata file"),
    }
}

/// Every certificate of `m` with its dates (a certificate in both lists is shown once).
pub fn certificates(m: &SpMetadata, now: OffsetDateTime) -> Vec<CertInfo> {
    let mut out: Vec<CertInfo> = Vec::new();
    for (usage, list) in [
        ("signing", &m.signing_certs),
        ("encryption", &m.encryption_certs),
    ] {
        for b64 in list.iter() {
            if let Some(c) = out.iter_mut().find(|c| &c.der_base64 == b64) {
                c.usage = format!("{}, {usage}", c.usage);
                continue;
            }
            let Some(cert) = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .ok()
                .and_then(|der| X509::from_der(&der).ok())
            else {
                continue;
            };
            let subject = cert
                .subject_name()
                .entries()
                .filter_map(|e| {
                    let k = e.object().nid().short_name().ok()?;
                    let v = e.data().to_string().ok()?;
                    Some(format!("{k}={v}"))
                })
                .collect::<Vec<_>>()
                .join(", ");
            let not_before = unix_of(cert.not_before());
            let not_after = unix_of(cert.not_after());
            out.push(CertInfo {
                usage: usage.to_string(),
                subject,
                not_before,
                not_after,
                expired: not_after < now.unix_timestamp(),
                der_base64: b64.clone(),
            });
        }
    }
    out
}

fn unix_of(t: &openssl::asn1::Asn1TimeRef) -> i64 {
    Asn1Time::from_unix(0)
        .ok()
        .and_then(|epoch| epoch.diff(t).ok())
        .map(|d| i64::from(d.days) * 86_400 + i64::from(d.secs))
        .unwrap_or(0)
}

/// Unix seconds as RFC 3339 (UTC).
pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
