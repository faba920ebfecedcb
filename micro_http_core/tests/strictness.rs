//! RFC 9112 strictness: malformed heads and ambiguous framing are refused, and the connection closed.
mod common;
use common::*;

async fn status_and_closed(raw: &str) -> (u16, bool) {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    c.send(raw).await;
    let r = c.read_response(false).await;
    let closed = c.is_closed().await;
    (r.status, closed)
}

#[tokio::test]
async fn malformed_heads() {
    let cases: &[(&str, u16)] = &[
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n folded\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: t\r\nX: a\0b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: t\r\nX: a\rb\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: t\r\nBad[Name: v\r\n\r\n", 400),
        ("GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505),
        ("GET / HTTP/3\r\nHost: t\r\n\r\n", 505),
        ("GET / FOO/1.1\r\nHost: t\r\n\r\n", 400),
        ("GET /a b HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        ("GET nopath HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        ("GET * HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        ("\x16\x03\x01\x02\x00\x01\x00\x01\x7c\x03\x03\r\n\r\n", 400),
    ];
    for (raw, want) in cases {
        let (status, closed) = status_and_closed(raw).await;
        assert_eq!(status, *want, "{raw:?}");
        assert!(closed, "connection left open after {raw:?}");
    }
}

#[tokio::test]
async fn smuggling_shapes() {
    let cases: &[(&str, u16)] = &[
        // CL.TE and TE.CL
        ("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n", 400),
        // TE.TE obfuscations
        ("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 501),
        ("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 501),
        ("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        ("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400),
        ("POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        // Content-Length shapes
        ("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: +5\r\n\r\nhello", 400),
        ("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1_0\r\n\r\nhello", 400),
        ("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400),
        ("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 6\r\n\r\nhello", 400),
        ("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999\r\n\r\n", 400),
    ];
    for (raw, want) in cases {
        let (status, closed) = status_and_closed(raw).await;
        assert_eq!(status, *want, "{raw:?}");
        assert!(closed, "connection left open after {raw:?}");
    }
}

#[tokio::test]
async fn tolerated_by_the_rfc() {
    let srv = start_default().await;
    // Identical repeated Content-Length (RFC 9112 §6.3), leading empty line (§2.2), bare LF line ends (§2.2),
    // absolute-form target (§3.2.2), tab before a value and `Chunked` in any case.
    for raw in [
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
        "\r\nPOST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nok",
        "POST /echo HTTP/1.1\nHost: t\nContent-Length: 2\n\nok",
        "POST http://t/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nok",
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:\tChunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    ] {
        let r = exchange(srv.addr, raw).await;
        assert_eq!((r.status, r.text().as_str()), (200, "ok"), "{raw:?}");
    }
}

#[tokio::test]
async fn options_asterisk_and_unknown_method() {
    let srv = start_default().await;
    let r = exchange(srv.addr, "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(r.status, 204);
    assert!(r.header("allow").unwrap().contains("GET"));
    let r = exchange(srv.addr, "BREW /plaintext HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(r.status, 501);
}

#[tokio::test]
async fn error_then_other_clients_still_served() {
    let srv = start_default().await;
    for _ in 0..20 {
        let _ = exchange(srv.addr, "GARBAGE\r\n\r\n").await;
    }
    assert_eq!(exchange(srv.addr, get("/plaintext")).await.status, 200);
}
