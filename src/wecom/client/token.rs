//! The access-token cache: one token per client, refreshed before WeCom says it expires, fetched
//! by one caller while the others wait (single flight), evicted when a data call says it is stale.

use std::sync::atomic::Ordering;

use serde::Deserialize;
use tracing::info;

use super::transport::Req;
use super::{endpoint, lock, WecomClient};
use crate::wecom::errors::WecomError;

/// A token is refreshed this long before WeCom says it expires.
pub const TOKEN_REFRESH_MARGIN_SECS: i64 = 300;

/// A token and when to fetch a new one.
pub(super) struct CachedToken {
    value: String,
    refresh_at: i64,
}

impl WecomClient {
    /// Checks the connection and credentials: fetches a fresh token (and keeps it).
    pub async fn check(&self) -> Result<(), WecomError> {
        let mut last_error = self.inner.fetch_lock.lock().await;
        self.fetch_and_store(&mut last_error).await.map(|_| ())
    }

    fn cached_token(&self) -> Option<String> {
        let now = self.inner.clock.unix();
        lock(&self.inner.token)
            .as_ref()
            .filter(|t| now < t.refresh_at)
            .map(|t| t.value.clone())
    }

    /// A valid token: from the cache, or fetched by exactly one caller while the others wait.
    ///
    /// Callers that waited while another caller's fetch failed get that failure instead of fetching
    /// again one after another (a wrong secret must not turn N logins into N `gettoken` calls).
    pub(super) async fn token(&self) -> Result<String, WecomError> {
        if let Some(t) = self.cached_token() {
            return Ok(t);
        }
        let seen = self.inner.fetches.load(Ordering::Acquire);
        let mut last_error = self.inner.fetch_lock.lock().await;
        if let Some(t) = self.cached_token() {
            return Ok(t);
        }
        if self.inner.fetches.load(Ordering::Acquire) != seen {
            if let Some(e) = last_error.as_ref() {
                return Err(e.clone());
            }
        }
        self.fetch_and_store(&mut last_error).await
    }

    /// Fetches a token and caches it; call with `fetch_lock` held (its guarded value is passed in).
    async fn fetch_and_store(
        &self,
        last_error: &mut Option<WecomError>,
    ) -> Result<String, WecomError> {
        let result = self.fetch_token().await;
        self.inner.fetches.fetch_add(1, Ordering::AcqRel);
        match result {
            Ok(fresh) => {
                *last_error = None;
                let value = fresh.value.clone();
                *lock(&self.inner.token) = Some(fresh);
                Ok(value)
            }
            Err(e) => {
                *last_error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Drops the cached token if it is still the one that failed (another caller may have refreshed it).
    pub(super) fn evict(&self, stale: &str) {
        let mut slot = lock(&self.inner.token);
        if slot.as_ref().is_some_and(|t| t.value == stale) {
            *slot = None;
        }
    }

    async fn fetch_token(&self) -> Result<CachedToken, WecomError> {
        #[derive(Deserialize)]
        struct TokenAnswer {
            #[serde(default)]
            access_token: String,
            #[serde(default)]
            expires_in: i64,
        }
        let s = &self.inner.settings;
        let req = Req::Get(vec![
            ("corpid", s.corp_id.clone()),
            ("corpsecret", s.secret.clone()),
        ]);
        let answer: TokenAnswer = self
            .busy_retry(endpoint::GETTOKEN, || {
                self.send(endpoint::GETTOKEN, None, &req)
            })
            .await?;
        if answer.access_token.is_empty() {
            return Err(WecomError::Decode {
                endpoint: endpoint::GETTOKEN,
                detail: "errcode 0 but no access_token".to_owned(),
            });
        }
        let expires_in = if answer.expires_in > 0 {
            answer.expires_in
        } else {
            7200
        };
        let lifetime = if expires_in > 2 * TOKEN_REFRESH_MARGIN_SECS {
            expires_in - TOKEN_REFRESH_MARGIN_SECS
        } else {
            expires_in / 2
        };
        info!(
            corp_id = %s.corp_id,
            agent_id = %s.agent_id,
            expires_in,
            "WeCom access token refreshed"
        );
        Ok(CachedToken {
            value: answer.access_token,
            refresh_at: self.inner.clock.unix().saturating_add(lifetime),
        })
    }
}
