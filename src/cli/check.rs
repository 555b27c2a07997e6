//! `wecom-idp serve --check`: the set-up checked the way `serve` would use it — configuration,
//! master key, database and schema, signing key, WeCom connection — one line per check with ✓ or ✗
//! and what to fix, changing nothing (no migration, no key generated) and never serving. And
//! `wecom-idp health`: a running server's `/healthz`, for container health checks without curl.

use super::CliError;
use crate::clock::SystemClock;
use crate::config::Config;
use crate::store::{SchemaState, Store};
use clap::Args;
use std::sync::Arc;

/// `health` options.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The address to ask; default `http://<listen>/healthz` of the configuration (a wildcard
    /// listen address is asked on loopback).
    #[arg(long)]
    pub url: Option<String>,
}

/// One check's outcome: what was found, or what is wrong and how to fix it.
type Outcome = Result<String, String>;

/// Prints the check lines as they finish and counts the failures.
#[derive(Default)]
struct Report {
    failed: usize,
    total: usize,
}

impl Report {
    fn line(&mut self, name: &str, outcome: Outcome) -> bool {
        self.total += 1;
        match outcome {
            Ok(found) => {
                println!("✓ {name}: {found}");
                true
            }
            Err(fix) => {
                self.failed += 1;
                println!("✗ {name}: {fix}");
                false
            }
        }
    }

    fn skipped(&mut self, name: &str, why: &str) {
        println!("- {name}: not checked ({why})");
    }

    fn note(&self, text: &str) {
        println!("  note: {text}");
    }
}

/// `serve --check`: runs every check it can; an error (exit status 2) when any failed.
pub async fn serve_check(config: Result<Config, CliError>) -> Result<(), CliError> {
    let mut r = Report::default();
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            r.line("configuration", Err(e.0));
            return finish(r);
        }
    };
    let config_ok = r.line("configuration", configuration_line(&config));
    if let Some(w) = config.audit.warning() {
        r.note(&w);
    }
    let key_ok = r.line(
        "master key",
        config
            .master_key()
            .map(|k| format!("ID {}", k.id()))
            .map_err(|e| e.to_string()),
    );
    if !config_ok {
        for name in ["database", "signing key", "WeCom"] {
            r.skipped(name, "fix the configuration first");
        }
        return finish(r);
    }
    match Store::connect(&config.database_url).await {
        Ok(store) => check_with_store(&mut r, &config, &store, key_ok).await,
        Err(e) => {
            r.line("database", Err(crate::StartError::Store(e).to_string()));
            r.skipped("signing key", "needs the database");
            r.skipped(
                "WeCom",
                "needs the database (the console may have changed the settings)",
            );
        }
    }
    finish(r)
}

/// The configuration's own checks, and what it says when they pass.
fn configuration_line(config: &Config) -> Outcome {
    config
        .validate_common()
        .and_then(|()| config.wecom.validate_values())
        .and_then(|()| config.binding.default_access().map(|_| ()))
        .map(|()| {
            format!(
                "public_url {}, listen {}, logs as {}",
                config.base(),
                config.listen,
                config.log_format.as_str()
            )
        })
        .map_err(|e| e.to_string())
}

/// The checks that need the database: its schema, the signing key, and WeCom (whose settings the
/// console may have changed).
async fn check_with_store(r: &mut Report, config: &Config, store: &Store, key_ok: bool) {
    let schema = store.schema_state().await;
    // A new database (nothing applied yet) holds no key and no console settings: the checks go on
    // with what `serve` would start from. A half-migrated one is checked after `migrate`.
    let schema_ready = matches!(&schema, Ok(s) if s.pending.is_empty() && s.unknown.is_empty());
    let fresh = matches!(&schema, Ok(s) if s.pending.len() == s.known && s.unknown.is_empty());
    r.line("database", database_line(store, schema));
    if !key_ok {
        r.skipped("signing key", "needs the master key");
    } else if fresh && !crate::keys::from_files(config) {
        r.line(
            "signing key",
            Ok("none stored yet (new database): `serve` generates one at its first start".into()),
        );
    } else if schema_ready || crate::keys::from_files(config) {
        r.line("signing key", signing_key_line(config, store).await);
    } else {
        r.skipped("signing key", "run `wecom-idp migrate` first");
    }
    if schema_ready || fresh {
        r.line("WeCom", wecom_line(config, store, schema_ready).await);
    } else {
        r.skipped(
            "WeCom",
            "run `wecom-idp migrate` first (the console's settings live there)",
        );
    }
}

fn finish(r: Report) -> Result<(), CliError> {
    if r.failed == 0 {
        println!("all {} checks passed", r.total);
        Ok(())
    } else {
        Err(CliError(format!(
            "{} of {} checks failed: fix what is marked ✗ and run `wecom-idp serve --check` again",
            r.failed, r.total
        )))
    }
}

fn database_line(store: &Store, schema: Result<SchemaState, crate::store::StoreError>) -> Outcome {
    let backend = format!("{:?}", store.backend()).to_lowercase();
    let s = schema.map_err(|e| {
        format!("connected to {backend}, but cannot read the schema's migration state: {e}")
    })?;
    if !s.unknown.is_empty() {
        return Err(format!(
            "{backend}: the database holds migration(s) {:?} this wecom-idp does not know: it was \
             migrated by a newer version; run that version (or restore a matching backup)",
            s.unknown
        ));
    }
    if s.pending.is_empty() {
        Ok(format!(
            "{backend} reachable, schema up to date ({} migrations)",
            s.known
        ))
    } else {
        Ok(format!(
            "{backend} reachable, {} of {} migrations to apply: `serve` applies them at start (or run \
             `wecom-idp migrate`)",
            s.pending.len(),
            s.known
        ))
    }
}

async fn signing_key_line(config: &Config, store: &Store) -> Outcome {
    match crate::keys::check(config, store).await {
        Ok(Some(ring)) => Ok(format!(
            "active key `{}` opens ({} certificate(s) published)",
            ring.active_id,
            ring.published.len()
        )),
        Ok(None) => Ok("none stored yet: `serve` generates one at its first start".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// The WeCom source `serve` would use (the configuration overlaid by the console's values): a fresh
/// token, the app read back with `agent/get` (a wrong AgentId only shows there), then one data call
/// (a wrong trusted IP only shows there).
async fn wecom_line(config: &Config, store: &Store, schema_ready: bool) -> Outcome {
    let settings_err = |e: crate::settings::SettingsError| e.to_string();
    let stored = if schema_ready {
        crate::settings::stored(store).await.map_err(settings_err)?
    } else {
        crate::settings::Stored::default()
    };
    let (w, b, _) = crate::settings::overlay(config, &stored, config.master_key.as_ref())
        .map_err(settings_err)?;
    crate::settings::check(&w, &b).map_err(settings_err)?;
    let client = crate::settings::client_for(&w, Arc::new(SystemClock), Default::default())
        .map_err(settings_err)?;
    match client.check_app().await {
        Ok(agent) if agent.close == 1 => Err(format!(
            "agent/get at {}: the app {} (“{}”) is disabled in the WeCom admin console: re-enable it",
            w.api_base, w.agent_id, agent.name
        )),
        Ok(agent) => Ok(format!(
            "corp {} app {} (“{}”): gettoken, agent/get and department/list answer at {}{}",
            w.corp_id,
            w.agent_id,
            agent.name,
            w.api_base,
            via_proxy(&w.proxy_url)
        )),
        Err(e) => {
            let x = e.explain_at(&w.api_base);
            // 60020 names the address WeCom saw: the one to trust (or to replace by a proxy's).
            let fix = match (e.code(), e.egress_ip()) {
                (Some(60020), Some(ip)) => {
                    crate::admin::wecom_check::untrusted_ip_fix(ip, &w.proxy_url).0
                }
                _ => x.fix_en,
            };
            let code = e
                .code()
                .map(|c| format!("errcode {c}, "))
                .unwrap_or_default();
            // WeCom's own message carries its hint; a transport error says what failed.
            let detail = match &e {
                crate::wecom::errors::WecomError::Api { errmsg, .. } => errmsg.clone(),
                other => other.to_string(),
            };
            Err(format!(
                "{code}{} at {}{}: {} ({detail}). {fix}",
                e.endpoint().unwrap_or("client"),
                w.api_base,
                via_proxy(&w.proxy_url),
                x.title_en,
            ))
        }
    }
}

/// ` through proxy URL` (password masked) when the calls go through one.
fn via_proxy(proxy_url: &str) -> String {
    if proxy_url.trim().is_empty() {
        String::new()
    } else {
        format!(" through proxy {}", crate::config::mask_proxy(proxy_url))
    }
}

/// `health`: GETs `/healthz` and exits non-zero unless it answers 2xx within five seconds.
pub async fn health(args: &HealthArgs, config: Result<Config, CliError>) -> Result<(), CliError> {
    let url = match &args.url {
        Some(u) => u.clone(),
        None => {
            let addr = config?.listen_addr()?;
            let host = match addr.ip() {
                std::net::IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_string(),
                std::net::IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".to_string(),
                std::net::IpAddr::V4(ip) => ip.to_string(),
                std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            };
            format!("http://{host}:{}/healthz", addr.port())
        }
    };
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| CliError(format!("health: cannot build an HTTP client: {e}")))?;
    let resp = client
        .get(&url)
        .send()
        .await
        .map_err(|e| CliError(format!("health: {url}: {e}")))?;
    let status = resp.status();
    if status.is_success() {
        println!("healthy: {url} answered {status}");
        Ok(())
    } else {
        Err(CliError(format!("health: {url} answered {status}")))
    }
}
