//! OpenID Connect, the protocol without HTTP: JSON Web Signatures over the key ring's keys
//! ([`jwt`]) and the published key set ([`jwks`]).

pub mod jwks;
pub mod jwt;
