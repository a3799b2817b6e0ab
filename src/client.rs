//! Who is asking, for the host's per-client rate limit: the client's network, read from the
//! connection and, behind the portal's own reverse proxy, from the entry that proxy added to
//! `X-Forwarded-For`.
//!
//! The library limits attempts per account and per insured person; a host must also limit
//! each client, so that one client cannot spray attempts over many accounts (OWASP ASVS 5.0
//! V2.4.1, V6.3.1). Two things make "each client" harder than "each address", and both are
//! rules, so they live here once rather than in every host:
//!
//! - **An IPv6 client holds a whole /64** (2^64 addresses, RFC 7421): keyed on the full
//!   address it would take a fresh budget for every request, and grow the limiter's table
//!   with it. A client is its IPv4 address or its IPv6 /64 network.
//! - **Behind a reverse proxy every request comes from the proxy**: all clients would share
//!   one budget. For requests from the proxy named here, and from it alone, the client is the
//!   last `X-Forwarded-For` entry, the one the proxy added; from anyone else the header is
//!   ignored, since a client can send any it likes. Only that entry's bytes are read, because
//!   what comes before it on the line is whatever the client sent.
//!
//! This holds for one proxy at one address that appends to the header or replaces it (nginx
//! with `$proxy_add_x_forwarded_for`, `HAProxy` with `option forwardfor`), with the portal
//! reachable from that proxy only. Name the address the proxy connects *from*: a proxy that
//! reaches the portal from another address (a second interface, a container network) is
//! taken for one client, and every member then shares its budget.
//!
//! A /64 is the smallest network an IPv6 client is given; many providers give a customer a
//! /56 or a /48, which is 256 or 65,536 budgets here. The per-account and per-person budgets
//! of the library hold whatever the network; this limit only slows a spray.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// How a host tells its clients apart: directly by the connection's address, or behind one
/// trusted reverse proxy.
///
/// ```
/// use kenpo_auth::ClientNetworks;
/// let ip = |s: &str| s.parse().unwrap();
///
/// // Directly: the header is the client's own word, and ignored.
/// let direct = ClientNetworks::direct();
/// let client = direct.client(ip("192.0.2.7"), [&b"198.51.100.9"[..]]);
/// assert_eq!(client.network, ip("192.0.2.7"));
///
/// // An IPv6 client is its /64.
/// let client = direct.client(ip("2001:db8:1:2::99"), []);
/// assert_eq!(client.network, ip("2001:db8:1:2::"));
///
/// // Behind the proxy: the entry the proxy added, whatever the client put before it.
/// let proxied = ClientNetworks::behind_proxy(ip("10.0.0.1"));
/// let client = proxied.client(ip("10.0.0.1"), [&b"203.0.113.5, 198.51.100.9"[..]]);
/// assert_eq!(client.network, ip("198.51.100.9"));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientNetworks {
    trusted_proxy: Option<IpAddr>,
}

/// The client a request counts against.
///
/// ```
/// use kenpo_auth::ClientNetworks;
/// let ip = |s: &str| s.parse().unwrap();
/// let proxied = ClientNetworks::behind_proxy(ip("10.0.0.1"));
/// // The proxy named no client: its own budget, and a configuration to look at.
/// let client = proxied.client(ip("10.0.0.1"), []);
/// assert_eq!(client.network, ip("10.0.0.1"));
/// assert!(client.unnamed_by_proxy);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Client {
    /// The key of the client's budget: its IPv4 address, or its IPv6 address with the low 64
    /// bits cleared. IPv4-mapped IPv6 addresses are the IPv4 address.
    pub network: IpAddr,
    /// The request came from the trusted proxy with no readable client entry, so it counts
    /// against the proxy's own budget, shared by every such request: the proxy does not add
    /// the header, or adds it in a form not read here. Worth a warning in the host's log.
    pub unnamed_by_proxy: bool,
}

impl ClientNetworks {
    /// Clients connect directly: each is the address of its connection, and any
    /// `X-Forwarded-For` is ignored.
    ///
    /// ```
    /// use kenpo_auth::ClientNetworks;
    /// assert_eq!(ClientNetworks::direct(), ClientNetworks::default());
    /// ```
    #[must_use]
    pub const fn direct() -> Self {
        Self {
            trusted_proxy: None,
        }
    }

    /// Clients come through the reverse proxy at `proxy` (an IPv4-mapped IPv6 address names
    /// the same proxy as its IPv4 address).
    ///
    /// ```
    /// use kenpo_auth::ClientNetworks;
    /// let ip = |s: &str| s.parse().unwrap();
    /// let v4 = ClientNetworks::behind_proxy(ip("10.0.0.1"));
    /// let mapped = ClientNetworks::behind_proxy(ip("::ffff:10.0.0.1"));
    /// assert_eq!(v4, mapped);
    /// ```
    #[must_use]
    pub fn behind_proxy(proxy: IpAddr) -> Self {
        Self {
            trusted_proxy: Some(proxy.to_canonical()),
        }
    }

    /// The client of a request from `peer` (the connection's address) carrying the
    /// `X-Forwarded-For` header lines `x_forwarded_for`, in the order received. An entry is an
    /// address alone or with a port (`192.0.2.7:5000`, `[2001:db8::7]:5000`); nothing in the
    /// header can make the answer anything but `peer`'s network unless `peer` is the proxy.
    ///
    /// ```
    /// use kenpo_auth::ClientNetworks;
    /// let ip = |s: &str| s.parse().unwrap();
    /// let proxied = ClientNetworks::behind_proxy(ip("10.0.0.1"));
    /// // Not from the proxy: the header is ignored.
    /// let client = proxied.client(ip("192.0.2.8"), [&b"198.51.100.9"[..]]);
    /// assert_eq!(client.network, ip("192.0.2.8"));
    /// // From the proxy, the last line's last entry, with a port.
    /// let lines = [&b"192.0.2.66"[..], &b"[2001:db8:1:2::1]:443"[..]];
    /// assert_eq!(proxied.client(ip("10.0.0.1"), lines).network, ip("2001:db8:1:2::"));
    /// ```
    pub fn client<'a>(
        &self,
        peer: IpAddr,
        x_forwarded_for: impl IntoIterator<Item = &'a [u8]>,
    ) -> Client {
        let peer = peer.to_canonical();
        if self.trusted_proxy != Some(peer) {
            return Client::of(peer, false);
        }
        match x_forwarded_for.into_iter().last().and_then(added_by_proxy) {
            Some(client) => Client::of(client, false),
            None => Client::of(peer, true),
        }
    }
}

impl Client {
    fn of(address: IpAddr, unnamed_by_proxy: bool) -> Self {
        let network = match address.to_canonical() {
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
            v4 @ IpAddr::V4(_) => v4,
        };
        Self {
            network,
            unnamed_by_proxy,
        }
    }
}

/// The last entry of one header line, if it is an address alone or with a port.
fn added_by_proxy(line: &[u8]) -> Option<IpAddr> {
    let entry = line.rsplit(|&b| b == b',').next()?;
    let entry = std::str::from_utf8(entry).ok()?.trim();
    (entry.parse().ok())
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|at| at.ip()))
        .or_else(|| entry.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
}
