//! Who the member is, as the SAML side sees it: the [`Profile`] built from WeCom at login, the
//! attribute [`Source`]s an app can release, and the NameID and attribute values for a Response.
//! (Account binding and access rules will live here too.)

mod profile;

pub use profile::{clean_text, Profile, Source};
