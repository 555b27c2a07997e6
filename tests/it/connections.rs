//! Hostile connections: unfinished headers are cut off after the header-read timeout while others
//! are served, and the connection caps (per address, exempting trusted proxies, and in total) answer
//! a fast 503 to the source over them only.

use crate::harness::*;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

async fn sqlite_env(tweak: impl FnOnce(&mut wecom_idp::config::Config)) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("idp.sqlite").display());
    Env::start_with(Db::Sqlite, url, dir, tweak).await
}

fn addr(env: &Env) -> SocketAddr {
    env.base.trim_start_matches("http://").parse().unwrap()
}

/// A connection from `source` (any 127/8 address routes to loopback on Linux).
async fn connect_from(source: &str, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    socket.connect(to).await.unwrap()
}

/// Sends a whole `GET path` on a fresh connection from `source` and returns the raw answer.
async fn get_from(source: &str, to: SocketAddr, path: &str) -> String {
    let mut s = connect_from(source, to).await;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .expect("no answer within 10 s")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether the server closes `s` within `within` (EOF or reset).
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 256];
    let ends = async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, ends).await.is_ok()
}

// A client that starts requests and never finishes their headers holds nothing for long: while 200
// such connections are open, /healthz answers; after the (short, configured) header-read timeout
// the server has closed every one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfinished_headers_are_cut_off_and_others_are_served() {
    let env = sqlite_env(|c| {
        c.server.header_read_timeout_secs = 2;
        c.server.max_connections_per_ip = 10_000;
        c.server.max_connections = 10_000;
    })
    .await;
    let to = addr(&env);
    let mut slow = Vec::new();
    for _ in 0..200 {
        let mut s = connect_from("127.0.0.1", to).await;
        s.write_all(b"GET /healthz HT").await.unwrap();
        slow.push(s);
    }
    let answer = get_from("127.0.0.1", to, "/healthz").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    for s in &mut slow {
        assert!(
            closed_within(s, Duration::from_secs(15)).await,
            "a connection with unfinished headers stayed open past the header-read timeout"
        );
    }
    // A kept-alive connection that sends no next request is closed by the same timer.
    let mut idle = connect_from("127.0.0.1", to).await;
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let n = idle.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    assert!(closed_within(&mut idle, Duration::from_secs(15)).await);
}

// Over the per-address cap that address gets a fast 503 with Retry-After and Connection: close; another
// address is served, and a trusted proxy is exempt (it carries many clients).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_address_cap_refuses_only_that_address() {
    let env = sqlite_env(|c| {
        // Held connections send nothing: a long header timeout keeps them open on a slow machine.
        c.server.header_read_timeout_secs = 120;
        c.server.max_connections_per_ip = 3;
        c.server.max_connections = 100;
        c.limits.trusted_proxies = vec!["127.0.0.3".into()];
    })
    .await;
    let to = addr(&env);
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect_from("127.0.0.1", to).await);
    }
    // The accept loop counts a connection when it takes it; give it the moment to take the last.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refused = get_from("127.0.0.1", to, "/healthz").await;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(refused.contains("Retry-After: 5"), "{refused}");
    assert!(refused.contains("Connection: close"), "{refused}");
    let other = get_from("127.0.0.2", to, "/healthz").await;
    assert!(other.starts_with("HTTP/1.1 200"), "{other}");
    let mut proxied = Vec::new();
    for _ in 0..5 {
        proxied.push(connect_from("127.0.0.3", to).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let via_proxy = get_from("127.0.0.3", to, "/healthz").await;
    assert!(via_proxy.starts_with("HTTP/1.1 200"), "{via_proxy}");
    // Closing frees the places.
    drop(held);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = get_from("127.0.0.1", to, "/healthz").await;
    assert!(again.starts_with("HTTP/1.1 200"), "{again}");
}

// Over the total cap every address gets the 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_total_cap_refuses_everyone() {
    let env = sqlite_env(|c| {
        c.server.header_read_timeout_secs = 120;
        c.server.max_connections_per_ip = 100;
        c.server.max_connections = 16;
    })
    .await;
    let to = addr(&env);
    let mut held = Vec::new();
    for i in 0..16 {
        held.push(connect_from(&format!("127.0.0.{}", 10 + i % 4), to).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refused = get_from("127.0.0.2", to, "/healthz").await;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    drop(held);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = get_from("127.0.0.2", to, "/healthz").await;
    assert!(again.starts_with("HTTP/1.1 200"), "{again}");
}
