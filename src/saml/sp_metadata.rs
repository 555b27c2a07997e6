//! (placeholder until the inbound module lands; same public types)
use serde::{Deserialize, Serialize};

/// An AssertionConsumerService.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcsEndpoint {
    /// Binding URI.
    pub binding: String,
    /// URL.
    pub location: String,
    /// index.
    pub index: Option<u32>,
    /// isDefault.
    pub is_default: Option<bool>,
}

/// SP metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpMetadata {
    /// entityID.
    pub entity_id: String,
    /// ACS list.
    pub acs: Vec<AcsEndpoint>,
    /// signing certs.
    pub signing_certs: Vec<String>,
    /// encryption certs.
    pub encryption_certs: Vec<String>,
    /// flag.
    pub authn_requests_signed: bool,
    /// flag.
    pub want_assertions_signed: bool,
    /// formats.
    pub name_id_formats: Vec<String>,
    /// validUntil.
    pub valid_until: Option<String>,
}

/// Import result.
pub struct Imported {
    /// The metadata.
    pub metadata: SpMetadata,
    /// Warnings.
    pub warnings: Vec<String>,
}

/// Import error.
#[derive(Debug)]
pub struct MetadataError(pub String);
impl std::fmt::Display for MetadataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for MetadataError {}

/// Import.
pub fn import(
    _xml: &[u8],
    _entity_id: Option<&str>,
    _now: time::OffsetDateTime,
) -> Result<Imported, MetadataError> {
    Err(MetadataError("not yet".into()))
}

/// ACS error.
#[derive(Debug)]
pub struct AcsError(pub String);

/// Select.
pub fn select_acs<'a>(
    acs: &'a [AcsEndpoint],
    _url: Option<&str>,
    _binding: Option<&str>,
    _index: Option<u32>,
) -> Result<&'a AcsEndpoint, AcsError> {
    acs.first().ok_or(AcsError("none".into()))
}
/// Default.
pub fn default_acs(acs: &[AcsEndpoint]) -> Option<&AcsEndpoint> {
    acs.first()
}
