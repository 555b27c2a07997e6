//! The load tool: the release binary under load, measured beside `openssl speed` in the same run.
//!
//! `bash scripts/load.sh [-- OPTIONS]` builds `target/release/wecom-idp` and runs this. For each
//! database (SQLite always; PostgreSQL with `--postgres URL` or `WECOM_IDP_LOAD_POSTGRES_URL`) it
//! starts `wecom-idp serve` as a child process against a WeCom simulator running in this process,
//! registers an SP that signs its requests, and measures:
//! - **idp-initiated**: `GET /apps/{app}/start` with a live session (one twice-signed Response each);
//! - **sp-initiated**: `GET /saml/sso` with a fresh RSA-SHA256-signed Redirect-binding AuthnRequest
//!   each (made before the clock starts, so our own signing does not compete with the server);
//! - **first-login**: a new browser each time: the mount address, WeCom's in-client OAuth (the
//!   simulator), our callback, a new session and the Response;
//!
//! at each connection count, with p50/p99, then start-up time, idle RSS and RSS after a mixed soak.
//! The ratio printed is server signatures/s ÷ `openssl speed -multi 2 rsa2048` sign/s: the share of
//! the machine's RSA capacity that reaches members as signed Responses. Beside it, the server's own
//! CPU time per Response (from `/proc`) and the "RSA share": what the two signatures cost on one
//! core over that CPU time — the ratio the server would reach with the machine to itself, readable
//! even when the load client or other work shares the cores.
//!
//! Rate limits are turned off in the server it starts: this measures the sign-in path, not the abuse
//! limits (which a single load client would trip by design).

mod client;
mod raw;
mod server;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// What to run.
#[derive(Debug, Clone)]
pub struct Opts {
    /// The server binary.
    pub binary: PathBuf,
    /// Seconds per measurement.
    pub seconds: u64,
    /// Concurrent connections to measure at.
    pub conns: Vec<usize>,
    /// A PostgreSQL URL for the second run.
    pub postgres: Option<String>,
    /// Seconds of mixed load before the "after soak" RSS reading (0: none).
    pub soak: u64,
    /// Seconds for `openssl speed`.
    pub openssl_seconds: u64,
}

fn parse_args() -> Result<Opts, String> {
    let mut o = Opts {
        binary: PathBuf::from("target/release/wecom-idp"),
        seconds: 15,
        conns: vec![2, 16],
        postgres: std::env::var(server::POSTGRES_ENV)
            .ok()
            .filter(|s| !s.is_empty()),
        soak: 60,
        openssl_seconds: 5,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        let num = |v: String, name: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{name}: `{v}` is not a number"))
        };
        match a.as_str() {
            "--binary" => o.binary = PathBuf::from(value("--binary")?),
            "--seconds" => o.seconds = num(value("--seconds")?, "--seconds")?,
            "--soak" => o.soak = num(value("--soak")?, "--soak")?,
            "--openssl-seconds" => {
                o.openssl_seconds = num(value("--openssl-seconds")?, "--openssl-seconds")?
            }
            "--postgres" => o.postgres = Some(value("--postgres")?),
            "--conns" => {
                o.conns = value("--conns")?
                    .split(',')
                    .map(|c| {
                        c.trim()
                            .parse::<usize>()
                            .map_err(|_| format!("--conns: `{c}` is not a number"))
                    })
                    .collect::<Result<_, _>>()?
            }
            // `cargo bench` passes `--bench`; ignore it.
            "--bench" => {}
            "-h" | "--help" => {
                return Err(
                    "usage: load [--binary PATH] [--seconds N] [--conns 2,16] [--soak SECONDS] \
                     [--postgres URL] [--openssl-seconds N]"
                        .into(),
                )
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    if o.seconds == 0 || o.conns.is_empty() || o.conns.contains(&0) {
        return Err("--seconds and every --conns value must be above zero".into());
    }
    Ok(o)
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("load: {e}");
            return ExitCode::from(2);
        }
    };
    if !opts.binary.exists() {
        eprintln!(
            "load: {} does not exist; build it first (`cargo build --release`) or use scripts/load.sh",
            opts.binary.display()
        );
        return ExitCode::from(2);
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("load: cannot start a runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("load: {e}");
            ExitCode::from(1)
        }
    }
}

async fn run(opts: Opts) -> Result<(), String> {
    println!("# wecom-idp load run");
    println!("machine: {}", stats::machine());
    eprintln!(
        "running: openssl speed -seconds {} -multi 2 rsa2048",
        opts.openssl_seconds
    );
    let openssl = stats::openssl_sign_rate(opts.openssl_seconds)?;
    println!("openssl speed -multi 2 rsa2048: {openssl:.0} sign/s");
    let mut dbs = vec![server::Db::Sqlite];
    if let Some(url) = &opts.postgres {
        dbs.push(server::Db::Postgres(url.clone()));
    }
    let mut rows = Vec::new();
    let mut mem = Vec::new();
    for db in dbs {
        let (r, m) = one_database(&opts, &db, openssl).await?;
        rows.extend(r);
        mem.push(m);
    }
    println!();
    stats::print_table(&rows);
    println!();
    stats::print_memory(&mem);
    Ok(())
}

async fn one_database(
    opts: &Opts,
    db: &server::Db,
    openssl: f64,
) -> Result<(Vec<stats::Row>, stats::Memory), String> {
    eprintln!("== {}: starting the server", db.label());
    let srv = server::Server::start(&opts.binary, db).await?;
    let mut rows = Vec::new();
    let idle_rss = srv.rss_kib();
    let max_conns = opts.conns.iter().copied().max().unwrap_or(2);
    let browsers = client::signed_in_browsers(&srv, max_conns).await?;
    let secs = Duration::from_secs(opts.seconds);
    for &c in &opts.conns {
        eprintln!("== {}: idp-initiated, {c} connections", db.label());
        let cpu = srv.cpu_time();
        let run = client::idp_initiated(&srv, &browsers[..c], secs).await?;
        let cpu = srv.cpu_time().saturating_sub(cpu);
        rows.push(stats::Row::new(
            "idp-initiated",
            db,
            c,
            &run,
            2,
            openssl,
            cpu,
        ));
    }
    for &c in &opts.conns {
        eprintln!(
            "== {}: sp-initiated (signed Redirect), {c} connections",
            db.label()
        );
        let cpu = srv.cpu_time();
        let run = client::sp_initiated(&srv, &browsers[..c], secs).await?;
        let cpu = srv.cpu_time().saturating_sub(cpu);
        rows.push(stats::Row::new(
            "sp-initiated",
            db,
            c,
            &run,
            2,
            openssl,
            cpu,
        ));
    }
    for &c in &opts.conns {
        eprintln!("== {}: first logins, {c} connections", db.label());
        let cpu = srv.cpu_time();
        let run = client::first_logins(&srv, c, secs).await?;
        let cpu = srv.cpu_time().saturating_sub(cpu);
        rows.push(stats::Row::new("first-login", db, c, &run, 2, openssl, cpu));
    }
    if opts.soak > 0 {
        eprintln!("== {}: mixed soak, {} s", db.label(), opts.soak);
        client::soak(&srv, &browsers, Duration::from_secs(opts.soak)).await?;
    }
    let mem = stats::Memory {
        db: db.label().to_string(),
        startup: srv.startup,
        idle_rss_kib: idle_rss,
        after_rss_kib: srv.rss_kib(),
        peak_rss_kib: srv.peak_rss_kib(),
        soak_secs: opts.soak,
    };
    srv.stop().await;
    Ok((rows, mem))
}
