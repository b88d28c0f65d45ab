//! Where a request comes from. The source is the socket's peer address; the forwarding header
//! the proxies write (`X-Forwarded-For` by default, or `Forwarded`: `--proxy-header`, one of
//! them, never both, since a proxy appends to its own and passes the other through as the client
//! sent it) is read only when that peer is a trusted proxy (`--trusted-proxy`), and then only the
//! right-most hop that is not itself a trusted proxy counts, so a client cannot name its own
//! source by sending the header.

use axum::http::HeaderMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// An IP network, `10.0.0.0/8` or `2001:db8::/32` (a bare address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    /// The network address.
    pub addr: IpAddr,
    /// Prefix length in bits.
    pub prefix: u8,
}

impl IpNet {
    /// Whether `ip` lies in this network (IPv4 never lies in an IPv6 network or back, except
    /// IPv4-mapped IPv6 addresses, which are compared as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => prefix_eq(&net.octets(), &ip.octets(), self.prefix),
            (IpAddr::V6(net), IpAddr::V6(ip)) => prefix_eq(&net.octets(), &ip.octets(), self.prefix),
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    if a[..full] != b[..full] {
        return false;
    }
    rest == 0 || (a[full] ^ b[full]) >> (8 - rest) == 0
}

/// An IPv4-mapped IPv6 address as IPv4; others unchanged.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

impl FromStr for IpNet {
    type Err = String;

    fn from_str(s: &str) -> Result<IpNet, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| format!("{s:?} is not an IP address or CIDR network"))?;
        let addr = canonical(addr);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => {
                p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("{s:?}: prefix must be 0–{max}"))?
            }
        };
        Ok(IpNet { addr, prefix })
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The forwarding header the trusted proxies write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ProxyHeader {
    /// `X-Forwarded-For: client, proxy1, …` (nginx `$proxy_add_x_forwarded_for`, HAProxy).
    #[default]
    #[value(name = "x-forwarded-for")]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1` (only if the proxy appends to it).
    #[value(name = "forwarded")]
    Forwarded,
}

/// The proxies whose forwarding header is believed (none by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    /// Their networks.
    pub nets: Vec<IpNet>,
    /// The header they write.
    pub header: ProxyHeader,
}

impl TrustedProxies {
    /// Parses `10.0.0.0/8,127.0.0.1` (empty: none); the header is `X-Forwarded-For`.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        let nets = list.split(',').filter(|s| !s.trim().is_empty()).map(IpNet::from_str).collect::<Result<_, _>>()?;
        Ok(TrustedProxies { nets, header: ProxyHeader::default() })
    }

    /// Whether `ip` is a trusted proxy.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(ip))
    }
}

/// Where a request came from: the client's address, and the trusted proxy it came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// The client (the peer itself when it is not a trusted proxy).
    pub client: IpAddr,
    /// The trusted proxy that reported the client, if any.
    pub via: Option<IpAddr>,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.via {
            Some(via) => write!(f, "{} via {via}", self.client),
            None => write!(f, "{}", self.client),
        }
    }
}

/// Most forwarding hops read from the headers; a longer chain is cut on the client's side.
const MAX_HOPS: usize = 32;

/// The hops `header` lists, client first. An entry that is not an address (`unknown`, an
/// obfuscated name) is `None`.
fn forwarded_hops(headers: &HeaderMap, header: ProxyHeader) -> Vec<Option<IpAddr>> {
    let name = match header {
        ProxyHeader::XForwardedFor => "x-forwarded-for",
        ProxyHeader::Forwarded => "forwarded",
    };
    let elements = headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(','));
    let mut hops: Vec<Option<IpAddr>> = match header {
        ProxyHeader::XForwardedFor => elements.map(|h| parse_hop(h.trim())).collect(),
        ProxyHeader::Forwarded => elements
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, v)| parse_hop(v.trim().trim_matches('"')))
            })
            .collect(),
    };
    if hops.len() > MAX_HOPS {
        hops.drain(..hops.len() - MAX_HOPS);
    }
    hops
}

/// `1.2.3.4`, `1.2.3.4:80`, `[2001:db8::1]:80` or `2001:db8::1` as an address.
fn parse_hop(h: &str) -> Option<IpAddr> {
    if let Ok(ip) = h.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = h.strip_prefix('[') {
        return rest.split_once(']').and_then(|(ip, _)| ip.parse().ok()).map(canonical);
    }
    h.rsplit_once(':').and_then(|(ip, _)| ip.parse().ok()).map(canonical)
}

/// The source of a request whose socket peer is `peer`: the peer itself unless it is a
/// trusted proxy; then, walking the forwarding hops from the right, the first that is not a
/// trusted proxy. A hop that is no address stops the walk at the proxy that reported it.
pub fn source(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> Source {
    let peer = canonical(peer);
    if !trusted.trusts(peer) {
        return Source { client: peer, via: None };
    }
    let mut via = peer;
    for hop in forwarded_hops(headers, trusted.header).into_iter().rev() {
        match hop {
            Some(ip) if trusted.trusts(ip) => via = ip,
            Some(ip) => return Source { client: ip, via: Some(via) },
            None => break,
        }
    }
    // Every hop was a trusted proxy (or unreadable): the nearest of them is the source.
    Source { client: via, via: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_contain() {
        let net: IpNet = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains(ip("10.1.200.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.0.9")), "IPv4-mapped");
        let odd: IpNet = "192.168.0.0/23".parse().unwrap();
        assert!(odd.contains(ip("192.168.1.255")));
        assert!(!odd.contains(ip("192.168.2.0")));
        let v6: IpNet = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        assert_eq!("127.0.0.1".parse::<IpNet>().unwrap().prefix, 32);
        assert!("0.0.0.0/0".parse::<IpNet>().unwrap().contains(ip("8.8.8.8")));
        for bad in ["10.0.0.0/33", "example.org", "10.0.0.0/x", ""] {
            assert!(bad.parse::<IpNet>().is_err(), "{bad}");
        }
        assert_eq!(TrustedProxies::parse(" 10.0.0.0/8, 127.0.0.1 ").unwrap().nets.len(), 2);
        assert_eq!(TrustedProxies::parse("").unwrap(), TrustedProxies::default());
        assert!(TrustedProxies::parse("10.0.0.0/8,nonsense").is_err());
    }

    #[test]
    fn headers_count_only_behind_a_trusted_proxy() {
        let none = TrustedProxies::default();
        let h = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(source(ip("203.0.113.9"), &h, &none), Source { client: ip("203.0.113.9"), via: None });
        let proxy = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(source(ip("203.0.113.9"), &h, &proxy).client, ip("203.0.113.9"), "untrusted peer");
        assert_eq!(source(ip("10.0.0.2"), &h, &proxy), Source { client: ip("1.2.3.4"), via: Some(ip("10.0.0.2")) });
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // The client sent a forged X-Forwarded-For; the proxies appended the real hops.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.5")]);
        assert_eq!(
            source(ip("10.0.0.2"), &h, &proxies),
            Source { client: ip("198.51.100.7"), via: Some(ip("10.0.0.5")) }
        );
        // Split over two header lines, the order is kept.
        let h = headers(&[("x-forwarded-for", "6.6.6.6"), ("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(source(ip("10.0.0.2"), &h, &proxies).client, ip("198.51.100.7"));
        // Only proxies: the nearest is the source.
        let h = headers(&[("x-forwarded-for", "10.9.9.9")]);
        assert_eq!(source(ip("10.0.0.2"), &h, &proxies), Source { client: ip("10.9.9.9"), via: None });
        // No header: the proxy itself.
        assert_eq!(source(ip("10.0.0.2"), &HeaderMap::new(), &proxies).client, ip("10.0.0.2"));
        // A garbage hop stops at the proxy that reported it.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, unknown")]);
        assert_eq!(source(ip("10.0.0.2"), &h, &proxies).client, ip("10.0.0.2"));
    }

    #[test]
    fn only_the_configured_header_is_read() {
        // nginx appends to X-Forwarded-For and passes a client's Forwarded through untouched.
        let xff = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let h = headers(&[("forwarded", "for=6.6.6.6"), ("x-forwarded-for", "198.51.100.9")]);
        assert_eq!(source(ip("10.0.0.2"), &h, &xff).client, ip("198.51.100.9"), "a forged Forwarded is ignored");
        let forwarded = TrustedProxies { header: ProxyHeader::Forwarded, ..xff };
        let h = headers(&[
            ("forwarded", r#"for=6.6.6.6;proto=https, for="[2001:db8::7]:4711";by=10.0.0.1"#),
            ("x-forwarded-for", "9.9.9.9"),
        ]);
        assert_eq!(source(ip("10.0.0.2"), &h, &forwarded).client, ip("2001:db8::7"), "and a forged X-Forwarded-For");
        let h = headers(&[("forwarded", "for=198.51.100.1:8080")]);
        assert_eq!(source(ip("10.0.0.2"), &h, &forwarded).client, ip("198.51.100.1"));
        assert_eq!(format!("{}", source(ip("10.0.0.2"), &h, &forwarded)), "198.51.100.1 via 10.0.0.2");
    }

    #[test]
    fn a_long_chain_is_cut_on_the_clients_side() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let chain = std::iter::repeat_n("10.1.1.1", 1000).collect::<Vec<_>>().join(",");
        let h = headers(&[("x-forwarded-for", &format!("1.2.3.4,{chain}"))]);
        assert_eq!(source(ip("10.0.0.2"), &h, &proxies).client, ip("10.1.1.1"));
    }
}
