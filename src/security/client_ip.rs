//! The client's address, taken from `X-Forwarded-For` only when the direct
//! peer is a proxy the operator named in `VESTIBULE_TRUSTED_PROXIES`.

use std::net::IpAddr;

/// One trusted address or network, written `10.0.0.1` or `10.0.0.0/8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and CIDR networks.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut networks = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (addr, prefix) = match item.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (item, None),
            };
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| format!("{item:?} is not an IP address or network"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                None => max,
                Some(p) => p
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p <= max)
                    .ok_or_else(|| format!("{item:?} has an invalid prefix length"))?,
            };
            networks.push(Network { addr, prefix });
        }
        Ok(Self(networks))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The address to rate-limit and audit: the peer itself, or, when the
    /// peer is a trusted proxy, the nearest address in `X-Forwarded-For` that
    /// is not one of our proxies (earlier entries can be forged by the client).
    pub fn client_ip(&self, peer: Option<IpAddr>, forwarded_for: Option<&str>) -> Option<IpAddr> {
        let peer = peer?;
        if !self.contains(peer) {
            return Some(peer);
        }
        let Some(header) = forwarded_for else {
            return Some(peer);
        };
        let mut last = peer;
        for hop in header.rsplit(',').map(str::trim) {
            match hop.parse::<IpAddr>() {
                Ok(ip) if self.contains(ip) => last = ip,
                Ok(ip) => return Some(ip),
                Err(_) => return Some(last),
            }
        }
        Some(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_ignored_from_untrusted_peers() {
        let proxies = TrustedProxies::parse("10.0.0.1").unwrap();
        assert_eq!(
            proxies.client_ip(Some(ip("192.0.2.9")), Some("198.51.100.1")),
            Some(ip("192.0.2.9"))
        );
    }

    #[test]
    fn the_nearest_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, ::1").unwrap();
        let got = proxies.client_ip(Some(ip("10.1.2.3")), Some("203.0.113.7, 198.51.100.1, 10.0.0.5"));
        assert_eq!(got, Some(ip("198.51.100.1")));
        assert_eq!(proxies.client_ip(Some(ip("::1")), Some("garbage")), Some(ip("::1")));
    }

    #[test]
    fn bad_entries_are_refused() {
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.local").is_err());
        assert_eq!(TrustedProxies::parse("").unwrap(), TrustedProxies::default());
    }
}
