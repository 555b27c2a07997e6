//! Single Logout messages (SAML Core §3.7) and their front-channel bindings: the
//! `samlp:LogoutRequest` and `samlp:LogoutResponse` we write (through the escaping writer, signed
//! enveloped for HTTP-POST, or over the query string for HTTP-Redirect: SAML Bindings §3.4.4.1),
//! and the fields of the ones we receive, read from a document `request` has decoded and
//! verified (signature, ID, Issuer, IssueInstant, Destination) the way it verifies AuthnRequests.
//! Times and IDs are parameters.

use std::io::Write as _;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::dom::Document;
use super::request::{Common, RequestError};
use super::response::{saml_instant, NameId, STATUS_SUCCESS};
use super::sign::{sign_element, SignError, SigningKey};
use super::uris::{alg, ns};
use super::xml::{Element, Writer};

/// `urn:oasis:names:tc:SAML:2.0:status:PartialLogout`: not every session participant was told.
pub const STATUS_PARTIAL_LOGOUT: &str = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout";
/// `urn:oasis:names:tc:SAML:2.0:logout:user`: the member asked to sign out.
pub const REASON_USER: &str = "urn:oasis:names:tc:SAML:2.0:logout:user";
/// `urn:oasis:names:tc:SAML:2.0:logout:admin`: an administrator (here: WeCom's word that the
/// member left) ended the session.
pub const REASON_ADMIN: &str = "urn:oasis:names:tc:SAML:2.0:logout:admin";

/// Which form field (and Redirect parameter) carries a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// `SAMLRequest`.
    Request,
    /// `SAMLResponse`.
    Response,
}

impl Field {
    /// The parameter name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Request => "SAMLRequest",
            Self::Response => "SAMLResponse",
        }
    }
}

/// Everything a LogoutRequest we send says.
#[derive(Debug, Clone)]
pub struct LogoutRequestInput<'a> {
    /// `ID` (an NCName).
    pub id: &'a str,
    /// `IssueInstant`.
    pub issue_instant: OffsetDateTime,
    /// `NotOnOrAfter`: the SP must not act on it later.
    pub not_on_or_after: OffsetDateTime,
    /// Our entity ID.
    pub issuer: &'a str,
    /// The SP's SingleLogoutService Location.
    pub destination: &'a str,
    /// The NameID exactly as the SP received it.
    pub name_id: &'a NameId,
    /// The SessionIndexes the SP received under this NameID (one per IdP session; none: all).
    pub session_indexes: &'a [&'a str],
    /// `Reason` URI.
    pub reason: Option<&'a str>,
}

/// A LogoutRequest, signed enveloped when `key` is given (HTTP-POST); unsigned for HTTP-Redirect,
/// where [`redirect_url`] signs the query instead.
pub fn build_logout_request(
    input: &LogoutRequestInput<'_>,
    key: Option<&SigningKey>,
) -> Result<Vec<u8>, SignError> {
    logout_request_element(input, key).map(Element::into_bytes)
}

/// The same LogoutRequest as an element, to be carried inside another (a SOAP Body).
pub fn logout_request_element(
    input: &LogoutRequestInput<'_>,
    key: Option<&SigningKey>,
) -> Result<Element, SignError> {
    let instant = saml_instant(input.issue_instant)?;
    let until = saml_instant(input.not_on_or_after)?;
    let n = input.name_id;
    let mut w = Writer::with_capacity(2048);
    w.start("samlp", "LogoutRequest", ns::SAMLP)
        .attr("ID", input.id)
        .attr("Version", "2.0")
        .attr("IssueInstant", &instant)
        .attr("Destination", input.destination)
        .attr("NotOnOrAfter", &until)
        .attr_opt("Reason", input.reason)
        .leaf("saml", "Issuer", ns::SAML, input.issuer);
    if key.is_some() {
        w.signature_slot();
    }
    w.start("saml", "NameID", ns::SAML)
        .attr("Format", &n.format)
        .attr_opt("NameQualifier", n.name_qualifier.as_deref())
        .attr_opt("SPNameQualifier", n.sp_name_qualifier.as_deref())
        .text(&n.value)
        .end();
    for i in input.session_indexes {
        w.leaf("samlp", "SessionIndex", ns::SAMLP, i);
    }
    w.end();
    finish(w, key)
}

/// How a logout went, as the LogoutResponse's status says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogoutStatus {
    /// Every participant was told.
    Success,
    /// Our session ended, but some SP did not confirm (second-level `PartialLogout`).
    PartialLogout,
}

/// Everything a LogoutResponse we send says.
#[derive(Debug, Clone)]
pub struct LogoutResponseInput<'a> {
    /// `ID` (an NCName).
    pub id: &'a str,
    /// `IssueInstant`.
    pub issue_instant: OffsetDateTime,
    /// Our entity ID.
    pub issuer: &'a str,
    /// The SP's SingleLogoutService ResponseLocation (or Location).
    pub destination: &'a str,
    /// The LogoutRequest's ID.
    pub in_response_to: &'a str,
    /// The outcome.
    pub status: LogoutStatus,
}

/// A LogoutResponse, signed enveloped when `key` is given (HTTP-POST).
pub fn build_logout_response(
    input: &LogoutResponseInput<'_>,
    key: Option<&SigningKey>,
) -> Result<Vec<u8>, SignError> {
    logout_response_element(input, key).map(Element::into_bytes)
}

/// The same LogoutResponse as an element, to be carried inside another (a SOAP Body).
pub fn logout_response_element(
    input: &LogoutResponseInput<'_>,
    key: Option<&SigningKey>,
) -> Result<Element, SignError> {
    let instant = saml_instant(input.issue_instant)?;
    let mut w = Writer::with_capacity(1024);
    w.start("samlp", "LogoutResponse", ns::SAMLP)
        .attr("ID", input.id)
        .attr("Version", "2.0")
        .attr("IssueInstant", &instant)
        .attr("Destination", input.destination)
        .attr("InResponseTo", input.in_response_to)
        .leaf("saml", "Issuer", ns::SAML, input.issuer);
    if key.is_some() {
        w.signature_slot();
    }
    w.start("samlp", "Status", ns::SAMLP)
        .start("samlp", "StatusCode", ns::SAMLP)
        .attr("Value", STATUS_SUCCESS);
    if input.status == LogoutStatus::PartialLogout {
        w.start("samlp", "StatusCode", ns::SAMLP)
            .attr("Value", STATUS_PARTIAL_LOGOUT)
            .end();
    }
    w.end().end().end();
    finish(w, key)
}

fn finish(w: Writer, key: Option<&SigningKey>) -> Result<Element, SignError> {
    let el = w.finish()?;
    match key {
        Some(k) => sign_element(el, k),
        None => Ok(el),
    }
}

/// The HTTP-Redirect URL carrying `xml` to `location`: DEFLATE, base64, the query signed with
/// RSA-SHA256 over `field=…[&RelayState=…]&SigAlg=…` exactly as sent.
pub fn redirect_url(
    location: &str,
    field: Field,
    xml: &[u8],
    relay_state: Option<&str>,
    key: &SigningKey,
) -> Result<String, SignError> {
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(xml)
        .map_err(|_| SignError::Invalid("deflating the message failed"))?;
    let deflated = z
        .finish()
        .map_err(|_| SignError::Invalid("deflating the message failed"))?;
    let mut query = format!("{}={}", field.name(), enc(&B64.encode(deflated)));
    if let Some(rs) = relay_state {
        query.push_str("&RelayState=");
        query.push_str(&enc(rs));
    }
    query.push_str("&SigAlg=");
    query.push_str(&enc(alg::RSA_SHA256));
    let signature = B64.encode(key.sign_rsa_sha256(query.as_bytes())?);
    query.push_str("&Signature=");
    query.push_str(&enc(&signature));
    let sep = if location.contains('?') { '&' } else { '?' };
    Ok(format!("{location}{sep}{query}"))
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A verified LogoutRequest's own fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedLogoutRequest {
    /// ID, Issuer, IssueInstant, Destination, whether signed.
    pub common: Common,
    /// The NameID the SP names the member by.
    pub name_id: NameId,
    /// `SessionIndex`es, when given (the session must have given the SP one of them).
    pub session_indexes: Vec<String>,
    /// `Reason`, when given.
    pub reason: Option<String>,
    /// RelayState to return unchanged.
    pub relay_state: Option<String>,
}

/// Reads a LogoutRequest from a verified document: refused when `NotOnOrAfter` has passed
/// (beyond `skew`) or there is no plain `NameID` (an `EncryptedID` or `BaseID` is not supported).
pub fn read_logout_request(
    common: Common,
    doc: &Document,
    relay_state: Option<String>,
    now: OffsetDateTime,
    skew: time::Duration,
) -> Result<VerifiedLogoutRequest, RequestError> {
    let root = doc.root();
    let el = doc.element(root);
    if let Some(t) = el.attr("NotOnOrAfter") {
        let until = OffsetDateTime::parse(t, &Rfc3339)
            .map_err(|_| RequestError::BadAttribute("NotOnOrAfter"))?;
        if now >= until + skew {
            return Err(RequestError::Expired);
        }
    }
    let n = doc
        .find_child(root, ns::SAML, "NameID")
        .ok_or(RequestError::BadAttribute("NameID"))?;
    let n_el = doc.element(n);
    let value = doc.text(n).trim().to_string();
    if value.is_empty() {
        return Err(RequestError::BadAttribute("NameID"));
    }
    let name_id = NameId {
        format: n_el
            .attr("Format")
            .unwrap_or(super::uris::name_id::UNSPECIFIED)
            .to_string(),
        value,
        sp_name_qualifier: n_el.attr("SPNameQualifier").map(str::to_string),
        name_qualifier: n_el.attr("NameQualifier").map(str::to_string),
    };
    let session_indexes = doc
        .find_children(root, ns::SAMLP, "SessionIndex")
        .map(|i| doc.text(i).trim().to_string())
        .collect();
    Ok(VerifiedLogoutRequest {
        common,
        name_id,
        session_indexes,
        reason: el.attr("Reason").map(str::to_string),
        relay_state,
    })
}

/// A verified LogoutResponse's own fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedLogoutResponse {
    /// ID, Issuer, IssueInstant, Destination, whether signed.
    pub common: Common,
    /// The ID of our LogoutRequest it answers.
    pub in_response_to: Option<String>,
    /// Whether the top-level status is Success.
    pub success: bool,
    /// RelayState (our chain's ID).
    pub relay_state: Option<String>,
}

/// Reads a LogoutResponse from a verified document.
pub fn read_logout_response(
    common: Common,
    doc: &Document,
    relay_state: Option<String>,
) -> VerifiedLogoutResponse {
    let root = doc.root();
    let success = doc
        .find_child(root, ns::SAMLP, "Status")
        .and_then(|s| doc.find_child(s, ns::SAMLP, "StatusCode"))
        .and_then(|c| doc.element(c).attr("Value"))
        == Some(STATUS_SUCCESS);
    VerifiedLogoutResponse {
        common,
        in_response_to: doc.element(root).attr("InResponseTo").map(str::to_string),
        success,
        relay_state,
    }
}

#[cfg(test)]
mod tests;
