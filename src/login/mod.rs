//! The WeCom login as a domain, without HTTP: the pending login (an app login or an admin
//! sign-in), the single-use login state, reading the member from WeCom, the member's account
//! (binding, `when_unmatched`, the bind page's proofs), the IdP session, and "may this member use
//! this app, and what do we release" — which knows nothing of SAML, so another protocol can answer
//! with the same [`Release`]; and Single Logout ([`logout`]): what a session served, ending it,
//! and the chain that tells every SP of it. Every way a login can end for a member is one [`Refusal`] variant;
//! every row it leaves in the audit log is one [`AuditEvent`].
//!
//! `http/` builds one [`Ctx`] per request, turns the request into typed inputs, and turns outcomes
//! and refusals into pages (and, for an app login, into a signed SAML Response).

pub mod account;
pub mod audit;
pub mod bind;
pub mod logout;
pub mod member;
pub mod pending;
pub mod refusal;
pub mod release;
pub mod session;
pub mod state;

pub use audit::{AuditEvent, AuditKind, AuditResult, Who};
pub use pending::{AdminSignIn, AppLogin, Pending};
pub use refusal::{Error, Refusal};
pub use release::Release;
pub use session::Live;

use crate::apps::{App, AppName};
use crate::clock::Clock;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::random::Rng;
use crate::store::Store;
use std::net::IpAddr;

/// What every login step needs: the store, time, randomness, the configuration, the counters and
/// the client's address (for the audit log). Built once per request by `http`; the settings in
/// force travel with the login ([`Live::effective`], or read once per step that needs them), as
/// they are read at different moments on different routes.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The store.
    pub store: &'a Store,
    /// Time.
    pub clock: &'a dyn Clock,
    /// Randomness.
    pub rng: &'a dyn Rng,
    /// The configuration.
    pub config: &'a Config,
    /// Counters.
    pub metrics: &'a Metrics,
    /// The client's address as we saw it.
    pub ip: Option<IpAddr>,
}

impl Ctx<'_> {
    /// Now, Unix seconds.
    pub fn unix(&self) -> i64 {
        self.clock.unix()
    }

    /// Writes `event`; a failure to audit is logged, never hidden (see [`audit::record`]).
    pub async fn record(&self, event: &AuditEvent<'_>) {
        audit::record(self, event).await;
    }
}

/// Loads an app by name ([`Refusal::UnknownApp`] when the name is not one or no app has it).
pub async fn load_app(ctx: &Ctx<'_>, name: &str) -> Result<App, Error> {
    let Ok(name) = AppName::parse(name) else {
        return Err(Refusal::UnknownApp.into());
    };
    let Some(row) = ctx.store.app(name.as_str()).await? else {
        return Err(Refusal::UnknownApp.into());
    };
    App::from_row(row).map_err(|e| Error::broken("stored app", &e))
}
