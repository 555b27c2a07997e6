//! What a login asks WeCom: the identity behind a login code, and the sensitive profile a
//! `snsapi_privateinfo` login's ticket opens.

use super::transport::Req;
use super::{endpoint, CodeIdentity, MemberDetail, WecomClient};
use crate::wecom::errors::WecomError;
use crate::wecom::types::RawIdentity;

impl WecomClient {
    /// Exchanges a login code (single use, 5 minutes) for the identity behind it. Never retried on
    /// 40029: a spent code means the login must start again.
    pub async fn identity_from_code(&self, code: &str) -> Result<CodeIdentity, WecomError> {
        let ep = if self.inner.options.legacy_code_endpoint {
            endpoint::USER_GETUSERINFO
        } else {
            endpoint::AUTH_GETUSERINFO
        };
        if code.is_empty() || code.len() > 512 {
            return Err(WecomError::Api {
                code: 40029,
                errmsg: "empty or oversized code (rejected before calling WeCom)".to_owned(),
                endpoint: ep,
            });
        }
        let raw: RawIdentity = self
            .call(ep, Req::Get(vec![("code", code.to_owned())]))
            .await?;
        raw.into_identity(ep)
    }

    /// Reads the sensitive profile (mobile, email, …) with a `user_ticket` from a
    /// `snsapi_privateinfo` login.
    pub async fn user_detail(&self, user_ticket: &str) -> Result<MemberDetail, WecomError> {
        self.call(
            endpoint::AUTH_GETUSERDETAIL,
            Req::Post(serde_json::json!({ "user_ticket": user_ticket })),
        )
        .await
    }
}
