#![no_main]
//! Fuzz target: `ClientNetworks::client` never panics on any `X-Forwarded-For` bytes, believes
//! the header only from the trusted proxy, and answers a network with no IPv6 host bits.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use kenpo_auth::ClientNetworks;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: ((u128, bool), (u128, bool), Vec<Vec<u8>>)| {
    let (peer, proxy, lines) = input;
    // Each its own family, so that an IPv4 address meets its IPv4-mapped IPv6 form.
    let address = |(bits, v4): (u128, bool)| {
        if v4 {
            IpAddr::V4(Ipv4Addr::from(bits as u32))
        } else {
            IpAddr::V6(Ipv6Addr::from(bits))
        }
    };
    let (peer, proxy) = (address(peer), address(proxy));
    let lines = || lines.iter().map(Vec::as_slice);
    let own = ClientNetworks::direct().client(peer, lines());
    assert!(!own.unnamed_by_proxy);
    if let IpAddr::V6(v6) = own.network {
        assert_eq!(u128::from(v6) & u128::from(u64::MAX), 0);
    }
    let from_proxy = ClientNetworks::behind_proxy(proxy).client(proxy, lines());
    if let IpAddr::V6(v6) = from_proxy.network {
        assert_eq!(u128::from(v6) & u128::from(u64::MAX), 0);
    }
    if peer.to_canonical() != proxy.to_canonical() {
        assert_eq!(ClientNetworks::behind_proxy(proxy).client(peer, lines()), own);
    }
});
