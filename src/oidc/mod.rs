//! The OpenID Connect provider as a protocol, without HTTP (as `saml/` is for SAML): the clients
//! ([`client`]: an app that speaks OIDC, its redirect URIs, scopes and secret), the authorization
//! request ([`authorize`]: checked before anything is redirected), and the grant a login leaves
//! ([`grant`]: the code, the tokens and what they carry). The login itself — session, WeCom,
//! binding, access rules and what is released — is `login::`'s, shared with SAML.

pub mod authorize;
pub mod client;
pub mod grant;
pub mod scope;

pub use client::{Client, ClientId, ClientType, RedirectUri};
pub use scope::{Scope, Scopes};
