//! wecom-idp: a SAML 2.0 identity provider whose only way to authenticate people is WeChat Work (WeCom).
//!
//! Module map (see `../shared/DESIGN.md` for the path of a request):
//! - [`config`]: every setting, TOML file + `WECOM_IDP_*` environment overrides.
//! - [`clock`], [`random`]: time and randomness as parameters.
//! - [`saml`]: the protocol, no HTTP: escaping writer, strict parser, c14n, signing, verification,
//!   AuthnRequest decoding, metadata in and out.
//! - [`wecom`]: the WeCom API client (token cache, error codes), OAuth URLs and the simulator.
//! - [`store`]: SQLite / PostgreSQL persistence of apps, keys, sessions, login states, replay cache, audit.
//! - [`http`]: axum routes, one file per route group; handlers are thin.

pub mod apps;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod identity;
pub mod random;
pub mod saml;
pub mod store;
pub mod wecom;
