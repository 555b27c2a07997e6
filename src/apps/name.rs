//! The app name rule: `[a-z0-9-]{1,64}`, the part of the mount address that names the app.

use super::AppError;
use serde::{Deserialize, Serialize};

/// An app's name: `[a-z0-9-]{1,64}`; it appears in the mount address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AppName(String);

impl AppName {
    /// Checks the name rule.
    pub fn parse(s: &str) -> Result<Self, AppError> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(AppError::Invalid(format!(
                "app name `{}` must be 1–64 characters of a-z, 0-9 and -",
                s.chars().take(80).collect::<String>()
            )))
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AppName {
    type Error = AppError;
    fn try_from(s: String) -> Result<Self, AppError> {
        Self::parse(&s)
    }
}

impl From<AppName> for String {
    fn from(n: AppName) -> String {
        n.0
    }
}

impl std::fmt::Display for AppName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
