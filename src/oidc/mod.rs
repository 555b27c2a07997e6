//! The OpenID Connect provider as a protocol, without HTTP (as `saml/` is for SAML): the clients
//! ([`client`]: an app that speaks OIDC, its redirect URIs, scopes and secret), the authorization
//! request ([`authorize`]: checked before anything is redirected), the grant a login leaves
//! ([`grant`]: the code, the tokens and what they carry), the token endpoint's rules ([`token`]),
//! JSON Web Signatures over the key ring's keys ([`jwt`]), the published key set ([`jwks`]) and
//! RP-initiated logout's checks ([`logout`]). The login itself — session, WeCom, binding, access
//! rules and what is released — is `login::`'s, shared with SAML.

pub mod authorize;
pub mod client;
pub mod grant;
pub mod jwks;
pub mod jwt;
pub mod logout;
pub mod scope;
pub mod token;

pub use client::{Client, ClientId, ClientType, RedirectUri};
pub use scope::{Scope, Scopes};
