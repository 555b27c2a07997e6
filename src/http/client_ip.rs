//! The client IP of a request: the TCP peer, or, when the peer is a configured trusted proxy
//! (`limits.trusted_proxies`, IPs or CIDR blocks), the nearest `X-Forwarded-For` hop that is not
//! itself trusted — never the client-chosen leftmost entry. IPv4-mapped IPv6 addresses count as
//! IPv4 so one client has one address whichever way it connects.

use crate::config::Cidr;
use axum::http::HeaderMap;
use std::net::{IpAddr, SocketAddr};

/// The client address of a request, resolved once where requests come in (`request_span` puts it
/// on the request; handlers take it as an extractor).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        // `request_span` resolves it (behind trusted proxies, from X-Forwarded-For); the TCP peer
        // otherwise.
        if let Some(ip) = parts.extensions.get::<ClientIp>() {
            return Ok(*ip);
        }
        Ok(Self(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// The client IP: the TCP peer, unless the peer is a trusted proxy, in which case the nearest
/// `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn resolve_client_ip(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[Cidr],
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let mut hops: Vec<&str> = Vec::new();
    for v in headers.get_all("x-forwarded-for") {
        let Ok(v) = v.to_str() else {
            return Some(peer);
        };
        hops.extend(v.split(',').map(str::trim));
    }
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            break;
        };
        client = ip.to_canonical();
        if !is_trusted(client) {
            break;
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for() {
        let trusted = [Cidr::from("10.0.0.0/8")];
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "1.1.1.1, 203.0.113.9, 10.0.0.7".parse().unwrap(),
        );
        let peer = Some("10.0.0.2".parse().unwrap());
        assert_eq!(
            resolve_client_ip(peer, &h, &trusted),
            Some("203.0.113.9".parse().unwrap()),
            "the nearest untrusted hop, not the client-chosen leftmost"
        );
        let outsider = Some("198.51.100.1".parse().unwrap());
        assert_eq!(
            resolve_client_ip(outsider, &h, &trusted),
            outsider,
            "an untrusted peer's X-Forwarded-For is ignored"
        );
        assert_eq!(resolve_client_ip(peer, &h, &[]), peer);
        h.insert("x-forwarded-for", "garbage".parse().unwrap());
        assert_eq!(resolve_client_ip(peer, &h, &trusted), peer);
    }
}
