//! Who the member is, as the SAML side sees it: the [`Profile`] built from WeCom at login, the
//! attribute [`Source`]s an app can release (WeCom fields, constants, [`template`]s), the member's
//! [`roles`] for an app and the RoleSessionName fitted to a provider ([`session_name`]).
//! (Account binding and access rules will live here too.)

mod profile;
pub mod roles;
pub mod session_name;
pub mod template;

pub use profile::{clean_text, Context, Profile, Source};
