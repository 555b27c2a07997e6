//! AuthnRequest decoding and validation, as a type-state: [`decode_redirect`] / [`decode_post`]
//! give an [`Inbound`] whose request is unverified (only `issuer()` and `id()` are readable, to
//! find the app and to log); [`Inbound::verify`] checks signature, Destination, IssueInstant and
//! ID and is the only way to get a [`VerifiedAuthnRequest`], read from the verified tree only.
//! Single Logout messages (LogoutRequest, LogoutResponse) arrive the same ways and are checked by
//! the same steps ([`decode_redirect_logout`], [`decode_post_logout`], [`Inbound::verify_common`]);
//! `saml::logout` reads their own fields.
//!
//! Size caps apply before each step: encoded size, then inflated size while streaming (DEFLATE
//! bombs reach ~1000:1), then the XML parser's own limits. The replay cache (ID seen before) and
//! the choice of ACS (`sp_metadata::select_acs`) are the caller's.

use std::fmt;
use std::io::Read as _;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use flate2::read::DeflateDecoder;
use openssl::x509::X509;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::dom::{self, Document, XmlError};
use super::uris::ns;
use super::verify::{self, RedirectQuery, SignatureStatus, VerifyError};

/// Base64 as senders produce it: standard alphabet, padding optional (whitespace is removed first).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Longest accepted request ID.
const MAX_ID_LEN: usize = 256;

/// Caps for decoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestLimits {
    /// Maximum size of what was received: the raw query string (Redirect) or the base64 field (POST).
    pub max_encoded: usize,
    /// Maximum size after inflating (Redirect).
    pub max_inflated: usize,
    /// Maximum RelayState in bytes after decoding (SAML Bindings §3.4.3: 80).
    pub max_relay_state: usize,
    /// Parser caps for the XML itself.
    pub xml: dom::Limits,
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits {
            max_encoded: 64 * 1024,
            max_inflated: 128 * 1024,
            max_relay_state: 80,
            xml: dom::Limits::default(),
        }
    }
}

/// Why a request was refused. [`RequestError::issuer_known`] tells the caller whether to show an
/// HTML error page (false) or answer the SP with a SAML error Response (true).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// Encoded message larger than `max_encoded`.
    TooLarge,
    /// The Redirect query string is malformed.
    Query(VerifyError),
    /// No `SAMLRequest` parameter.
    MissingRequest,
    /// `SAMLRequest` is not base64.
    Base64,
    /// `SAMLRequest` is not raw DEFLATE data.
    Inflate,
    /// Inflated message larger than `max_inflated`.
    InflatedTooLarge,
    /// RelayState longer than `max_relay_state` or not UTF-8.
    RelayState,
    /// The XML was refused by the parser.
    Xml(XmlError),
    /// The root is not `samlp:AuthnRequest` (or, at the Single Logout endpoint, not a
    /// `samlp:LogoutRequest` / `samlp:LogoutResponse`).
    NotAuthnRequest,
    /// `Version` is not `2.0`.
    Version,
    /// No `saml:Issuer`, or an Issuer with a non-entity Format.
    Issuer,
    // From here on the issuer is known (errors raised by `Inbound::verify`).
    /// The signature did not verify or could not be checked.
    Signature(VerifyError),
    /// The app requires signed requests and this one is not signed.
    Unsigned,
    /// A Redirect-binding request must not carry an XML signature (SAML Bindings §3.4.4.1).
    EmbeddedSignatureInRedirect,
    /// `ID` missing, not an xs:ID, or longer than 256 characters.
    BadId,
    /// `IssueInstant` missing or not an xs:dateTime.
    BadIssueInstant,
    /// `IssueInstant` further from now than the allowed skew.
    IssueInstantSkew,
    /// `Destination` missing on a signed request.
    MissingDestination,
    /// `Destination` is not one of our SSO endpoints.
    WrongDestination,
    /// `AssertionConsumerServiceIndex` together with `AssertionConsumerServiceURL`/`ProtocolBinding`.
    AcsConflict,
    /// An attribute with an invalid value (its name).
    BadAttribute(&'static str),
    /// A LogoutRequest whose `NotOnOrAfter` has passed.
    Expired,
}

impl RequestError {
    /// A short stable code for the audit log.
    pub fn reason(&self) -> &'static str {
        match self {
            RequestError::TooLarge => "request_too_large",
            RequestError::Query(_) => "query_malformed",
            RequestError::MissingRequest => "no_saml_request",
            RequestError::Base64 => "base64_invalid",
            RequestError::Inflate => "inflate_failed",
            RequestError::InflatedTooLarge => "inflated_too_large",
            RequestError::RelayState => "relay_state_invalid",
            RequestError::Xml(_) => "xml_refused",
            RequestError::NotAuthnRequest => "not_authn_request",
            RequestError::Version => "version_not_2_0",
            RequestError::Issuer => "issuer_invalid",
            RequestError::Signature(e) => e.reason(),
            RequestError::Unsigned => "signature_required",
            RequestError::EmbeddedSignatureInRedirect => "embedded_signature_in_redirect",
            RequestError::BadId => "id_invalid",
            RequestError::BadIssueInstant => "issue_instant_invalid",
            RequestError::IssueInstantSkew => "issue_instant_skew",
            RequestError::MissingDestination => "destination_missing",
            RequestError::WrongDestination => "destination_mismatch",
            RequestError::AcsConflict => "acs_index_and_url",
            RequestError::BadAttribute(_) => "attribute_invalid",
            RequestError::Expired => "request_expired",
        }
    }

    /// Whether the request's Issuer was known (and looked up) when this error arose: then the SP
    /// can be answered with a SAML error Response at an ACS from its metadata.
    pub fn issuer_known(&self) -> bool {
        !matches!(
            self,
            RequestError::TooLarge
                | RequestError::Query(_)
                | RequestError::MissingRequest
                | RequestError::Base64
                | RequestError::Inflate
                | RequestError::InflatedTooLarge
                | RequestError::RelayState
                | RequestError::Xml(_)
                | RequestError::NotAuthnRequest
                | RequestError::Version
                | RequestError::Issuer
        )
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Query(e) | RequestError::Signature(e) => write!(f, "{e}"),
            RequestError::Xml(e) => write!(f, "{e}"),
            RequestError::BadAttribute(a) => write!(f, "invalid value for {a}"),
            other => f.write_str(match other {
                RequestError::TooLarge => "SAML request too large",
                RequestError::MissingRequest => "no SAMLRequest",
                RequestError::Base64 => "SAMLRequest is not base64",
                RequestError::Inflate => "SAMLRequest is not DEFLATE data",
                RequestError::InflatedTooLarge => "SAMLRequest inflates too large",
                RequestError::RelayState => "RelayState too long or not UTF-8",
                RequestError::NotAuthnRequest => "not the SAML message this endpoint takes",
                RequestError::Version => "SAML version is not 2.0",
                RequestError::Issuer => "missing or invalid Issuer",
                RequestError::Unsigned => "this app requires signed AuthnRequests",
                RequestError::EmbeddedSignatureInRedirect => {
                    "XML signature in a Redirect-binding request"
                }
                RequestError::BadId => "invalid request ID",
                RequestError::BadIssueInstant => "missing or invalid IssueInstant",
                RequestError::IssueInstantSkew => "IssueInstant outside the allowed clock skew",
                RequestError::MissingDestination => "signed request without Destination",
                RequestError::WrongDestination => "Destination is not this IdP's SSO endpoint",
                RequestError::AcsConflict => {
                    "both AssertionConsumerServiceIndex and URL/ProtocolBinding"
                }
                RequestError::Expired => "the request's NotOnOrAfter has passed",
                _ => "invalid request",
            }),
        }
    }
}

impl std::error::Error for RequestError {}

/// The binding a request arrived by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    /// HTTP-Redirect (query string, DEFLATE, signature over the query).
    Redirect,
    /// HTTP-POST (form field, embedded XML signature).
    Post,
}

/// Which SAML protocol message a decoded document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    /// `samlp:AuthnRequest` (at the SSO endpoint).
    AuthnRequest,
    /// `samlp:LogoutRequest` (at the SLO endpoint).
    LogoutRequest,
    /// `samlp:LogoutResponse` (at the SLO endpoint).
    LogoutResponse,
}

impl MessageKind {
    fn local_name(self) -> &'static str {
        match self {
            Self::AuthnRequest => "AuthnRequest",
            Self::LogoutRequest => "LogoutRequest",
            Self::LogoutResponse => "LogoutResponse",
        }
    }
}

/// The ACS an AuthnRequest asks for, as written (see [`UnverifiedAuthnRequest::requested_acs`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestedAcs<'a> {
    /// `AssertionConsumerServiceURL`.
    pub url: Option<&'a str>,
    /// `ProtocolBinding`.
    pub binding: Option<&'a str>,
    /// `AssertionConsumerServiceIndex`.
    pub index: Option<u32>,
}

/// A decoded request that has not been verified.
#[derive(Debug)]
pub struct UnverifiedAuthnRequest {
    doc: Document,
    kind: MessageKind,
    /// The claimed issuer, read once at decode time (`None` when missing or invalid).
    issuer: Option<String>,
}

impl UnverifiedAuthnRequest {
    fn new(doc: Document, kinds: &[MessageKind]) -> Result<Self, RequestError> {
        let root = doc.element(doc.root());
        let kind = kinds
            .iter()
            .copied()
            .find(|k| root.is(ns::SAMLP, k.local_name()))
            .ok_or(RequestError::NotAuthnRequest)?;
        if root.attr("Version") != Some("2.0") {
            return Err(RequestError::Version);
        }
        let issuer = issuer(&doc).ok();
        Ok(UnverifiedAuthnRequest { doc, kind, issuer })
    }

    /// Which message this is.
    pub fn kind(&self) -> MessageKind {
        self.kind
    }

    /// The claimed Issuer, UNVERIFIED: use it only to find the app whose keys verify the request.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The ACS the request asks for — `AssertionConsumerServiceURL`, `ProtocolBinding` and
    /// `AssertionConsumerServiceIndex` (an unreadable index as none) — UNVERIFIED: use it only to
    /// choose among apps that share the Issuer, whose keys then verify the request.
    pub fn requested_acs(&self) -> RequestedAcs<'_> {
        let el = self.doc.element(self.doc.root());
        RequestedAcs {
            url: el.attr("AssertionConsumerServiceURL"),
            binding: el.attr("ProtocolBinding"),
            index: el
                .attr("AssertionConsumerServiceIndex")
                .and_then(parse_index),
        }
    }

    /// The claimed request ID, UNVERIFIED: for logging only.
    pub fn id(&self) -> Option<&str> {
        self.doc.element(self.doc.root()).attr("ID")
    }
}

fn issuer(doc: &Document) -> Result<String, RequestError> {
    let el = doc
        .find_child(doc.root(), ns::SAML, "Issuer")
        .ok_or(RequestError::Issuer)?;
    // The entity format is the only Format allowed on an AuthnRequest's Issuer (SAML Core §3.2.1).
    if doc
        .element(el)
        .attr("Format")
        .is_some_and(|f| f != super::uris::name_id::ENTITY)
    {
        return Err(RequestError::Issuer);
    }
    let value = doc.text(el).trim().to_string();
    if value.is_empty() {
        return Err(RequestError::Issuer);
    }
    Ok(value)
}

/// How the request arrived, with what its signature check needs.
#[derive(Debug)]
enum Received {
    /// The query exactly as received: the Redirect signature is over its bytes.
    Redirect { raw_query: String },
    /// The signature, if any, is inside the document.
    Post,
}

/// A decoded request with its RelayState, waiting for [`Inbound::verify`].
#[derive(Debug)]
pub struct Inbound {
    received: Received,
    relay_state: Option<String>,
    request: UnverifiedAuthnRequest,
}

/// What verification needs from the app and from us.
#[derive(Clone, Copy, Debug)]
pub struct VerifyContext<'a> {
    /// The SP's signing certificates, from its metadata.
    pub certs: &'a [X509],
    /// Refuse unsigned requests (metadata `AuthnRequestsSigned` or admin setting).
    pub require_signed: bool,
    /// Accept SHA-1 signatures/digests (per-app opt-in).
    pub allow_sha1: bool,
    /// Our endpoint URLs for this message (SSO, or SLO for logout messages); `Destination` must
    /// equal one when present, and must be present when signed.
    pub sso_urls: &'a [String],
    /// The current time.
    pub now: OffsetDateTime,
    /// Allowed distance between `IssueInstant` and `now`, either way.
    pub skew: time::Duration,
}

/// A request whose signature (if any) verified and whose fields passed the checks above.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedAuthnRequest {
    /// Request ID (check it against the replay cache; echo it as `InResponseTo`).
    pub id: String,
    /// The SP's entity ID.
    pub issuer: String,
    /// When the SP issued the request.
    pub issue_instant: OffsetDateTime,
    /// `Destination`, when sent (one of our SSO URLs).
    pub destination: Option<String>,
    /// `AssertionConsumerServiceURL` as requested (must be matched against metadata).
    pub acs_url: Option<String>,
    /// `AssertionConsumerServiceIndex` as requested.
    pub acs_index: Option<u32>,
    /// `ProtocolBinding` as requested.
    pub protocol_binding: Option<String>,
    /// `ForceAuthn`.
    pub force_authn: bool,
    /// `IsPassive`.
    pub is_passive: bool,
    /// `NameIDPolicy/@Format`.
    pub name_id_format: Option<String>,
    /// RelayState to return unchanged.
    pub relay_state: Option<String>,
    /// Whether a signature verified.
    pub signed: bool,
}

impl Inbound {
    /// How the request arrived.
    pub fn binding(&self) -> Binding {
        match self.received {
            Received::Redirect { .. } => Binding::Redirect,
            Received::Post => Binding::Post,
        }
    }

    /// The unverified request (issuer and ID only).
    pub fn request(&self) -> &UnverifiedAuthnRequest {
        &self.request
    }

    /// The RelayState (≤ `max_relay_state` bytes), opaque.
    pub fn relay_state(&self) -> Option<&str> {
        self.relay_state.as_deref()
    }

    /// Checks signature, ID, Issuer, IssueInstant and Destination; returns the verified request.
    pub fn verify(self, ctx: &VerifyContext<'_>) -> Result<VerifiedAuthnRequest, RequestError> {
        if self.request.kind != MessageKind::AuthnRequest {
            return Err(RequestError::NotAuthnRequest);
        }
        let common = self.check(ctx)?;
        let doc = &self.request.doc;
        let root = doc.root();
        let el = doc.element(root);
        let acs_url = el.attr("AssertionConsumerServiceURL").map(str::to_string);
        let protocol_binding = el.attr("ProtocolBinding").map(str::to_string);
        let acs_index = match el.attr("AssertionConsumerServiceIndex") {
            None => None,
            Some(v) => Some(
                parse_index(v)
                    .ok_or(RequestError::BadAttribute("AssertionConsumerServiceIndex"))?,
            ),
        };
        if acs_index.is_some() && (acs_url.is_some() || protocol_binding.is_some()) {
            return Err(RequestError::AcsConflict);
        }
        let force_authn = parse_bool(el.attr("ForceAuthn"), "ForceAuthn")?;
        let is_passive = parse_bool(el.attr("IsPassive"), "IsPassive")?;
        let name_id_format = doc
            .find_child(root, ns::SAMLP, "NameIDPolicy")
            .and_then(|p| doc.element(p).attr("Format"))
            .map(str::to_string);

        Ok(VerifiedAuthnRequest {
            id: common.id,
            issuer: common.issuer,
            issue_instant: common.issue_instant,
            destination: common.destination,
            acs_url,
            acs_index,
            protocol_binding,
            force_authn,
            is_passive,
            name_id_format,
            relay_state: self.relay_state,
            signed: common.signed,
        })
    }

    /// The checks every message shares (signature, ID, Issuer, IssueInstant, Destination), then
    /// the verified document for the message's own fields (read only from it).
    pub fn verify_common(
        self,
        ctx: &VerifyContext<'_>,
    ) -> Result<(Common, Document, Option<String>), RequestError> {
        let common = self.check(ctx)?;
        Ok((common, self.request.doc, self.relay_state))
    }

    fn check(&self, ctx: &VerifyContext<'_>) -> Result<Common, RequestError> {
        let doc = &self.request.doc;
        let root = doc.root();
        let status = match &self.received {
            Received::Redirect { raw_query } => {
                if doc.find_child(root, ns::DS, "Signature").is_some() {
                    return Err(RequestError::EmbeddedSignatureInRedirect);
                }
                verify::verify_redirect(raw_query, ctx.certs, ctx.allow_sha1)
            }
            Received::Post => verify::verify_enveloped(doc, root, ctx.certs, ctx.allow_sha1),
        }
        .map_err(RequestError::Signature)?;
        let signed = matches!(status, SignatureStatus::Verified { .. });
        if ctx.require_signed && !signed {
            return Err(RequestError::Unsigned);
        }

        let el = doc.element(root);
        let id = el.attr("ID").ok_or(RequestError::BadId)?;
        if id.chars().count() > MAX_ID_LEN || !super::names::is_ncname(id) {
            return Err(RequestError::BadId);
        }
        let issuer = issuer(doc)?;

        let issue_instant = el
            .attr("IssueInstant")
            .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
            .ok_or(RequestError::BadIssueInstant)?;
        if (ctx.now - issue_instant).abs() > ctx.skew {
            return Err(RequestError::IssueInstantSkew);
        }

        let destination = el.attr("Destination").map(str::to_string);
        match &destination {
            Some(d) if !ctx.sso_urls.iter().any(|u| u == d) => {
                return Err(RequestError::WrongDestination)
            }
            None if signed => return Err(RequestError::MissingDestination),
            _ => {}
        }

        Ok(Common {
            id: id.to_string(),
            issuer,
            issue_instant,
            destination,
            signed,
        })
    }
}

/// What every verified message has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Common {
    /// `ID` (check it against the replay cache; echo it as `InResponseTo`).
    pub id: String,
    /// The sender's entity ID.
    pub issuer: String,
    /// `IssueInstant`.
    pub issue_instant: OffsetDateTime,
    /// `Destination`, when sent (one of our URLs).
    pub destination: Option<String>,
    /// Whether a signature verified.
    pub signed: bool,
}

/// xs:unsignedShort-like index: digits only.
fn parse_index(v: &str) -> Option<u32> {
    if v.is_empty() || v.len() > 5 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

/// xs:boolean; absent is false.
fn parse_bool(v: Option<&str>, name: &'static str) -> Result<bool, RequestError> {
    match v.map(str::trim) {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(_) => Err(RequestError::BadAttribute(name)),
    }
}

fn decode_base64(text: &[u8]) -> Result<Vec<u8>, RequestError> {
    let compact: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    BASE64.decode(compact).map_err(|_| RequestError::Base64)
}

/// Raw DEFLATE, streamed through `take(max + 1)` so a bomb stops at `max + 1` bytes of output.
fn inflate(data: &[u8], max: usize) -> Result<Vec<u8>, RequestError> {
    let cap = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    DeflateDecoder::new(data)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|_| RequestError::Inflate)?;
    if out.len() > max {
        return Err(RequestError::InflatedTooLarge);
    }
    Ok(out)
}

fn check_relay_state(rs: String, limits: &RequestLimits) -> Result<String, RequestError> {
    if rs.len() > limits.max_relay_state {
        return Err(RequestError::RelayState);
    }
    Ok(rs)
}

/// Decodes an HTTP-Redirect request from the raw query string (exactly as received, without the
/// leading `?`, still percent-encoded: the signature is checked over it later).
pub fn decode_redirect(raw_query: &str, limits: &RequestLimits) -> Result<Inbound, RequestError> {
    decode_redirect_as(raw_query, limits, &[MessageKind::AuthnRequest])
}

/// Decodes an HTTP-Redirect LogoutRequest (`SAMLRequest`) or LogoutResponse (`SAMLResponse`).
pub fn decode_redirect_logout(
    raw_query: &str,
    limits: &RequestLimits,
) -> Result<Inbound, RequestError> {
    let kinds = [MessageKind::LogoutRequest, MessageKind::LogoutResponse];
    decode_redirect_as(raw_query, limits, &kinds)
}

fn decode_redirect_as(
    raw_query: &str,
    limits: &RequestLimits,
    kinds: &[MessageKind],
) -> Result<Inbound, RequestError> {
    if raw_query.len() > limits.max_encoded {
        return Err(RequestError::TooLarge);
    }
    let q = RedirectQuery::parse(raw_query).map_err(RequestError::Query)?;
    let encoded = match (q.saml_request, q.saml_response) {
        (Some(_), Some(_)) => {
            return Err(RequestError::Query(VerifyError::Query(
                "both SAMLRequest and SAMLResponse",
            )))
        }
        (Some(r), None) => r,
        (None, Some(r)) if kinds.contains(&MessageKind::LogoutResponse) => r,
        _ => return Err(RequestError::MissingRequest),
    };
    let b64 = verify::percent_decode(encoded, false).map_err(RequestError::Query)?;
    let xml = inflate(&decode_base64(&b64)?, limits.max_inflated)?;
    let relay_state = match q.relay_state {
        None => None,
        Some(raw) => {
            let bytes = verify::percent_decode(raw, true).map_err(RequestError::Query)?;
            let rs = String::from_utf8(bytes).map_err(|_| RequestError::RelayState)?;
            Some(check_relay_state(rs, limits)?)
        }
    };
    let doc = dom::parse(&xml, &limits.xml).map_err(RequestError::Xml)?;
    Ok(Inbound {
        received: Received::Redirect {
            raw_query: raw_query.to_string(),
        },
        relay_state,
        request: UnverifiedAuthnRequest::new(doc, kinds)?,
    })
}

/// Decodes an HTTP-POST request: the `SAMLRequest` form field (base64, line breaks tolerated,
/// no DEFLATE) and the already form-decoded `RelayState`.
pub fn decode_post(
    saml_request_b64: &str,
    relay_state: Option<&str>,
    limits: &RequestLimits,
) -> Result<Inbound, RequestError> {
    decode_post_as(
        saml_request_b64,
        relay_state,
        limits,
        &[MessageKind::AuthnRequest],
    )
}

/// Decodes an HTTP-POST LogoutRequest or LogoutResponse (the `SAMLRequest` or `SAMLResponse`
/// field's value).
pub fn decode_post_logout(
    message_b64: &str,
    relay_state: Option<&str>,
    limits: &RequestLimits,
) -> Result<Inbound, RequestError> {
    let kinds = [MessageKind::LogoutRequest, MessageKind::LogoutResponse];
    decode_post_as(message_b64, relay_state, limits, &kinds)
}

fn decode_post_as(
    saml_request_b64: &str,
    relay_state: Option<&str>,
    limits: &RequestLimits,
    kinds: &[MessageKind],
) -> Result<Inbound, RequestError> {
    if saml_request_b64.len() > limits.max_encoded {
        return Err(RequestError::TooLarge);
    }
    let relay_state = relay_state
        .map(|r| check_relay_state(r.to_string(), limits))
        .transpose()?;
    let xml = decode_base64(saml_request_b64.as_bytes())?;
    let doc = dom::parse(&xml, &limits.xml).map_err(RequestError::Xml)?;
    Ok(Inbound {
        received: Received::Post,
        relay_state,
        request: UnverifiedAuthnRequest::new(doc, kinds)?,
    })
}

#[cfg(test)]
mod tests;
