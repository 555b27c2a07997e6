//! `wecom-idp settings show|reset`: the shell's view of the WeCom source and binding settings, and
//! the way back when a Save in the console locked everyone out (a wrong Secret or AgentId saved
//! anyway, and no console session left to undo it). `show` prints each value in force with where it
//! comes from, never a secret; `reset` deletes the console-saved values of the chosen sections so the
//! configuration file's are in force again, on every instance from its next request, and audits it
//! with the actor `shell`. Nothing here asks a question: it runs the same in a script.

use super::CliError;
use crate::admin::settings::{self as domain, Change};
use crate::admin::{Actor, AdminError};
use crate::clock::Clock;
use crate::config::{BindingConfig, Config, WecomConfig};
use crate::random::Rng;
use crate::settings::{self, Source, BINDING, WECOM};
use crate::store::Store;
use clap::Subcommand;
use std::sync::Arc;

/// `settings` subcommands.
#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Print the WeCom source and binding settings in force, each with its source (console or
    /// configuration); secrets only as "set".
    Show,
    /// Delete the values saved in the admin console so the configuration file's are in force
    /// again (say which: --wecom, --binding, or both).
    Reset {
        /// The WeCom source (corp ID, AgentId, Secret, addresses).
        #[arg(long)]
        wecom: bool,
        /// The account binding settings.
        #[arg(long)]
        binding: bool,
    },
}

fn source(s: Source) -> &'static str {
    match s {
        Source::Console => "console",
        Source::Config => "config",
    }
}

/// Runs a `settings` subcommand.
pub async fn run(
    config: &Config,
    store: &Store,
    cmd: &SettingsCommand,
    clock: Arc<dyn Clock>,
    rng: &dyn Rng,
) -> Result<(), CliError> {
    match cmd {
        SettingsCommand::Show => show(config, store).await,
        SettingsCommand::Reset { wecom, binding } => {
            let which: Vec<&str> = [(*wecom, WECOM), (*binding, BINDING)]
                .into_iter()
                .filter_map(|(on, name)| on.then_some(name))
                .collect();
            if which.is_empty() {
                return Err(CliError(
                    "say what to reset: --wecom (the WeCom source), --binding (the binding \
                     settings), or both / 请指定要恢复的部分：--wecom（企业微信来源）、--binding（绑定设置），或两者"
                        .into(),
                ));
            }
            let c = Change {
                store,
                config,
                now: clock.unix(),
                rng,
                actor: &Actor::Shell,
                ip: None,
                clock: clock.clone(),
            };
            for w in which {
                reset_one(&c, w).await?;
            }
            Ok(())
        }
    }
}

async fn reset_one(c: &Change<'_>, which: &str) -> Result<(), CliError> {
    let what = if which == WECOM {
        ("the WeCom source", "企业微信来源")
    } else {
        ("the binding settings", "绑定设置")
    };
    let changed = domain::reset(c, which).await.map_err(|e| match e {
        AdminError::Invalid { message, .. } => CliError(format!(
            "{} not reset: {message} / {}未恢复",
            what.0, what.1
        )),
        e => CliError(e.to_string()),
    })?;
    if changed {
        println!(
            "{}: the values saved in the admin console are deleted; the configuration's values are \
             in force on every instance from its next request (audited as `shell`).",
            what.0
        );
        println!("{}：已删除管理台保存的值；各实例从下一个请求起使用配置文件中的值（审计记录操作者为 shell）。", what.1);
        if which == WECOM {
            println!(
                "Check them against WeCom with `wecom-idp serve --check`. / 可用 `wecom-idp serve --check` 检查与企业微信的连接。"
            );
        }
    } else {
        println!(
            "{}: nothing was saved in the admin console; nothing to reset. / {}：管理台未保存任何值，无需恢复。",
            what.0, what.1
        );
    }
    Ok(())
}

async fn show(config: &Config, store: &Store) -> Result<(), CliError> {
    let err = |e: settings::SettingsError| CliError(e.to_string());
    let stored = settings::stored(store).await.map_err(err)?;
    // The Secret is never opened here: `show` works without the master key and prints no secret.
    let sealed = stored.wecom.secret_sealed.is_some();
    let mut plain = stored.clone();
    plain.wecom.secret_sealed = None;
    plain.wecom.secret_key_id = None;
    let (mut w, b, sources) = settings::overlay(config, &plain, None).map_err(err)?;
    let src = |f: &str| source(sources.get(f).copied().unwrap_or(Source::Config));
    let rows = store
        .settings()
        .await
        .map_err(|e| CliError(e.to_string()))?;
    println!("Sources: console = saved in the admin console or API (wins); config = the configuration file, WECOM_IDP_* environment or default.");
    println!("来源：console = 管理台或 API 保存的值（优先）；config = 配置文件、WECOM_IDP_* 环境变量或默认值。");
    println!();
    println!("[wecom]{}", saved_by(&rows, WECOM));
    print_wecom(&w, sealed, &src);
    println!();
    println!("[binding]{}", saved_by(&rows, BINDING));
    print_binding(&b, &src);
    if sealed {
        // Only its presence matters to the completeness check below.
        w.secret = "sealed".into();
    }
    if let Err(e) = settings::check(&w, &b) {
        println!();
        println!("problem / 问题: {e}");
    }
    Ok(())
}

/// ` (console values saved by … at …)` when the console saved the `name` row.
fn saved_by(rows: &[crate::store::SettingRow], name: &str) -> String {
    rows.iter()
        .find(|r| r.name == name && r.value_json.trim() != "null")
        .map(|r| {
            format!(
                " (console values saved by {} at {})",
                r.updated_by,
                crate::http::admin::api::rfc3339(r.updated_at)
            )
        })
        .unwrap_or_default()
}

/// The WeCom source's values with their sources; the secret only as set or not.
fn print_wecom(w: &WecomConfig, sealed: bool, src: &dyn Fn(&str) -> &'static str) {
    let secret = if sealed {
        ("set", "console")
    } else if w.secret.trim().is_empty() {
        ("not set", "config")
    } else {
        ("set", "config")
    };
    for (field, value, from) in [
        ("corp_id", w.corp_id.as_str(), src("corp_id")),
        ("agent_id", w.agent_id.as_str(), src("agent_id")),
        ("secret", secret.0, secret.1),
        ("api_base", w.api_base.as_str(), src("api_base")),
        ("oauth_base", w.oauth_base.as_str(), src("oauth_base")),
        (
            "web_login_base",
            w.web_login_base.as_str(),
            src("web_login_base"),
        ),
        (
            "callback_token",
            w.callback_token.as_str(),
            src("callback_token"),
        ),
        (
            "callback_aes_key",
            if w.callback_aes_key.trim().is_empty() {
                "not set"
            } else {
                "set"
            },
            src("callback_aes_key"),
        ),
    ] {
        println!("{field:<18}{value:<40}{from}");
    }
}

/// The binding settings' values with their sources.
fn print_binding(b: &BindingConfig, src: &dyn Fn(&str) -> &'static str) {
    let match_keys = b.match_keys.join(", ");
    let auto_bind = b.auto_bind.to_string();
    for (field, value) in [
        ("auto_bind", auto_bind.as_str()),
        ("match", match_keys.as_str()),
        ("when_unmatched", b.when_unmatched.as_str()),
        ("employee_no_from", b.employee_no_from.as_str()),
        ("contact", b.contact.as_str()),
        ("default_access", b.default_access.as_str()),
    ] {
        println!("{field:<18}{value:<40}{}", src(field));
    }
}
