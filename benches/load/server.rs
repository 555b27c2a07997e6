//! The server under test: `wecom-idp serve` as a child process (the release binary, as deployed),
//! its configuration, an SP registered through the CLI, and the WeCom simulator it talks to (in this
//! process, on its own thread).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wecom_idp::clock::SystemClock;
use wecom_idp::random::OsRng;
use wecom_idp::wecom::simulator::{
    demo_departments, Member, Simulator, DEMO_AGENT_ID, DEMO_CORP_ID,
};

/// The app the load runs against.
pub const APP: &str = "load";
/// The SP's entity ID and ACS.
pub const SP_ENTITY: &str = "https://sp.load.example/saml";
/// Where the Responses go (never contacted: the client only reads the form).
pub const SP_ACS: &str = "https://sp.load.example/saml/acs";
/// The load tool's own setting; the server refuses unknown `WECOM_IDP_*` variables, so its
/// children do not inherit it.
pub const POSTGRES_ENV: &str = "WECOM_IDP_LOAD_POSTGRES_URL";
/// Members of the simulated corp (`m0001`…).
pub const MEMBERS: usize = 2000;

/// Which database.
#[derive(Debug, Clone)]
pub enum Db {
    /// A file in the run's temporary folder.
    Sqlite,
    /// A fresh schema on this server.
    Postgres(String),
}

impl Db {
    /// `sqlite` or `postgres`.
    pub fn label(&self) -> &'static str {
        match self {
            Db::Sqlite => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }
}

/// A running server.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The SP's private key (PEM), for signing AuthnRequests.
    pub sp_key_pem: String,
    /// From spawn to the first `/healthz` answer.
    pub startup: Duration,
    dir: tempfile::TempDir,
    _sim_thread: std::thread::JoinHandle<()>,
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn members() -> Vec<Member> {
    (1..=MEMBERS)
        .map(|n| Member {
            department: vec![2],
            email: Some(format!("m{n:04}@example.com")),
            ..Member::new(format!("m{n:04}"), format!("成员{n}"))
        })
        .collect()
}

/// Starts the simulator on its own thread and runtime; returns its address.
fn start_simulator(secret: &str) -> Result<(String, std::thread::JoinHandle<()>), String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let sim = Simulator::new(
        DEMO_CORP_ID,
        DEMO_AGENT_ID,
        secret,
        members(),
        demo_departments(),
        Arc::new(SystemClock),
        Arc::new(OsRng),
    );
    let handle = std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async move {
            if let Ok(l) = tokio::net::TcpListener::from_std(listener) {
                let _ = sim.serve(l).await;
            }
        });
    });
    Ok((format!("http://{addr}"), handle))
}

fn write(path: &Path, body: &str) -> Result<(), String> {
    std::fs::write(path, body).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn sp_metadata(cert_pem: &str) -> String {
    let cert: String = cert_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    format!(
        "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" \
         xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"{SP_ENTITY}\">\
         <md:SPSSODescriptor AuthnRequestsSigned=\"true\" WantAssertionsSigned=\"true\" \
         protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\
         <md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}\
         </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\
         <md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" \
         Location=\"{SP_ACS}\" index=\"0\" isDefault=\"true\"/>\
         </md:SPSSODescriptor></md:EntityDescriptor>"
    )
}

async fn fresh_schema(url: &str) -> Result<String, String> {
    use sqlx::Connection;
    let mut conn = sqlx::postgres::PgConnection::connect(url)
        .await
        .map_err(|e| format!("PostgreSQL at the given URL is unreachable: {e}"))?;
    let schema = format!("load_{}", OsRngHex::hex(6));
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .map_err(|e| format!("cannot create schema {schema}: {e}"))?;
    let sep = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{sep}options=-c%20search_path%3D{schema}"))
}

struct OsRngHex;
impl OsRngHex {
    fn hex(n: usize) -> String {
        use wecom_idp::random::Rng;
        OsRng.hex(n)
    }
}

impl Server {
    /// Writes the configuration, registers the SP, starts `serve` and waits for `/healthz`.
    pub async fn start(binary: &Path, db: &Db) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let secret = OsRngHex::hex(16);
        let (sim_base, sim_thread) = start_simulator(&secret)?;
        let port = free_port()?;
        let base = format!("http://127.0.0.1:{port}");
        let database_url = match db {
            Db::Sqlite => format!("sqlite://{}/idp.sqlite", dir.path().display()),
            Db::Postgres(url) => fresh_schema(url).await?,
        };
        let master = dir.path().join("master.key");
        {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut bytes = [0u8; 32];
            openssl::rand::rand_bytes(&mut bytes).map_err(|e| e.to_string())?;
            let b64 = openssl::base64::encode_block(&bytes);
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&master)
                .map_err(|e| e.to_string())?;
            writeln!(f, "{b64}").map_err(|e| e.to_string())?;
        }
        let config = dir.path().join("wecom-idp.toml");
        write(
            &config,
            &format!(
                "public_url = \"{base}\"\nlisten = \"127.0.0.1:{port}\"\n\
                 database_url = \"{database_url}\"\nmaster_key_file = \"{}\"\n\n\
                 [wecom]\ncorp_id = \"{DEMO_CORP_ID}\"\nagent_id = \"{DEMO_AGENT_ID}\"\n\
                 secret = \"{secret}\"\napi_base = \"{sim_base}\"\noauth_base = \"{sim_base}\"\n\
                 web_login_base = \"{sim_base}\"\n\n[limits]\nrequests_per_minute = 0\n",
                master.display()
            ),
        )?;
        let (sp_key_pem, sp_cert_pem) = wecom_idp::saml::sign::generate_key_and_cert(
            "load sp",
            wecom_idp::clock::Clock::now(&wecom_idp::clock::SystemClock),
            &[7],
        )
        .map_err(|e| e.to_string())?;
        let metadata = dir.path().join("sp.xml");
        write(&metadata, &sp_metadata(&sp_cert_pem))?;
        let cli = |args: &[&str]| -> Result<(), String> {
            let out = Command::new(binary)
                .env_remove(POSTGRES_ENV)
                .arg("--config")
                .arg(&config)
                .args(args)
                .output()
                .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "`wecom-idp {}` failed: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr)
                ))
            }
        };
        cli(&["migrate"])?;
        let meta = metadata.display().to_string();
        cli(&["app", "add", APP, "--metadata", &meta])?;
        let log =
            std::fs::File::create(dir.path().join("server.log")).map_err(|e| e.to_string())?;
        // Built before the clock starts: making a TLS-capable client reads the system's CA bundle,
        // which would count against the server's start-up.
        let http = reqwest::Client::new();
        let started = Instant::now();
        let child = Command::new(binary)
            .env_remove(POSTGRES_ENV)
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut srv = Self {
            child,
            base,
            sp_key_pem,
            startup: Duration::ZERO,
            dir,
            _sim_thread: sim_thread,
        };
        loop {
            if let Ok(r) = http.get(format!("{}/healthz", srv.base)).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            if let Ok(Some(status)) = srv.child.try_wait() {
                return Err(format!(
                    "the server exited ({status}); its log:\n{}",
                    srv.log_tail()
                ));
            }
            if started.elapsed() > Duration::from_secs(30) {
                return Err(format!(
                    "the server did not answer within 30 s; its log:\n{}",
                    srv.log_tail()
                ));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        srv.startup = started.elapsed();
        Ok(srv)
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// The last lines of the server's log.
    pub fn log_tail(&self) -> String {
        let s = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    fn status_kib(&self, field: &str) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        s.lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// CPU time the server process has used so far (user + system), read from `/proc`: divided
    /// by the answers of a measurement it is the cost of one answer, whatever else the machine runs.
    pub fn cpu_time(&self) -> Duration {
        cpu_time_of(&format!("/proc/{}/stat", self.child.id()))
    }

    /// Resident memory now.
    pub fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    /// The most resident memory so far.
    pub fn peak_rss_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }

    /// Stops the server (SIGTERM, then SIGKILL after 10 s).
    pub async fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time (user + system) of the process whose `stat` file is `path` (`/proc/self/stat`: this
/// load client with its simulator thread).
pub fn cpu_time_of(path: &str) -> Duration {
    let s = std::fs::read_to_string(path).unwrap_or_default();
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    let rest = s.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12 here.
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|v| v.parse::<u64>().ok()))
        .sum();
    Duration::from_secs_f64(ticks as f64 / clock_ticks_per_sec())
}

/// `getconf CLK_TCK` (the unit of `/proc/PID/stat` times), 100 when it cannot be read.
fn clock_ticks_per_sec() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}
