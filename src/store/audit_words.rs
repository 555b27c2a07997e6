//! The words of an audit row as types: [`AuditKind`] (what happened), [`AuditResult`] (how it
//! ended) and the client's address. The database, the API, the CSV export and the logs keep the
//! words; they are read and written only here, at the SQL boundary, so the code above matches on
//! variants and a new event cannot go without its console label (`text` matches on the enum).

use super::states::{stored_word, UnknownState};
use std::net::IpAddr;

/// An enum whose variants each stand for one stored word: the enum with its docs, `ALL`,
/// `as_str`, the parse of a stored word (`TryFrom<String>` and `FromStr`, naming `$column` when
/// unknown), and
/// comparisons with text (so a row's word can be checked against a literal).
macro_rules! audit_words {
    (
        $(#[$meta:meta])*
        pub enum $ty:ident in $column:literal {
            $($(#[$vmeta:meta])* $variant:ident = $word:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $ty {
            $($(#[$vmeta])* $variant,)+
        }

        impl $ty {
            /// Every variant, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The stored word (also what the API, the CSV export and the logs show).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $word,)+
                }
            }

            /// The variant whose word is `word`, if any.
            pub fn from_word(word: &str) -> Option<Self> {
                match word {
                    $($word => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl TryFrom<String> for $ty {
            type Error = UnknownState;
            fn try_from(s: String) -> Result<Self, UnknownState> {
                Self::from_word(&s).ok_or(UnknownState {
                    column: $column,
                    found: s,
                })
            }
        }

        impl std::str::FromStr for $ty {
            type Err = UnknownState;
            fn from_str(s: &str) -> Result<Self, UnknownState> {
                Self::try_from(s.to_string())
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<str> for $ty {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $ty {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        stored_word!($ty);
    };
}

audit_words! {
    /// What an audit row records (`audit.event`).
    pub enum AuditKind in "audit.event" {
        /// A member's sign-in to an app.
        Login = "login",
        /// An AuthnRequest (refused before its login started).
        SsoRequest = "sso_request",
        /// Any other request (refused by a limit).
        Request = "request",
        /// The member's account was linked, created or refused a link.
        Bind = "bind",
        /// A Single Logout LogoutRequest: one an SP sent us, or one we sent an SP.
        SloRequest = "slo_request",
        /// A Single Logout LogoutResponse: one an SP sent us (or did not send in time), or ours
        /// to the SP that asked.
        SloResponse = "slo_response",
        /// A member's IdP session ended by a Single Logout.
        Logout = "logout",
        /// A sign-in to the admin console.
        AdminLogin = "admin_login",
        /// A sign-out of the admin console.
        AdminLogout = "admin_logout",
        /// A request to the admin console or API (refused by a limit).
        AdminRequest = "admin_request",
        /// An administrator was added.
        AdminAdd = "admin_add",
        /// An administrator was removed.
        AdminRemove = "admin_remove",
        /// An app was added.
        AppCreate = "app_create",
        /// An app's settings were changed.
        AppUpdate = "app_update",
        /// An app was deleted.
        AppDelete = "app_delete",
        /// An app's new settings were previewed.
        AppPreview = "app_preview",
        /// An app's metadata was fetched again from its URL.
        AppRefresh = "app_refresh",
        /// An app went back to an earlier version.
        AppRollback = "app_rollback",
        /// An app's metadata document was replaced.
        AppMetadataReplace = "app_metadata_replace",
        /// A signing key was added (published, not yet signing).
        KeyAdd = "key_add",
        /// A signing key started to sign.
        KeyActivate = "key_activate",
        /// A signing key was retired.
        KeyRetire = "key_retire",
        /// An API token was created.
        TokenCreate = "token_create",
        /// An API token was revoked.
        TokenRevoke = "token_revoke",
        /// The WeCom settings were saved.
        SettingsWecom = "settings_wecom",
        /// The WeCom settings went back to the configuration file's.
        SettingsWecomReset = "settings_wecom_reset",
        /// The binding settings were saved.
        SettingsBinding = "settings_binding",
        /// The binding settings went back to the configuration file's.
        SettingsBindingReset = "settings_binding_reset",
        /// An account was created.
        UserCreate = "user_create",
        /// An account was changed.
        UserUpdate = "user_update",
        /// An account was disabled.
        UserDisable = "user_disable",
        /// An account was enabled again.
        UserEnable = "user_enable",
        /// Accounts were imported.
        UserImport = "user_import",
        /// An account was linked to a WeCom member.
        UserBind = "user_bind",
        /// An account's WeCom link was removed.
        UserUnbind = "user_unbind",
        /// A one-time bind code was issued.
        UserBindCode = "user_bind_code",
        /// An account's password was set.
        UserSetPassword = "user_set_password",
        /// A change was saved although WeCom did not confirm the names it uses.
        WecomNamesForced = "wecom_names_forced",
        /// The WeCom source in force was checked (the overview's "last check").
        WecomCheck = "wecom_check",
        /// An event callback from WeCom (received, ignored or refused, with the reason).
        WecomEvent = "wecom_event",
        /// A member left, was disabled or removed in WeCom: sessions ended, the account handled.
        MemberLeft = "member_left",
        /// A member who had left is active again: the account restored by the same rule.
        MemberRejoined = "member_rejoined",
        /// A member's userid was renamed in WeCom: their binding, pairwise subjects and admin
        /// right moved to the new userid, the sessions under the old one ended.
        MemberRenamed = "member_renamed",
        /// A WeCom domain-ownership file (`WW_verify_<code>.txt`) was uploaded.
        VerifyFileAdd = "verify_file_add",
        /// A WeCom domain-ownership file was removed.
        VerifyFileRemove = "verify_file_remove",
        /// One change SCIM provisioning made (or failed to make) at an app: a user created,
        /// updated or deactivated, a group created or updated.
        Provision = "provision",
        /// An app's SCIM bearer token was set.
        ScimTokenSet = "scim_token_set",
        /// A member's answer on an OIDC client's consent page: allowed (granted) or denied.
        OidcConsent = "oidc_consent",
    }
}

audit_words! {
    /// How the recorded request ended (`audit.result`).
    pub enum AuditResult in "audit.result" {
        /// It did what was asked.
        Success = "success",
        /// It was refused (the reason says why).
        Refused = "refused",
        /// It failed on our side or WeCom's.
        Error = "error",
        /// It waits for the member (the bind page).
        Pending = "pending",
    }
}

/// The client address column as read: text in the database, an address above it. Only what this
/// program wrote is there (`IpAddr`'s own form), so anything else is a decoding error naming the
/// column rather than a value passed on unchecked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredIp(Option<String>);

impl sqlx::Type<sqlx::Any> for StoredIp {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <str as sqlx::Type<sqlx::Any>>::type_info()
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for StoredIp {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(Self(
            <Option<String> as sqlx::Decode<'r, sqlx::Any>>::decode(value)?,
        ))
    }
}

impl TryFrom<StoredIp> for Option<IpAddr> {
    type Error = UnknownState;
    fn try_from(s: StoredIp) -> Result<Self, UnknownState> {
        s.0.map(|text| {
            text.parse().map_err(|_| UnknownState {
                column: "audit.client_ip",
                found: text,
            })
        })
        .transpose()
    }
}

/// The stored text of a client address.
pub(super) fn ip_text(ip: Option<IpAddr>) -> Option<String> {
    ip.map(|ip| ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_unknown_ones_are_refused() {
        for k in AuditKind::ALL {
            assert_eq!(AuditKind::try_from(k.as_str().to_string()), Ok(*k));
        }
        for r in AuditResult::ALL {
            assert_eq!(AuditResult::try_from(r.as_str().to_string()), Ok(*r));
        }
        assert_eq!(AuditKind::SettingsWecom.as_str(), "settings_wecom");
        assert_eq!(AuditResult::Pending.as_str(), "pending");
        let e = AuditKind::try_from("settings_change".to_string()).unwrap_err();
        assert_eq!(e.column, "audit.event");
        assert!(AuditResult::try_from("ok".to_string()).is_err());
        assert!(AuditResult::try_from("Success".to_string()).is_err());
        assert!(AuditKind::Login == "login" && AuditKind::Login != "bind");
    }

    #[test]
    fn stored_addresses_are_parsed_or_refused() {
        let ip = |s: Option<&str>| Option::<IpAddr>::try_from(StoredIp(s.map(str::to_string)));
        assert_eq!(ip(None), Ok(None));
        assert_eq!(ip(Some("::1")), Ok(Some("::1".parse().unwrap())));
        assert_eq!(
            ip(Some("192.0.2.1")),
            Ok(Some("192.0.2.1".parse().unwrap()))
        );
        assert!(ip(Some("192.0.2.1:80")).is_err());
        assert_eq!(
            ip_text("2001:db8::1".parse().ok()).as_deref(),
            Some("2001:db8::1")
        );
    }
}
