//! `[lifecycle]`: what happens to a leaver's local account when WeCom says the member left, was
//! disabled or removed (the sessions always end; see the `lifecycle` module).

use serde::{Deserialize, Serialize};

/// `leaver_account`: what the lifecycle rules do to a leaver's bound local account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LeaverAccount {
    /// Disable it (default); a rejoining member's account is enabled again.
    #[default]
    Disable,
    /// Remove its binding to the member (the account stays usable by whoever binds it next); a
    /// rejoining member is bound to it again when both are still free.
    Unbind,
    /// Leave it as it is (only the sessions end).
    Keep,
}

impl LeaverAccount {
    /// The setting's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Unbind => "unbind",
            Self::Keep => "keep",
        }
    }
}

/// `[lifecycle]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LifecycleConfig {
    /// `disable` (default), `unbind` or `keep`.
    pub leaver_account: LeaverAccount,
}
