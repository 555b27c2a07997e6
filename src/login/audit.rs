//! The audit row a login step leaves: [`AuditEvent`] says what happened (event, result, reason) to
//! whom (app, member, SAML request ID); [`write`] stores it with the time and the client's address
//! and counts sign-ins in the metrics.

use super::Ctx;
use crate::logsafe::Escaped;
pub use crate::store::{AuditKind, AuditResult};
use crate::store::{AuditRow, StoreError};
use std::borrow::Cow;
use std::net::IpAddr;

/// Whom an audit row concerns: the app, the member and the SAML request, each when known.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Who<'a> {
    /// The app.
    pub app: Option<&'a str>,
    /// The WeCom userid.
    pub userid: Option<&'a str>,
    /// The AuthnRequest ID, for SP-initiated logins.
    pub request_id: Option<&'a str>,
}

impl<'a> Who<'a> {
    /// An app's request.
    pub fn app(app: &'a str) -> Self {
        Self {
            app: Some(app),
            ..Self::default()
        }
    }

    /// With the member, when known.
    pub fn userid(mut self, userid: Option<&'a str>) -> Self {
        self.userid = userid;
        self
    }

    /// With the AuthnRequest ID, when there is one.
    pub fn request_id(mut self, request_id: Option<&'a str>) -> Self {
        self.request_id = request_id;
        self
    }
}

/// One audit row of a login step, before the time and the client's address are added.
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    /// What kind of request.
    pub event: AuditKind,
    /// How it ended.
    pub result: AuditResult,
    /// Why (a reason code of [`crate::text::REASONS`], or a family such as `auto_email`).
    pub reason: Cow<'a, str>,
    /// Whom it concerns.
    pub who: Who<'a>,
    /// What the administrator needs (JSON, already redacted).
    pub detail: Option<String>,
}

impl<'a> AuditEvent<'a> {
    /// An event with its result and reason, concerning nobody known yet.
    pub fn new(event: AuditKind, result: AuditResult, reason: impl Into<Cow<'a, str>>) -> Self {
        Self {
            event,
            result,
            reason: reason.into(),
            who: Who::default(),
            detail: None,
        }
    }

    /// A refusal of `event` for `reason`.
    pub fn refused(event: AuditKind, reason: impl Into<Cow<'a, str>>) -> Self {
        Self::new(event, AuditResult::Refused, reason)
    }

    /// A failure of another party in `event`, for `reason`.
    pub fn error(event: AuditKind, reason: impl Into<Cow<'a, str>>) -> Self {
        Self::new(event, AuditResult::Error, reason)
    }

    /// A success of `event`.
    pub fn success(event: AuditKind, reason: impl Into<Cow<'a, str>>) -> Self {
        Self::new(event, AuditResult::Success, reason)
    }

    /// Concerning `who`.
    pub fn who(mut self, who: Who<'a>) -> Self {
        self.who = who;
        self
    }

    /// With the administrator's detail.
    pub fn detail(mut self, detail: Option<String>) -> Self {
        self.detail = detail;
        self
    }

    fn row(&self, at: i64, ip: Option<IpAddr>) -> AuditRow {
        AuditRow {
            at,
            event: self.event,
            app: self.who.app.map(str::to_string),
            userid: self.who.userid.map(str::to_string),
            result: self.result,
            reason: self.reason.as_ref().into(),
            client_ip: ip,
            request_id: self.who.request_id.map(str::to_string),
            actor: None,
            detail: self.detail.clone(),
        }
    }
}

/// Writes `event`, counting sign-ins in the metrics. A success whose row failed was not a sign-in
/// (the member gets the error page), so it is not counted.
pub async fn write(ctx: &Ctx<'_>, event: &AuditEvent<'_>) -> Result<(), StoreError> {
    let written = ctx.store.audit(&event.row(ctx.unix(), ctx.ip)).await;
    if event.event == AuditKind::Login && (written.is_ok() || event.result != AuditResult::Success)
    {
        ctx.metrics
            .login(event.who.app.unwrap_or("-"), event.result.as_str());
    }
    written
}

/// Writes `event`; a failure to audit is logged, never hidden.
pub async fn record(ctx: &Ctx<'_>, event: &AuditEvent<'_>) {
    if let Err(e) = write(ctx, event).await {
        tracing::error!(
            error = %Escaped(&e),
            event = event.event.as_str(),
            reason = %Escaped(&event.reason),
            "could not write the audit row"
        );
    }
}
