//! What stands in front of the portal: security headers and the CSRF check, as axum
//! middleware, the session's CSRF token, and the per-client rate limit's refusal page.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::TryRng as _;
use subtle::ConstantTimeEq as _;
use tower_governor::GovernorError;
use tower_governor::key_extractor::{KeyExtractor, PeerIpKeyExtractor};
use tower_sessions::Session;

use crate::views;

pub const CSRF: &str = "csrf";
/// Forms are small; anything larger is refused before it is read further.
const MAX_FORM_BYTES: usize = 16 * 1024;

/// Whether the portal is served over TLS (`--secure-cookies`).
#[derive(Clone, Copy, Debug)]
pub struct Tls(pub bool);

/// Every answer: a strict CSP (no script at all, styles and images from here only, forms
/// posted here only, no framing), no referrer, no sniffing; no caching except the
/// stylesheet, since pages carry codes, tickets' steps and the member's data; and over TLS,
/// HSTS for a year and for the portal host's subdomains, so that a browser that has seen the
/// portal never asks for it over plain HTTP again, where a network attacker could answer
/// (OWASP ASVS 5.0 V3.4.1, level 2). `includeSubDomains` reaches only names under the
/// portal's own host name, not the union's other hosts beside it.
pub async fn headers(State(Tls(tls)): State<Tls>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    if tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// The session's CSRF token, made on first use: 32 random bytes, hex.
pub async fn csrf_token(session: &Session) -> String {
    if let Ok(Some(token)) = session.get::<String>(CSRF).await {
        return token;
    }
    new_csrf_token(session).await
}

/// A fresh token (at login, with the new session id).
pub async fn new_csrf_token(session: &Session) -> String {
    let mut bytes = [0_u8; 32];
    rand::rngs::SysRng
        .try_fill_bytes(&mut bytes)
        .expect("the OS generator");
    let token = hex(&bytes);
    let _ = session.insert(CSRF, &token).await;
    token
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Every POST must carry the session's token in its `csrf` field, compared in constant time;
/// otherwise 403 and nothing reaches the portal.
pub async fn csrf(request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let session = request.extensions().get::<Session>().cloned();
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    // The token is hex, so it travels without percent-encoding.
    let sent = bytes
        .split(|&b| b == b'&')
        .find_map(|pair| pair.strip_prefix(b"csrf="));
    let expected = match &session {
        Some(session) => session.get::<String>(CSRF).await.ok().flatten(),
        None => None,
    };
    let valid = matches!((sent, expected), (Some(sent), Some(expected))
        if bool::from(sent.ct_eq(expected.as_bytes())));
    if !valid {
        tracing::warn!(target: "web", event = "csrf_refused", path = %parts.uri.path());
        return views::refusal(
            StatusCode::FORBIDDEN,
            "不正な操作を検出したため、処理を中止しました。お手数ですが、もう一度最初から操作してください。",
        );
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The per-client rate limit's key: the client's IPv4 address, or its IPv6 /64 network. One
/// IPv6 client usually holds a whole /64 (2^64 addresses), so keying on the full address would
/// let it take a fresh bucket for every post, and would let the limiter's table grow with it.
///
/// Behind a reverse proxy every request comes from the proxy, and all clients would share one
/// bucket: name the proxy (`--trusted-proxy`), and for requests from it alone the client is
/// the last `X-Forwarded-For` entry, the one the proxy added. From anyone else the header is
/// ignored, since a client can send any it likes (`tower_governor`'s `SmartIpKeyExtractor`
/// trusts it from anyone). This holds for one proxy at one address that appends to the header
/// or replaces it (nginx with `$proxy_add_x_forwarded_for`, `HAProxy` with `option
/// forwardfor`), with the portal reachable from that proxy only.
#[derive(Clone, Copy)]
pub struct ClientNetwork {
    pub trusted_proxy: Option<IpAddr>,
}

impl KeyExtractor for ClientNetwork {
    type Key = IpAddr;

    fn extract<T>(&self, request: &axum::http::Request<T>) -> Result<IpAddr, GovernorError> {
        let peer = PeerIpKeyExtractor.extract(request)?.to_canonical();
        let from_proxy = self
            .trusted_proxy
            .is_some_and(|proxy| proxy.to_canonical() == peer);
        let client = match forwarded_client(request) {
            Some(client) if from_proxy => client,
            None if from_proxy => {
                // Every such request shares the proxy's own bucket: say so, once.
                static SAID: AtomicBool = AtomicBool::new(false);
                if !SAID.swap(true, Ordering::Relaxed) {
                    tracing::warn!(target: "web", event = "proxy_sent_no_client", proxy = %peer);
                }
                peer
            }
            _ => peer,
        };
        Ok(match client {
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
            v4 @ IpAddr::V4(_) => v4,
        })
    }
}

/// The entry the proxy added: the last one of the last `X-Forwarded-For` line, an address
/// alone or with a port (`192.0.2.7:5000`, `[2001:db8::7]:5000`). Only that entry's bytes are
/// read, since what comes before it on the line is whatever the client sent.
fn forwarded_client<T>(request: &axum::http::Request<T>) -> Option<IpAddr> {
    let line = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .next_back()?;
    let entry = line.as_bytes().rsplit(|&b| b == b',').next()?;
    let entry = std::str::from_utf8(entry).ok()?.trim();
    let ip = (entry.parse().ok())
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|at| at.ip()))
        .or_else(|| entry.strip_prefix('[')?.strip_suffix(']')?.parse().ok())?;
    Some(ip.to_canonical())
}

/// The per-client rate limit's refusal (`tower_governor` in front of the portal, see `router`).
pub fn too_many(error: &GovernorError) -> Response {
    let &GovernorError::TooManyRequests {
        wait_time: wait, ..
    } = error
    else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // tower_governor rounds the wait down: under a second would read 0 and invite a retry at
    // once.
    let wait = wait.saturating_add(1);
    let message =
        format!("アクセスが集中しています。{wait}秒ほどおいてから、もう一度お試しください。");
    let mut response = views::refusal(StatusCode::TOO_MANY_REQUESTS, &message);
    let h = response.headers_mut();
    h.insert(header::RETRY_AFTER, HeaderValue::from(wait));
    response
}

/// Logs each refusal of the per-client rate limit with the client refused, which the refusal
/// page above is not told: the operator's view of who is being held back.
pub async fn log_rate_limited(
    State(key): State<ClientNetwork>,
    request: Request,
    next: Next,
) -> Response {
    let client = key.extract(&request);
    let response = next.run(request).await;
    if response.status() == StatusCode::TOO_MANY_REQUESTS {
        let wait = response.headers().get(header::RETRY_AFTER);
        let wait_s = wait.and_then(|w| w.to_str().ok()).unwrap_or("?");
        let client = client.map_or_else(|_| "?".to_owned(), |ip| ip.to_string());
        tracing::warn!(target: "web", event = "rate_limited", client = %client, wait_s = %wait_s);
    }
    response
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::extract::ConnectInfo;

    use super::*;

    const DIRECT: ClientNetwork = ClientNetwork {
        trusted_proxy: None,
    };

    fn request(peer: &str, forwarded: &[&str]) -> axum::http::Request<()> {
        let mut request = axum::http::Request::new(());
        let peer: SocketAddr = peer.parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        for value in forwarded {
            let value = HeaderValue::from_bytes(value.as_bytes()).unwrap();
            request.headers_mut().append("x-forwarded-for", value);
        }
        request
    }

    fn key(peer: &str) -> IpAddr {
        DIRECT.extract(&request(peer, &[])).unwrap()
    }

    #[test]
    fn an_ipv6_client_is_its_64_network_and_an_ipv4_client_its_address() {
        assert_eq!(
            key("[2001:db8:1:2::1]:5000"),
            key("[2001:db8:1:2:ffff::9]:6000")
        );
        assert_ne!(key("[2001:db8:1:2::1]:5000"), key("[2001:db8:1:3::1]:5000"));
        assert_eq!(key("192.0.2.7:5000"), key("[::ffff:192.0.2.7]:6000"));
        assert_ne!(key("192.0.2.7:5000"), key("192.0.2.8:5000"));
    }

    #[test]
    fn behind_the_trusted_proxy_the_client_is_the_address_it_added_and_no_one_else_is_believed() {
        let proxy = ClientNetwork {
            trusted_proxy: Some("10.0.0.1".parse().unwrap()),
        };
        let via = |peer, forwarded: &[&str]| proxy.extract(&request(peer, forwarded)).unwrap();
        let client = key("198.51.100.9:1");
        // The client may send its own header, alone or on the proxy's line (nginx appends to
        // it), in any bytes: the proxy's entry is the last one.
        for sent in [
            &["192.0.2.66, 192.0.2.7", "198.51.100.9"][..],
            &["192.0.2.66, 198.51.100.9"],
            &["\u{fc}\u{fc}, 198.51.100.9"],
            &["198.51.100.9:5555"],
        ] {
            assert_eq!(via("10.0.0.1:443", sent), client, "{sent:?}");
        }
        let v6 = key("[2001:db8:1:2::9]:1");
        for sent in [
            "2001:db8:1:2::1",
            "[2001:db8:1:2::1]",
            "[2001:db8:1:2::1]:443",
        ] {
            assert_eq!(via("10.0.0.1:443", &[sent]), v6, "{sent}");
        }
        assert_eq!(
            via("10.0.0.1:443", &["::ffff:192.0.2.7"]),
            key("192.0.2.7:1")
        );
        assert_eq!(via("[::ffff:10.0.0.1]:443", &["198.51.100.9"]), client);
        let mapped = ClientNetwork {
            trusted_proxy: Some("::ffff:10.0.0.1".parse().unwrap()),
        };
        let from_mapped = mapped.extract(&request("10.0.0.1:443", &["198.51.100.9"]));
        assert_eq!(
            from_mapped.unwrap(),
            client,
            "a proxy named as a mapped address"
        );
        // Nothing readable from the proxy: the proxy's own bucket.
        for sent in [&["junk"][..], &["198.51.100.9,"], &[]] {
            assert_eq!(via("10.0.0.1:443", sent), key("10.0.0.1:1"), "{sent:?}");
        }
        // From anyone but the proxy the header is ignored, and without a proxy always.
        assert_eq!(via("192.0.2.8:5000", &["198.51.100.9"]), key("192.0.2.8:1"));
        let direct = DIRECT.extract(&request("10.0.0.1:443", &["198.51.100.9"]));
        assert_eq!(direct.unwrap(), key("10.0.0.1:1"));
    }
}
