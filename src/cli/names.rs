//! The WeCom check of the names a command saves: the userid of `admin add` and `user bind`, and the
//! members, tags and departments that the access and role rules of `app set` name. It is the
//! console's check ([`crate::admin::wecom_names`]) with the shell's answers: a name WeCom does not
//! know (or the WeCom app cannot see) saves nothing unless the command is run again with `--force`,
//! as the console's "save anyway"; when WeCom cannot be asked (the WeCom settings in force are
//! incomplete, or WeCom does not answer) the command says why and goes on unchecked, so the first
//! admin can be added before WeCom is set up. A save in spite of the check is audited with what the
//! check found, as the console's.

use super::{CliError, Shell};
use crate::admin::directory::Unreadable;
use crate::admin::settings::SaveMode;
use crate::admin::wecom_names::Wecom;
use crate::admin::wecom_names::{self, Gate, Named, NamesCheck, FORCED_EVENT};
use crate::admin::Actor;
use crate::settings::LiveSettings;
use crate::wecom::errors::WecomError;
use std::sync::Arc;

/// Where a save that went ahead in spite of the check is recorded.
pub(super) struct Saved<'a> {
    /// What was saved: `admin`, `binding`, or the settings key (`access`, `role_rules`).
    pub what: &'a str,
    /// The app whose settings were saved.
    pub app: Option<&'a str>,
    /// The userid that was saved.
    pub userid: Option<&'a str>,
}

impl Shell<'_> {
    /// Asks WeCom about `names`. `Ok(None)`: go on. `Ok(Some(found))`: go on, having warned, and
    /// audit the save with [`Shell::audit`]. `Err`: an unknown name without `force`.
    pub(super) async fn check(
        &self,
        names: &[Named],
        force: bool,
    ) -> Result<Option<NamesCheck>, CliError> {
        if names.is_empty() {
            return Ok(None);
        }
        let wecom = self.wecom().await;
        let found = match &wecom {
            Ok(client) => wecom_names::check(client, names).await,
            Err(u) => NamesCheck::Unchecked(u.clone()),
        };
        match wecom_names::decide(found, mode(force)) {
            Gate::Go => Ok(None),
            Gate::Forced(found) => {
                warn(&found, &wecom);
                Ok(Some(found))
            }
            Gate::Refused(found) => Err(refused(&found)),
        }
    }

    /// Records a save made in spite of the check, with what the check found.
    pub(super) async fn audit(&self, saved: Saved<'_>, found: &NamesCheck) {
        wecom_names::audit_forced(
            self.store,
            self.clock.unix(),
            wecom_names::ForcedSave {
                actor: &Actor::Shell,
                what: saved.what,
                app: saved.app,
                userid: saved.userid,
                found,
                ip: None,
            },
        )
        .await;
    }

    /// The WeCom client of the settings in force (the console's over the configuration's), or why
    /// WeCom cannot be asked.
    pub(super) async fn wecom(&self) -> Wecom {
        let live = LiveSettings::new(
            Arc::new(self.config.clone()),
            self.clock.clone(),
            Default::default(),
        );
        match live.current(self.store).await {
            Ok(e) => Ok(e.client.clone()),
            Err(e) => {
                let detail = format!("the WeCom settings in force do not work: {e}");
                Err(Unreadable::of(WecomError::Setup { detail }))
            }
        }
    }
}

/// The shell's save mode: `--force` saves whatever the check finds; without it an unknown name is
/// refused, while a WeCom that cannot be asked does not hold the shell up (it is the way in before
/// WeCom works).
pub(super) fn mode(force: bool) -> SaveMode {
    if force {
        SaveMode::Anyway
    } else {
        SaveMode::UnlessUnknown
    }
}

/// The refusal: the unknown names and the way to save anyway.
pub(super) fn refused(found: &NamesCheck) -> CliError {
    let names = found.unknown_tokens();
    CliError(format!(
        "not saved: WeCom does not know {} (or the WeCom app cannot see it). Check the spelling, \
         or run the command again with --force to save anyway. / 未保存：企业微信中没有 {}（或企业微信\
         应用看不到）。请检查拼写，或加 --force 重新运行以仍然保存。",
        names.join(", "),
        names.join("、")
    ))
}

/// The warning of a save that goes ahead in spite of the check (`wecom`: where WeCom was asked).
pub(super) fn warn(found: &NamesCheck, wecom: &Wecom) {
    let api_base = wecom
        .as_ref()
        .map(|c| c.settings().api_base.clone())
        .unwrap_or_default();
    match found {
        NamesCheck::Unknown(_) => {
            let names = found.unknown_tokens();
            println!(
                "warning: WeCom does not know {} (or the WeCom app cannot see it); saved anyway \
                 (--force), audited as `{FORCED_EVENT}`. / 警告：企业微信中没有 {}（或企业微信应用看\
                 不到）；已按 --force 仍然保存，并记入审计日志。",
                names.join(", "),
                names.join("、")
            );
        }
        NamesCheck::Unchecked(u) => {
            let (why, why_zh) = match &u.error {
                WecomError::Setup { detail } => (detail.clone(), "企业微信设置不完整或有误".into()),
                e => (
                    format!("{}{} at {api_base}: {e}", u.problem.title.en, u.code_note()),
                    format!("{}{}", u.problem.title.zh, u.code_note()),
                ),
            };
            println!(
                "warning: not checked against WeCom, saved unchecked (audited as \
                 `{FORCED_EVENT}`): {why} / 警告：未能与企业微信核对（{why_zh}），已不经核对保存并记入审计日志。"
            );
        }
        NamesCheck::Known => {}
    }
}
