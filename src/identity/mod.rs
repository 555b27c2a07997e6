//! Who the member is, as the SAML side sees it: the [`Profile`] built from WeCom at login, the
//! attribute [`Source`]s an app can release (WeCom fields, constants, [`template`]s), the member's
//! [`roles`] for an app and the RoleSessionName fitted to a provider ([`session_name`]).
//! The account [`directory`] (accounts, bindings, the `[binding]` policy) and per-app [`access`] rules.

pub mod access;
pub mod binding;
pub mod directory;
pub mod member;
mod profile;
pub mod roles;
pub mod rule_inputs;
pub mod session_name;
pub mod template;

pub use profile::{clean_text, Context, Profile, Source};

/// Why a rule, template or attribute source an admin wrote cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityError {
    /// A value breaks a rule; the message names the value and says what is allowed.
    Invalid(String),
}

impl std::fmt::Display for IdentityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for IdentityError {}
