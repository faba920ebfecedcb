//! Chunked request bodies and `Expect: 100-continue`.
mod common;
use common::*;

#[tokio::test]
async fn chunked_body_in_one_packet() {
    let srv = start_default().await;
    let r = exchange(
        srv.addr,
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "hello world");
}

#[tokio::test]
async fn chunked_body_trickled() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        .await;
    for part in ["5\r\nhel", "lo\r\n", "3\r\nabc\r\n", "0\r\n", "\r\n"] {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        c.send(part).await;
    }
    let r = c.read_response(false).await;
    assert_eq!(r.text(), "helloabc");
    // The connection is still usable.
    c.send(get("/plaintext")).await;
    assert_eq!(c.read_response(false).await.status, 200);
}

#[tokio::test]
async fn large_content_length_body_streamed() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    let body = vec![b'x'; 60_000];
    c.send(format!(
        "POST /body-len HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
        body.len()
    ))
    .await;
    for part in body.chunks(7000) {
        c.send(part).await;
    }
    let r = c.read_response(false).await;
    assert_eq!(r.text(), "60000");
}

#[tokio::test]
async fn chunked_body_over_limit_is_413() {
    let srv = start_default().await;
    let r = exchange(
        srv.addr,
        "POST /small HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n0123456789abcdef0123456789abcdef\r\n0\r\n\r\n",
    )
    .await;
    assert_eq!(r.status, 413);
}

#[tokio::test]
async fn malformed_chunk_size_is_400_and_close() {
    let srv = start_default().await;
    for bad in [
        "0x5\r\nhello\r\n0\r\n\r\n",
        "+5\r\nhello\r\n0\r\n\r\n",
        " 5\r\nhello\r\n0\r\n\r\n",
        "fffffffffffffffff\r\n",
        "5\nhello\r\n0\r\n\r\n",
    ] {
        let mut c = Client::connect(srv.addr).await;
        c.send(format!(
            "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n{bad}"
        ))
        .await;
        let r = c.read_response(false).await;
        assert_eq!(r.status, 400, "{bad:?}");
        assert!(c.is_closed().await, "{bad:?}");
    }
}

#[tokio::test]
async fn expect_continue_when_handler_reads_body() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        .await;
    let interim = c.read_response(false).await;
    assert_eq!(interim.status, 100);
    c.send("hello").await;
    let r = c.read_response(false).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "hello");
}

#[tokio::test]
async fn no_continue_when_handler_ignores_body() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    c.send("POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        .await;
    let r = c.read_response(false).await;
    assert_eq!(r.status, 200, "a final response without a 100 first");
    assert_eq!(r.text(), "ignored");
    assert_eq!(r.header("connection"), Some("close"));
}

#[tokio::test]
async fn expect_continue_over_limit_gets_413_without_100() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    c.send(
        "POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n",
    )
    .await;
    let r = c.read_response(false).await;
    assert_eq!(r.status, 413);
}

/// Found by the connection fuzz target: the interim 100 went out before the response to an earlier
/// pipelined request, so the client took it for that request's.
#[tokio::test]
async fn continue_never_overtakes_an_earlier_pipelined_response() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    c.send("GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\nPOST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n").await;
    let first = c.read_response(false).await;
    assert_eq!(
        (first.status, first.text().as_str()),
        (200, "Hello, World!")
    );
    let interim = c.read_response(false).await;
    assert_eq!(interim.status, 100);
    c.send("hello").await;
    let r = c.read_response(false).await;
    assert_eq!((r.status, r.text().as_str()), (200, "hello"));
}
