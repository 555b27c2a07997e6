//! Request-derived values are escaped in logs: a value with a line break cannot forge a log line.
//! Each test names the rule it checks.

use crate::both_dbs;
use crate::harness::*;
use crate::wecom_login::logs;

both_dbs!(request_values_cannot_forge_log_lines, forged_lines);
// Rule: every request-derived value is escaped in logs — an unknown Issuer and a refused RelayState
// carrying a newline and a fake log line appear as one escaped value, and no captured line starts
// with the forged text.
async fn forged_lines(env: Env) {
    let buf = logs::capture();
    let start = logs::mark(&buf);
    env.add_app("open", &["relay_state_allow=https://console.example/"])
        .await;
    let marker = format!("FORGED{}", env.sim_base.rsplit(':').next().unwrap());
    let fake = format!("{marker} INFO wecom_idp: WeCom login succeeded userid=\"boss\"");
    // An AuthnRequest from an unknown Issuer whose value ends with a whole fake line.
    let mut req = Req::new(&env, "open");
    req.issuer = format!("https://unknown.example/sp\n{fake}");
    let b = env.browser(CHROME_UA);
    let page = b.get(&redirect_url(&env, &req.xml(), None)).await;
    assert_eq!(
        page.reason().as_deref(),
        Some("unknown_issuer"),
        "{}",
        page.body
    );
    // A refused RelayState on the mount address, the same trick with a CR LF.
    let rs = format!("https://evil.example/\r\n{fake}");
    let page = b
        .get(&format!(
            "{}/apps/open/start?RelayState={}",
            env.base,
            enc(&rs)
        ))
        .await;
    assert_eq!(page.reason().as_deref(), Some("relay_state_not_allowed"));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let logs = logs::text_since(&buf, start);
    let forged: Vec<&str> = logs.lines().filter(|l| l.starts_with(&marker)).collect();
    assert!(forged.is_empty(), "forged log lines: {forged:?}");
    assert!(
        logs.contains(&format!("https://unknown.example/sp\\n{marker}")),
        "the Issuer is logged, escaped"
    );
    assert!(
        logs.contains(&format!("https://evil.example/\\r\\n{marker}")),
        "the RelayState is logged, escaped"
    );
}
