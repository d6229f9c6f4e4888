//! Who sent a request: the [`ClientAddress`] extension every request carries.
//!
//! It is the TCP peer's address, unless the peer is a trusted proxy (`--trusted-proxy CIDR`):
//! then `X-Forwarded-For` is read from the right, skipping trusted addresses, and the first
//! address that is not trusted is the client (the entries left of it were written by whoever
//! sent the request, and prove nothing). If every entry is trusted, the leftmost is the client;
//! an entry that is not an address ends the walk at the last trusted hop. `X-Forwarded-Proto`
//! (`https` or `http`) is believed from a trusted peer only. Headers from any other peer are
//! ignored, so a client cannot choose the address it is logged, audited and rate-limited as.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

use crate::connections::Peer;
use crate::http::AppState;

/// The most `X-Forwarded-For` entries read (a chain of proxies is a few).
pub const MAX_FORWARDED_ENTRIES: usize = 32;

/// The request's client, in its extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress {
    pub ip: IpAddr,
    /// Whether the client reached the server (or its trusted proxy) over HTTPS.
    pub https: bool,
}

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(pub Arc<[IpNet]>);

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> TrustedProxies {
        TrustedProxies(networks.into())
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(&ip))
    }
}

/// `--trusted-proxy`: a CIDR such as `10.0.0.0/8` or `fd00::/8`, or one address.
pub fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    if let Ok(network) = text.parse::<IpNet>() {
        return Ok(network.trunc());
    }
    text.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| format!("{text:?} is not a CIDR such as 10.0.0.0/8 or an IP address"))
}

/// The client of a request that came from `peer` with `headers`.
pub fn client_address(peer: Peer, headers: &HeaderMap, trusted: &TrustedProxies) -> ClientAddress {
    let peer_ip = peer.address.ip().to_canonical();
    if !trusted.contains(peer_ip) {
        return ClientAddress {
            ip: peer_ip,
            https: peer.tls,
        };
    }
    // From the right: the last header line's last entry was written by the nearest proxy.
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .rev()
        // A line that is not text reads as an entry that is not an address: the walk ends there.
        .flat_map(|value| value.to_str().unwrap_or("?").rsplit(','));
    let mut client = peer_ip;
    for entry in forwarded.take(MAX_FORWARDED_ENTRIES) {
        let Some(ip) = forwarded_ip(entry) else {
            break;
        };
        client = ip;
        if !trusted.contains(ip) {
            break;
        }
    }
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(',').next())
        .map(|proto| proto.trim().to_ascii_lowercase());
    ClientAddress {
        ip: client,
        https: match https.as_deref() {
            Some("https") => true,
            Some("http") => false,
            _ => peer.tls,
        },
    }
}

/// One `X-Forwarded-For` entry: an address, perhaps with a port (`1.2.3.4:5`, `[::1]:5`).
fn forwarded_ip(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .map(|ip| ip.to_canonical())
}

/// Middleware: puts the request's [`ClientAddress`] in its extensions.
pub async fn set_client_address(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request.extensions().get::<Peer>().copied().unwrap_or(Peer {
        address: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        tls: false,
    });
    let client = client_address(peer, request.headers(), &state.config.trusted_proxies);
    request.extensions_mut().insert(client);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn peer(address: &str) -> Peer {
        Peer {
            address: address.parse().unwrap(),
            tls: false,
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn trusted(networks: &[&str]) -> TrustedProxies {
        TrustedProxies::new(networks.iter().map(|n| parse_network(n).unwrap()).collect())
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let client = client_address(
            peer("203.0.113.9:4000"),
            &headers(&[
                ("x-forwarded-for", "10.1.1.1"),
                ("x-forwarded-proto", "https"),
            ]),
            &trusted(&["10.0.0.0/8"]),
        );
        assert_eq!(client.ip, "203.0.113.9".parse::<IpAddr>().unwrap());
        assert!(!client.https);
    }

    #[test]
    fn the_rightmost_untrusted_address_is_the_client() {
        let proxies = trusted(&["10.0.0.0/8", "192.168.0.1"]);
        let client = client_address(
            peer("10.0.0.2:4000"),
            &headers(&[
                ("x-forwarded-for", "1.1.1.1, 198.51.100.7"),
                ("x-forwarded-for", "192.168.0.1"),
                ("x-forwarded-proto", "https"),
            ]),
            &proxies,
        );
        assert_eq!(client.ip, "198.51.100.7".parse::<IpAddr>().unwrap());
        assert!(client.https);
        let all_trusted = client_address(
            peer("10.0.0.2:1"),
            &headers(&[("x-forwarded-for", "10.9.9.9:123, 10.0.0.3")]),
            &proxies,
        );
        assert_eq!(all_trusted.ip, "10.9.9.9".parse::<IpAddr>().unwrap());
        let garbage = client_address(
            peer("10.0.0.2:1"),
            &headers(&[("x-forwarded-for", "unknown, 10.0.0.3")]),
            &proxies,
        );
        assert_eq!(garbage.ip, "10.0.0.3".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn networks_parse_from_cidrs_and_addresses() {
        assert!(parse_network("10.0.0.0/8").is_ok());
        assert!(
            parse_network("10.1.2.3/8")
                .unwrap()
                .contains(&"10.200.0.1".parse::<IpAddr>().unwrap())
        );
        assert!(parse_network("::1").is_ok());
        assert!(parse_network("10.0.0.0/33").is_err());
        assert!(parse_network("proxy.example").is_err());
    }
}
