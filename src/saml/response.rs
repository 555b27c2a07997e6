//! The SAML Response / Assertion model and its bytes: canonical by construction (written with
//! [`crate::saml::xml::Writer`]), signed with [`crate::saml::sign`].
//!
//! [`build_response`] writes a successful Response carrying one bearer Assertion; the Assertion is
//! signed first, embedded, and then the Response is signed (its digest covers the signed
//! Assertion); [`build_encrypted_response`] encrypts the signed Assertion for the SP
//! ([`crate::saml::encrypt`]) and always signs the Response around it.
//! [`build_status_response`] writes an error Response (no Assertion), always signed.
//! The output has no XML declaration: the signed `samlp:Response` is the whole document.
//!
//! Every value is escaped by the writer and characters XML cannot carry are dropped, so a WeCom
//! display name such as `x</saml:AttributeValue><saml:AttributeValue>admin` stays one value.
//! Times and IDs are parameters; nothing here reads the clock or makes randomness.

use time::{OffsetDateTime, UtcOffset};

use crate::random::Rng;
use crate::saml::encrypt::{encrypt_assertion, BlockCipher, Recipient};
use crate::saml::names::is_ascii_ncname;
use crate::saml::sign::{sign_element, SignError, SigningKey};
use crate::saml::uris::ns;
use crate::saml::xml::{Element, Writer};

/// `urn:oasis:names:tc:SAML:2.0:status:Success`
pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
/// `urn:oasis:names:tc:SAML:2.0:cm:bearer`
pub const CM_BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// One SAML attribute; several values become several `AttributeValue`s of one `Attribute`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// `Name`.
    pub name: String,
    /// `NameFormat`, e.g. `urn:oasis:names:tc:SAML:2.0:attrname-format:uri`.
    pub name_format: Option<String>,
    /// `FriendlyName`.
    pub friendly_name: Option<String>,
    /// The values, in order (written as plain strings, no `xsi:type`).
    pub values: Vec<String>,
}

/// The subject's `NameID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameId {
    /// `Format`, e.g. `urn:oasis:names:tc:SAML:2.0:nameid-format:transient`.
    pub format: String,
    /// The identifier.
    pub value: String,
    /// `SPNameQualifier`.
    pub sp_name_qualifier: Option<String>,
    /// `NameQualifier`.
    pub name_qualifier: Option<String>,
}

/// Everything a successful Response says. IDs must be NCNames (e.g. `_` + hex) and differ.
#[derive(Debug, Clone)]
pub struct AssertionInput<'a> {
    /// `Response/@ID`.
    pub response_id: &'a str,
    /// `Assertion/@ID`.
    pub assertion_id: &'a str,
    /// `IssueInstant` of both Response and Assertion.
    pub issue_instant: OffsetDateTime,
    /// Our entity ID (both `Issuer`s).
    pub issuer: &'a str,
    /// The ACS URL: `Response/@Destination` and `SubjectConfirmationData/@Recipient`.
    pub destination: &'a str,
    /// The AuthnRequest ID; `None` for an unsolicited (IdP-initiated) Response.
    pub in_response_to: Option<&'a str>,
    /// The SP entity ID: the one `Audience`.
    pub audience: &'a str,
    /// The subject.
    pub name_id: &'a NameId,
    /// `Conditions/@NotBefore` (backdate a little for clock skew).
    pub not_before: OffsetDateTime,
    /// `Conditions/@NotOnOrAfter` and `SubjectConfirmationData/@NotOnOrAfter`.
    pub not_on_or_after: OffsetDateTime,
    /// `AuthnStatement/@SessionIndex`.
    pub session_index: &'a str,
    /// When the member authenticated.
    pub authn_instant: OffsetDateTime,
    /// `AuthnStatement/@SessionNotOnOrAfter`.
    pub session_not_on_or_after: Option<OffsetDateTime>,
    /// e.g. `urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified`.
    pub authn_context_class_ref: &'a str,
    /// The attributes; no `AttributeStatement` when empty.
    pub attributes: &'a [Attribute],
    /// Sign the Assertion.
    pub sign_assertion: bool,
    /// Sign the Response.
    pub sign_response: bool,
}

/// Top-level status codes of an error Response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusCode {
    /// The request was wrong.
    Requester,
    /// We failed.
    Responder,
    /// Wrong SAML version.
    VersionMismatch,
}

impl StatusCode {
    /// The status URI.
    pub fn uri(self) -> &'static str {
        match self {
            Self::Requester => "urn:oasis:names:tc:SAML:2.0:status:Requester",
            Self::Responder => "urn:oasis:names:tc:SAML:2.0:status:Responder",
            Self::VersionMismatch => "urn:oasis:names:tc:SAML:2.0:status:VersionMismatch",
        }
    }
}

/// Second-level status codes we use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubStatusCode {
    /// Authentication failed.
    AuthnFailed,
    /// `IsPassive` was asked and we would have to interact.
    NoPassive,
    /// We refuse (access rules).
    RequestDenied,
    /// The request cannot be honoured (e.g. `ForceAuthn` we cannot do).
    RequestUnsupported,
    /// The binding asked for is not supported.
    UnsupportedBinding,
    /// The NameID policy cannot be satisfied.
    InvalidNameIdPolicy,
    /// No supported IdP (proxying).
    NoSupportedIdp,
    /// The member is unknown.
    UnknownPrincipal,
}

impl SubStatusCode {
    /// The status URI.
    pub fn uri(self) -> &'static str {
        match self {
            Self::AuthnFailed => "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed",
            Self::NoPassive => "urn:oasis:names:tc:SAML:2.0:status:NoPassive",
            Self::RequestDenied => "urn:oasis:names:tc:SAML:2.0:status:RequestDenied",
            Self::RequestUnsupported => "urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported",
            Self::UnsupportedBinding => "urn:oasis:names:tc:SAML:2.0:status:UnsupportedBinding",
            Self::InvalidNameIdPolicy => "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy",
            Self::NoSupportedIdp => "urn:oasis:names:tc:SAML:2.0:status:NoSupportedIDP",
            Self::UnknownPrincipal => "urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal",
        }
    }
}

/// Everything an error Response says.
#[derive(Debug, Clone)]
pub struct StatusInput<'a> {
    /// `Response/@ID` (an NCName).
    pub response_id: &'a str,
    /// `IssueInstant`.
    pub issue_instant: OffsetDateTime,
    /// Our entity ID.
    pub issuer: &'a str,
    /// The ACS URL.
    pub destination: &'a str,
    /// The AuthnRequest ID when known.
    pub in_response_to: Option<&'a str>,
    /// Top-level code.
    pub status: StatusCode,
    /// Second-level code.
    pub sub_status: Option<SubStatusCode>,
    /// `StatusMessage` (shown by some SPs: keep internals out of it).
    pub message: Option<&'a str>,
}

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC, no fractional seconds (fractions are truncated).
pub fn saml_instant(t: OffsetDateTime) -> Result<String, SignError> {
    let t = t.to_offset(UtcOffset::UTC);
    if !(0..=9999).contains(&t.year()) {
        return Err(SignError::Time);
    }
    Ok(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    ))
}

fn check_id(id: &str) -> Result<(), SignError> {
    if is_ascii_ncname(id) {
        Ok(())
    } else {
        Err(SignError::Invalid("SAML IDs must be NCNames"))
    }
}

fn check_non_empty(s: &str, what: &'static str) -> Result<(), SignError> {
    if s.trim().is_empty() {
        Err(SignError::Invalid(what))
    } else {
        Ok(())
    }
}

fn check_in_response_to(v: Option<&str>) -> Result<(), SignError> {
    match v {
        Some(s) => check_non_empty(s, "empty InResponseTo (use None for unsolicited)"),
        None => Ok(()),
    }
}

/// Writes the `samlp:Response` start tag with its attributes and the `saml:Issuer`.
fn start_response(
    w: &mut Writer,
    id: &str,
    instant: &str,
    destination: &str,
    in_response_to: Option<&str>,
    issuer: &str,
) {
    w.start("samlp", "Response", ns::SAMLP)
        .attr("ID", id)
        .attr("Version", "2.0")
        .attr("IssueInstant", instant)
        .attr("Destination", destination)
        .attr_opt("InResponseTo", in_response_to)
        .leaf("saml", "Issuer", ns::SAML, issuer);
}

/// Writes the Assertion as an apex element, signed when asked.
fn assertion(
    input: &AssertionInput<'_>,
    instant: &str,
    key: &SigningKey,
) -> Result<Element, SignError> {
    let not_before = saml_instant(input.not_before)?;
    let not_on_or_after = saml_instant(input.not_on_or_after)?;
    let authn_instant = saml_instant(input.authn_instant)?;
    let session_end = match input.session_not_on_or_after {
        Some(t) => Some(saml_instant(t)?),
        None => None,
    };
    let n = input.name_id;

    let mut w = Writer::with_capacity(4096);
    w.start("saml", "Assertion", ns::SAML)
        .attr("ID", input.assertion_id)
        .attr("IssueInstant", instant)
        .attr("Version", "2.0")
        .leaf("saml", "Issuer", ns::SAML, input.issuer);
    if input.sign_assertion {
        w.signature_slot();
    }
    w.start("saml", "Subject", ns::SAML)
        .start("saml", "NameID", ns::SAML)
        .attr("Format", &n.format)
        .attr_opt("NameQualifier", n.name_qualifier.as_deref())
        .attr_opt("SPNameQualifier", n.sp_name_qualifier.as_deref())
        .text(&n.value)
        .end()
        .start("saml", "SubjectConfirmation", ns::SAML)
        .attr("Method", CM_BEARER)
        .start("saml", "SubjectConfirmationData", ns::SAML)
        .attr_opt("InResponseTo", input.in_response_to)
        .attr("NotOnOrAfter", &not_on_or_after)
        .attr("Recipient", input.destination)
        .end()
        .end()
        .end();
    w.start("saml", "Conditions", ns::SAML)
        .attr("NotBefore", &not_before)
        .attr("NotOnOrAfter", &not_on_or_after)
        .start("saml", "AudienceRestriction", ns::SAML)
        .leaf("saml", "Audience", ns::SAML, input.audience)
        .end()
        .end();
    w.start("saml", "AuthnStatement", ns::SAML)
        .attr("AuthnInstant", &authn_instant)
        .attr("SessionIndex", input.session_index)
        .attr_opt("SessionNotOnOrAfter", session_end.as_deref())
        .start("saml", "AuthnContext", ns::SAML)
        .leaf(
            "saml",
            "AuthnContextClassRef",
            ns::SAML,
            input.authn_context_class_ref,
        )
        .end()
        .end();
    if !input.attributes.is_empty() {
        w.start("saml", "AttributeStatement", ns::SAML);
        for a in input.attributes {
            w.start("saml", "Attribute", ns::SAML)
                .attr("Name", &a.name)
                .attr_opt("NameFormat", a.name_format.as_deref())
                .attr_opt("FriendlyName", a.friendly_name.as_deref());
            for v in &a.values {
                w.leaf("saml", "AttributeValue", ns::SAML, v);
            }
            w.end();
        }
        w.end();
    }
    w.end();
    let el = w.finish()?;
    if input.sign_assertion {
        sign_element(el, key)
    } else {
        Ok(el)
    }
}

/// A successful `samlp:Response` with one bearer Assertion, signed as asked (at least one of
/// `sign_assertion` / `sign_response` must be set). Returns the document bytes (no XML
/// declaration), ready for base64 and the POST form.
pub fn build_response(input: &AssertionInput<'_>, key: &SigningKey) -> Result<Vec<u8>, SignError> {
    build(input, key, None)
}

/// Where and how an Assertion is encrypted: the SP's certificate, the block cipher, and the
/// randomness the content key and IV come from.
pub struct Encryption<'a> {
    /// The SP's encryption certificate.
    pub to: &'a Recipient,
    /// The block cipher.
    pub cipher: BlockCipher,
    /// Where the content key and IV come from.
    pub rng: &'a dyn Rng,
}

/// A successful `samlp:Response` whose Assertion is signed (when asked), then encrypted for the
/// SP: an `EncryptedAssertion`. The Response is always signed, whatever `sign_response` says: an
/// unsigned Response around an encrypted Assertion would carry nothing the SP can check before it
/// decrypts.
pub fn build_encrypted_response(
    input: &AssertionInput<'_>,
    key: &SigningKey,
    encryption: &Encryption<'_>,
) -> Result<Vec<u8>, SignError> {
    let input = AssertionInput {
        sign_response: true,
        ..input.clone()
    };
    build(&input, key, Some(encryption))
}

fn build(
    input: &AssertionInput<'_>,
    key: &SigningKey,
    encryption: Option<&Encryption<'_>>,
) -> Result<Vec<u8>, SignError> {
    check_id(input.response_id)?;
    check_id(input.assertion_id)?;
    if input.response_id == input.assertion_id {
        return Err(SignError::Invalid("Response and Assertion IDs must differ"));
    }
    if !input.sign_assertion && !input.sign_response {
        return Err(SignError::Invalid("an unsigned Response is never sent"));
    }
    if input.not_before >= input.not_on_or_after {
        return Err(SignError::Invalid("NotBefore must be before NotOnOrAfter"));
    }
    check_non_empty(input.issuer, "empty Issuer")?;
    check_non_empty(input.destination, "empty Destination")?;
    check_non_empty(input.audience, "empty Audience")?;
    check_in_response_to(input.in_response_to)?;

    let instant = saml_instant(input.issue_instant)?;
    let assertion = assertion(input, &instant, key)?;
    let assertion = match encryption {
        Some(e) => encrypt_assertion(&assertion, e.to, e.cipher, e.rng)?,
        None => assertion,
    };

    let mut w = Writer::with_capacity(assertion.as_bytes().len() + 4096);
    start_response(
        &mut w,
        input.response_id,
        &instant,
        input.destination,
        input.in_response_to,
        input.issuer,
    );
    if input.sign_response {
        w.signature_slot();
    }
    w.start("samlp", "Status", ns::SAMLP)
        .start("samlp", "StatusCode", ns::SAMLP)
        .attr("Value", STATUS_SUCCESS)
        .end()
        .end()
        .embed(&assertion)
        .end();
    let el = w.finish()?;
    let el = if input.sign_response {
        sign_element(el, key)?
    } else {
        el
    };
    Ok(el.into_bytes())
}

/// A signed error `samlp:Response`: top-level + optional second-level StatusCode, optional
/// StatusMessage, no Assertion.
pub fn build_status_response(
    input: &StatusInput<'_>,
    key: &SigningKey,
) -> Result<Vec<u8>, SignError> {
    check_id(input.response_id)?;
    check_non_empty(input.issuer, "empty Issuer")?;
    check_non_empty(input.destination, "empty Destination")?;
    check_in_response_to(input.in_response_to)?;
    let instant = saml_instant(input.issue_instant)?;

    let mut w = Writer::with_capacity(1024);
    start_response(
        &mut w,
        input.response_id,
        &instant,
        input.destination,
        input.in_response_to,
        input.issuer,
    );
    w.signature_slot()
        .start("samlp", "Status", ns::SAMLP)
        .start("samlp", "StatusCode", ns::SAMLP)
        .attr("Value", input.status.uri());
    if let Some(sub) = input.sub_status {
        w.start("samlp", "StatusCode", ns::SAMLP)
            .attr("Value", sub.uri())
            .end();
    }
    w.end();
    if let Some(m) = input.message {
        w.leaf("samlp", "StatusMessage", ns::SAMLP, m);
    }
    w.end().end();
    Ok(sign_element(w.finish()?, key)?.into_bytes())
}

#[cfg(test)]
mod tests;
