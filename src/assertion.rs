//! From "this member signs in to this app" to a signed Response: the NameID, the released attributes
//! and the timestamps (NotBefore backdated by the skew, NotOnOrAfter = now + lifetime), handed to the
//! escaping writer and signer in `saml::response`. Time and IDs are parameters.

use crate::apps::{App, NameIdFormat};
use crate::identity::{clean_text, Profile};
use crate::saml::response::{
    build_response, build_status_response, AssertionInput, Attribute, NameId, StatusCode,
    StatusInput, SubStatusCode,
};
use crate::saml::sign::{SignError, SigningKey};
use time::{Duration, OffsetDateTime};

/// `urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified`: WeCom is neither a password nor a known
/// class; consoles accept unspecified.
pub const AUTHN_CONTEXT: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified";

/// What the issuer needs to know besides the app and the member.
#[derive(Debug, Clone)]
pub struct Issue<'a> {
    /// Our entity ID.
    pub idp_entity_id: &'a str,
    /// The ACS the Response goes to (Destination = Recipient).
    pub acs_url: &'a str,
    /// The AuthnRequest ID for SP-initiated logins.
    pub in_response_to: Option<&'a str>,
    /// Now.
    pub now: OffsetDateTime,
    /// When WeCom authenticated the member.
    pub authn_instant: OffsetDateTime,
    /// The IdP session's end.
    pub session_not_on_or_after: Option<OffsetDateTime>,
    /// Opaque, derived from the session.
    pub session_index: &'a str,
    /// Allowed clock difference; NotBefore is backdated by it.
    pub skew: Duration,
    /// Assertion lifetime.
    pub lifetime: Duration,
    /// Fresh IDs: (Response, Assertion).
    pub ids: (String, String),
}

/// Why no Response could be built for this member.
#[derive(Debug)]
pub enum IssueError {
    /// The NameID source has no value for this member (e.g. no email): the app cannot be used.
    NoNameId(&'static str),
    /// Signing failed.
    Sign(SignError),
}

impl std::fmt::Display for IssueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoNameId(src) => write!(f, "the member has no {src} for the NameID"),
            Self::Sign(e) => write!(f, "signing failed: {e}"),
        }
    }
}

impl std::error::Error for IssueError {}

/// The NameID value for formats whose value comes from the profile (`unspecified`, `email`).
/// `persistent` and `transient` values are made by the caller (store / randomness) and passed in.
pub fn name_id_value(app: &App, profile: &Profile) -> Result<Option<String>, IssueError> {
    match app.settings.name_id_format {
        NameIdFormat::Unspecified | NameIdFormat::Email => {
            let v = app
                .settings
                .name_id_source
                .values(profile)
                .into_iter()
                .map(|s| clean_text(&s))
                .find(|s| !s.is_empty());
            match v {
                Some(v) => Ok(Some(v)),
                None => Err(IssueError::NoNameId(source_name(app))),
            }
        }
        NameIdFormat::Persistent | NameIdFormat::Transient => Ok(None),
    }
}

fn source_name(app: &App) -> &'static str {
    use crate::identity::Source::*;
    match app.settings.name_id_source {
        Userid => "userid",
        Name => "name",
        Email => "email",
        Mobile => "mobile",
        Alias => "alias",
        Position => "position",
        DepartmentIds | DepartmentNames => "department",
    }
}

/// The attributes the app releases for this member (attributes without values are left out).
pub fn attributes(app: &App, profile: &Profile) -> Vec<Attribute> {
    app.settings
        .attributes
        .iter()
        .filter_map(|a| {
            let values: Vec<String> = a
                .source
                .values(profile)
                .iter()
                .map(|v| clean_text(v))
                .filter(|v| !v.is_empty())
                .collect();
            (!values.is_empty()).then(|| Attribute {
                name: a.name.clone(),
                name_format: Some(a.name_format.clone().unwrap_or_else(|| {
                    "urn:oasis:names:tc:SAML:2.0:attrname-format:basic".to_string()
                })),
                friendly_name: a.friendly_name.clone(),
                values,
            })
        })
        .collect()
}

/// Builds and signs the Response for a member.
pub fn issue(
    app: &App,
    profile: &Profile,
    name_id_value: String,
    p: &Issue<'_>,
    key: &SigningKey,
) -> Result<Vec<u8>, IssueError> {
    let name_id = NameId {
        format: app.settings.name_id_format.uri().to_string(),
        value: name_id_value,
        sp_name_qualifier: None,
        name_qualifier: None,
    };
    let attrs = attributes(app, profile);
    let input = AssertionInput {
        response_id: &p.ids.0,
        assertion_id: &p.ids.1,
        issue_instant: p.now,
        issuer: p.idp_entity_id,
        destination: p.acs_url,
        in_response_to: p.in_response_to,
        audience: &app.metadata.entity_id,
        name_id: &name_id,
        not_before: p.now - p.skew,
        not_on_or_after: p.now + p.lifetime,
        session_index: p.session_index,
        authn_instant: p.authn_instant,
        session_not_on_or_after: p.session_not_on_or_after,
        authn_context_class_ref: AUTHN_CONTEXT,
        attributes: &attrs,
        sign_assertion: app.settings.sign_assertion,
        sign_response: app.settings.sign_response,
    };
    build_response(&input, key).map_err(IssueError::Sign)
}

/// Builds a signed error Response (no Assertion) with top-level `Responder` or `Requester`.
#[allow(clippy::too_many_arguments)]
pub fn issue_status(
    idp_entity_id: &str,
    acs_url: &str,
    in_response_to: Option<&str>,
    now: OffsetDateTime,
    response_id: &str,
    top: StatusCode,
    second: SubStatusCode,
    message: Option<&str>,
    key: &SigningKey,
) -> Result<Vec<u8>, IssueError> {
    let input = StatusInput {
        response_id,
        issue_instant: now,
        issuer: idp_entity_id,
        destination: acs_url,
        in_response_to,
        status: top,
        sub_status: Some(second),
        message,
    };
    build_status_response(&input, key).map_err(IssueError::Sign)
}
