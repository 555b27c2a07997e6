//! The event callback's domain (接收消息, `{public_url}/wecom/events`), without HTTP: the URL
//! verification WeCom runs when the admin saves the callback, and the encrypted events it POSTs.
//! An event is accepted only when its timestamp is within [`WINDOW_SECS`] of the injected clock,
//! its `msg_signature` is right, it decrypts for our corp ID and its (timestamp, nonce) was not
//! seen before (the store's replay cache, shared by every instance); anything else is refused with
//! nothing changed. A `change_contact` is applied to the stored directory (which re-reads what it
//! names) and the status transitions it saw go to the lifecycle rules; when the directory cannot
//! apply it (WeCom unreachable), the lifecycle acts on the event's own word. Every other message
//! is answered and ignored.
//!
//! WeCom gives up on an answer after 5 seconds and retries: the work runs on its own task and the
//! answer waits for it at most [`WORK_BUDGET`]; what is still running then finishes on its own.

use crate::config::LeaverAccount;
use crate::contacts;
use crate::lifecycle::{self, Outcome};
use crate::logsafe::Escaped;
use crate::secrets::MasterKey;
use crate::store::Store;
use crate::wecom::client::WecomClient;
use crate::wecom::contact_change::ContactChange;
use crate::wecom::event::{self, Event, EventError};
use crate::wecom::event_crypto::{CryptoError, EventCrypto};
use std::time::Duration;

/// How far an event's timestamp may be from our clock, seconds (either way).
pub const WINDOW_SECS: i64 = 300;
/// How long the answer waits for the work before telling WeCom it was received.
pub const WORK_BUDGET: Duration = Duration::from_secs(3);
/// The replay cache's issuer column for callback events.
const REPLAY_ISSUER: &str = "wecom:events";

/// What receiving an event needs.
#[derive(Clone)]
pub struct Ctx {
    /// The store (replay cache, lifecycle).
    pub store: Store,
    /// The scheme with our Token, key and corp ID.
    pub crypto: EventCrypto,
    /// Our corp ID (the envelope's `ToUserName` must name it too).
    pub corp_id: String,
    /// Unix seconds, from the injected clock.
    pub now: i64,
    /// `[lifecycle] leaver_account`.
    pub leaver_account: LeaverAccount,
    /// The WeCom client in force (re-reading a member).
    pub client: WecomClient,
    /// The master key (a leaver's provisioned cloud users are deactivated with the apps' tokens).
    pub master_key: Option<MasterKey>,
    /// Back-channel Single Logout (a leaver's apps told on the SOAP binding).
    pub back_channel: Option<lifecycle::back_channel::BackChannel>,
}

/// The query WeCom signs every request with.
#[derive(Debug, Clone, Default)]
pub struct Signed {
    /// `msg_signature`.
    pub msg_signature: String,
    /// `timestamp` (Unix seconds, as text: it is signed as sent).
    pub timestamp: String,
    /// `nonce`.
    pub nonce: String,
}

/// Why a request was refused (nothing was changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No Token and EncodingAESKey are set: the callback is off.
    NotConfigured,
    /// A query parameter is missing (named).
    Missing(&'static str),
    /// The timestamp is not a number, or outside the window.
    Stale,
    /// This (timestamp, nonce) was seen before.
    Replayed,
    /// The body is larger than WeCom ever sends.
    TooLarge,
    /// The signature, ciphertext or corp ID did not check out.
    Crypto(CryptoError),
    /// The envelope is for another corp.
    WrongCorp,
    /// The envelope or message is not what WeCom sends.
    Message(EventError),
    /// The store failed (the request may be sent again).
    Store(String),
}

impl Refusal {
    /// The audit and log word.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NotConfigured => "callback_not_configured",
            Self::Missing(_) => "missing_parameter",
            Self::Stale => "stale_timestamp",
            Self::Replayed => "replayed",
            Self::TooLarge => "too_large",
            Self::Crypto(e) => e.reason(),
            Self::WrongCorp => "wrong_corp_id",
            Self::Message(e) => e.reason(),
            Self::Store(_) => "store_error",
        }
    }
}

/// What an accepted event was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A `change_contact`, with what the lifecycle rules did (`None`: nothing for them, or still
    /// running when the answer was due).
    Change {
        /// The change.
        change: ContactChange,
        /// The lifecycle's outcome.
        outcome: Option<Outcome>,
    },
    /// Answered and ignored (what it was).
    Ignored(String),
}

fn check_signed(now: i64, s: &Signed) -> Result<(), Refusal> {
    for (name, v) in [
        ("msg_signature", &s.msg_signature),
        ("timestamp", &s.timestamp),
        ("nonce", &s.nonce),
    ] {
        if v.is_empty() {
            return Err(Refusal::Missing(name));
        }
    }
    let ts: i64 = s.timestamp.trim().parse().map_err(|_| Refusal::Stale)?;
    if (now - ts).abs() > WINDOW_SECS {
        return Err(Refusal::Stale);
    }
    Ok(())
}

/// The URL verification (GET): the decrypted `echostr`, to be answered as plain text.
pub fn verify_url(
    crypto: &EventCrypto,
    now: i64,
    s: &Signed,
    echostr: &str,
) -> Result<String, Refusal> {
    check_signed(now, s)?;
    if echostr.is_empty() {
        return Err(Refusal::Missing("echostr"));
    }
    crypto
        .open(&s.msg_signature, &s.timestamp, &s.nonce, echostr)
        .map_err(Refusal::Crypto)
}

/// An encrypted event (POST): checked, decrypted, remembered against replay, then acted on.
pub async fn receive(ctx: &Ctx, s: &Signed, body: &[u8]) -> Result<Received, Refusal> {
    if body.len() > event::MAX_ENVELOPE {
        return Err(Refusal::TooLarge);
    }
    check_signed(ctx.now, s)?;
    let envelope = event::parse_envelope(body).map_err(Refusal::Message)?;
    let xml = ctx
        .crypto
        .open(&s.msg_signature, &s.timestamp, &s.nonce, &envelope.encrypt)
        .map_err(Refusal::Crypto)?;
    if envelope.to != ctx.corp_id {
        return Err(Refusal::WrongCorp);
    }
    let message = event::parse_message(&xml).map_err(Refusal::Message)?;
    // Only a request that passed every check gets into the cache (a forger cannot fill it).
    let key = format!("{}:{}", s.timestamp.trim(), s.nonce);
    let fresh = ctx
        .store
        .remember_request(REPLAY_ISSUER, &key, ctx.now + 2 * WINDOW_SECS)
        .await
        .map_err(|e| Refusal::Store(e.to_string()))?;
    if !fresh {
        return Err(Refusal::Replayed);
    }
    match message {
        Event::ChangeContact(change) => {
            let outcome = match act(ctx, change.clone()).await {
                Ok(outcome) => outcome,
                Err(e) => {
                    // WeCom sends the event again when it gets no `success`: that retry must
                    // not be refused as a replay, or the leaver it names waits for the next sync.
                    if let Err(f) = ctx.store.forget_request(REPLAY_ISSUER, &key).await {
                        tracing::warn!(error = %Escaped(&f),
                            "could not forget the failed event; the reconciliation will repair it");
                    }
                    return Err(e);
                }
            };
            Ok(Received::Change { change, outcome })
        }
        Event::OtherChange(kind) => Ok(Received::Ignored(format!("change_contact/{kind}"))),
        Event::Other { msg_type, event } => Ok(Received::Ignored(match event {
            Some(e) => format!("{msg_type}/{e}"),
            None => msg_type,
        })),
    }
}

/// The change in the stored directory, then the lifecycle rules: the event's own word for the
/// member whose deletion or status it states, the directory's transitions for every other member
/// it saw change, and a re-read for a created member the directory could not settle.
async fn apply(
    c: &Ctx,
    lc: &lifecycle::Ctx<'_>,
    change: &ContactChange,
) -> Result<Option<Outcome>, lifecycle::LifecycleError> {
    let dc = contacts::Ctx {
        store: &c.store,
        client: &c.client,
    };
    let transitions = match contacts::apply_change(&dc, change, c.now).await {
        Ok(outcome) => outcome.transitions,
        Err(e) => {
            tracing::warn!(change = change.change_type(), error = %Escaped(&e.to_string()),
                "the stored directory could not apply the event; the reconciliation will");
            Vec::new()
        }
    };
    // A delete or a status the event states is WeCom's own word on that member and acts as
    // such (cutting off is what a signed event may always ask); the directory's transitions act
    // for every other member it touched, and for a created member when they name it.
    let stated = match change {
        ContactChange::UserDeleted { userid } => Some(userid),
        ContactChange::UserUpdated {
            userid,
            new_userid,
            status: Some(_),
        } => Some(new_userid.as_ref().unwrap_or(userid)),
        _ => None,
    };
    // A renamed userid is the same member under a new name, not a leave and a join: what was
    // kept moves to the new userid and the old one's vanishing is not a leave.
    let renamed = match change {
        ContactChange::UserUpdated {
            userid,
            new_userid: Some(new),
            ..
        } if new != userid => Some((userid, new)),
        _ => None,
    };
    let created = match change {
        ContactChange::UserCreated { userid } => Some(userid),
        _ => None,
    };
    let trigger = lifecycle::Trigger::Event(change.change_type());
    let mut last = None;
    if let Some((old, new)) = renamed {
        last = Some(lifecycle::member_renamed(lc, old, new, trigger).await?);
    }
    let others: Vec<_> = transitions
        .iter()
        .filter(|t| stated != Some(&t.userid))
        .filter(|t| renamed.is_none_or(|(old, _)| &t.userid != old))
        .cloned()
        .collect();
    if let Some((_, o)) = lifecycle::on_transitions(lc, &others, trigger).await?.pop() {
        if last.is_none() || o != Outcome::Unchanged {
            last = Some(o);
        }
    }
    let reread = created.is_some_and(|u| !transitions.iter().any(|t| &t.userid == u));
    if stated.is_some() || reread {
        if let Some(o) = lifecycle::on_contact_change(lc, change).await? {
            last = Some(o);
        }
    }
    Ok(last)
}

/// Runs the change on its own task and waits for it at most [`WORK_BUDGET`].
async fn act(ctx: &Ctx, change: ContactChange) -> Result<Option<Outcome>, Refusal> {
    let c = ctx.clone();
    let work = tokio::spawn(async move {
        let lc = lifecycle::Ctx {
            store: &c.store,
            corp_id: &c.corp_id,
            now: c.now,
            leaver_account: c.leaver_account,
            client: Some(&c.client),
            master_key: c.master_key.as_ref(),
            back_channel: c.back_channel.as_ref(),
            actor: None,
        };
        apply(&c, &lc, &change).await
    });
    match tokio::time::timeout(WORK_BUDGET, work).await {
        Ok(Ok(Ok(outcome))) => Ok(outcome),
        Ok(Ok(Err(e))) => Err(Refusal::Store(e.to_string())),
        Ok(Err(join)) => Err(Refusal::Store(join.to_string())),
        Err(_) => {
            tracing::warn!(
                budget_secs = WORK_BUDGET.as_secs(),
                "the event's work is still running; answering WeCom now, it finishes on its own"
            );
            Ok(None)
        }
    }
}
