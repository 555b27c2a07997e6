//! The accept loop: HTTP/1.1 connections served by hyper with a header-read timeout, caps on open
//! connections in total and per client address, and a graceful shutdown that lets requests in
//! flight finish. A client over a cap gets a minimal `503` written straight to the socket and the
//! connection closed, so slow or half-open connections from one source never use up the process's
//! file descriptors and starve everyone else. At start the open-files limit is raised to what the
//! OS allows, and the limit and the resulting caps are logged.

use crate::config::Cidr;
use crate::config::ServerConfig;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// The per-address cap when none is configured: an office of 2,000 behind one NAT address, each
/// browser holding two or three connections at the 9 am peak, with room to spare.
pub const DEFAULT_PER_IP: u64 = 4096;

/// File descriptors kept back from the connection cap whatever the limit: the database pool,
/// WeCom calls, metadata fetches, the SQLite files, logs.
const RESERVED_FDS: u64 = 64;

/// Refusals being written at once; beyond this a refused connection is closed without an answer
/// (each refusal holds a descriptor for up to [`REFUSAL_TIME`]).
const MAX_REFUSING: usize = 256;

/// How long a refusal may take to write its answer and see the client close.
const REFUSAL_TIME: Duration = Duration::from_secs(1);

/// What the accept loop needs to know.
#[derive(Debug, Clone)]
pub struct Options {
    /// Headers of a request (and the next request on a kept-alive connection) must arrive within
    /// this.
    pub header_read_timeout: Duration,
    /// The connection caps.
    pub caps: Caps,
    /// Peers exempt from the per-address cap (reverse proxies carry many clients).
    pub trusted_proxies: Vec<Cidr>,
}

/// Connection caps in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// Open connections in total.
    pub total: u64,
    /// Open connections from one address.
    pub per_ip: u64,
}

impl Caps {
    /// The configured caps, with the automatic ones (0) derived from the open-files limit
    /// (`None` when unknown or unlimited): a tenth plus [`RESERVED_FDS`] stay free for everything
    /// that is not a client connection, and one address may hold at most half of the rest.
    pub fn derive(config: &ServerConfig, open_files: Option<u64>) -> Self {
        let total = match config.max_connections {
            0 => {
                let limit = open_files.unwrap_or(1_048_576).min(1_048_576);
                limit
                    .saturating_sub(RESERVED_FDS + limit / 10)
                    .clamp(16, 1_000_000)
            }
            n => n,
        };
        let per_ip = match config.max_connections_per_ip {
            0 => DEFAULT_PER_IP.min(total / 2).max(1),
            n => n,
        };
        Self { total, per_ip }
    }
}

impl Options {
    /// Options from `[server]` and `limits.trusted_proxies`, given the open-files limit.
    pub fn from_config(config: &crate::config::Config, open_files: Option<u64>) -> Self {
        Self {
            header_read_timeout: Duration::from_secs(config.server.header_read_timeout_secs),
            caps: Caps::derive(&config.server, open_files),
            trusted_proxies: config.limits.trusted_proxies.clone(),
        }
    }
}

/// The open-files limit before and after raising the soft limit to the hard one.
#[derive(Debug, Clone, Copy)]
pub struct OpenFiles {
    /// Soft limit at start (`None`: unknown).
    pub before: Option<u64>,
    /// Soft limit now (`None`: unknown or unlimited).
    pub after: Option<u64>,
}

/// Raises the process's open-files soft limit to its hard limit where the OS allows; a failure
/// only leaves the limit as it was (the caps are derived from what is in force).
pub fn raise_open_files() -> OpenFiles {
    let read = || {
        rlimit::Resource::NOFILE
            .get()
            .ok()
            .map(|(soft, _)| soft)
            .filter(|s| *s != rlimit::INFINITY)
    };
    let before = read();
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!(error = %e, "could not raise the open-files limit; it stays as it is");
    }
    OpenFiles {
        before,
        after: read(),
    }
}

/// Open connections, in total and per address.
#[derive(Debug)]
struct Tracker {
    caps: Caps,
    exempt: Vec<Cidr>,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    total: u64,
    per_ip: HashMap<IpAddr, u64>,
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Over {
    Total,
    PerIp,
}

/// One admitted connection; dropping it frees its place.
#[derive(Debug)]
struct Permit {
    tracker: Arc<Tracker>,
    ip: Option<IpAddr>,
}

impl Tracker {
    fn open(&self) -> std::sync::MutexGuard<'_, Open> {
        match self.open.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Permit, Over> {
        let counted = !self.exempt.iter().any(|c| c.contains(ip));
        let mut open = self.open();
        if open.total >= self.caps.total {
            return Err(Over::Total);
        }
        if counted {
            let n = open.per_ip.entry(ip).or_insert(0);
            if *n >= self.caps.per_ip {
                return Err(Over::PerIp);
            }
            *n += 1;
        }
        open.total += 1;
        Ok(Permit {
            tracker: self.clone(),
            ip: counted.then_some(ip),
        })
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut open = self.tracker.open();
        open.total = open.total.saturating_sub(1);
        if let Some(ip) = self.ip {
            if let Some(n) = open.per_ip.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    open.per_ip.remove(&ip);
                }
            }
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then waits for the requests in flight.
/// Handlers see the peer as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    app: Router,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    options: Options,
) -> std::io::Result<()> {
    let tracker = Arc::new(Tracker {
        caps: options.caps,
        exempt: options.trusted_proxies.clone(),
        open: Mutex::new(Open::default()),
    });
    let refusing = Arc::new(AtomicUsize::new(0));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .keep_alive(true);
    let mut warned = Warned::default();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of descriptors (or a connection reset before we took it): wait a moment
                // rather than spin; closing connections frees descriptors.
                warned.accept_failed(&e);
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        match tracker.admit(peer.ip()) {
            Ok(permit) => spawn_connection(&app, &http, &graceful, stream, peer, permit),
            Err(over) => {
                warned.refused(over, peer.ip(), tracker.caps);
                spawn_refusal(stream, &refusing);
            }
        }
    }
    drop(listener);
    tracing::info!(
        connections = graceful.count(),
        "shutting down: no new connections; waiting for requests in flight"
    );
    graceful.shutdown().await;
    Ok(())
}

/// Serves one admitted connection on its own task; its place is freed when it ends.
fn spawn_connection(
    app: &Router,
    http: &http1::Builder,
    graceful: &GracefulShutdown,
    stream: TcpStream,
    peer: SocketAddr,
    permit: Permit,
) {
    let _ = stream.set_nodelay(true);
    let app = app.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        hyper::service::Service::call(&TowerToHyperService::new(app.clone()), req)
    });
    let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "connection ended with an error");
        }
        drop(permit);
    });
}

/// Refuses a connection over a cap on its own task, or closes it unanswered when
/// [`MAX_REFUSING`] refusals are already being written.
fn spawn_refusal(stream: TcpStream, refusing: &Arc<AtomicUsize>) {
    if refusing.fetch_add(1, Ordering::SeqCst) >= MAX_REFUSING {
        refusing.fetch_sub(1, Ordering::SeqCst);
        drop(stream);
        return;
    }
    let refusing = refusing.clone();
    tokio::spawn(async move {
        refuse(stream).await;
        refusing.fetch_sub(1, Ordering::SeqCst);
    });
}

/// Answers `503` with `Retry-After` and `Connection: close` without reading the request, then
/// waits briefly for the client to close (closing with its request unread could reset the
/// connection before the client reads the answer).
async fn refuse(mut stream: TcpStream) {
    const BODY: &str = "Too many connections; please retry in a moment. 连接过多，请稍后重试。\n";
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nConnection: close\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tokio::time::timeout(REFUSAL_TIME, async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    })
    .await;
}

/// Keeps refusals and accept failures to one WARN a minute each (a flood must not flood the log).
#[derive(Debug, Default)]
struct Warned {
    refused: Option<std::time::Instant>,
    accept: Option<std::time::Instant>,
}

impl Warned {
    fn due(last: &mut Option<std::time::Instant>) -> bool {
        let now = std::time::Instant::now();
        match last {
            Some(t) if now.duration_since(*t) < Duration::from_secs(60) => false,
            _ => {
                *last = Some(now);
                true
            }
        }
    }

    fn refused(&mut self, over: Over, ip: IpAddr, caps: Caps) {
        if Self::due(&mut self.refused) {
            let (cap, which) = match over {
                Over::Total => (caps.total, "server.max_connections"),
                Over::PerIp => (caps.per_ip, "server.max_connections_per_ip"),
            };
            tracing::warn!(
                client_ip = %ip,
                cap,
                setting = which,
                "refusing connections with 503: over the connection cap (one warning a minute)"
            );
        } else {
            tracing::debug!(client_ip = %ip, ?over, "connection refused over the cap");
        }
    }

    fn accept_failed(&mut self, e: &std::io::Error) {
        if Self::due(&mut self.accept) {
            tracing::warn!(error = %e, "accepting a connection failed (one warning a minute)");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_come_from_the_open_files_limit_unless_set() {
        let auto = ServerConfig::default();
        let c = Caps::derive(&auto, Some(1024));
        assert_eq!(c.total, 1024 - 64 - 102);
        assert_eq!(
            c.per_ip,
            c.total / 2,
            "one address never takes the whole server"
        );
        let c = Caps::derive(&auto, Some(1_048_576));
        assert_eq!(c.per_ip, DEFAULT_PER_IP);
        let set = ServerConfig {
            max_connections: 100,
            max_connections_per_ip: 7,
            ..ServerConfig::default()
        };
        assert_eq!(
            Caps::derive(&set, Some(1024)),
            Caps {
                total: 100,
                per_ip: 7
            }
        );
    }

    #[test]
    fn permits_count_per_address_and_exempt_proxies() {
        let tracker = Arc::new(Tracker {
            caps: Caps {
                total: 3,
                per_ip: 1,
            },
            exempt: vec![Cidr::from("10.0.0.0/8")],
            open: Mutex::new(Open::default()),
        });
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        let first = tracker.admit(a).unwrap();
        assert_eq!(tracker.admit(a).unwrap_err(), Over::PerIp);
        let p1 = tracker.admit(proxy).unwrap();
        let _p2 = tracker.admit(proxy).unwrap();
        assert_eq!(tracker.admit(proxy).unwrap_err(), Over::Total);
        drop(first);
        drop(p1);
        let _again = tracker.admit(a).unwrap();
        assert_eq!(tracker.open().per_ip.len(), 1);
    }
}
