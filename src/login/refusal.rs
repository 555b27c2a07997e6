//! Every way a login can end for a member ([`Refusal`], whose variants are the audited reason codes)
//! and the error of a login step ([`Error`]: a refusal, or a failure of ours).
//!
//! A refusal carries what the administrator needs (the WeCom errcode, the setting at fault) in
//! [`Refusal::admin_detail`]; the member's page shows only the catalogue's sentence for the code
//! ([`crate::text::MEMBER_PAGES`]) and, where one is configured, whom to contact.

use crate::apps::AppName;
use crate::store::StoreError;

/// The administrator's detail of a refusal (JSON for the audit row and the log).
pub type AdminDetail = Box<serde_json::Value>;

/// Why a member's login (or an admin's sign-in) was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// The login state is not one we could have made.
    BadState,
    /// WeCom sent no code (the member cancelled).
    NoCode,
    /// The login was started in another browser (or cookies are blocked).
    StateForeign,
    /// The login took longer than its state lives.
    StateExpired,
    /// The login state was already used.
    StateUsed,
    /// No such login state.
    StateUnknown,
    /// A repeated callback whose first attempt did not finish.
    StateInProgress,
    /// Too many unfinished logins from the client's address.
    TooManyLoginsFromIp,
    /// Too many unfinished logins in total.
    LoginStatesFull,
    /// The code belongs to someone outside the corp.
    NotAMember,
    /// The member's WeCom status is not "active" (1).
    MemberNotActive {
        /// WeCom's `status`.
        status: i64,
    },
    /// WeCom refused because of our set-up (secret, trusted IP, app visibility…).
    WecomConfig(AdminDetail),
    /// WeCom does not let this member use the app.
    WecomDenied(AdminDetail),
    /// The code is invalid or used: the login must start again.
    WecomCodeInvalid(AdminDetail),
    /// WeCom is busy or unreachable.
    WecomBusy(AdminDetail),
    /// Any other WeCom error.
    WecomError(AdminDetail),
    /// The member is not an administrator of the console.
    NotAdmin,
    /// Several accounts match the member.
    AmbiguousAccount {
        /// Whom to contact (the binding settings' contact).
        contact: Option<String>,
    },
    /// No account matches and `when_unmatched` is `reject`.
    NoAccount {
        /// Whom to contact.
        contact: Option<String>,
    },
    /// The member's account is disabled.
    AccountDisabled,
    /// The bind page expired, was used, or belongs to another browser.
    BindExpired,
    /// Too many wrong passwords for this account.
    BindLocked {
        /// Seconds until the account takes passwords again.
        for_secs: i64,
    },
    /// No app under this name.
    UnknownApp,
    /// The app's metadata has no HTTP-POST ACS.
    NoAcs,
    /// The RelayState is not in the app's `relay_state_allow`.
    RelayStateNotAllowed,
    /// The app's access rule does not allow the member.
    AccessDenied {
        /// The app.
        app: AppName,
    },
    /// No role rule gives the member a role in a role-SSO app.
    NoRole {
        /// The app.
        app: AppName,
        /// Whom to contact (the app's role contact).
        contact: Option<String>,
    },
    /// The member's profile lacks the value the app identifies members by.
    NoNameId {
        /// The profile field the app's NameID comes from.
        source: &'static str,
    },
    /// The app encrypts Assertions but its metadata has no encryption certificate we can use.
    NoEncryptionCert {
        /// The app.
        app: AppName,
        /// What is wrong with its certificates, for the administrator.
        why: String,
    },
    /// A LogoutRequest names someone (NameID or SessionIndex) this browser's session did not sign
    /// in to that app.
    LogoutNotThisSession,
    /// A LogoutResponse, or a step of a logout, for no logout in progress (finished, expired, or
    /// never started).
    LogoutUnknown,
}

impl Refusal {
    /// The reason code, as audited and shown on the page.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::BadState => "bad_state",
            Self::NoCode => "no_code",
            Self::StateForeign => "state_foreign",
            Self::StateExpired => "state_expired",
            Self::StateUsed => "state_used",
            Self::StateUnknown => "state_unknown",
            Self::StateInProgress => "state_in_progress",
            Self::TooManyLoginsFromIp => "too_many_logins_from_ip",
            Self::LoginStatesFull => "login_states_full",
            Self::NotAMember => "not_a_member",
            Self::MemberNotActive { .. } => "member_not_active",
            Self::WecomConfig(_) => "wecom_config",
            Self::WecomDenied(_) => "wecom_denied",
            Self::WecomCodeInvalid(_) => "wecom_code_invalid",
            Self::WecomBusy(_) => "wecom_busy",
            Self::WecomError(_) => "wecom_error",
            Self::NotAdmin => "not_admin",
            Self::AmbiguousAccount { .. } => "ambiguous_account",
            Self::NoAccount { .. } => "no_account",
            Self::AccountDisabled => "account_disabled",
            Self::BindExpired => "bind_expired",
            Self::BindLocked { .. } => "bind_locked",
            Self::UnknownApp => "unknown_app",
            Self::NoAcs => "no_acs",
            Self::RelayStateNotAllowed => "relay_state_not_allowed",
            Self::AccessDenied { .. } => "access_denied",
            Self::NoRole { .. } => "no_role",
            Self::NoNameId { .. } => "no_name_id",
            Self::NoEncryptionCert { .. } => "no_encryption_cert",
            Self::LogoutNotThisSession => "logout_not_this_session",
            Self::LogoutUnknown => "logout_unknown",
        }
    }

    /// Whom the member should contact, when the administrator named someone.
    pub fn contact(&self) -> Option<&str> {
        match self {
            Self::AmbiguousAccount { contact }
            | Self::NoAccount { contact }
            | Self::NoRole { contact, .. } => contact.as_deref(),
            _ => None,
        }
    }

    /// What the administrator needs to fix it (never shown to the member).
    pub fn admin_detail(&self) -> Option<serde_json::Value> {
        use serde_json::json;
        Some(match self {
            Self::WecomConfig(d)
            | Self::WecomDenied(d)
            | Self::WecomCodeInvalid(d)
            | Self::WecomBusy(d)
            | Self::WecomError(d) => (**d).clone(),
            Self::MemberNotActive { status } => {
                json!({ "wecom_status": status, "meaning": status_meaning(*status) })
            }
            Self::BindLocked { for_secs } => json!({ "locked_for_secs": for_secs }),
            Self::UnknownApp => json!({
                "error": "no app under this name: check the WeCom app's homepage URL (wecom-idp app show NAME prints it)",
            }),
            Self::NoAcs => json!({
                "error": "the app's metadata has no HTTP-POST AssertionConsumerService",
            }),
            Self::RelayStateNotAllowed => json!({
                "error": "the RelayState is not in the app's relay_state_allow",
            }),
            Self::AccessDenied { app } => json!({
                "error": format!("the app's access rule does not allow this member: widen it in the console or with wecom-idp app set {app} --set access=…"),
            }),
            Self::NoRole { app, .. } => json!({
                "error": format!("no role rule of the app gives this member a role: edit role_rules (wecom-idp app set {app} --set role_rules=…)"),
            }),
            Self::NoNameId { source } => json!({
                "nameid_source": source,
                "error": format!("the member's WeCom profile has no {source}: fill it in WeCom, or change the app's nameid_source"),
            }),
            Self::NoEncryptionCert { app, why } => json!({
                "error": format!("{why} (wecom-idp app set {app} --set encrypt_assertion=false, or replace its metadata)"),
            }),
            Self::LogoutNotThisSession => json!({
                "error": "the LogoutRequest's NameID or SessionIndex is not what this browser's session sent the app: the session was kept",
            }),
            _ => return None,
        })
    }
}

/// What a WeCom member `status` means (WeCom `user/get`: 1 active, 2 disabled, 4 not activated,
/// 5 left the organisation), for the administrator. The member reads one neutral sentence whatever
/// it is: a leaver is not told to get activated.
pub fn status_meaning(status: i64) -> &'static str {
    match status {
        2 => "disabled",
        4 => "not activated",
        5 => "left the organisation",
        _ => "not active",
    }
}

/// Why a login step did not go on: the member was refused, or we failed.
#[derive(Debug)]
pub enum Error {
    /// The member was refused; the caller audits it and shows the page.
    Refused(Refusal),
    /// The store failed (or is unreachable).
    Store(StoreError),
    /// Something of ours is broken (what, and the error for the log).
    Broken {
        /// What failed.
        what: &'static str,
        /// The error, for the log.
        error: String,
    },
}

impl Error {
    /// A failure of ours.
    pub fn broken(what: &'static str, error: &dyn std::fmt::Display) -> Self {
        Self::Broken {
            what,
            error: error.to_string(),
        }
    }
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Self {
        Self::Refused(r)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

#[cfg(test)]
/// One of every variant, for tests that go through them all.
pub(crate) fn examples() -> Vec<Refusal> {
    let app = AppName::parse("wiki").unwrap();
    let d = || Box::new(serde_json::json!({ "errcode": 1 }));
    let all = vec![
        Refusal::BadState,
        Refusal::NoCode,
        Refusal::StateForeign,
        Refusal::StateExpired,
        Refusal::StateUsed,
        Refusal::StateUnknown,
        Refusal::StateInProgress,
        Refusal::TooManyLoginsFromIp,
        Refusal::LoginStatesFull,
        Refusal::NotAMember,
        Refusal::MemberNotActive { status: 5 },
        Refusal::WecomConfig(d()),
        Refusal::WecomDenied(d()),
        Refusal::WecomCodeInvalid(d()),
        Refusal::WecomBusy(d()),
        Refusal::WecomError(d()),
        Refusal::NotAdmin,
        Refusal::AmbiguousAccount { contact: None },
        Refusal::NoAccount { contact: None },
        Refusal::AccountDisabled,
        Refusal::BindExpired,
        Refusal::BindLocked { for_secs: 60 },
        Refusal::UnknownApp,
        Refusal::NoAcs,
        Refusal::RelayStateNotAllowed,
        Refusal::AccessDenied { app: app.clone() },
        Refusal::NoRole {
            app: app.clone(),
            contact: None,
        },
        Refusal::NoNameId { source: "email" },
        Refusal::NoEncryptionCert {
            app,
            why: "no certificate".into(),
        },
        Refusal::LogoutNotThisSession,
        Refusal::LogoutUnknown,
    ];
    // A new variant stops this from compiling until it is listed here and above.
    for r in &all {
        match r {
            Refusal::BadState
            | Refusal::NoCode
            | Refusal::StateForeign
            | Refusal::StateExpired
            | Refusal::StateUsed
            | Refusal::StateUnknown
            | Refusal::StateInProgress
            | Refusal::TooManyLoginsFromIp
            | Refusal::LoginStatesFull
            | Refusal::NotAMember
            | Refusal::MemberNotActive { .. }
            | Refusal::WecomConfig(_)
            | Refusal::WecomDenied(_)
            | Refusal::WecomCodeInvalid(_)
            | Refusal::WecomBusy(_)
            | Refusal::WecomError(_)
            | Refusal::NotAdmin
            | Refusal::AmbiguousAccount { .. }
            | Refusal::NoAccount { .. }
            | Refusal::AccountDisabled
            | Refusal::BindExpired
            | Refusal::BindLocked { .. }
            | Refusal::UnknownApp
            | Refusal::NoAcs
            | Refusal::RelayStateNotAllowed
            | Refusal::AccessDenied { .. }
            | Refusal::NoRole { .. }
            | Refusal::NoNameId { .. }
            | Refusal::NoEncryptionCert { .. }
            | Refusal::LogoutNotThisSession
            | Refusal::LogoutUnknown => {}
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // Rule: every refusal has an audit label and a member page in both languages.
    fn every_refusal_has_a_label_and_a_page() {
        for r in examples() {
            let code = r.as_str();
            assert!(crate::text::has_reason(code), "{code}: no audit label");
            assert!(crate::text::member_page(code).is_some(), "{code}: no page");
        }
    }

    #[test]
    // Rule: the admin's detail names the app and the fix, never on the member's page.
    fn details_name_what_to_fix() {
        let app = AppName::parse("wiki").unwrap();
        let d = Refusal::AccessDenied { app }.admin_detail().unwrap();
        assert!(d["error"].as_str().unwrap().contains("app set wiki"), "{d}");
        let d = Refusal::NoNameId { source: "email" }
            .admin_detail()
            .unwrap();
        assert_eq!(d["nameid_source"], "email");
        assert!(Refusal::AccountDisabled.admin_detail().is_none());
    }

    #[test]
    // Rule: WeCom's statuses are read as WeCom documents them (5 is a leaver, 4 not activated).
    fn wecom_statuses() {
        assert_eq!(status_meaning(2), "disabled");
        assert_eq!(status_meaning(4), "not activated");
        assert_eq!(status_meaning(5), "left the organisation");
        assert_eq!(status_meaning(3), "not active");
        let d = Refusal::MemberNotActive { status: 5 }
            .admin_detail()
            .unwrap();
        assert_eq!(d["wecom_status"], 5);
        assert_eq!(d["meaning"], "left the organisation");
    }
}
