//! Who is signing in: the WeCom code exchanged once, the member read (only status 1 may sign in,
//! and an inactive member's sessions end), the profile built from the effective settings, and
//! mobile/email from `getuserdetail` when the login asked for them. WeCom failures become refusals
//! whose page says one plain sentence; the errcode, its meaning and the fix (naming the host this
//! server actually calls) go to the administrator's detail.

use super::refusal::{Error, Refusal};
use super::Ctx;
use crate::identity::Profile;
use crate::logsafe::Escaped;
use crate::settings::Effective;
use crate::wecom::client::CodeIdentity;
use crate::wecom::errors::{ErrorKind, WecomError};

/// A member who may not sign in, with the userid when WeCom told us who it was.
#[derive(Debug)]
pub struct MemberError {
    /// The WeCom userid, when known.
    pub userid: Option<String>,
    /// Why (or a failure of ours).
    pub error: Error,
}

impl MemberError {
    fn of(userid: Option<&str>, refusal: Refusal) -> Self {
        Self {
            userid: userid.map(str::to_string),
            error: Error::Refused(refusal),
        }
    }
}

/// Exchanges `code` and reads the member; only active members (status 1) get a profile.
pub async fn profile(
    ctx: &Ctx<'_>,
    effective: &Effective,
    code: &str,
) -> Result<Profile, MemberError> {
    let wecom = &effective.client;
    let api_base = effective.wecom.api_base.as_str();
    let identity = wecom
        .identity_from_code(code)
        .await
        .map_err(|e| MemberError::of(None, wecom_refusal(&e, api_base)))?;
    let (userid, ticket) = match identity {
        CodeIdentity::Member {
            userid,
            user_ticket,
        } => (userid, user_ticket),
        CodeIdentity::NonMember { .. } => return Err(MemberError::of(None, Refusal::NotAMember)),
    };
    let member = wecom
        .get_user(&userid)
        .await
        .map_err(|e| MemberError::of(Some(&userid), wecom_refusal(&e, api_base)))?;
    if !member.is_active() {
        // Any live session of this member ends too.
        if let Err(e) = ctx.store.delete_sessions_of(&userid).await {
            tracing::error!(error = %Escaped(&e), "could not end the sessions of an inactive member");
        }
        tracing::debug!(userid = %Escaped(&userid), status = member.status, "member may not sign in");
        let status = member.status;
        return Err(MemberError::of(
            Some(&userid),
            Refusal::MemberNotActive { status },
        ));
    }
    let mut profile = crate::identity::member::profile_of(wecom, &effective.policy, &member).await;
    if let Some(ticket) = ticket {
        match wecom.user_detail(&ticket).await {
            Ok(d) => {
                if let Some(m) = d.mobile.filter(|s| !s.is_empty()) {
                    profile.mobile = Some(m);
                }
                if let Some(e) = d.email.or(d.biz_mail).filter(|s| !s.is_empty()) {
                    profile.email = Some(e);
                }
            }
            Err(e) => {
                tracing::warn!(error = %Escaped(&e), "getuserdetail failed; going on without mobile/email")
            }
        }
    }
    Ok(profile)
}

/// A WeCom failure as a refusal: one code per kind of failure for the member; the errcode, its
/// meaning and the fix for the administrator, explained for the host at `api_base`.
pub fn wecom_refusal(e: &WecomError, api_base: &str) -> Refusal {
    tracing::warn!(error = %Escaped(&e), "WeCom call failed");
    let x = e.explain_at(api_base);
    let mut detail = serde_json::json!({
        "meaning": x.title_en,
        "fix": x.fix_en,
    });
    if let Some(code) = e.code() {
        detail["errcode"] = code.into();
    }
    if let Some(endpoint) = e.endpoint() {
        detail["endpoint"] = endpoint.into();
    }
    if let Some(hint) = e.hint() {
        detail["hint"] = hint.into();
    }
    let detail = Box::new(detail);
    match x.kind {
        ErrorKind::Config => Refusal::WecomConfig(detail),
        ErrorKind::Denied => Refusal::WecomDenied(detail),
        ErrorKind::RestartLogin => Refusal::WecomCodeInvalid(detail),
        ErrorKind::Retry => Refusal::WecomBusy(detail),
        ErrorKind::Unknown => Refusal::WecomError(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // Rule: a broken connection is explained for the host this server calls, not WeCom's own.
    fn transport_failures_name_the_configured_host() {
        let e = WecomError::Transport {
            endpoint: "user/get",
            detail: "connection refused".into(),
        };
        let r = wecom_refusal(&e, "http://10.0.0.5:8080");
        assert_eq!(r.as_str(), "wecom_busy");
        let d = r.admin_detail().unwrap();
        let fix = d["fix"].as_str().unwrap();
        assert!(
            fix.contains("10.0.0.5:8080") && !fix.contains("qyapi"),
            "{fix}"
        );
        assert_eq!(d["endpoint"], "user/get");
    }
}
