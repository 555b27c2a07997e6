//! The single-use login state that carries a [`Pending`] login while the browser is at WeCom:
//! made with caps (per client address, in total) and bound to a fresh browser binding; consumed
//! once by the callback, with the same browser's repeated callback given the first one's result
//! (sealed with the browser's binding, which the store never sees).

use super::pending::Pending;
use super::refusal::{Error, Refusal};
use super::Ctx;
use crate::crypto::sha256_hex;
use crate::store::Consumed;

/// A login state made for a pending login.
#[derive(Debug)]
pub struct Started {
    /// The browser binding the state is bound to (goes into the browser's cookie only).
    pub binding: String,
    /// The state sent through WeCom and back.
    pub login_state: String,
}

/// Stores a single-use login state for `pending`, bound to a fresh browser binding, unless the
/// client's address or the table as a whole holds too many unfinished logins.
pub async fn begin(ctx: &Ctx<'_>, pending: &Pending) -> Result<Started, Error> {
    let limits = &ctx.config.limits;
    let now = ctx.unix();
    // No cap per browser: each binding holds one login state and the cookie keeps only the newest
    // few (older logins can no longer finish), and a client that wants more simply drops or invents
    // the cookie. What bounds a client is its address, and the table as a whole.

    // A cap across every browser behind one IP (sized for an office behind NAT), so cookie-less
    // clients cannot fill the table from one address.
    if let Some(ip) = ctx.ip {
        if ctx.store.live_login_states_from_ip(ip, now).await? >= limits.login_states_per_ip {
            return Err(Refusal::TooManyLoginsFromIp.into());
        }
    }
    // A cap on the whole table, so clients spread over many addresses cannot fill the storage
    // either; every client is refused until rows expire (not this client's fault).
    if ctx.store.live_login_states_total(now).await? >= limits.login_states_total {
        tracing::warn!(
            cap = limits.login_states_total,
            "unfinished logins at limits.login_states_total: refusing new sign-ins until some expire"
        );
        return Err(Refusal::LoginStatesFull.into());
    }
    // A fresh binding for every login start, never the value the client sent.
    let binding = ctx.rng.token();
    let login_state = ctx.rng.hex(24);
    let pending_json =
        serde_json::to_string(pending).map_err(|e| Error::broken("pending encoding", &e))?;
    ctx.store
        .create_login_state(
            &login_state,
            &sha256_hex(binding.as_bytes()),
            &pending_json,
            now,
            now + ctx.config.saml.login_state_ttl_secs,
            ctx.ip,
        )
        .await?;
    Ok(Started {
        binding,
        login_state,
    })
}

/// The browser binding a callback's state was bound to.
#[derive(Debug, Clone)]
pub struct Browser {
    /// The binding (from the browser's cookie).
    pub binding: String,
    /// Its hash, as the store keeps it.
    pub hash: String,
}

/// What the WeCom callback brought back.
#[derive(Debug)]
pub enum Arrival {
    /// The first use of the state: go on with the login.
    Fresh {
        /// The login waiting for this member.
        pending: Pending,
        /// The browser it is bound to.
        browser: Browser,
        /// The WeCom code.
        code: String,
    },
    /// The same browser sent the same callback again: give it the first result.
    Repeat {
        /// The login the first callback answered.
        pending: Pending,
        /// The browser it is bound to.
        browser: Browser,
        /// The first callback's sealed result, when it has one yet.
        result: Option<String>,
    },
}

/// The callback's inputs: the state and code WeCom sent, and the bindings the browser carries.
pub struct Callback<'a> {
    /// `state`.
    pub login_state: &'a str,
    /// `code`.
    pub code: Option<String>,
    /// The browser cookie's bindings, newest first.
    pub carried: &'a [String],
}

/// Consumes the callback's login state: valid, bound to this browser, unused and unexpired.
pub async fn arrive(ctx: &Ctx<'_>, cb: Callback<'_>) -> Result<Arrival, Error> {
    if !crate::wecom::oauth::valid_state(cb.login_state) {
        return Err(Refusal::BadState.into());
    }
    let Some(code) = cb.code.filter(|c| !c.is_empty() && c.len() <= 512) else {
        return Err(Refusal::NoCode.into());
    };
    if cb.carried.is_empty() {
        return Err(Refusal::StateForeign.into());
    }
    let code_hash = sha256_hex(code.as_bytes());
    // The browser carries the bindings of its newest login starts; the state names one of them.
    for b in cb.carried {
        let hash = sha256_hex(b.as_bytes());
        let consumed = ctx
            .store
            .consume_login_state(cb.login_state, &hash, &code_hash, ctx.unix())
            .await?;
        let browser = || Browser {
            binding: b.clone(),
            hash: hash.clone(),
        };
        let refusal = match consumed {
            Consumed::Foreign => continue,
            Consumed::Fresh { pending_json } => {
                let pending = parse(&pending_json)?;
                let browser = browser();
                return Ok(Arrival::Fresh {
                    pending,
                    browser,
                    code,
                });
            }
            Consumed::Repeat {
                pending_json,
                result_session,
            } => {
                let pending = parse(&pending_json)?;
                let browser = browser();
                return Ok(Arrival::Repeat {
                    pending,
                    browser,
                    result: result_session,
                });
            }
            Consumed::Expired => Refusal::StateExpired,
            Consumed::Used => Refusal::StateUsed,
            Consumed::Unknown => Refusal::StateUnknown,
        };
        tracing::debug!(reason = refusal.as_str(), "WeCom callback refused");
        return Err(refusal.into());
    }
    tracing::debug!(reason = "state_foreign", "WeCom callback refused");
    Err(Refusal::StateForeign.into())
}

fn parse(pending_json: &str) -> Result<Pending, Error> {
    serde_json::from_str(pending_json).map_err(|e| Error::broken("stored pending login", &e))
}

/// How the first callback of a login state ended, kept for a repeated one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<T = String> {
    /// A session started: its token.
    Session(T),
    /// The bind page was shown: its token.
    BindPage(T),
}

/// What a kept result holds when the first callback ended on the bind page: this, then the bind
/// page's token (a session token is hex and never starts with it).
const BIND_RESULT: &str = "bind:";

/// Keeps the first callback's outcome for a repeated one, sealed with the browser's binding.
pub async fn keep(
    ctx: &Ctx<'_>,
    browser: &Browser,
    login_state: &str,
    outcome: Outcome<&str>,
) -> Result<(), Error> {
    let plain = match outcome {
        Outcome::Session(token) => token.to_string(),
        Outcome::BindPage(token) => format!("{BIND_RESULT}{token}"),
    };
    let sealed = crate::crypto::seal(
        browser.binding.as_bytes(),
        login_state,
        plain.as_bytes(),
        ctx.rng,
    )
    .map_err(|e| Error::broken("sealing the login result", &e))?;
    ctx.store.set_login_result(login_state, &sealed).await?;
    Ok(())
}

/// The first callback's outcome: waits briefly for it to finish (5 seconds), then opens it.
pub async fn first_outcome(
    ctx: &Ctx<'_>,
    browser: &Browser,
    login_state: &str,
    mut sealed: Option<String>,
) -> Result<Option<Outcome>, Error> {
    for _ in 0..50 {
        if sealed.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        // The first callback records its result when it has one.
        sealed = ctx.store.login_result(login_state).await?;
    }
    let plain = sealed
        .and_then(|s| crate::crypto::open(browser.binding.as_bytes(), login_state, &s))
        .and_then(|t| String::from_utf8(t).ok());
    Ok(plain.map(|t| match t.strip_prefix(BIND_RESULT) {
        Some(bind) => Outcome::BindPage(bind.to_string()),
        None => Outcome::Session(t),
    }))
}
