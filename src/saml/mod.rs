//! The SAML protocol, with no HTTP in it.
//!
//! Outbound (what we emit): [`xml`] escaping writer, [`response`] Response/Assertion model → canonical
//! bytes, [`sign`] enveloped XML-DSig with a key parsed once, [`encrypt`] the EncryptedAssertion,
//! [`metadata`] our IdP metadata, [`logout`] Single Logout messages both ways (built here, read
//! after [`request`] verified them), [`soap`] the back channel's SOAP envelope both ways.
//! Inbound (what we read): [`dom`] the one strict parser, [`c14n`] exclusive canonicalization,
//! [`verify`] signatures (embedded and Redirect binding), [`request`] AuthnRequest decoding and
//! validation, [`sp_metadata`] SP metadata import.
//! [`uris`]: the namespace, algorithm and binding URIs and the RSA key floor, defined once;
//! [`names`]: the XML name and character rules, one per meaning.

pub mod c14n;
pub mod dom;
pub mod encrypt;
pub mod logout;
pub mod metadata;
pub mod names;
pub mod request;
pub mod response;
pub mod sign;
pub mod soap;
pub mod sp_metadata;
pub mod uris;
pub mod verify;
pub mod xml;
