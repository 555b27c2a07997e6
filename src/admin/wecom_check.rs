//! The set-up check of a WeCom source, saved or about to be saved: a fresh `gettoken` with its
//! Secret, the app read back with `agent/get?agentid=…` (a wrong AgentId passes gettoken but locks
//! every member out at the OAuth step), and one data call (`department/list`, which catches an
//! untrusted server IP). The result carries WeCom's errcode, the catalogue's meaning and fix in both
//! languages, and the form field the admin should look at. "Check connection", "check without
//! saving" and Save (which refuses on failure unless the admin confirms) all run this one check; a
//! check of the source in force is recorded in the audit log for the overview.

use super::settings::{current_of, settings_err, validate_wecom, WecomChange};
use super::wecom_bases;
use super::AdminError;
use crate::clock::Clock;
use crate::config::{Config, WecomConfig};
use crate::random::Rng;
use crate::settings;
use crate::store::{AuditKind, AuditResult, Store};
use crate::wecom::client::endpoint;
use crate::wecom::errors::{explain, WecomError};
use std::net::IpAddr;
use std::sync::Arc;

/// What a connection check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    /// `gettoken`, `agent/get` and a data call (`department/list`) worked.
    pub ok: bool,
    /// The WeCom endpoint that failed.
    pub endpoint: Option<String>,
    /// WeCom's errcode, when WeCom answered with one.
    pub errcode: Option<i64>,
    /// The form field the failure points at (`corp_id`, `agent_id`, `secret`, `api_base`), when one.
    pub field: Option<&'static str>,
    /// The app's name as `agent/get` gave it, when the check got that far.
    pub app_name: Option<String>,
    /// What it means, English / Chinese.
    pub meaning_en: String,
    /// 含义.
    pub meaning_zh: String,
    /// What to do, English / Chinese.
    pub fix_en: String,
    /// 处理办法.
    pub fix_zh: String,
    /// WeCom's `hint:[…]` (quote it to WeCom support).
    pub hint: Option<String>,
    /// The address WeCom saw the calls come from, when its answer named one (60020 does): the
    /// egress IP to add as 企业可信IP.
    pub egress_ip: Option<IpAddr>,
}

impl CheckOutcome {
    fn from_error(e: &WecomError, w: &WecomConfig) -> Self {
        let x = e.explain_at(&w.api_base);
        let egress_ip = e.egress_ip();
        let (mut fix_en, mut fix_zh) = (x.fix_en, x.fix_zh);
        if let (Some(ip), Some(60020)) = (egress_ip, e.code()) {
            (fix_en, fix_zh) = untrusted_ip_fix(ip, &w.proxy_url);
        }
        Self {
            ok: false,
            endpoint: e.endpoint().map(str::to_string),
            errcode: e.code(),
            field: field_of(e),
            app_name: None,
            meaning_en: x.title_en,
            meaning_zh: x.title_zh,
            fix_en,
            fix_zh,
            hint: e.hint().map(str::to_string),
            egress_ip,
        }
    }

    /// A one-line summary for logs and audit details (no secret can be in it).
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "ok": self.ok, "endpoint": self.endpoint, "errcode": self.errcode,
            "field": self.field, "meaning": self.meaning_en,
            "egress_ip": self.egress_ip.map(|ip| ip.to_string()),
        })
    }
}

/// What to do when WeCom refused the address it names: trust that address, or send the calls
/// through a proxy with a fixed address. WeCom lets one IP be a trusted IP of only one
/// enterprise, so a shared address (a cloud NAT, a hosting provider's) may be refused there too.
pub fn untrusted_ip_fix(ip: IpAddr, proxy_url: &str) -> (String, String) {
    let via = if proxy_url.trim().is_empty() {
        (
            "this server's egress address".to_string(),
            "本服务器的出口地址".to_string(),
        )
    } else {
        (
            "the egress address of the proxy (proxy_url)".to_string(),
            "代理（proxy_url）的出口地址".to_string(),
        )
    };
    (
        format!(
            "WeCom saw the calls come from {ip} ({}). In the WeCom admin console open the app → \
             企业可信IP (Trusted IP) and add {ip}; or, when this address changes or is shared with \
             another enterprise (an IP can be a trusted IP of one enterprise only), set proxy_url \
             to an HTTP(S) proxy with a fixed egress IP and add that IP instead.",
            via.0
        ),
        format!(
            "企业微信看到的调用来源 IP 为 {ip}（{}）。请在企业微信管理后台打开该应用 →“企业可信IP”，\
             添加 {ip}；如果该地址会变化或已被其他企业使用（一个 IP 只能是一个企业的可信IP），\
             请把 proxy_url 设为具有固定出口 IP 的 HTTP(S) 代理，并添加该代理的出口 IP。",
            via.1
        ),
    )
}

/// The field a failure points at: what the admin typed wrong, as far as WeCom's answer tells.
fn field_of(e: &WecomError) -> Option<&'static str> {
    match e {
        WecomError::Api { code, .. } => match code {
            40013 | 41002 => Some("corp_id"),
            40001 | 40091 | 41004 => Some("secret"),
            40056 | 41011 | 301002 | 50003 => Some("agent_id"),
            _ => None,
        },
        WecomError::Timeout { .. } | WecomError::Transport { .. } | WecomError::Decode { .. } => {
            Some("api_base")
        }
        WecomError::NotMember | WecomError::Setup { .. } => None,
    }
}

/// Runs the check against `w` (already validated): a fresh client, so `gettoken` really runs with
/// the Secret in `w`, never a cached token.
pub(super) async fn check_source(
    config: &Config,
    w: &WecomConfig,
    clock: Arc<dyn Clock>,
) -> Result<CheckOutcome, AdminError> {
    let options = crate::wecom::client::Options {
        pinned: wecom_bases::pin_for_check(config, &w.api_base).await?,
        ..Default::default()
    };
    let client = settings::client_for(w, clock, options).map_err(settings_err)?;
    let outcome = match client.check_app().await {
        Ok(agent) if agent.close == 1 => {
            // WeCom answers the app's members 50003 at sign-in: say so now.
            let x = explain(50003);
            CheckOutcome {
                ok: false,
                endpoint: Some(endpoint::AGENT_GET.to_string()),
                errcode: None,
                field: Some("agent_id"),
                app_name: Some(agent.name),
                meaning_en: x.title_en,
                meaning_zh: x.title_zh,
                fix_en: x.fix_en,
                fix_zh: x.fix_zh,
                hint: None,
                egress_ip: None,
            }
        }
        Ok(agent) => CheckOutcome {
            ok: true,
            endpoint: None,
            errcode: None,
            field: None,
            meaning_en: format!(
                "Connected: gettoken, agent/get (app “{}”) and department/list work",
                agent.name
            ),
            meaning_zh: format!(
                "连接正常：gettoken、agent/get（应用“{}”）和 department/list 均可调用",
                agent.name
            ),
            app_name: Some(agent.name),
            fix_en: String::new(),
            fix_zh: String::new(),
            hint: None,
            egress_ip: None,
        },
        Err(e) => CheckOutcome::from_error(&e, w),
    };
    tracing::info!(
        ok = outcome.ok,
        errcode = outcome.errcode,
        endpoint = outcome.endpoint.as_deref(),
        "WeCom set-up check"
    );
    Ok(outcome)
}

/// Checks a WeCom source with a fresh client: the saved one, or the saved one with `unsaved`
/// applied (an empty secret: the saved secret). A value that is not even well-formed is a field
/// error, not a check result.
pub async fn check_connection(
    store: &Store,
    config: &Config,
    unsaved: Option<&WecomChange>,
    clock: Arc<dyn Clock>,
    rng: &dyn Rng,
) -> Result<CheckOutcome, AdminError> {
    let mut stored = settings::stored(store).await.map_err(settings_err)?;
    let saved = current_of(config, &stored)?.wecom;
    if let Some(change) = unsaved {
        stored.wecom = super::settings::apply_wecom(config, stored.wecom, change, rng)?;
    }
    let w = current_of(config, &stored)?.wecom;
    validate_wecom(&w)?;
    if let Some(change) = unsaved {
        wecom_bases::require_secret_for_new_api_base(&saved.api_base, change)?;
        wecom_bases::require_secret_for_new_proxy(&saved.proxy_url, change)?;
        wecom_bases::check_typed_bases(config, change).await?;
    }
    let now = clock.unix();
    let outcome = check_source(config, &w, clock).await?;
    if unsaved.is_none() {
        record(store, now, &outcome).await;
    }
    Ok(outcome)
}

/// Records a check of the source in force: the overview's "WeCom connected" reads the newest one.
/// A check of values not saved says nothing about the source in force and is not recorded.
pub(super) async fn record(store: &Store, now: i64, outcome: &CheckOutcome) {
    let reason = match (outcome.ok, outcome.errcode) {
        (true, _) => "connected".to_string(),
        (false, Some(code)) => format!("wecom_{code}"),
        (false, None) => outcome.field.map_or_else(
            || "check_failed".to_string(),
            |f| format!("check_failed_{f}"),
        ),
    };
    let row = crate::store::AuditRow {
        at: now,
        event: AuditKind::WecomCheck,
        app: None,
        userid: None,
        result: if outcome.ok {
            AuditResult::Success
        } else {
            AuditResult::Error
        },
        reason,
        client_ip: None,
        request_id: None,
        actor: None,
        detail: Some(super::audit::redact(outcome.summary()).to_string()),
    };
    if let Err(e) = store.audit(&row).await {
        tracing::error!(error = %crate::logsafe::Escaped(&e), "could not record the WeCom check");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_point_at_the_field_to_fix() {
        let api = |code| WecomError::Api {
            code,
            errmsg: String::new(),
            endpoint: "agent/get",
        };
        assert_eq!(field_of(&api(40056)), Some("agent_id"));
        assert_eq!(field_of(&api(301002)), Some("agent_id"));
        assert_eq!(field_of(&api(40001)), Some("secret"));
        assert_eq!(field_of(&api(40013)), Some("corp_id"));
        assert_eq!(field_of(&api(60020)), None);
        let t = WecomError::Timeout {
            endpoint: "gettoken",
        };
        assert_eq!(field_of(&t), Some("api_base"));
        let w = WecomConfig {
            api_base: "http://proxy.example:8080".into(),
            ..WecomConfig::default()
        };
        let o = CheckOutcome::from_error(&t, &w);
        assert!(o.fix_en.contains("proxy.example:8080"), "{o:?}");
        let refused = WecomError::Api {
            code: 60020,
            errmsg: "not allow to access from your ip, hint: [1_a], from ip: 198.51.100.4, more"
                .into(),
            endpoint: "department/list",
        };
        let o = CheckOutcome::from_error(&refused, &w);
        assert_eq!(o.egress_ip, Some(IpAddr::from([198, 51, 100, 4])));
        assert!(
            o.fix_en.contains("198.51.100.4") && o.fix_en.contains("proxy_url"),
            "{o:?}"
        );
        assert!(o.fix_zh.contains("企业可信IP"), "{o:?}");
    }
}
