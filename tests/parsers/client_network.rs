//! `ClientNetworks`: an IPv6 client is its /64, and only the trusted proxy's `X-Forwarded-For`
//! entry is believed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use kenpo_auth::{Client, ClientNetworks};
use proptest::prelude::*;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// The client of a request from `peer` carrying `lines` as its `X-Forwarded-For` headers.
fn client(networks: ClientNetworks, peer: &str, lines: &[&str]) -> Client {
    networks.client(ip(peer), lines.iter().map(|line| line.as_bytes()))
}

fn direct(peer: &str) -> IpAddr {
    client(ClientNetworks::direct(), peer, &[]).network
}

#[test]
fn an_ipv6_client_is_its_64_network_and_an_ipv4_client_its_address() {
    assert_eq!(direct("2001:db8:1:2::1"), direct("2001:db8:1:2:ffff::9"));
    assert_ne!(direct("2001:db8:1:2::1"), direct("2001:db8:1:3::1"));
    assert_eq!(direct("192.0.2.7"), direct("::ffff:192.0.2.7"));
    assert_ne!(direct("192.0.2.7"), direct("192.0.2.8"));
}

#[test]
fn behind_the_trusted_proxy_the_client_is_the_address_it_added_and_no_one_else_is_believed() {
    let proxy = ClientNetworks::behind_proxy(ip("10.0.0.1"));
    let via = |peer, lines: &[&str]| client(proxy, peer, lines);
    let named = |network| Client {
        network,
        unnamed_by_proxy: false,
    };
    let expected = named(direct("198.51.100.9"));
    // The client may send its own header, alone or on the proxy's line (nginx appends to it),
    // in any bytes: the proxy's entry is the last one.
    for sent in [
        &["192.0.2.66, 192.0.2.7", "198.51.100.9"][..],
        &["192.0.2.66, 198.51.100.9"],
        &["\u{fc}\u{fc}, 198.51.100.9"],
        &["198.51.100.9:5555"],
        &[" 198.51.100.9 "],
    ] {
        assert_eq!(via("10.0.0.1", sent), expected, "{sent:?}");
    }
    let v6 = named(direct("2001:db8:1:2::9"));
    for sent in [
        "2001:db8:1:2::1",
        "[2001:db8:1:2::1]",
        "[2001:db8:1:2::1]:443",
    ] {
        assert_eq!(via("10.0.0.1", &[sent]), v6, "{sent}");
    }
    assert_eq!(
        via("10.0.0.1", &["::ffff:192.0.2.7"]),
        named(direct("192.0.2.7"))
    );
    assert_eq!(via("::ffff:10.0.0.1", &["198.51.100.9"]), expected);
    let mapped = ClientNetworks::behind_proxy(ip("::ffff:10.0.0.1"));
    assert_eq!(
        client(mapped, "10.0.0.1", &["198.51.100.9"]),
        expected,
        "a proxy named as a mapped address"
    );
    // Nothing readable from the proxy: the proxy's own budget, flagged.
    for sent in [
        &["junk"][..],
        &["198.51.100.9,"],
        &["198.51.100.9", ""],
        &[],
    ] {
        let unnamed = Client {
            network: ip("10.0.0.1"),
            unnamed_by_proxy: true,
        };
        assert_eq!(via("10.0.0.1", sent), unnamed, "{sent:?}");
    }
    // From anyone but the proxy the header is ignored, and without a proxy always.
    assert_eq!(
        via("192.0.2.8", &["198.51.100.9"]),
        named(direct("192.0.2.8"))
    );
    let ignored = client(ClientNetworks::direct(), "10.0.0.1", &["198.51.100.9"]);
    assert_eq!(ignored, named(ip("10.0.0.1")));
}

fn any_ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|bits| IpAddr::V4(Ipv4Addr::from(bits))),
        any::<u128>().prop_map(|bits| IpAddr::V6(Ipv6Addr::from(bits))),
    ]
}

proptest! {
    /// Whatever a client sends, a request not from the proxy counts against its own
    /// connection's network, and that network is a fixed point: an IPv6 one has no host bits.
    #[test]
    fn only_the_proxy_is_believed_and_a_network_is_its_own_client(
        peer in any_ip(),
        proxy in any_ip(),
        lines in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..3),
    ) {
        let lines = || lines.iter().map(Vec::as_slice);
        let own = ClientNetworks::direct().client(peer, lines());
        prop_assert!(!own.unnamed_by_proxy);
        prop_assert_eq!(ClientNetworks::direct().client(own.network, []), own);
        if let IpAddr::V6(v6) = own.network {
            prop_assert_eq!(u128::from(v6) & u128::from(u64::MAX), 0);
        }
        if proxy.to_canonical() != peer.to_canonical() {
            prop_assert_eq!(ClientNetworks::behind_proxy(proxy).client(peer, lines()), own);
        }
    }

    /// From the proxy, the entry it appended is the client, whatever came before it.
    #[test]
    fn from_the_proxy_the_appended_entry_is_the_client(
        proxy in any_ip(),
        client in any_ip(),
        before in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let mut line = before;
        line.extend_from_slice(format!(", {client}").as_bytes());
        let seen = ClientNetworks::behind_proxy(proxy).client(proxy, [line.as_slice()]);
        prop_assert_eq!(seen, ClientNetworks::direct().client(client, []));
    }
}
