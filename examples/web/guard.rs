//! What stands in front of the portal: security headers and the CSRF check, as axum
//! middleware, the session's CSRF token, and the per-client rate limit's refusal page.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::SystemTime;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kenpo_auth::ClientNetworks;
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

/// The per-client rate limit's key: the library's [`ClientNetworks`] tells clients apart (an
/// IPv4 address or an IPv6 /64; behind `--trusted-proxy`, the entry that proxy added to
/// `X-Forwarded-For`, and from anyone else the header is ignored).
#[derive(Clone, Copy)]
pub struct ClientKey(pub ClientNetworks);

impl KeyExtractor for ClientKey {
    type Key = IpAddr;

    fn extract<T>(&self, request: &axum::http::Request<T>) -> Result<IpAddr, GovernorError> {
        // Every request the proxy sends without a client shares its own bucket: say so, once.
        static SAID: AtomicBool = AtomicBool::new(false);
        let peer = PeerIpKeyExtractor.extract(request)?;
        let forwarded = request.headers().get_all("x-forwarded-for");
        let client = self
            .0
            .client(peer, forwarded.iter().map(HeaderValue::as_bytes));
        if client.unnamed_by_proxy && !SAID.swap(true, Ordering::Relaxed) {
            tracing::warn!(target: "web", event = "proxy_sent_no_client", proxy = %peer);
        }
        Ok(client.network)
    }
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

/// Logs refusals of the per-client rate limit with the client refused, which the refusal
/// page above is not told: the operator's view of who is being held back. At most one line a
/// second, counting the refusals since the last: a client hammering past its limit must not
/// write the log at its own pace.
pub async fn log_rate_limited(
    State(key): State<ClientKey>,
    request: Request,
    next: Next,
) -> Response {
    static LOGGED_SECOND: AtomicU64 = AtomicU64::new(0);
    static REFUSED: AtomicU64 = AtomicU64::new(0);
    let client = key.extract(&request);
    let response = next.run(request).await;
    if response.status() == StatusCode::TOO_MANY_REQUESTS {
        let refused = REFUSED.fetch_add(1, Ordering::Relaxed) + 1;
        let second = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        if LOGGED_SECOND.swap(second, Ordering::Relaxed) != second {
            REFUSED.fetch_sub(refused, Ordering::Relaxed);
            let wait = response.headers().get(header::RETRY_AFTER);
            let wait_s = wait.and_then(|w| w.to_str().ok()).unwrap_or("?");
            let client = client.map_or_else(|_| "?".to_owned(), |ip| ip.to_string());
            tracing::warn!(target: "web", event = "rate_limited", client = %client,
                wait_s = %wait_s, refused);
        }
    }
    response
}
