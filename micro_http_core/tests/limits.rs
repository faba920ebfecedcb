//! Every limit with its status code (short settings from `common::test_limits`).
mod common;
use common::*;

#[tokio::test]
async fn head_too_large_is_431() {
    let srv = start_default().await;
    let mut req = String::from("GET / HTTP/1.1\r\nHost: t\r\n");
    for i in 0..10 {
        req.push_str(&format!("X-Pad-{i}: {}\r\n", "a".repeat(1000)));
    }
    req.push_str("\r\n");
    assert_eq!(exchange(srv.addr, req).await.status, 431);
}

#[tokio::test]
async fn too_many_headers_is_431() {
    let srv = start_default().await;
    let mut req = String::from("GET / HTTP/1.1\r\nHost: t\r\n");
    for i in 0..25 {
        req.push_str(&format!("X-{i}: 1\r\n"));
    }
    req.push_str("\r\n");
    assert_eq!(exchange(srv.addr, req).await.status, 431);
}

#[tokio::test]
async fn one_huge_header_is_431() {
    let srv = start_default().await;
    let req = format!(
        "GET / HTTP/1.1\r\nHost: t\r\nCookie: {}\r\n\r\n",
        "c".repeat(3000)
    );
    assert_eq!(exchange(srv.addr, req).await.status, 431);
}

#[tokio::test]
async fn long_target_is_414_even_before_the_line_ends() {
    let srv = start_default().await;
    let complete = format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(2000));
    assert_eq!(exchange(srv.addr, complete).await.status, 414);
    let unfinished = format!("GET /{}", "a".repeat(2000));
    assert_eq!(exchange(srv.addr, unfinished).await.status, 414);
}

#[tokio::test]
async fn body_over_limit_is_413_before_reading_it() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    // Only the head is sent: the answer must not wait for a body.
    c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n")
        .await;
    let r = c.read_response(false).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.header("connection"), Some("close"));
    let r = exchange(
        srv.addr,
        "POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 17\r\n\r\n01234567890123456",
    )
    .await;
    assert_eq!(r.status, 413);
    let r = exchange(
        srv.addr,
        "POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 16\r\n\r\n0123456789012345",
    )
    .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn slow_head_gets_408_and_close() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    c.send("GET /plaintext HTTP/1.1\r\nHo").await;
    let t = std::time::Instant::now();
    let r = c.read_response(false).await;
    assert_eq!(r.status, 408);
    assert!(t.elapsed() < std::time::Duration::from_secs(3));
    assert!(c.is_closed().await);
}

#[tokio::test]
async fn trickled_head_is_cut_at_head_timeout_not_per_byte() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let srv = start_default().await;
    let stream = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    // One byte every 100 ms: every read makes progress, but the head never completes within 500 ms.
    let writer = tokio::spawn(async move {
        for b in b"GET /plaintext HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n" {
            if wr.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    });
    let t = std::time::Instant::now();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), rd.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 408 "), "{text}");
    assert!(
        t.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        t.elapsed()
    );
    writer.abort();
}

#[tokio::test]
async fn silent_connection_is_closed_after_head_timeout() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    assert!(c.is_closed().await);
}

#[tokio::test]
async fn slow_body_gets_408() {
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
        .await;
    let r = c.read_response(false).await;
    assert_eq!(r.status, 408);
}

#[tokio::test]
async fn max_connections_queues_further_clients_when_shedding_is_off() {
    let app = test_app().with_limits(|l| {
        l.max_connections = 2;
        l.shed_idle_after = None;
    });
    let srv = start(app).await;
    let mut a = Client::connect(srv.addr).await;
    let mut b = Client::connect(srv.addr).await;
    a.send(get("/plaintext")).await;
    b.send(get("/plaintext")).await;
    assert_eq!(a.read_response(false).await.status, 200);
    assert_eq!(b.read_response(false).await.status, 200);
    // A third client waits in the backlog until one of the first two leaves.
    let mut c = Client::connect(srv.addr).await;
    c.send(get("/plaintext")).await;
    let early = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        c.read_response(false),
    )
    .await;
    assert!(early.is_err(), "third connection must wait");
    drop(a);
    assert_eq!(c.read_response(false).await.status, 200);
}

#[tokio::test]
async fn when_every_slot_is_taken_idle_connections_make_room_and_busy_ones_are_left_alone() {
    use std::time::{Duration, Instant};
    let app = test_app().with_limits(|l| {
        l.max_connections = 3;
        l.shed_idle_after = Some(Duration::from_millis(200));
        l.head_timeout = Duration::from_secs(5);
        l.idle_timeout = Duration::from_secs(5);
    });
    let srv = start(app).await;
    // Idle after a request (kept alive), idle from the start, and busy with half a head.
    let mut kept = Client::connect(srv.addr).await;
    kept.send(get("/plaintext")).await;
    assert_eq!(kept.read_response(false).await.status, 200);
    let mut silent = Client::connect(srv.addr).await;
    let mut busy = Client::connect(srv.addr).await;
    busy.send("GET /plaintext HTTP/1.1\r\nHost: t\r\n").await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let t = Instant::now();
    let mut newcomer = Client::connect(srv.addr).await;
    newcomer.send(get("/plaintext")).await;
    assert_eq!(newcomer.read_response(false).await.status, 200);
    let waited = t.elapsed();
    assert!(
        waited < Duration::from_secs(3),
        "the newcomer waited {waited:?}; idle connections should have made room"
    );
    assert!(
        kept.is_closed().await,
        "the kept-alive idle connection was closed"
    );
    assert!(silent.is_closed().await, "the silent connection was closed");
    // The one with half a request was not interrupted.
    busy.send("\r\n").await;
    assert_eq!(busy.read_response(false).await.status, 200);
}

#[tokio::test]
async fn body_trickled_below_min_rate_gets_408() {
    // Each byte arrives well within body_timeout (500 ms), but at ~5 B/s against a minimum of 256 B/s.
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n")
        .await;
    let t = std::time::Instant::now();
    let mut status = None;
    for _ in 0..40 {
        if c.stream.try_write(b"x").is_err() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let mut peek = [0u8; 12];
        if let Ok(n) = c.stream.try_read(&mut peek) {
            if n > 0 {
                status = Some(String::from_utf8_lossy(&peek[..n]).to_string());
                break;
            }
        }
    }
    let status = status.expect("the server cut the trickling body");
    assert!(status.starts_with("HTTP/1.1 408"), "{status}");
    assert!(
        t.elapsed() < std::time::Duration::from_secs(4),
        "{:?}",
        t.elapsed()
    );
}
