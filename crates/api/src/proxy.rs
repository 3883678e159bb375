//! The client's address behind reverse proxies. Only a request whose peer is a trusted proxy
//! (`trusted_proxies`: addresses and CIDR blocks) has its client taken from `Forwarded`
//! (RFC 7239) or, without it, `X-Forwarded-For`: the right-most address there that is not
//! itself a trusted proxy. Anything to the left of that was written by the client and could
//! be anything. Every other request's client is its peer, whatever headers it sends.
//!
//! The [`crate::observe`] middleware works the address out once per request and keeps it in
//! the request's extensions ([`ClientAddr`]); the rate limits and the log lines read it there.

use std::net::IpAddr;

use actix_web::HttpMessage;
use actix_web::HttpRequest;
use actix_web::http::header::HeaderMap;
use ipnet::IpNet;

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

/// The client's address of a request, as [`TrustedProxies::client`] worked it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl TrustedProxies {
    /// Parse `trusted_proxies`: each entry an address (`10.0.0.7`, `::1`) or a CIDR block
    /// (`172.28.0.0/24`, `2001:db8::/32`).
    pub fn parse(entries: &[String]) -> Result<TrustedProxies, String> {
        let parse = |entry: &String| {
            let e = entry.trim();
            e.parse::<IpNet>().or_else(|_| e.parse::<IpAddr>().map(IpNet::from)).map_err(|_| {
                format!("trusted_proxies: {entry:?} is neither an IP address nor a CIDR block (like 10.0.0.7 or 172.28.0.0/24)")
            })
        };
        entries.iter().map(parse).collect::<Result<Vec<_>, _>>().map(TrustedProxies)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: &IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address of a request from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(&peer) {
            return peer;
        }
        // From the nearest hop outwards; stop at the first that is not a trusted proxy. A hop
        // that names no usable address ends the walk at the last address that was believed.
        let mut client = peer;
        for hop in forwarded_for(headers).into_iter().rev() {
            match hop {
                Some(ip) => {
                    client = ip.to_canonical();
                    if !self.trusts(&client) {
                        break;
                    }
                }
                None => break,
            }
        }
        client
    }
}

/// The client address of a request: the one the middleware worked out, or else its peer.
pub fn client_addr(req: &HttpRequest) -> Option<IpAddr> {
    req.extensions().get::<ClientAddr>().map(|c| c.0).or_else(|| req.peer_addr().map(|p| p.ip().to_canonical()))
}

/// The `for` addresses of `Forwarded` (every field line, in order), or, without that header,
/// of `X-Forwarded-For`; `None` for a hop that names none (`unknown`, an obfuscated name).
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let lines = |name: &str| headers.get_all(name).map(|v| v.to_str().unwrap_or("")).collect::<Vec<_>>();
    let forwarded = lines("forwarded");
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|line| line.split(','))
            .map(|element| {
                element.split(';').find_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    k.trim().eq_ignore_ascii_case("for").then(|| node_address(v))
                })?
            })
            .collect();
    }
    lines("x-forwarded-for").iter().flat_map(|line| line.split(',')).map(node_address).collect()
}

/// An address written as a node: `192.0.2.60`, `192.0.2.60:4711`, `"[2001:db8::17]:4711"`,
/// `2001:db8::17`.
fn node_address(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    node.parse().ok().or_else(|| node.rsplit_once(':').filter(|(host, _)| !host.contains(':'))?.0.parse().ok())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn entries_are_addresses_or_blocks() {
        let t = TrustedProxies::parse(&["172.28.0.0/24".into(), "10.0.0.7".into(), " ::1 ".into(), "2001:db8::/32".into()]).unwrap();
        assert!(t.trusts(&ip("172.28.0.200")) && !t.trusts(&ip("172.28.1.1")));
        assert!(t.trusts(&ip("10.0.0.7")) && !t.trusts(&ip("10.0.0.8")));
        assert!(t.trusts(&ip("::1")) && t.trusts(&ip("2001:db8:1::9")));
        // An IPv4 peer seen on a dual-stack socket.
        assert!(t.trusts(&ip("::ffff:172.28.0.5")));
        for bad in ["172.28.0.0/33", "proxy.internal", "10.0.0", ""] {
            let e = TrustedProxies::parse(&[bad.into()]).unwrap_err();
            assert!(e.contains("trusted_proxies") && e.contains(&format!("{bad:?}")), "{e}");
        }
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_hop_behind_a_trusted_peer() {
        let t = TrustedProxies::parse(&["172.28.0.0/24".into()]).unwrap();
        let proxy = ip("172.28.0.2");
        // Not from a proxy: the headers are the client's own words, and ignored.
        assert_eq!(t.client(ip("203.0.113.9"), &headers(&[("x-forwarded-for", "1.2.3.4")])), ip("203.0.113.9"));
        // From the proxy: the right-most hop the proxy added, not what the client claimed.
        assert_eq!(t.client(proxy, &headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.7")])), ip("198.51.100.7"));
        assert_eq!(t.client(proxy, &headers(&[("x-forwarded-for", "198.51.100.7, 172.28.0.9")])), ip("198.51.100.7"));
        // Several lines are one list.
        assert_eq!(t.client(proxy, &headers(&[("x-forwarded-for", "9.9.9.9"), ("x-forwarded-for", "198.51.100.7")])), ip("198.51.100.7"));
        // Forwarded wins over X-Forwarded-For, with ports, quotes and IPv6.
        let h = headers(&[("forwarded", r#"for=1.2.3.4, for="[2001:db8:cafe::17]:4711";proto=https"#), ("x-forwarded-for", "5.6.7.8")]);
        assert_eq!(t.client(proxy, &h), ip("2001:db8:cafe::17"));
        assert_eq!(t.client(proxy, &headers(&[("forwarded", "for=198.51.100.7:5000;by=172.28.0.2")])), ip("198.51.100.7"));
        // A hop naming no address stops the walk at the last believed one.
        assert_eq!(t.client(proxy, &headers(&[("forwarded", "for=198.51.100.7, for=unknown")])), proxy);
        // No header: the proxy itself.
        assert_eq!(t.client(proxy, &HeaderMap::new()), proxy);
        // Nothing trusted: always the peer.
        assert_eq!(TrustedProxies::default().client(proxy, &headers(&[("x-forwarded-for", "1.2.3.4")])), proxy);
    }
}
