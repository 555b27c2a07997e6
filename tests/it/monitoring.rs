//! What operators watch: every kind of WeCom failure counted in `/metrics` with its latency, and the
//! packaged Prometheus alert rules using only metrics a live server exposes.

use crate::harness::*;
use std::time::Duration;
use wecom_idp::wecom::simulator::Fault;

async fn metrics(env: &Env) -> String {
    reqwest::get(format!("{}/metrics", env.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The value of the sample line that starts with `series ` (0 when absent).
fn sample(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0, |v| v.trim().parse().unwrap())
}

/// Starts a login in the simulated WeCom client and returns the callback URL WeCom sends back.
async fn callback_url(env: &Env, b: &Browser) -> String {
    env.wecom_client_login(b, "zhangsan").await;
    let start = b.get(&format!("{}/apps/mon/start", env.base)).await;
    assert_eq!(start.status, 302, "{}", start.body);
    let wecom = b.get(&start.location.unwrap()).await;
    assert_eq!(wecom.status, 302, "{}", wecom.body);
    wecom.location.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Rule: a WeCom call that times out, cannot connect, gets a non-2xx status, an unreadable body or an
// errcode is counted in wecom_idp_wecom_errors_total{endpoint,kind,errcode}, and its latency in
// wecom_idp_wecom_call_seconds{endpoint} like every successful call; the member gets an error page.
async fn wecom_failures_are_counted_by_kind() {
    let env = Env::start(Db::Sqlite).await;
    env.add_app("mon", &[]).await;
    let ep = "auth/getuserinfo";
    let cases = [
        (Some(Fault::HttpStatus(502)), "http_status", ""),
        (Some(Fault::BadBody), "bad_body", ""),
        (Some(Fault::Errcode(45009)), "errcode", "45009"),
        (None, "timeout", ""),
    ];
    for (fault, kind, code) in cases {
        let b = env.browser(WXWORK_UA);
        let url = callback_url(&env, &b).await;
        match fault {
            Some(f) => env.sim.fail_next_with(ep, f, 1),
            // Longer than the client's timeout (`wecom.timeout_secs` = 2 in tests).
            None => env.sim.set_delay(Duration::from_millis(2_500)),
        }
        let page = b.get(&url).await;
        env.sim.set_delay(Duration::ZERO);
        assert!(page.status >= 500, "{kind}: {} {}", page.status, page.body);
        assert!(page.form().is_none());
        let m = metrics(&env).await;
        let series = format!(
            "wecom_idp_wecom_errors_total{{endpoint=\"{ep}\",kind=\"{kind}\",errcode=\"{code}\"}}"
        );
        assert_eq!(sample(&m, &series), 1, "{series} in\n{m}");
    }
    let m = metrics(&env).await;
    let calls = sample(
        &m,
        &format!("wecom_idp_wecom_call_seconds_count{{endpoint=\"{ep}\"}}"),
    );
    assert_eq!(calls, 4, "the latency of every failed call is recorded too");

    // Nothing listens at WeCom's address: kind `connect`.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("idp.sqlite").display());
    let down = Env::start_with(Db::Sqlite, url, dir, |c| {
        c.wecom.api_base = format!("http://{addr}");
    })
    .await;
    down.add_app("mon", &[]).await;
    let b = down.browser(WXWORK_UA);
    let url = callback_url(&down, &b).await;
    let page = b.get(&url).await;
    assert!(page.status >= 500, "{} {}", page.status, page.body);
    let m = metrics(&down).await;
    let series =
        "wecom_idp_wecom_errors_total{endpoint=\"gettoken\",kind=\"connect\",errcode=\"\"}";
    assert!(sample(&m, series) >= 1, "{m}");
    assert!(
        sample(
            &m,
            "wecom_idp_wecom_call_seconds_count{endpoint=\"gettoken\"}"
        ) >= 1
    );
}

/// One alert rule as read from the rule file.
#[derive(Debug, Default)]
struct Rule {
    alert: String,
    expr: String,
    severity: Option<String>,
    summary: Option<String>,
}

/// A small reader for the rule file's shape (groups → rules → alert, expr (inline or a `|`
/// block), labels.severity, annotations.summary); anything it does not understand fails the test.
fn read_rules(yaml: &str) -> Vec<Rule> {
    let mut rules: Vec<Rule> = Vec::new();
    let mut block: Option<usize> = None;
    for line in yaml.lines() {
        let indent = line.len() - line.trim_start().len();
        let text = line.trim();
        if let Some(at) = block {
            if indent > at && !text.is_empty() {
                let r = rules.last_mut().unwrap();
                r.expr.push(' ');
                r.expr.push_str(text);
                continue;
            }
            block = None;
        }
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        if let Some(name) = text.strip_prefix("- alert: ") {
            rules.push(Rule {
                alert: name.into(),
                ..Rule::default()
            });
        } else if let Some(expr) = text.strip_prefix("expr:") {
            let expr = expr.trim();
            if expr == "|" {
                block = Some(indent);
            } else {
                rules.last_mut().unwrap().expr = expr.into();
            }
        } else if let Some(v) = text.strip_prefix("severity: ") {
            rules.last_mut().unwrap().severity = Some(v.into());
        } else if let Some(v) = text.strip_prefix("summary: ") {
            rules.last_mut().unwrap().summary = Some(v.into());
        } else {
            let known = [
                "groups:",
                "- name: ",
                "rules:",
                "for: ",
                "labels:",
                "annotations:",
            ];
            assert!(
                known.iter().any(|k| text.starts_with(k)) || text.starts_with("description: "),
                "unexpected line in the rule file: {line}"
            );
        }
    }
    rules
}

/// The metric names an expression uses: identifiers followed by `{`, `[`, a space or the end, that
/// are not PromQL keywords or functions.
fn metric_names(expr: &str) -> Vec<String> {
    let words = [
        "sum",
        "by",
        "rate",
        "increase",
        "and",
        "or",
        "unless",
        "time",
        "ignoring",
        "on",
        "group_left",
        "instance",
        "reason",
        "kind",
        "job",
        "result",
    ];
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(i) = rest.find(|c: char| c.is_ascii_alphabetic() || c == '_') {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(tail.len());
        let word = &tail[..end];
        // A unit after a number (`[5m]`) or a quoted value is not a name.
        let after_value = rest[..i].ends_with(|c: char| c == '"' || c.is_ascii_digit());
        if !after_value && !words.contains(&word) {
            names.push(word.to_string());
        }
        rest = &tail[end..];
        // Skip quoted label values whole.
        if let Some(r) = rest
            .strip_prefix("=~\"")
            .or_else(|| rest.strip_prefix("!=\""))
        {
            rest = r.split_once('"').map_or("", |(_, after)| after);
        } else if let Some(r) = rest.strip_prefix("=\"") {
            rest = r.split_once('"').map_or("", |(_, after)| after);
        }
    }
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// Rule: the packaged alert rules (packaging/prometheus/wecom-idp-alerts.yml) cover WeCom down, the
// database down, the login failure ratio, signing-key expiry and limit refusals; each has a severity
// and a summary; and every metric they use is declared by a live server's /metrics, with samples
// once it has served a login and seen a WeCom failure.
async fn alert_rules_use_only_exposed_metrics() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/packaging/prometheus/wecom-idp-alerts.yml"
    );
    let rules = read_rules(&std::fs::read_to_string(path).unwrap());
    for needed in [
        "WecomIdpWecomDown",
        "WecomIdpDatabaseDown",
        "WecomIdpLoginFailureRatio",
        "WecomIdpSigningKeyExpiresSoon",
        "WecomIdpRateLimited",
    ] {
        assert!(rules.iter().any(|r| r.alert == needed), "{needed} missing");
    }
    let env = Env::start(Db::Sqlite).await;
    let fresh = metrics(&env).await;
    env.add_app("mon", &[]).await;
    let b = env.browser(WXWORK_UA);
    env.login_in_client(&b, "mon", "zhangsan").await;
    env.sim.fail_next("user/get", 60020, 1);
    let b = env.browser(WXWORK_UA);
    let url = callback_url(&env, &b).await;
    assert!(b.get(&url).await.status >= 500);
    let served = metrics(&env).await;
    let mut used = 0;
    for r in &rules {
        assert!(!r.expr.is_empty(), "{} has no expr", r.alert);
        assert!(
            matches!(r.severity.as_deref(), Some("page" | "ticket")),
            "{}: severity {:?}",
            r.alert,
            r.severity
        );
        assert!(r.summary.is_some(), "{} has no summary", r.alert);
        for name in metric_names(&r.expr) {
            if name == "up" {
                continue;
            }
            used += 1;
            let family = ["_count", "_sum", "_bucket"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .unwrap_or(&name);
            assert!(
                fresh.contains(&format!("# TYPE {family} ")),
                "{}: {family} is not declared by /metrics",
                r.alert
            );
            assert!(
                served
                    .lines()
                    .any(|l| l.starts_with(&format!("{name}{{"))
                        || l.starts_with(&format!("{name} "))),
                "{}: no sample of {name} in\n{served}",
                r.alert
            );
        }
    }
    assert!(used >= 8, "the reader found the metrics: {used}");
}
