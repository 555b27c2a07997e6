//! The numbers: OpenSSL's RSA-2048 sign rate on this machine, percentiles, and the printed report.

use crate::client::Run;
use crate::server::Db;
use std::time::Duration;

/// `openssl speed -seconds S -multi 2 rsa2048`: RSA-2048 signatures per second on two processes.
/// (openssl divides by the CPU time each process used, so this is the machine's capacity with the
/// cores to itself.)
pub fn openssl_sign_rate(seconds: u64) -> Result<f64, String> {
    let out = std::process::Command::new("openssl")
        .args([
            "speed",
            "-seconds",
            &seconds.to_string(),
            "-multi",
            "2",
            "rsa2048",
        ])
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run openssl speed: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    // The header names the columns ("sign verify sign/s verify/s"; OpenSSL 3.2+ adds encrypt and
    // decrypt columns); the row is "rsa 2048 bits <values…>".
    let mut col = None;
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if !line.starts_with("rsa") {
            if let Some(i) = fields.iter().position(|f| *f == "sign/s") {
                col = Some(i);
            }
            continue;
        }
        if fields.get(1) == Some(&"2048") && fields.get(2) == Some(&"bits") {
            if let Some(v) = col.and_then(|c| fields.get(c + 3)) {
                return v
                    .parse::<f64>()
                    .map_err(|_| format!("openssl speed printed `{v}` as sign/s"));
            }
        }
    }
    Err(format!("could not read sign/s from openssl speed:\n{text}"))
}

/// CPU model, cores and kernel, for the report.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{model}, {cores} cores, Linux {}", kernel.trim())
}

/// One line of the table.
pub struct Row {
    scenario: &'static str,
    db: &'static str,
    conns: usize,
    per_sec: f64,
    ratio: f64,
    p50_ms: f64,
    p99_ms: f64,
    failures: u64,
    first_failure: Option<String>,
    cpu_us: f64,
    client_cpu_us: f64,
    cpu_ratio: f64,
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

impl Row {
    /// `signatures` per answer; `openssl` the machine's sign rates; `cpu` the server's CPU time
    /// during the run.
    pub fn new(
        scenario: &'static str,
        db: &Db,
        conns: usize,
        run: &Run,
        signatures: u32,
        openssl: f64,
        cpu: Duration,
    ) -> Self {
        let client_cpu = run.client_cpu;
        let mut lat = run.latencies_us.clone();
        lat.sort_unstable();
        let per_sec = lat.len() as f64 / run.elapsed.as_secs_f64().max(0.001);
        Self {
            scenario,
            db: db.label(),
            conns,
            per_sec,
            ratio: per_sec * f64::from(signatures) / openssl,
            p50_ms: percentile(&lat, 0.50),
            p99_ms: percentile(&lat, 0.99),
            failures: run.failures,
            first_failure: run.first_failure.clone(),
            cpu_us: cpu.as_secs_f64() * 1e6 / (lat.len().max(1) as f64),
            client_cpu_us: client_cpu.as_secs_f64() * 1e6 / (lat.len().max(1) as f64),
            // What the signatures alone cost in CPU time (one core signs openssl/2 per second)
            // over what the server spent per answer: the ratio the server would reach with both
            // cores to itself, the load client elsewhere.
            cpu_ratio: (f64::from(signatures) * 2.0 / openssl)
                / (cpu.as_secs_f64() / (lat.len().max(1) as f64)).max(1e-9),
        }
    }
}

/// Prints the throughput table.
pub fn print_table(rows: &[Row]) {
    println!(
        "{:<14} {:<9} {:>5} {:>11} {:>16} {:>9} {:>9} {:>8} {:>12} {:>10} {:>12}",
        "scenario",
        "database",
        "conns",
        "Responses/s",
        "sig/s ÷ openssl",
        "p50 ms",
        "p99 ms",
        "failed",
        "server CPU µs",
        "RSA share",
        "client CPU µs"
    );
    for r in rows {
        println!(
            "{:<14} {:<9} {:>5} {:>11.0} {:>16.2} {:>9.2} {:>9.2} {:>8} {:>12.0} {:>10.2} {:>12.0}",
            r.scenario,
            r.db,
            r.conns,
            r.per_sec,
            r.ratio,
            r.p50_ms,
            r.p99_ms,
            r.failures,
            r.cpu_us,
            r.cpu_ratio,
            r.client_cpu_us
        );
    }
    for r in rows.iter().filter(|r| r.failures > 0) {
        println!(
            "  {} {} c={}: first failure: {}",
            r.scenario,
            r.db,
            r.conns,
            r.first_failure.as_deref().unwrap_or("?")
        );
    }
}

/// Memory and start-up of one server.
pub struct Memory {
    /// `sqlite` or `postgres`.
    pub db: String,
    /// Spawn to the first `/healthz` answer.
    pub startup: Duration,
    /// Resident after start.
    pub idle_rss_kib: u64,
    /// Resident at the end.
    pub after_rss_kib: u64,
    /// Most resident at any time.
    pub peak_rss_kib: u64,
    /// The mixed soak before `after_rss_kib`.
    pub soak_secs: u64,
}

/// Prints start-up and memory.
pub fn print_memory(mem: &[Memory]) {
    println!(
        "{:<9} {:>11} {:>12} {:>22} {:>13}",
        "database", "start-up ms", "idle RSS MB", "RSS MB after soak", "peak RSS MB"
    );
    for m in mem {
        let mb = |k: u64| k as f64 / 1024.0;
        println!(
            "{:<9} {:>11.0} {:>12.1} {:>14.1} ({:>3} s) {:>13.1}",
            m.db,
            m.startup.as_secs_f64() * 1000.0,
            mb(m.idle_rss_kib),
            mb(m.after_rss_kib),
            m.soak_secs,
            mb(m.peak_rss_kib)
        );
    }
}
