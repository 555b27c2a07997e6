//! Fetching an SP's metadata from a URL, as hostile input: `http`/`https` only, no credentials in the
//! URL, a timeout, a size cap enforced while streaming, redirects followed by hand (at most 5, each
//! re-checked), and — unless `[admin] allow_private_metadata_urls` — no loopback, private,
//! link-local or other internal address (SSRF). The address that was checked is the one connected
//! to (the resolution is pinned), so a DNS answer cannot change between check and use. The body is
//! never logged.

use crate::logsafe::Escaped;
use crate::saml::sp_metadata::MAX_METADATA_BYTES;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// How metadata URLs are fetched.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// Whether internal addresses may be fetched (`[admin] allow_private_metadata_urls`).
    pub allow_private: bool,
    /// Time for the whole fetch, redirects included.
    pub timeout: Duration,
    /// Largest body accepted, bytes.
    pub max_bytes: usize,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        Self {
            allow_private: false,
            timeout: Duration::from_secs(10),
            max_bytes: MAX_METADATA_BYTES,
        }
    }
}

/// Why a metadata URL could not be fetched; the text is for the admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// The URL itself is refused (scheme, credentials, syntax).
    BadUrl(String),
    /// The address is internal and internal addresses are not allowed.
    Private(String),
    /// The server could not be reached, or answered with an error status.
    Failed(String),
    /// The body is larger than the cap.
    TooLarge(usize),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadUrl(m) => f.write_str(m),
            Self::Private(host) => write!(
                f,
                "{host} is a loopback, private or link-local address; metadata is only fetched \
                 from public addresses (set [admin] allow_private_metadata_urls = true to allow \
                 internal ones)"
            ),
            Self::Failed(m) => write!(f, "the metadata could not be fetched: {m}"),
            Self::TooLarge(max) => write!(
                f,
                "the metadata at this URL is larger than {} KiB; SP metadata is far smaller",
                max / 1024
            ),
        }
    }
}

impl std::error::Error for FetchError {}

/// Checks a metadata URL's form (not its address): `http`/`https`, a host, no user or password.
pub fn check_url(raw: &str) -> Result<url::Url, FetchError> {
    let u = url::Url::parse(raw.trim())
        .map_err(|e| FetchError::BadUrl(format!("not a URL ({e}); give an https:// address")))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(FetchError::BadUrl(format!(
            "scheme {} is not allowed; give an http:// or https:// address",
            u.scheme()
        )));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(FetchError::BadUrl(
            "a URL with a user name or password is not accepted (it would be stored and shown)"
                .into(),
        ));
    }
    if u.host().is_none() {
        return Err(FetchError::BadUrl("the URL has no host".into()));
    }
    Ok(u)
}

/// Whether `ip` is an address the server must not be made to fetch from. IPv6 forms that carry an
/// IPv4 address (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4
/// `2002::/16`) are judged by that address, since a relay or the kernel may deliver them to it; the
/// local-use NAT64 prefix `64:ff9b:1::/48` and Teredo `2001::/32` (whose IPv4 parts are obfuscated
/// and which no real service uses) are internal as a whole.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return is_internal(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                || (s[0] == 0x0064 && s[1] == 0xff9b && s[2] == 0x0001)
                || (s[0] == 0x2001 && s[1] == 0)
        }
    }
}

/// The IPv4 address an IPv6 address stands for, in the forms that embed one at a fixed place.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let o = v6.octets();
    let last = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    // IPv4-compatible (`::a.b.c.d`, deprecated but still routed by some stacks); `::` and `::1`
    // fall here too and come out as 0.0.0.0 / 0.0.0.1, both internal.
    if s[..6].iter().all(|&x| x == 0) {
        return Some(last);
    }
    // NAT64 well-known prefix.
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6].iter().all(|&x| x == 0) {
        return Some(last);
    }
    // 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD.
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    None
}

/// The checked address to connect to for `u`.
async fn resolve(u: &url::Url, policy: &FetchPolicy) -> Result<SocketAddr, FetchError> {
    checked_address(u, policy.allow_private).await
}

/// Resolves `u`'s host once and returns the address to connect to (pin it: the client must connect
/// to this very address, so a second DNS answer cannot differ); unless `allow_private`, refused when
/// any of the host's addresses is internal.
pub async fn checked_address(u: &url::Url, allow_private: bool) -> Result<SocketAddr, FetchError> {
    let host = u
        .host_str()
        .ok_or_else(|| FetchError::BadUrl("the URL has no host".into()))?;
    let port = u.port_or_known_default().unwrap_or(443);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((bare, port))
            .await
            .map_err(|e| FetchError::Failed(format!("cannot resolve {host}: {e}")))?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(FetchError::Failed(format!("{host} has no address")));
    }
    if !allow_private && addrs.iter().any(|a| is_internal(a.ip())) {
        return Err(FetchError::Private(host.to_string()));
    }
    addrs
        .first()
        .copied()
        .ok_or_else(|| FetchError::Failed(format!("{host} has no address")))
}

/// Fetches the metadata at `raw_url` under `policy`; returns the body.
pub async fn fetch(raw_url: &str, policy: &FetchPolicy) -> Result<Vec<u8>, FetchError> {
    match tokio::time::timeout(policy.timeout, fetch_inner(raw_url, policy)).await {
        Ok(r) => r,
        Err(_) => Err(FetchError::Failed(format!(
            "no complete answer within {} s",
            policy.timeout.as_secs()
        ))),
    }
}

async fn fetch_inner(raw_url: &str, policy: &FetchPolicy) -> Result<Vec<u8>, FetchError> {
    let mut u = check_url(raw_url)?;
    for _ in 0..=5 {
        let addr = resolve(&u, policy).await?;
        let host = u.host_str().unwrap_or_default().to_string();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(policy.timeout)
            .resolve(&host, addr)
            .build()
            .map_err(|e| FetchError::Failed(format!("HTTP client: {e}")))?;
        let mut resp = client
            .get(u.clone())
            .header(
                reqwest::header::ACCEPT,
                "application/samlmetadata+xml, application/xml, text/xml",
            )
            .send()
            .await
            .map_err(|e| FetchError::Failed(describe(&e)))?;
        let status = resp.status();
        if status.is_redirection() {
            let next = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| FetchError::Failed(format!("{status} without a Location")))?;
            let next = u
                .join(next)
                .map_err(|_| FetchError::Failed(format!("{status} to an invalid Location")))?;
            tracing::info!(from = %Escaped(u.host_str().unwrap_or_default()), to = %Escaped(next.host_str().unwrap_or_default()), "metadata URL redirects");
            u = check_url(next.as_str())?;
            continue;
        }
        if !status.is_success() {
            return Err(FetchError::Failed(format!("the server answered {status}")));
        }
        if resp
            .content_length()
            .is_some_and(|n| n > policy.max_bytes as u64)
        {
            return Err(FetchError::TooLarge(policy.max_bytes));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| FetchError::Failed(describe(&e)))?
        {
            if body.len() + chunk.len() > policy.max_bytes {
                return Err(FetchError::TooLarge(policy.max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        tracing::info!(host = %Escaped(&host), bytes = body.len(), "metadata fetched");
        return Ok(body);
    }
    Err(FetchError::Failed("more than 5 redirects".into()))
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "cannot connect".into()
    } else {
        "the connection failed".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "::10.0.0.1",
            "::a9fe:a9fe",
            "64:ff9b::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::808:808",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "2002:c0a8:101::",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001::1",
            "fec0::1",
        ] {
            assert!(is_internal(a.parse().unwrap()), "{a}");
        }
        for a in [
            "8.8.8.8",
            "2001:4860:4860::8888",
            "203.0.114.1",
            "::8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:808:808::1",
            "2400:3200::1",
        ] {
            assert!(!is_internal(a.parse().unwrap()), "{a}");
        }
    }

    #[test]
    fn url_rules() {
        assert!(check_url("https://sp.example/metadata").is_ok());
        assert!(check_url("file:///etc/passwd").is_err());
        assert!(check_url("ftp://sp.example/m").is_err());
        assert!(check_url("https://u:p@sp.example/m").is_err());
        assert!(check_url("not a url").is_err());
    }
}
