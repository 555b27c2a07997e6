//! WeCom (企业微信): the API client with its token cache and retry rules ([`client`]), the typed answers
//! ([`types`]), one address-book change as a `change_contact` event announces it
//! ([`contact_change`]), the event callback's message encryption ([`event_crypto`]) and messages ([`event`]), the error type and the bilingual errcode catalogue ([`errors`]), the OAuth
//! and web-login URLs and the User-Agent rule ([`oauth`]), and a stand-in server for demo and tests
//! ([`simulator`]).

pub mod client;
pub mod contact_change;
pub mod errors;
pub mod event;
pub mod event_crypto;
pub mod oauth;
pub mod simulator;
pub mod types;

#[cfg(test)]
mod tests;
