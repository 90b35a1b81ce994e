//! Who the client is when the server stands behind reverse proxies.
//!
//! Every government deployment puts a proxy in front, so the socket's peer is the
//! proxy, the same for everyone: limits counted per peer would let one client exhaust
//! the budget of all. Proxies name the client in `X-Forwarded-For`, each appending the
//! address it received from; only the entries added by proxies we trust can be
//! believed, so the client is the rightmost entry that is not one of them — and only
//! when the peer itself is trusted (anyone else can write that header).

use ipnet::IpNet;
use std::net::IpAddr;

/// The `trusted_proxies` setting: networks whose connections may name the client.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses CIDRs (`10.0.0.0/8`, `fd00::/8`) or bare addresses (one host).
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Self, String> {
        items
            .iter()
            .map(|item| {
                let item = item.as_ref().trim();
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("not an address or CIDR network: {item:?}"))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of a connection from `peer` whose request carried these
    /// `X-Forwarded-For` entries (all headers' entries, in order).
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let mut client = peer.to_canonical();
        for entry in forwarded_for.iter().rev() {
            if !self.trusts(client) {
                break;
            }
            match hop(entry) {
                Some(ip) => client = ip,
                // Past an entry a trusted proxy did not write, nothing can be believed.
                None => break,
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, perhaps with a port as some proxies add.
fn hop(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<std::net::SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(trusted: &[&str], peer: &str, forwarded: &[&str]) -> String {
        let t = TrustedProxies::parse(trusted).unwrap();
        t.client(peer.parse().unwrap(), forwarded).to_string()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        assert_eq!(client(&[], "10.0.0.5", &["198.51.100.1"]), "10.0.0.5");
    }

    #[test]
    fn the_client_is_the_rightmost_entry_not_a_trusted_proxy() {
        let t = ["10.0.0.0/24", "fd00::/16"];
        assert_eq!(client(&t, "10.0.0.5", &["198.51.100.1"]), "198.51.100.1");
        let chain = ["1.2.3.4", "198.51.100.2", "10.0.0.7"];
        assert_eq!(client(&t, "10.0.0.5", &chain), "198.51.100.2");
        assert_eq!(
            client(&t, "fd00::1", &["198.51.100.3:4711"]),
            "198.51.100.3"
        );
        assert_eq!(
            client(&t, "::ffff:10.0.0.5", &["2001:db8::1"]),
            "2001:db8::1"
        );
    }

    #[test]
    fn a_header_from_an_untrusted_peer_or_past_a_garbled_entry_is_not_believed() {
        let t = ["10.0.0.0/24"];
        assert_eq!(client(&t, "203.0.113.7", &["198.51.100.1"]), "203.0.113.7");
        assert_eq!(
            client(&t, "10.0.0.5", &["198.51.100.1", "unknown"]),
            "10.0.0.5"
        );
        // A request the proxy made itself, or one it forwarded without the header.
        assert_eq!(client(&t, "10.0.0.5", &["10.0.0.6"]), "10.0.0.6");
        assert_eq!(client(&t, "10.0.0.5", &[]), "10.0.0.5");
    }

    #[test]
    fn settings_that_are_not_networks_are_refused_by_name() {
        let e = TrustedProxies::parse(&["10.0.0.0/8", "proxy.local"]).unwrap_err();
        assert!(e.contains("proxy.local"), "{e}");
        assert!(TrustedProxies::parse(&["10.0.0.0/33"]).is_err());
    }
}
