//! `GRIDLINE_TRUSTED_PROXIES` over real HTTP, on both backends, with the per-IP limit on
//! anonymous accounts (20 an hour): without a trusted proxy, `X-Forwarded-For` changes nothing
//! (a client cannot pick the address it is counted under); with the test client's loopback
//! address trusted as a proxy, each forwarded client has its own count, and an address the
//! client wrote left of the one the proxy appended is ignored.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Backend, TestServer};

/// The anonymous accounts one address may create per hour (`ANONYMOUS_PER_IP`).
const PER_IP: usize = 20;

/// Creates an anonymous account through the loopback "proxy" for `forwarded_for`; the status.
pub(crate) fn sign_up(server: &TestServer, forwarded_for: &str) -> u16 {
    server
        .client
        .post(server.url("/api/v1/auth/anonymous"))
        .header("x-forwarded-for", forwarded_for)
        .send()
        .unwrap()
        .status()
        .as_u16()
}

fn forwarded_for_is_ignored_unless_the_peer_is_trusted(backend: Backend) {
    let server = TestServer::start(backend);
    for i in 0..PER_IP {
        assert_eq!(sign_up(&server, &format!("203.0.113.{i}")), 201);
    }
    // Every request came from 127.0.0.1, whatever the header said.
    assert_eq!(sign_up(&server, "198.51.100.1"), 429);
}

fn a_trusted_proxy_names_the_client(backend: Backend) {
    let server = TestServer::start_with(backend, &[("GRIDLINE_TRUSTED_PROXIES", "127.0.0.1/32, ::1/128")]);
    for _ in 0..PER_IP {
        assert_eq!(sign_up(&server, "203.0.113.7"), 201);
    }
    assert_eq!(sign_up(&server, "203.0.113.7"), 429);
    // A spoofed address left of the one the proxy appended does not escape the count.
    assert_eq!(sign_up(&server, "198.51.100.1, 203.0.113.7"), 429);
    // Another client behind the same proxy has its own count.
    assert_eq!(sign_up(&server, "203.0.113.8"), 201);
}

crate::both_backends!(forwarded_for_is_ignored_unless_the_peer_is_trusted, a_trusted_proxy_names_the_client);
