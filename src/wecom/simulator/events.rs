//! The simulator's side of the event callback: it encrypts `change_contact` events exactly as
//! WeCom does ([`crate::wecom::event_crypto`]) and POSTs them to the IdP's event URL with the
//! signed query (`msg_signature`, `timestamp` from the injected clock, a random `nonce`).

use super::Simulator;
use crate::wecom::contact_change::ContactChange;
use crate::wecom::event;
use crate::wecom::event_crypto::{AesKey, CallbackToken, EventCrypto};

/// Where events go.
#[derive(Debug, Clone)]
pub(super) struct EventTarget {
    url: String,
    crypto: EventCrypto,
}

/// One event as sent: the query string and the body (tests replay or tamper with it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentEvent {
    /// `msg_signature=…&timestamp=…&nonce=…`.
    pub query: String,
    /// The XML envelope.
    pub body: String,
    /// The HTTP status the IdP answered.
    pub status: u16,
    /// The IdP's answer.
    pub answer: String,
}

impl Simulator {
    /// Sends `change_contact` events to `url` (the IdP's `{public_url}/wecom/events`) with this
    /// Token and EncodingAESKey, as the admin set them in WeCom's console.
    pub fn set_event_target(&self, url: impl Into<String>, token: CallbackToken, key: AesKey) {
        let crypto = EventCrypto::new(token, key, self.inner.corp_id.clone());
        self.state().event_target = Some(EventTarget {
            url: url.into(),
            crypto,
        });
    }

    /// Encrypts and POSTs one change; `Err` when no target is set or the IdP could not be reached.
    pub async fn send_change(&self, change: &ContactChange) -> Result<SentEvent, String> {
        let target = self
            .state()
            .event_target
            .clone()
            .ok_or("no event target: set_event_target first")?;
        let now = self.inner.clock.now().unix_timestamp();
        let msg =
            event::change_message(&self.inner.corp_id, change, now).map_err(|e| e.to_string())?;
        let encrypt = target
            .crypto
            .encrypt(&msg, self.inner.rng.as_ref())
            .map_err(|e| e.to_string())?;
        let body = event::envelope(&self.inner.corp_id, &self.inner.agent_id, &encrypt)
            .map_err(|e| e.to_string())?;
        let timestamp = now.to_string();
        let nonce = self.inner.rng.hex(8);
        let signature = target.crypto.signature(&timestamp, &nonce, &encrypt);
        let query = format!("msg_signature={signature}&timestamp={timestamp}&nonce={nonce}");
        let resp = reqwest::Client::new()
            .post(format!("{}?{query}", target.url))
            .header("content-type", "text/xml")
            .body(body.clone())
            .timeout(std::time::Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let answer = resp.text().await.map_err(|e| e.to_string())?;
        Ok(SentEvent {
            query,
            body,
            status,
            answer,
        })
    }

    /// "This member leaves": removes the member and sends `delete_user`.
    pub async fn member_leaves(&self, userid: &str) -> Result<SentEvent, String> {
        self.remove_member(userid);
        self.send_change(&ContactChange::UserDeleted {
            userid: userid.to_string(),
        })
        .await
    }
}
