//! The set-up checks a Save and `serve --check` run: a data call after a fresh token, and this app
//! read back with `agent/get`.

use super::transport::Req;
use super::{endpoint, Agent, WecomClient};
use crate::wecom::errors::WecomError;

impl WecomClient {
    /// [`Self::check`], then one data call (`department/list`, refreshing its cache). `gettoken` succeeds
    /// from an untrusted IP; data calls then fail with 60020, so a "check connection" button should use
    /// this to catch the trusted-IP set-up error before the first member tries to sign in.
    pub async fn check_data_access(&self) -> Result<(), WecomError> {
        self.check().await?;
        self.invalidate_departments();
        self.departments().await.map(|_| ())
    }

    /// The whole set-up check an admin's Save runs: a fresh token ([`Self::check`]), this app read
    /// back with `agent/get` (gettoken succeeds with any AgentId, but every login of a wrong one
    /// ends on WeCom's "agentid 无效" page; 40056 no such app, 301002 the Secret is another app's),
    /// then one data call (`department/list`, which catches an untrusted server IP). Returns the app.
    pub async fn check_app(&self) -> Result<Agent, WecomError> {
        self.check().await?;
        let agent = self.agent(&self.inner.settings.agent_id).await?;
        self.invalidate_departments();
        self.departments().await?;
        Ok(agent)
    }

    /// Reads this client's own app (`agent/get` with the configured AgentId): its visible range.
    pub async fn own_app(&self) -> Result<Agent, WecomError> {
        self.agent(&self.inner.settings.agent_id).await
    }

    /// Reads a self-built app (`agent/get?agentid=…`).
    pub async fn agent(&self, agentid: &str) -> Result<Agent, WecomError> {
        self.call(
            endpoint::AGENT_GET,
            Req::Get(vec![("agentid", agentid.trim().to_owned())]),
        )
        .await
    }
}
