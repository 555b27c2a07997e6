//! Login refusals and failures as pages: each [`Refusal`] has its HTTP status and the catalogue's
//! page for its code ([`crate::text::MEMBER_PAGES`]), with the contact the administrator named and
//! the administrator's detail (log and audit row, never the page). [`refuse`] is the one place a
//! refused request is audited.

use crate::http::error::WebError;
use crate::login::{AuditEvent, AuditKind, Ctx, Error, Refusal, Who};
use axum::http::StatusCode;

/// The member's page of `r`.
pub fn page(r: Refusal) -> WebError {
    let page = status_page(&r).with_contact(r.contact());
    match r.admin_detail() {
        Some(d) => page.with_admin_detail(d),
        None => page,
    }
}

/// Each refusal's status and catalogue page. The code is spelled here as well as in
/// [`Refusal::as_str`] so the catalogue scan of `tests/it/member_pages.rs` sees every page a member
/// can get; the unit test below keeps the two spellings equal.
fn status_page(r: &Refusal) -> WebError {
    use StatusCode as S;
    match r {
        Refusal::BadState => WebError::member(S::BAD_REQUEST, "bad_state"),
        Refusal::NoCode => WebError::member(S::BAD_REQUEST, "no_code"),
        Refusal::StateForeign => WebError::member(S::BAD_REQUEST, "state_foreign"),
        Refusal::StateExpired => WebError::member(S::BAD_REQUEST, "state_expired"),
        Refusal::StateUsed => WebError::member(S::BAD_REQUEST, "state_used"),
        Refusal::StateUnknown => WebError::member(S::BAD_REQUEST, "state_unknown"),
        Refusal::StateInProgress => WebError::member(S::BAD_REQUEST, "state_in_progress"),
        Refusal::TooManyLoginsFromIp => {
            WebError::member(S::TOO_MANY_REQUESTS, "too_many_logins_from_ip")
        }
        Refusal::LoginStatesFull => WebError::member(S::SERVICE_UNAVAILABLE, "login_states_full"),
        Refusal::NotAMember => WebError::member(S::FORBIDDEN, "not_a_member"),
        Refusal::MemberNotActive { .. } => WebError::member(S::FORBIDDEN, "member_not_active"),
        Refusal::WecomConfig(_) => WebError::member(S::BAD_GATEWAY, "wecom_config"),
        Refusal::WecomDenied(_) => WebError::member(S::FORBIDDEN, "wecom_denied"),
        Refusal::WecomCodeInvalid(_) => WebError::member(S::BAD_REQUEST, "wecom_code_invalid"),
        Refusal::WecomBusy(_) => WebError::member(S::SERVICE_UNAVAILABLE, "wecom_busy"),
        Refusal::WecomError(_) => WebError::member(S::BAD_GATEWAY, "wecom_error"),
        Refusal::NotAdmin => WebError::member(S::FORBIDDEN, "not_admin"),
        Refusal::AmbiguousAccount { .. } => WebError::member(S::FORBIDDEN, "ambiguous_account"),
        Refusal::NoAccount { .. } => WebError::member(S::FORBIDDEN, "no_account"),
        Refusal::AccountDisabled => WebError::member(S::FORBIDDEN, "account_disabled"),
        Refusal::BindExpired => WebError::member(S::BAD_REQUEST, "bind_expired"),
        Refusal::BindLocked { .. } => WebError::member(S::TOO_MANY_REQUESTS, "bind_locked"),
        Refusal::UnknownApp => WebError::member(S::NOT_FOUND, "unknown_app"),
        Refusal::NoAcs => WebError::member(S::INTERNAL_SERVER_ERROR, "no_acs"),
        Refusal::RelayStateNotAllowed => {
            WebError::member(S::BAD_REQUEST, "relay_state_not_allowed")
        }
        Refusal::AccessDenied { .. } => WebError::member(S::FORBIDDEN, "access_denied"),
        Refusal::NoRole { .. } => WebError::member(S::FORBIDDEN, "no_role"),
        Refusal::NoNameId { .. } => WebError::member(S::FORBIDDEN, "no_name_id"),
        Refusal::NoEncryptionCert { .. } => {
            WebError::member(S::INTERNAL_SERVER_ERROR, "no_encryption_cert")
        }
        Refusal::LogoutNotThisSession => WebError::member(S::FORBIDDEN, "logout_not_this_session"),
        Refusal::LogoutUnknown => WebError::member(S::BAD_REQUEST, "logout_unknown"),
    }
}

impl From<Refusal> for WebError {
    fn from(r: Refusal) -> Self {
        page(r)
    }
}

impl From<Error> for WebError {
    fn from(e: Error) -> Self {
        match e {
            Error::Refused(r) => page(r),
            Error::Store(e) => WebError::store("login", &e),
            Error::Broken { what, error } => WebError::internal(what, &error),
        }
    }
}

/// The page of a login step that did not go on; a refusal is audited first, as `event` of `who`,
/// with its code and the administrator's detail (a failure of ours is not a refusal: the log has
/// it).
pub async fn refuse(ctx: &Ctx<'_>, event: AuditKind, who: Who<'_>, e: Error) -> WebError {
    let Error::Refused(r) = e else {
        return e.into();
    };
    let page = page(r);
    let audit = AuditEvent::refused(event, page.reason)
        .who(who)
        .detail(page.audit_detail());
    ctx.record(&audit).await;
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // Rule: a refusal's page is the catalogue's page of its own code (one spelling, never two).
    fn pages_carry_the_refusals_code() {
        for r in crate::login::refusal::examples() {
            let code = r.as_str();
            let page = page(r);
            assert_eq!(page.reason, code);
            let expected = crate::text::member_page(code).unwrap();
            assert_eq!(page.title.en, expected.title.en, "{code}");
        }
    }

    #[test]
    fn contacts_and_details_ride_along() {
        let p = page(Refusal::AmbiguousAccount {
            contact: Some("IT desk".into()),
        });
        assert!(p.fix.unwrap().en.contains("IT desk"));
        let p = page(Refusal::BindLocked { for_secs: 30 });
        assert!(p.audit_detail().unwrap().contains("\"locked_for_secs\":30"));
    }
}
