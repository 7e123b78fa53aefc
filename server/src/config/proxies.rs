//! `GRIDLINE_TRUSTED_PROXIES`: the reverse proxies whose `X-Forwarded-For` is believed when the
//! server decides which client address a per-IP limit counts.
//!
//! Only a request whose TCP peer is one of these proxies has its header read, and the header is
//! read from the right: each proxy appends the address it received the request from, so the
//! right-most address that is not itself a trusted proxy is the client. Whatever a client wrote
//! further left is ignored, so it cannot pick the address it is counted under.

use std::net::IpAddr;

use super::SettingValue;

/// A list of CIDR blocks (`10.0.0.0/8`, `::1/128`; a bare address is a single host).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn parse(text: &str) -> Result<Self, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr =
            address.parse().map_err(|_| format!("{text:?} is not an IP address or CIDR block"))?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(|| format!("{text:?}: the prefix length must be 0 to {bits}"))?,
        };
        Ok(Self { network, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        fn masked(bits: u128, prefix: u8, width: u8) -> u128 {
            let shift = u32::from(width - prefix);
            if shift >= 128 { 0 } else { (bits >> shift) << shift }
        }
        // An IPv4 client seen through an IPv6 socket arrives as ::ffff:a.b.c.d.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u128::from(u32::from(net)), self.prefix, 32)
                    == masked(u128::from(u32::from(ip)), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), self.prefix, 128) == masked(u128::from(ip), self.prefix, 128)
            }
            _ => false,
        }
    }
}

impl TrustedProxies {
    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|cidr| cidr.contains(ip))
    }

    /// The client a request comes from: the TCP `peer`, or, when the peer is a trusted proxy,
    /// the right-most address of `forwarded_for` that is not a trusted proxy (the peer itself
    /// when the header is missing, unreadable or lists only proxies).
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let Some(header) = forwarded_for else { return peer };
        let mut client = peer;
        for hop in header.rsplit(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) if self.trusts(ip) => client = ip,
                Ok(ip) => return ip,
                // A hop that is not an address: stop at the last one that was.
                Err(_) => return client,
            }
        }
        client
    }
}

impl SettingValue for TrustedProxies {
    fn parse_setting(text: &str) -> Result<Self, String> {
        text.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(Cidr::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn reads_the_header_only_from_a_trusted_peer_and_from_the_right() {
        let proxies = TrustedProxies::parse_setting("10.0.0.0/8, 127.0.0.1").unwrap();
        // An untrusted peer: its header is ignored.
        assert_eq!(proxies.client(ip("198.51.100.9"), Some("203.0.113.7")), ip("198.51.100.9"));
        // A trusted peer: the right-most hop that is not a proxy; what the client put left of it
        // does not count.
        assert_eq!(
            proxies.client(ip("127.0.0.1"), Some("1.2.3.4, 203.0.113.7, 10.1.2.3")),
            ip("203.0.113.7")
        );
        assert_eq!(proxies.client(ip("::ffff:10.0.0.5"), Some("203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(proxies.client(ip("10.0.0.5"), None), ip("10.0.0.5"));
        assert_eq!(proxies.client(ip("10.0.0.5"), Some("10.0.0.6")), ip("10.0.0.6"));
        assert_eq!(proxies.client(ip("10.0.0.5"), Some("garbage, 10.0.0.6")), ip("10.0.0.6"));
        // Nothing trusted by default.
        assert_eq!(TrustedProxies::default().client(ip("127.0.0.1"), Some("203.0.113.7")), ip("127.0.0.1"));
    }

    #[test]
    fn parses_blocks_and_refuses_nonsense() {
        assert!(TrustedProxies::parse_setting("").unwrap().0.is_empty());
        assert!(TrustedProxies::parse_setting("::1/128, fd00::/8").is_ok());
        assert!(TrustedProxies::parse_setting("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse_setting("proxy.local").is_err());
        let all_v4 = TrustedProxies::parse_setting("0.0.0.0/0").unwrap();
        assert!(all_v4.trusts(ip("203.0.113.7")) && !all_v4.trusts(ip("2001:db8::1")));
    }
}
