//! A lean HTTP/1.1 client for the measured loops: one keep-alive TCP connection per worker, a
//! request written as bytes, the answer read by its `Content-Length`. The load client shares the
//! two cores with the server (as `wrk` would), so it should cost about what `wrk` costs; a general
//! client (reqwest: pools, header maps, a body stream per answer) took a visible share of the
//! machine away from the server it measures.

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// One keep-alive connection to `host` (`127.0.0.1:PORT`).
pub struct Conn {
    host: String,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
}

/// An answer: its status and body.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Conn {
    /// A connection to the server at `base` (`http://127.0.0.1:PORT`), opened at the first request.
    pub fn new(base: &str) -> Self {
        Self {
            host: base.trim_start_matches("http://").to_string(),
            stream: None,
            buf: Vec::with_capacity(16 * 1024),
        }
    }

    /// `GET path` with `headers` (each `Name: value`); once more on a fresh connection when the
    /// kept one was closed by the server in between.
    pub async fn get(&mut self, path: &str, headers: &[&str]) -> Result<Answer, String> {
        let mut req = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        for h in headers {
            req.push_str(h);
            req.push_str("\r\n");
        }
        req.push_str("\r\n");
        let reused = self.stream.is_some();
        match self.exchange(req.as_bytes()).await {
            Ok(a) => Ok(a),
            Err(_) if reused => {
                self.stream = None;
                self.exchange(req.as_bytes()).await
            }
            Err(e) => Err(e),
        }
    }

    async fn exchange(&mut self, req: &[u8]) -> Result<Answer, String> {
        if self.stream.is_none() {
            let s = TcpStream::connect(&self.host)
                .await
                .map_err(|e| format!("connect: {e}"))?;
            s.set_nodelay(true).map_err(|e| e.to_string())?;
            self.stream = Some(s);
        }
        let Some(stream) = self.stream.as_mut() else {
            return Err("no connection".into());
        };
        stream
            .write_all(req)
            .await
            .map_err(|e| format!("write: {e}"))?;
        self.buf.clear();
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            read_more(stream, &mut self.buf).await?;
        };
        let head = std::str::from_utf8(&self.buf[..head_end]).map_err(|e| e.to_string())?;
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| format!("no status line: {}", head.lines().next().unwrap_or("")))?;
        let mut length = None;
        let mut close = false;
        for line in head.lines().skip(1) {
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                } else if name.eq_ignore_ascii_case("connection") {
                    close = value.trim().eq_ignore_ascii_case("close");
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    return Err("a chunked answer (this client reads Content-Length only)".into());
                }
            }
        }
        let length = length.ok_or("an answer without Content-Length")?;
        while self.buf.len() < head_end + length {
            read_more(stream, &mut self.buf).await?;
        }
        let body = self.buf[head_end..head_end + length].to_vec();
        if close {
            self.stream = None;
        }
        Ok(Answer { status, body })
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(), String> {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream
        .read(&mut chunk)
        .await
        .map_err(|e| format!("read: {e}"))?;
    if n == 0 {
        return Err("the server closed the connection".into());
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}

/// Where `needle` first occurs in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
