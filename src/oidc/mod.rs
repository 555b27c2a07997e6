//! The OpenID Connect provider as a protocol, without HTTP (as `saml/` is for SAML): the clients
//! ([`client`]: an app that speaks OIDC, its redirect URIs, scopes and secret), the authorization
//! request ([`authorize`]: checked before anything is redirected), JSON Web Signatures over the key
//! ring's keys ([`jwt`]), the published key set ([`jwks`]), RP-initiated logout's checks
//! ([`logout`]), back-channel logout's `sid` and Logout Token ([`backchannel`]) and
//! third-party-initiated login's address ([`initiate`]). The login itself — session, WeCom,
//! binding, access rules and what is released — is `login::`'s, shared with SAML; the grant a
//! login leaves and the token endpoint's rules, which use it, are `oidc_flow`'s, above `login`.

pub mod authorize;
pub mod backchannel;
pub mod client;
pub mod initiate;
pub mod jwks;
pub mod jwt;
pub mod logout;
pub mod scope;

pub use client::{Client, ClientId, ClientType, RedirectUri, ResponseType};
pub use scope::{Scope, Scopes};
