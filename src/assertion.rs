//! From "this member signs in to this app" to a signed Response: the NameID, the released attributes
//! and the timestamps (NotBefore backdated by the skew, NotOnOrAfter = now + lifetime), handed to the
//! escaping writer and signer in `saml::response`. Time and IDs are parameters.

use crate::apps::{App, AppPolicy, NameIdFormat};
use crate::identity::{clean_text, Context, Profile};
use crate::saml::response::{
    build_encrypted_response, build_response, build_status_response, AssertionInput, Attribute,
    Encryption, NameId, StatusInput,
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
    /// The app is a role-SSO app and no role rule gives this member a role.
    NoRole,
    /// Signing failed.
    Sign(SignError),
}

impl std::fmt::Display for IssueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoNameId(src) => write!(f, "the member has no {src} for the NameID"),
            Self::NoRole => f.write_str("no role rule gives the member a role for this app"),
            Self::Sign(e) => write!(f, "signing failed: {e}"),
        }
    }
}

impl std::error::Error for IssueError {}

/// Why the rules give a member nothing from an app; each is a login refusal's reason code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The app's access rule does not allow the member (`access_denied`).
    AccessDenied,
    /// A role-SSO app and no role rule gives the member a role (`no_role`).
    NoRole,
}

impl Refused {
    /// The reason code, as audited.
    pub fn reason(self) -> &'static str {
        match self {
            Self::AccessDenied => "access_denied",
            Self::NoRole => "no_role",
        }
    }
}

/// What the app's rules give a member who may use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    /// The member's roles for the app (may be empty for apps that do not require one).
    pub roles: Vec<String>,
    /// The RoleSessionName, when the app sends one.
    pub session_name: Option<String>,
}

/// The app's rules applied to a member, in login's order: the access rule first (refused before
/// anything is built), then the roles. `parents` and `tags` come from
/// [`crate::identity::rule_inputs`]; `default_access` is the effective `binding.default_access`.
pub fn decide(
    app: &impl AppPolicy,
    profile: &Profile,
    parents: &std::collections::HashMap<i64, i64>,
    tags: &crate::identity::roles::MemberTags,
    default_access: &crate::identity::access::Access,
) -> Result<Granted, Refused> {
    if !app
        .settings()
        .access
        .allows(profile, parents, tags, default_access)
    {
        return Err(Refused::AccessDenied);
    }
    let roles = roles_for(app, profile, parents, tags).map_err(|_| Refused::NoRole)?;
    Ok(Granted {
        roles,
        session_name: session_name(app, profile),
    })
}

/// The member's roles for a role-SSO app, refused when there are none; other apps get their
/// roles too (templates may use them) but are never refused for having none.
pub fn roles_for(
    app: &impl AppPolicy,
    profile: &Profile,
    parents: &std::collections::HashMap<i64, i64>,
    tags: &crate::identity::roles::MemberTags,
) -> Result<Vec<String>, IssueError> {
    let roles = app.settings().roles.roles_for(profile, parents, tags);
    if roles.is_empty() && app.settings().roles.required {
        return Err(IssueError::NoRole);
    }
    Ok(roles)
}

/// The RoleSessionName for this member when the app sends one: the rule's source, fitted.
pub fn session_name(app: &impl AppPolicy, profile: &Profile) -> Option<String> {
    let rule = app.settings().session_name.as_ref()?;
    let raw = rule
        .source
        .values(profile)
        .into_iter()
        .map(|s| clean_text(&s))
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| profile.userid.clone());
    Some(rule.fit(&raw))
}

/// The NameID value for formats whose value comes from the profile (`unspecified`, `email`).
/// `persistent` and `transient` values are made by the caller (store / randomness) and passed in.
pub fn name_id_value(
    app: &impl AppPolicy,
    ctx: &Context<'_>,
) -> Result<Option<String>, IssueError> {
    match app.settings().name_id_format {
        NameIdFormat::Unspecified | NameIdFormat::Email => {
            let v = app
                .settings()
                .name_id_source
                .render(ctx)
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

fn source_name(app: &impl AppPolicy) -> &'static str {
    app.settings().name_id_source.label()
}

/// The attributes the app releases for this member (attributes without values are left out):
/// one `Attribute` with several values, or with `attribute_per_value` one element per value.
pub fn attributes(app: &App, ctx: &Context<'_>) -> Vec<Attribute> {
    let mut out = Vec::new();
    for a in &app.settings.attributes {
        let values: Vec<String> = a
            .source
            .render(ctx)
            .iter()
            .map(|v| clean_text(v))
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            continue;
        }
        let make = |values: Vec<String>| Attribute {
            name: a.name.clone(),
            name_format: Some(
                a.name_format
                    .clone()
                    .unwrap_or_else(|| crate::saml::uris::attr_name::BASIC.to_string()),
            ),
            friendly_name: a.friendly_name.clone(),
            values,
        };
        if app.settings.attribute_per_value {
            out.extend(values.into_iter().map(|v| make(vec![v])));
        } else {
            out.push(make(values));
        }
    }
    out
}

/// Builds and signs the Response for a member, its Assertion encrypted when `encryption` is given.
pub fn issue(
    app: &App,
    ctx: &Context<'_>,
    name_id_value: String,
    p: &Issue<'_>,
    key: &SigningKey,
    encryption: Option<&Encryption<'_>>,
) -> Result<Vec<u8>, IssueError> {
    let name_id = NameId {
        format: app.settings.name_id_format.uri().to_string(),
        value: name_id_value,
        sp_name_qualifier: None,
        name_qualifier: None,
    };
    let attrs = attributes(app, ctx);
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
    match encryption {
        Some(e) => build_encrypted_response(&input, key, e),
        None => build_response(&input, key),
    }
    .map_err(IssueError::Sign)
}

/// Builds a signed error Response (no Assertion) with top-level `Responder` or `Requester`.
pub fn issue_status(input: &StatusInput<'_>, key: &SigningKey) -> Result<Vec<u8>, IssueError> {
    build_status_response(input, key).map_err(IssueError::Sign)
}
