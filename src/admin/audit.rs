//! The audit log, the admin side: filters read from a query (app, WeCom userid,
//! result, event, a time range, paging by row ID), one page newest first, the CSV export (same
//! filters, formula-safe), and [`redact`], the last guard that keeps secrets out of an admin change's
//! `detail` whatever a caller passes; and [`apply_retention`], which deletes rows past
//! `[audit] retention_days`.
//!
//! What is logged: every login attempt (`login`, `sso_request`, `admin_login`, … with result and
//! reason) and every admin change (`actor` = `wecom:USERID` / `token:NAME` / `shell`, `detail` = JSON
//! before/after). Never a secret, a WeCom code, an access token or an assertion.

use super::AdminError;
use crate::store::{AuditEntry, AuditKind, AuditQuery, AuditResult, Store};
use serde_json::Value;

/// Rows per page when the caller does not say.
pub const DEFAULT_LIMIT: i64 = 100;
/// Most rows in one page.
pub const MAX_LIMIT: i64 = 1000;
/// Most rows in one CSV export (narrow the filters for more).
pub const MAX_EXPORT: usize = 100_000;

/// Filters as they arrive (query string or form); empty strings mean "any".
#[derive(Debug, Clone, Default)]
pub struct FilterInput {
    /// App name.
    pub app: Option<String>,
    /// WeCom userid.
    pub userid: Option<String>,
    /// `success`, `refused`, `error` or `pending`.
    pub result: Option<String>,
    /// Event name (`login`, `app_create`, …).
    pub event: Option<String>,
    /// From: RFC 3339 instant, `YYYY-MM-DD` (that day's start, UTC) or Unix seconds.
    pub since: Option<String>,
    /// To: RFC 3339 instant (exclusive), `YYYY-MM-DD` (through the end of that day, UTC) or Unix
    /// seconds (exclusive).
    pub until: Option<String>,
    /// Rows older than this row ID (the next page).
    pub before_id: Option<i64>,
    /// Rows per page, 1–1000.
    pub limit: Option<i64>,
}

fn given(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The largest Unix seconds a time filter takes (9999-12-31T23:59:59Z); the smallest is 0.
pub const MAX_UNIX: i64 = 253_402_300_799;

/// A time filter: RFC 3339, `YYYY-MM-DD` or Unix seconds (0 to [`MAX_UNIX`]). `end_of_day` turns a
/// date into the start of the next day (so "to 2026-11-20" includes that day).
pub fn parse_time(field: &str, s: &str, end_of_day: bool) -> Result<i64, AdminError> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i128>() {
        return i64::try_from(n)
            .ok()
            .filter(|n| (0..=MAX_UNIX).contains(n))
            .ok_or_else(|| {
                AdminError::invalid(
                    field,
                    format!("`{s}` is not a time: Unix seconds run from 0 to {MAX_UNIX}"),
                )
            });
    }
    if let Ok(t) = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Ok(t.unix_timestamp());
    }
    let date_fmt = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = time::Date::parse(s, &date_fmt) {
        let start = d.midnight().assume_utc().unix_timestamp();
        return Ok(if end_of_day { start + 86_400 } else { start });
    }
    Err(AdminError::invalid(
        field,
        format!(
            "`{s}` is not a time: give a date (2026-11-20, UTC), an RFC 3339 instant \
             (2026-11-20T08:00:00Z) or Unix seconds"
        ),
    ))
}

/// Checks the filters and turns them into a store query.
pub fn query(input: &FilterInput) -> Result<AuditQuery, AdminError> {
    let result = one_of("result", "a result", &input.result, AuditResult::ALL)?;
    let event = one_of("event", "an event", &input.event, AuditKind::ALL)?;
    let since = given(&input.since)
        .map(|s| parse_time("since", &s, false))
        .transpose()?;
    let until = given(&input.until)
        .map(|s| parse_time("until", &s, true))
        .transpose()?;
    if let (Some(a), Some(b)) = (since, until) {
        if a >= b {
            return Err(AdminError::invalid(
                "until",
                "the end of the time range is not after its start",
            ));
        }
    }
    let limit = input.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AdminError::invalid(
            "limit",
            format!("give 1 to {MAX_LIMIT} rows per page"),
        ));
    }
    if input.before_id.is_some_and(|b| b < 1) {
        return Err(AdminError::invalid(
            "before_id",
            "use the `next_before_id` of the previous page",
        ));
    }
    Ok(AuditQuery {
        app: given(&input.app),
        userid: given(&input.userid),
        result,
        event,
        since,
        until,
        before_id: input.before_id,
        limit,
    })
}

/// A filter that must be one of the log's words (`all`); empty means any. Anything else is refused
/// with the words it takes, since it could only ever match nothing.
fn one_of<T: std::str::FromStr + std::fmt::Display>(
    field: &str,
    what: &str,
    value: &Option<String>,
    all: &[T],
) -> Result<Option<T>, AdminError> {
    given(value)
        .map(|v| {
            v.parse().map_err(|_| {
                AdminError::invalid(field, format!("`{v}` is not {what}: use {}", words(all)))
            })
        })
        .transpose()
}

/// The words of `all`, for the message that lists the ones a filter takes.
fn words<T: std::fmt::Display>(all: &[T]) -> String {
    let words: Vec<String> = all.iter().map(T::to_string).collect();
    match words.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// One page of rows, newest first, and the `before_id` of the next page when there may be one.
#[derive(Debug, Clone)]
pub struct AuditPage {
    /// The rows.
    pub entries: Vec<AuditEntry>,
    /// Pass as `before_id` for older rows; None on the last page.
    pub next_before_id: Option<i64>,
}

/// The page of rows matching `q`.
pub async fn page(store: &Store, q: &AuditQuery) -> Result<AuditPage, AdminError> {
    let entries = store.audit_search(q).await?;
    let next_before_id = if entries.len() as i64 >= q.limit {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(AuditPage {
        entries,
        next_before_id,
    })
}

/// The CSV header of the export.
pub const CSV_HEADER: &str =
    "id,time_utc,event,app,userid,result,reason,actor,client_ip,request_id,detail";

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// One row of the export (formula-safe, quoted as needed).
pub fn csv_line(e: &AuditEntry) -> String {
    let r = &e.row;
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    let cells = [
        e.id.to_string(),
        utc(r.at),
        r.event.to_string(),
        o(&r.app),
        o(&r.userid),
        r.result.to_string(),
        r.reason.clone(),
        o(&r.actor),
        r.client_ip.map(|ip| ip.to_string()).unwrap_or_default(),
        o(&r.request_id),
        o(&r.detail),
    ];
    super::csv::line(cells.iter().map(String::as_str))
}

/// Every row matching `q` (its `before_id` and `limit` are ignored) as CSV, newest first, at most
/// [`MAX_EXPORT`] rows.
pub async fn export(store: &Store, q: &AuditQuery) -> Result<String, AdminError> {
    let mut out = String::from(CSV_HEADER);
    out.push_str("\r\n");
    let mut q = AuditQuery {
        before_id: None,
        limit: MAX_LIMIT,
        ..q.clone()
    };
    let mut n = 0;
    loop {
        let rows = store.audit_search(&q).await?;
        for e in &rows {
            out.push_str(&csv_line(e));
            out.push_str("\r\n");
        }
        n += rows.len();
        match rows.last() {
            Some(last) if rows.len() as i64 == q.limit && n < MAX_EXPORT => {
                q.before_id = Some(last.id)
            }
            _ => break,
        }
    }
    Ok(out)
}

/// What replaces a redacted value.
pub const REDACTED: &str = "[redacted]";

/// Whether a detail key names something secret.
fn secret_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    k == "code"
        || [
            "secret",
            "password",
            "passwd",
            "private",
            "pem",
            "access_token",
            "master_key",
            "hash",
            "credential",
            "bind_code",
        ]
        .iter()
        .any(|s| k.contains(s))
}

/// Whether a value looks like a secret whatever its key: an API token or a PEM block.
fn secret_value(v: &str) -> bool {
    (v.starts_with(super::auth::TOKEN_PREFIX) && v.len() > 20) || v.contains("-----BEGIN")
}

/// `detail` with every value under a secret-looking key, and every value that looks like a token or
/// a PEM block, replaced by `[redacted]` (at any depth). The last guard: callers already leave
/// secrets out.
pub fn redact(detail: Value) -> Value {
    match detail {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    // "changed" / "unchanged" are what callers write for a secret: they stay.
                    let marker = matches!(v.as_str(), Some("changed" | "unchanged"));
                    if secret_key(&k) && !v.is_null() && !marker {
                        (k, Value::String(REDACTED.into()))
                    } else {
                        (k, redact(v))
                    }
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(redact).collect()),
        Value::String(s) if secret_value(&s) => Value::String(REDACTED.into()),
        v => v,
    }
}

/// Rows deleted per statement by [`apply_retention`] (short statements: logins keep writing).
pub const RETENTION_BATCH: i64 = 5_000;
/// Statements per run: a backlog (retention shortened, or years of rows) goes over several runs.
pub const RETENTION_BATCHES_PER_RUN: u32 = 20;

/// Deletes the audit rows older than `[audit] retention_days` at `now` (nothing when it is 0) and
/// logs how many went. Run from the once-a-minute purge.
pub async fn apply_retention(store: &Store, audit: &crate::config::AuditConfig, now: i64) {
    let Some(before) = audit.cutoff(now) else {
        return;
    };
    match store
        .purge_audit(before, RETENTION_BATCH, RETENTION_BATCHES_PER_RUN)
        .await
    {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            rows = n,
            retention_days = audit.retention_days,
            "deleted audit rows past their retention"
        ),
        Err(e) => tracing::warn!(error = %e, "deleting audit rows past their retention failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_never_reach_detail() {
        let d = redact(json!({
            "before": {"secret": "s3", "corp_id": "ww1", "agent_id": 1},
            "after": {"wecom": {"Secret": "s4"}, "note": "wip_abcdefghijklmnopqrstuvwxyz"},
            "code": "C0DE", "password_hash": "$argon2id$", "key": "k-1",
            "list": ["-----BEGIN PRIVATE KEY-----x"], "token": "ci"
        }));
        let s = d.to_string();
        for leaked in ["s3", "s4", "wip_abc", "C0DE", "argon2", "BEGIN"] {
            assert!(!s.contains(leaked), "{leaked} in {s}");
        }
        let d = redact(json!({"secret": "changed", "client_secret": "unchanged"})).to_string();
        assert!(d.contains("\"secret\":\"changed\""), "{d}");
        assert!(d.contains("\"client_secret\":\"unchanged\""), "{d}");
        for kept in ["ww1", "k-1", "\"ci\""] {
            assert!(s.contains(kept), "{kept} lost from {s}");
        }
    }

    #[test]
    fn filters() {
        assert_eq!(
            parse_time("since", "2026-11-20", false).unwrap(),
            1_795_132_800
        );
        assert_eq!(
            parse_time("until", "2026-11-20", true).unwrap(),
            1_795_132_800 + 86_400
        );
        assert_eq!(
            parse_time("since", "2026-11-20T08:00:00Z", false).unwrap(),
            1_795_132_800 + 8 * 3600
        );
        assert!(parse_time("since", "yesterday", false).is_err());
        assert_eq!(parse_time("since", "0", false).unwrap(), 0);
        assert!(parse_time("since", "-1", false).is_err());
        assert!(parse_time("until", "253402300800", false).is_err());
        let bad = FilterInput {
            result: Some("ok".into()),
            ..FilterInput::default()
        };
        assert!(matches!(query(&bad), Err(AdminError::Invalid { field, .. }) if field == "result"));
        let bad = FilterInput {
            event: Some("settings_change".into()),
            ..FilterInput::default()
        };
        assert!(matches!(query(&bad), Err(AdminError::Invalid { field, .. }) if field == "event"));
        let typed = FilterInput {
            result: Some("pending".into()),
            event: Some(" wecom_check ".into()),
            ..FilterInput::default()
        };
        let q = query(&typed).unwrap();
        assert_eq!(
            (q.result, q.event),
            (Some(AuditResult::Pending), Some(AuditKind::WecomCheck))
        );
        let empty = FilterInput {
            app: Some(" ".into()),
            ..FilterInput::default()
        };
        assert_eq!(query(&empty).unwrap().app, None);
    }
}
