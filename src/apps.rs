//! Apps: an SP registered by its metadata, with its per-app settings (NameID, signing, encryption,
//! released attributes, RelayState, request signing). The app name rule is [`name`]'s, what the settings are
//! [`settings`]'s, the `--set KEY=VALUE` vocabulary [`vocabulary`]'s; this file holds the app
//! itself and its conversion to and from stored rows.

use crate::identity::roles::RoleConfig;
use crate::saml::encrypt::Recipient;
use crate::saml::sp_metadata::{AcsEndpoint, SpMetadata};
use crate::store::AppRow;

pub mod form;
pub mod name;
pub mod provisioning;
pub mod relay_state;
pub mod settings;
pub mod vocabulary;

pub use name::AppName;
pub use provisioning::{ProvisionGroups, ProvisionMode, ScimGroupUpdate};
pub use relay_state::domain_allowed;
pub use settings::{
    default_name_format, AppSettings, AttributeRelease, NameIdFormat, RequireSigned,
};
pub use vocabulary::SETTING_KEYS;

/// Why `encrypt_assertion=true` is refused for an SP whose metadata has no encryption certificate.
pub const NO_ENCRYPTION_CERT: &str = "encrypt_assertion: the SP's metadata has no encryption \
     certificate (a KeyDescriptor with use=\"encryption\" or without use): import the SP's metadata \
     with its encryption certificate first, or set encrypt_assertion=false";

/// A bad app definition or setting; the message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// A value breaks a rule.
    Invalid(String),
    /// Stored JSON could not be read.
    Corrupt(String),
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid(m) => f.write_str(m),
            Self::Corrupt(m) => write!(f, "stored app is corrupt: {m}"),
        }
    }
}

impl std::error::Error for AppError {}

/// A rule, template or attribute source the identity domain refused is a bad setting of the app.
impl From<crate::identity::IdentityError> for AppError {
    fn from(e: crate::identity::IdentityError) -> Self {
        match e {
            crate::identity::IdentityError::Invalid(m) => Self::Invalid(m),
        }
    }
}

/// A registered app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// Its name.
    pub name: AppName,
    /// What its metadata says.
    pub metadata: SpMetadata,
    /// How we treat it.
    pub settings: AppSettings,
    /// The uploaded metadata document.
    pub metadata_xml: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// The login's and the preview's rule inputs read the app's rules through this.
impl crate::identity::rule_inputs::AppRules for App {
    fn app_name(&self) -> &str {
        self.name.as_str()
    }
    fn roles(&self) -> &RoleConfig {
        &self.settings.roles
    }
    fn access(&self) -> &crate::identity::access::Access {
        &self.settings.access
    }
}

/// What the login's rules read of an app, whatever protocol it speaks: its name and its settings
/// (access and role rules, the subject's source). A SAML [`App`] and an OIDC client both are one.
pub trait AppPolicy: crate::identity::rule_inputs::AppRules {
    /// The app's name.
    fn name(&self) -> &AppName;
    /// The app's settings.
    fn settings(&self) -> &AppSettings;
}

impl AppPolicy for App {
    fn name(&self) -> &AppName {
        &self.name
    }
    fn settings(&self) -> &AppSettings {
        &self.settings
    }
}

impl App {
    /// Reads a stored row.
    pub fn from_row(row: AppRow) -> Result<Self, AppError> {
        Ok(Self {
            name: AppName::parse(&row.name)?,
            metadata: serde_json::from_str(&row.metadata_json)
                .map_err(|e| AppError::Corrupt(format!("{}: metadata: {e}", row.name)))?,
            settings: serde_json::from_str(&row.settings_json)
                .map_err(|e| AppError::Corrupt(format!("{}: settings: {e}", row.name)))?,
            metadata_xml: row.metadata_xml,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    /// The row to store.
    pub fn to_row(&self) -> Result<AppRow, AppError> {
        Ok(AppRow {
            name: self.name.as_str().to_string(),
            entity_id: self.metadata.entity_id.clone(),
            metadata_json: serde_json::to_string(&self.metadata)
                .map_err(|e| AppError::Corrupt(e.to_string()))?,
            settings_json: serde_json::to_string(&self.settings)
                .map_err(|e| AppError::Corrupt(e.to_string()))?,
            metadata_xml: self.metadata_xml.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }

    /// Whether AuthnRequests from this app must be signed.
    pub fn requires_signed_requests(&self, idp_wants_signed: bool) -> bool {
        match self.settings.require_signed_requests {
            RequireSigned::Always => true,
            RequireSigned::Never => false,
            RequireSigned::Metadata => self.metadata.authn_requests_signed || idp_wants_signed,
        }
    }

    /// The certificate an encrypted Assertion goes to: the first of the metadata's encryption
    /// certificates (`KeyDescriptor use="encryption"` or without `use`) that RSA-OAEP can encrypt
    /// to; `Ok(None)` when the app does not encrypt. The error says what the admin must fix.
    pub fn encryption_recipient(&self) -> Result<Option<Recipient>, AppError> {
        if !self.settings.encrypt_assertion {
            return Ok(None);
        }
        let mut why = None;
        for c in &self.metadata.encryption_certs {
            match Recipient::from_base64(c) {
                Ok(r) => return Ok(Some(r)),
                Err(e) => why = Some(e.to_string()),
            }
        }
        Err(AppError::Invalid(match why {
            None => NO_ENCRYPTION_CERT.to_string(),
            Some(e) => format!(
                "encrypt_assertion: no encryption certificate of the SP's metadata can be used \
                 ({e}): import metadata with an RSA certificate of at least 2048 bits, or set \
                 encrypt_assertion=false"
            ),
        }))
    }

    /// Refuses settings and metadata that do not go together: encryption on, and no encryption
    /// certificate in the metadata to encrypt to.
    pub fn check_encryption(&self) -> Result<(), AppError> {
        self.encryption_recipient().map(|_| ())
    }

    /// The ACS for IdP-initiated Responses.
    pub fn default_acs(&self) -> Option<&AcsEndpoint> {
        crate::saml::sp_metadata::default_acs(&self.metadata.acs)
    }

    /// The RelayState for an IdP-initiated login: the query's when allowed, else the default.
    pub fn relay_state_for(&self, requested: Option<&str>) -> Result<Option<String>, AppError> {
        match requested {
            None | Some("") => Ok(self.settings.default_relay_state.clone()),
            Some(r) if r.len() > 80 => Err(AppError::Invalid(
                "RelayState is longer than 80 bytes".into(),
            )),
            Some(r) => {
                if relay_state::allowed(r, &self.settings.relay_state_allow)
                    || (!self.settings.relay_state_domains.is_empty()
                        && domain_allowed(r, &self.settings.relay_state_domains))
                {
                    Ok(Some(r.to_string()))
                } else {
                    Err(AppError::Invalid(
                        "this RelayState is not on the app's allow-list (relay_state_allow)".into(),
                    ))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
