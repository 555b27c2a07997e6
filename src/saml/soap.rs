//! The SAML SOAP binding (SAML Bindings §3.2) for back-channel Single Logout: the SOAP 1.1
//! envelope carrying our signed `LogoutRequest` (through the escaping writer), and the SP's answer
//! read through the one strict parser: the envelope, a `SOAP-ENV:Fault` or exactly one
//! `samlp:LogoutResponse` in the Body, whose enveloped signature — when there is one — must verify
//! with the app's metadata certificates only (the signed element is the Body's child, with one
//! Reference to its own ID: the same rules as a root signature), then InResponseTo, Issuer and
//! Status. No HTTP here.

use openssl::x509::X509;

use super::dom::{self, Document, ElementId, XmlError};
use super::logout::STATUS_PARTIAL_LOGOUT;
use super::response::STATUS_SUCCESS;
use super::sign::SignError;
use super::uris::ns;
use super::verify::{verify_enveloped, SignatureStatus, VerifyError};
use super::xml::{Element, Writer};

/// The `SOAPAction` header SAML Bindings §3.2.3.3 asks for.
pub const SOAP_ACTION: &str = "http://www.oasis-open.org/committees/security";

/// The SOAP 1.1 envelope carrying `message` (a finished, already signed SAML message) in its Body.
pub fn envelope(message: &Element) -> Result<Vec<u8>, SignError> {
    let mut w = Writer::with_capacity(message.as_bytes().len() + 256);
    w.start("SOAP-ENV", "Envelope", ns::SOAP_ENV)
        .start("SOAP-ENV", "Body", ns::SOAP_ENV)
        .embed(message)
        .end()
        .end();
    Ok(w.finish()?.into_bytes())
}

/// The SAML message in a SOAP envelope's Body, from the strict parser.
#[derive(Debug)]
pub struct Opened {
    /// The whole parsed envelope.
    pub doc: Document,
    /// The Body's one child element.
    pub message: ElementId,
}

/// Opens a SOAP 1.1 envelope: the root is `SOAP-ENV:Envelope`, its Body holds exactly one element,
/// which is not a `SOAP-ENV:Fault` (its `faultcode` is the error).
pub fn open(body: &[u8]) -> Result<Opened, SoapError> {
    let doc = dom::parse(body, &dom::Limits::default()).map_err(SoapError::Xml)?;
    let root = doc.root();
    if !doc.element(root).is(ns::SOAP_ENV, "Envelope") {
        return Err(SoapError::NotSoap);
    }
    let parts: Vec<ElementId> = doc.child_elements(root).collect();
    let body_el = match parts.as_slice() {
        [b] => *b,
        [h, b] if doc.element(*h).is(ns::SOAP_ENV, "Header") => *b,
        _ => return Err(SoapError::NotSoap),
    };
    if !doc.element(body_el).is(ns::SOAP_ENV, "Body") {
        return Err(SoapError::NotSoap);
    }
    let children: Vec<ElementId> = doc.child_elements(body_el).collect();
    let [message] = children.as_slice() else {
        return Err(SoapError::NotSoap);
    };
    if doc.element(*message).is(ns::SOAP_ENV, "Fault") {
        let code = doc
            .child_elements(*message)
            .find(|c| doc.element(*c).local == "faultcode")
            .map(|c| doc.text(c).trim().chars().take(100).collect())
            .unwrap_or_default();
        return Err(SoapError::Fault(code));
    }
    Ok(Opened {
        doc,
        message: *message,
    })
}

/// What the LogoutResponse must match: our request, the SP, its metadata certificates.
#[derive(Clone, Copy, Debug)]
pub struct Expected<'a> {
    /// Our LogoutRequest's ID.
    pub request_id: &'a str,
    /// The SP's entity ID (the Issuer, when the response names one).
    pub sp_entity_id: &'a str,
    /// The app's metadata signing certificates (never the message's `KeyInfo`).
    pub certs: &'a [X509],
    /// The app's SHA-1 opt-in.
    pub allow_sha1: bool,
}

/// A LogoutResponse that matched our request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    /// Whether its enveloped signature verified with the app's certificates (unsigned otherwise).
    pub signed: bool,
    /// Success, with a second-level `PartialLogout`: the SP did not end every session it had.
    pub partial: bool,
}

/// Reads the SP's answer to our SOAP LogoutRequest; `Err` says why it confirms nothing.
pub fn read_logout_response(body: &[u8], expected: &Expected<'_>) -> Result<Answer, SoapError> {
    let Opened { doc, message } = open(body)?;
    if !doc.element(message).is(ns::SAMLP, "LogoutResponse") {
        return Err(SoapError::NotLogoutResponse);
    }
    let signed = match verify_enveloped(&doc, message, expected.certs, expected.allow_sha1) {
        Ok(SignatureStatus::Verified { .. }) => true,
        Ok(SignatureStatus::Unsigned) => false,
        Err(e) => return Err(SoapError::Signature(e)),
    };
    let el = doc.element(message);
    if el.attr("InResponseTo") != Some(expected.request_id) {
        return Err(SoapError::InResponseTo);
    }
    // SAML Core §3.2.2: the Issuer MAY be omitted; when present it must be the SP.
    if let Some(issuer) = doc.find_child(message, ns::SAML, "Issuer") {
        if doc.text(issuer).trim() != expected.sp_entity_id {
            return Err(SoapError::Issuer);
        }
    }
    let status = doc
        .find_child(message, ns::SAMLP, "Status")
        .and_then(|s| doc.find_child(s, ns::SAMLP, "StatusCode"));
    let top = status.and_then(|c| doc.element(c).attr("Value"));
    let second = status
        .and_then(|c| doc.find_child(c, ns::SAMLP, "StatusCode"))
        .and_then(|c| doc.element(c).attr("Value"));
    if top != Some(STATUS_SUCCESS) {
        // The second level says why (Shibboleth: Responder/PartialLogout when it found nothing
        // to end), so the operator reads both.
        let mut word = top.map(short_status).unwrap_or_else(|| "none".into());
        if let Some(second) = second {
            word = format!("{word}/{}", short_status(second));
        }
        return Err(SoapError::Status(word));
    }
    let partial = second == Some(STATUS_PARTIAL_LOGOUT);
    Ok(Answer { signed, partial })
}

/// The last part of a status URI (`Responder`, `Requester`, …), bounded, for the audit row.
fn short_status(uri: &str) -> String {
    uri.rsplit(':')
        .next()
        .unwrap_or(uri)
        .chars()
        .take(64)
        .collect()
}

/// Why a SOAP answer confirms nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SoapError {
    /// Refused by the strict parser.
    Xml(XmlError),
    /// Not a SOAP 1.1 envelope with one element in its Body.
    NotSoap,
    /// A SOAP fault (its `faultcode`, as sent, bounded).
    Fault(String),
    /// The Body holds something other than a `samlp:LogoutResponse`.
    NotLogoutResponse,
    /// Its signature did not verify with the app's certificates.
    Signature(VerifyError),
    /// `InResponseTo` is not our request's ID.
    InResponseTo,
    /// The Issuer is not the SP.
    Issuer,
    /// The top-level status is not Success (its last URI part).
    Status(String),
}

impl SoapError {
    /// A short stable code for the audit row.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Xml(_) => "not_xml",
            Self::NotSoap => "not_soap",
            Self::Fault(_) => "soap_fault",
            Self::NotLogoutResponse => "not_logout_response",
            Self::Signature(_) => "bad_signature",
            Self::InResponseTo => "wrong_in_response_to",
            Self::Issuer => "wrong_issuer",
            Self::Status(_) => "status_not_success",
        }
    }
}

impl std::fmt::Display for SoapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Xml(e) => write!(f, "the answer is not acceptable XML: {e}"),
            Self::NotSoap => f.write_str("the answer is not a SOAP envelope with one message"),
            Self::Fault(code) => write!(f, "the SP answered a SOAP fault ({code})"),
            Self::NotLogoutResponse => f.write_str("the SOAP Body holds no LogoutResponse"),
            Self::Signature(e) => write!(f, "the LogoutResponse signature: {e}"),
            Self::InResponseTo => f.write_str("the LogoutResponse answers another request"),
            Self::Issuer => f.write_str("the LogoutResponse comes from another issuer"),
            Self::Status(s) => write!(f, "the SP answered status {s}"),
        }
    }
}

impl std::error::Error for SoapError {}

#[cfg(test)]
mod tests;
