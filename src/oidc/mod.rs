//! OpenID Connect, the protocol without HTTP: JSON Web Signatures over the key ring's keys
//! ([`jwt`]), the published key set ([`jwks`]) and RP-initiated logout's checks ([`logout`]).

pub mod jwks;
pub mod jwt;
pub mod logout;
