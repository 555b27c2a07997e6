//! The console's overview, without HTTP: the set-up checklist computed from real state (the WeCom
//! check recorded last, the admins, the apps, logins seen in the audit log), the health of the
//! signing key and the refusals of the last 24 hours by reason. The checklist's order is the fixed
//! first-run sequence the guide walks; each step knows where in the console it is fixed.

use super::keys::{self, KeyInfo};
use super::AdminError;
use crate::config::Config;
use crate::keys::SharedKeys;
use crate::store::{AuditKind, AuditQuery, AuditResult, Store};

/// The window of "recent refusals".
pub const REFUSALS_WINDOW_SECS: i64 = 24 * 3600;

/// One step of the first-run sequence, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// WeCom connected: the newest check of the source in force succeeded.
    Wecom,
    /// At least one admin (configuration or store).
    Admin,
    /// At least one app registered.
    App,
    /// A console has the IdP metadata: an app has had a successful login.
    Metadata,
    /// The homepage is pasted in WeCom: a login it starts was seen — IdP-initiated (the mount
    /// address), or SP-initiated for an app whose homepage is the console's own login link.
    Homepage,
    /// A member tried it from the WeCom workbench (the same evidence as the homepage: the
    /// workbench opens the homepage, so the two are done together).
    TryIt,
}

impl Step {
    /// The sequence the first-run guide walks.
    pub const SEQUENCE: [Step; 6] = [
        Step::Wecom,
        Step::Admin,
        Step::App,
        Step::Metadata,
        Step::Homepage,
        Step::TryIt,
    ];

    /// Stable machine name (API).
    pub fn code(self) -> &'static str {
        match self {
            Step::Wecom => "wecom",
            Step::Admin => "admin",
            Step::App => "app",
            Step::Metadata => "metadata",
            Step::Homepage => "homepage",
            Step::TryIt => "try_it",
        }
    }

    /// Where in the console this step is done or fixed.
    pub fn href(self) -> &'static str {
        match self {
            Step::Wecom => "/admin/wecom",
            Step::Admin => "/admin/access",
            Step::App => "/admin/apps/new",
            Step::Metadata | Step::Homepage => "/admin/apps",
            Step::TryIt => "/admin/audit?event=login",
        }
    }

    /// Whether the checklist shows this step (the guide shows them all).
    pub fn in_checklist(self) -> bool {
        self != Step::TryIt
    }
}

/// The newest recorded check of the WeCom source in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WecomCheck {
    /// When (Unix seconds).
    pub at: i64,
    /// Whether it connected.
    pub ok: bool,
    /// `connected`, `wecom_<errcode>` or `check_failed_<field>`.
    pub reason: String,
}

/// A successful login seen in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginSeen {
    /// The app.
    pub app: String,
    /// The member.
    pub userid: Option<String>,
    /// When (Unix seconds).
    pub at: i64,
}

/// The signing key's health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHealth {
    /// The active key's ID.
    pub active_id: String,
    /// Its certificate's end (Unix seconds).
    pub not_after: i64,
    /// Whole days until then (negative once expired).
    pub days_left: i64,
    /// Within the warning period (or expired).
    pub expires_soon: bool,
    /// The `next` key waiting for activation, if one was added.
    pub next: Option<NextKey>,
}

/// A `next` key (published, not signing yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextKey {
    /// Its ID.
    pub id: String,
    /// Its certificate's end (Unix seconds).
    pub not_after: i64,
}

/// What the overview shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    /// The newest check of the WeCom source in force; `None`: never checked.
    pub wecom_check: Option<WecomCheck>,
    /// Admins named in the configuration or added in the store.
    pub admins: usize,
    /// Registered apps.
    pub apps: usize,
    /// The newest successful login of any app (a console has the IdP metadata).
    pub any_login: Option<LoginSeen>,
    /// The newest successful login of the kind the app's homepage starts (the homepage is pasted
    /// and works).
    pub homepage_login: Option<LoginSeen>,
    /// The signing key; `None` when no active key could be read.
    pub key: Option<KeyHealth>,
    /// Refused logins in the last 24 hours by reason, most frequent first.
    pub refusals: Vec<(String, i64)>,
}

impl Overview {
    /// Whether `step` is done.
    pub fn done(&self, step: Step) -> bool {
        match step {
            Step::Wecom => self.wecom_check.as_ref().is_some_and(|c| c.ok),
            Step::Admin => self.admins > 0,
            Step::App => self.apps > 0,
            Step::Metadata => self.any_login.is_some(),
            Step::Homepage | Step::TryIt => self.homepage_login.is_some(),
        }
    }

    /// The first step of the sequence not done yet; `None` when set-up is complete.
    pub fn next_step(&self) -> Option<Step> {
        Step::SEQUENCE.into_iter().find(|s| !self.done(*s))
    }

    /// Refusals in the window, all reasons together.
    pub fn refusals_total(&self) -> i64 {
        self.refusals.iter().map(|(_, n)| n).sum()
    }
}

/// Computes the overview at `now`.
pub async fn overview(
    config: &Config,
    store: &Store,
    shared: &SharedKeys,
    now: i64,
) -> Result<Overview, AdminError> {
    let last_check = store
        .audit_search(&AuditQuery {
            event: Some(AuditKind::WecomCheck),
            limit: 1,
            ..AuditQuery::default()
        })
        .await?;
    let wecom_check = last_check.into_iter().next().map(|e| WecomCheck {
        at: e.row.at,
        ok: e.row.result == AuditResult::Success,
        reason: e.row.reason,
    });
    let admins = admins(config, store).await?;
    let seen = |r: crate::store::AuditRow| LoginSeen {
        app: r.app.unwrap_or_default(),
        userid: r.userid,
        at: r.at,
    };
    let sp_login = store.latest_login(true, None).await?.map(seen);
    let idp_login = store.latest_login(false, None).await?.map(seen);
    let any_login = newest(sp_login, idp_login.clone());
    // An app whose homepage is the console's login link starts SP-initiated logins from WeCom.
    let apps = store.apps().await?;
    let mut homepage_login = idp_login;
    for row in &apps {
        let Ok(app) = crate::apps::App::from_row(row.clone()) else {
            continue;
        };
        let mount = config.mount_url(&row.name);
        if crate::providers::homepage(&app.settings, &mount).mode
            == crate::providers::Mode::SpInitiated
        {
            let seen_here = store.latest_login(true, Some(&row.name)).await?.map(seen);
            homepage_login = newest(homepage_login, seen_here);
        }
    }
    Ok(Overview {
        wecom_check,
        admins: admins.len(),
        apps: apps.len(),
        any_login,
        homepage_login,
        key: key_health(&keys::list(store, shared).await?, now),
        refusals: store.refusals_by_reason(now - REFUSALS_WINDOW_SECS).await?,
    })
}

/// Every admin: named in the configuration or added in the store, each once.
async fn admins(config: &Config, store: &Store) -> Result<Vec<String>, AdminError> {
    let mut admins: Vec<String> = config
        .admin
        .userids
        .iter()
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .collect();
    admins.extend(store.admins().await?.into_iter().map(|a| a.userid));
    admins.sort();
    admins.dedup();
    Ok(admins)
}

/// The newer of two logins.
fn newest(a: Option<LoginSeen>, b: Option<LoginSeen>) -> Option<LoginSeen> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if a.at >= b.at { a } else { b }),
        (a, b) => a.or(b),
    }
}

/// The active key's expiry and the `next` key, from the key list.
fn key_health(list: &[KeyInfo], now: i64) -> Option<KeyHealth> {
    let active = list.iter().find(|k| k.state == "active")?;
    Some(KeyHealth {
        active_id: active.id.clone(),
        not_after: active.not_after,
        days_left: (active.not_after - now).div_euclid(86_400),
        expires_soon: active.expires_soon(now),
        next: list.iter().find(|k| k.state == "next").map(|k| NextKey {
            id: k.id.clone(),
            not_after: k.not_after,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> Overview {
        Overview {
            wecom_check: None,
            admins: 0,
            apps: 0,
            any_login: None,
            homepage_login: None,
            key: None,
            refusals: Vec::new(),
        }
    }

    #[test]
    fn the_guide_walks_the_fixed_sequence() {
        let mut o = empty();
        assert_eq!(o.next_step(), Some(Step::Wecom));
        o.admins = 1;
        // A failed check is not "connected", and order is kept: WeCom still comes first.
        o.wecom_check = Some(WecomCheck {
            at: 1,
            ok: false,
            reason: "wecom_40001".into(),
        });
        assert_eq!(o.next_step(), Some(Step::Wecom));
        o.wecom_check = Some(WecomCheck {
            at: 2,
            ok: true,
            reason: "connected".into(),
        });
        assert_eq!(o.next_step(), Some(Step::App));
        o.apps = 1;
        assert_eq!(o.next_step(), Some(Step::Metadata));
        let login = LoginSeen {
            app: "a".into(),
            userid: None,
            at: 3,
        };
        o.any_login = Some(login.clone());
        assert_eq!(o.next_step(), Some(Step::Homepage));
        o.homepage_login = Some(login);
        assert_eq!(o.next_step(), None);
    }

    #[test]
    fn key_days_left_round_down() {
        let k = |state: &str, not_after| KeyInfo {
            id: state.into(),
            state: state.into(),
            subject: String::new(),
            not_before: 0,
            not_after,
            fingerprint: String::new(),
            published: true,
            created_at: None,
            activated_at: None,
            retired_at: None,
        };
        let h = key_health(&[k("active", 10 * 86_400 + 5), k("next", 99)], 0).unwrap();
        assert_eq!(h.days_left, 10);
        assert!(h.expires_soon);
        assert_eq!(h.next.unwrap().id, "next");
        assert!(key_health(&[k("retired", 1)], 0).is_none());
    }
}
